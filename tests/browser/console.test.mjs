// The IAM console in a browser: the root user makes a policy, a group, a user with a console
// password and an access key, and a role; the AWS CLI then uses them (the key works, its
// permissions are the group's, the role can be assumed); the simulator agrees; the user signs
// in, switches to the role (coloured label in the header) and back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startKeyward, launchBrowser, freshPage, screenshots, submit, signIn, pathOf, textOf,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startKeyward('console');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'ReadIam', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
    { Sid: 'AssumeRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' },
  ],
}, null, 2);

/** Fills the form `formId`'s fields by their names and submits it with its button. */
async function fill(page, formId, values, button) {
  for (const [name, value] of Object.entries(values)) {
    const input = page.locator(`#${formId} [name="${name}"]`);
    if ((await input.getAttribute('type')) === 'checkbox') await input.setChecked(value);
    else if (await input.evaluate((e) => e.tagName === 'SELECT')) await input.selectOption(value);
    else await input.fill(value);
  }
  return submit(page, button);
}

test('console-made users, groups, policies and roles work with the AWS CLI; simulator; switch role',
  { timeout: 180_000 }, async () => {
    const shot = screenshots('console');
    const { account, url } = server;
    const page = await freshPage(browser);
    await page.goto(`${url}/signin/${account}`);
    await signIn(page, { account, user: 'root', password: server.rootPassword });
    await page.getByLabel('Current password').fill(server.rootPassword);
    await page.getByLabel('New password', { exact: true }).fill('Root-Console-Passw0rd');
    await page.getByLabel('Confirm new password').fill('Root-Console-Passw0rd');
    await submit(page, 'Change password');
    assert.equal(pathOf(page), '/console');

    // A customer managed policy, through the editor.
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/console/policies');
    await fill(page, 'create-policy-form', { name: 'ops-read', document: POLICY }, 'Create policy');
    await shot(page, 'policy-created');
    assert.equal(pathOf(page), '/console/policies/view');
    assert.match(await textOf(page, '.notice'), /Policy ops-read created/);
    assert.match(await textOf(page, 'pre.code'), /"Sid": "ReadIam"/);

    // A group with it attached.
    await page.goto(`${url}/console/groups`);
    await fill(page, 'create-group-form', { name: 'ops' }, 'Create group');
    await fill(page, 'attach', { [`arn:arn:aws:iam::${account}:policy/ops-read`]: true }, 'Attach policies');
    await shot(page, 'group-with-policy');
    assert.match(await textOf(page, '#attached-policies'), /ops-read/);

    // A user with a console password, in the group, with an access key.
    await page.goto(`${url}/console/create/user`);
    await fill(page, 'create-user-form', { name: 'lee', password: 'Lee-Passw0rd!', reset: false }, 'Create user');
    assert.equal(pathOf(page), '/console/users/lee');
    await fill(page, 'add-to-group', { 'group:ops': true }, 'Add to groups');
    await submit(page, 'Create access key');
    await shot(page, 'access-key-shown-once');
    const facts = await textOf(page, '#shown-once');
    const keyId = /Access key ID\s+(AKIA[A-Z0-9]{16})/.exec(facts)[1];
    const secret = /Secret access key\s+(\S{40})/.exec(facts)[1];
    const csv = await page.locator('#shown-once a[href^="data:text/csv"]').getAttribute('href');
    assert.ok(Buffer.from(csv.split(',')[1], 'base64').toString().includes(`${keyId},${secret}\n`));

    // A role that principals of this account may assume.
    await page.goto(`${url}/console/roles`);
    await fill(page, 'create-role-form', { name: 'deployer', description: 'deploys' }, 'Create role');
    await fill(page, 'attach', { 'arn:arn:aws:iam::aws:policy/IAMFullAccess': true }, 'Attach policies');
    await shot(page, 'role');
    assert.match(await textOf(page, '#attached-policies'), /IAMFullAccess/);

    // The AWS CLI with the key made in the console: the group's policy decides.
    const who = JSON.parse(await server.awsAs(keyId, secret, 'sts', 'get-caller-identity'));
    assert.equal(who.Arn, `arn:aws:iam::${account}:user/lee`);
    const listed = JSON.parse(await server.awsAs(keyId, secret, 'iam', 'list-users'));
    assert.ok(listed.Users.some((u) => u.UserName === 'lee'));
    await assert.rejects(server.awsAs(keyId, secret, 'iam', 'create-user', '--user-name', 'x'), /AccessDenied/);
    const assumed = JSON.parse(await server.awsAs(keyId, secret, 'sts', 'assume-role',
      '--role-arn', `arn:aws:iam::${account}:role/deployer`, '--role-session-name', 'cli'));
    assert.match(assumed.AssumedRoleUser.Arn, /assumed-role\/deployer\/cli$/);

    // The simulator says the same.
    await page.goto(`${url}/console/simulator`);
    await fill(page, 'simulate', {
      source: `arn:aws:iam::${account}:user/lee`,
      actions: 'iam:ListUsers iam:CreateUser',
    }, 'Run simulation');
    await shot(page, 'simulator');
    const results = await textOf(page, '#simulation');
    assert.match(results, /iam:ListUsers\s+\*\s+Allowed\s+ops-read/);
    assert.match(results, /iam:CreateUser\s+\*\s+Denied implicitly/);

    // lee signs in, switches to the role and back.
    const lee = await freshPage(browser);
    await lee.goto(`${url}/signin/${account}`);
    await signIn(lee, { account, user: 'lee', password: 'Lee-Passw0rd!' });
    await lee.getByRole('link', { name: 'Switch role' }).click();
    await fill(lee, 'switch-form', { role: 'deployer', label: 'Deploy', colour: 'purple' }, 'Switch role');
    await shot(lee, 'switched');
    assert.equal(pathOf(lee), '/console');
    assert.equal(await textOf(lee, '#role-label'), 'Deploy');
    assert.match(await lee.locator('#role-label').getAttribute('class'), /role-purple/);
    await lee.goto(`${url}/console/create/user`);
    await fill(lee, 'create-user-form', { name: 'made-by-role', password: '' }, 'Create user');
    assert.equal(pathOf(lee), '/console/users/made-by-role', 'IAMFullAccess through the role');
    await submit(lee, 'Switch back');
    await shot(lee, 'switched-back');
    assert.equal(await lee.locator('#role-label').count(), 0);
    await lee.goto(`${url}/console/create/user`);
    await fill(lee, 'create-user-form', { name: 'not-as-lee', password: '' }, 'Create user');
    assert.match(await textOf(lee, 'p.error'), /is not authorized to perform: iam:CreateUser/);
  });
