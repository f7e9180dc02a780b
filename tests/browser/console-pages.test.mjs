// How every console page works, as an administrator meets it in Chromium: a create-user form
// that writes nothing when any part is refused and keeps what was typed, a password-policy
// form that shows the rules in force and asks before weakening them, pickers that start
// empty, destructive actions that ask for the name, one-time messages that do not come back
// on reload, the menu at phone width, and an automated accessibility check (axe-core) of
// every console page with no serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  startKeyward, launchBrowser, freshPage, screenshots, submit, signInAsRoot, pathOf, textOf,
  ACTION_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS,
} from './helpers.mjs';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server;
let browser;

before(async () => {
  server = await startKeyward('console-pages');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A page signed in as the root user (its first-start password changed on the way). */
async function rootPage({ viewport, bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport: viewport || { width: 1100, height: 850 }, bypassCSP });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  const page = await context.newPage();
  await signInAsRoot(page, server);
  assert.equal(pathOf(page), '/console');
  return page;
}

/** The AWS CLI's answer as JSON. */
async function awsJson(...args) {
  return JSON.parse(await server.aws(...args));
}

async function userExists(name) {
  try {
    await server.aws('iam', 'get-user', '--user-name', name);
    return true;
  } catch {
    return false;
  }
}

test('create user: a refused password writes nothing and the form keeps what was typed',
  { timeout: 120_000 }, async () => {
    const shot = screenshots('create-user-atomic');
    await server.aws('iam', 'create-group', '--group-name', 'builders');
    const page = await rootPage();
    await page.goto(`${server.url}/console/users`);
    await page.getByRole('link', { name: 'Create user' }).click();
    await page.waitForURL((u) => u.pathname === '/console/create/user');
    // Pickers start empty, whatever the list holds.
    assert.equal(await page.locator('#create-user-form fieldset.checklist input[type=checkbox]:checked').count(), 0);
    const groups = page.locator('#create-user-form-group');
    await groups.getByPlaceholder('Filter').fill('build');
    assert.equal(await groups.getByLabel('Administrators').isVisible(), false);
    await groups.getByLabel('builders').check();
    await page.getByLabel('User name').fill('mira');
    await page.getByLabel('Console password').fill('short');
    await submit(page, 'Create user');
    await shot(page, 'refused');
    // The reason sits at the password field, in words, and nothing was written.
    const password = page.locator('#create-user-form-password');
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    const described = await password.getAttribute('aria-describedby');
    assert.match(await textOf(page, `#${described}`), /at least/i);
    assert.equal(await userExists('mira'), false, 'no half-created user');
    // What was typed is still there (the password is not shown again).
    assert.equal(await page.getByLabel('User name').inputValue(), 'mira');
    assert.equal(await groups.getByLabel('builders').isChecked(), true);
    assert.equal(await password.inputValue(), '');
    // The same form, with a good password, now succeeds: no "already exists".
    await password.fill('Mira-Passw0rd!');
    await submit(page, 'Create user');
    assert.equal(pathOf(page), '/console/users/mira');
    assert.match(await textOf(page, '.notice'), /User mira created/);
    const inGroups = await awsJson('iam', 'list-groups-for-user', '--user-name', 'mira');
    assert.deepEqual(inGroups.Groups.map((g) => g.GroupName), ['builders']);
    // The one-time message does not come back on reload.
    await page.reload();
    assert.equal(await page.locator('.notice').count(), 0);
    // The user's pickers start empty (no administrator by a careless click), and take
    // several at once.
    assert.equal(await page.locator('#attach input[type=checkbox]:checked').count(), 0);
    assert.equal(await page.locator('#add-to-group input[type=checkbox]:checked').count(), 0);
    const attach = page.locator('#attach');
    await attach.getByPlaceholder('Filter').fill('ReadOnly');
    assert.equal(await attach.getByLabel('AdministratorAccess', { exact: true }).isVisible(), false);
    await attach.getByLabel('ReadOnlyAccess', { exact: true }).check();
    await attach.getByPlaceholder('Filter').fill('IAMUserChangePassword');
    await attach.getByLabel('IAMUserChangePassword', { exact: true }).check();
    await submit(page, 'Attach policies');
    assert.match(await textOf(page, '.notice'), /Policies .*ReadOnlyAccess.* attached to mira/);
    const attached = await awsJson('iam', 'list-attached-user-policies', '--user-name', 'mira');
    assert.deepEqual(attached.AttachedPolicies.map((p) => p.PolicyName).sort(),
      ['IAMUserChangePassword', 'ReadOnlyAccess']);
  });

test('the password-policy form shows the rules in force and asks before weakening them',
  { timeout: 120_000 }, async () => {
    const shot = screenshots('password-policy');
    const page = await rootPage();
    await page.goto(`${server.url}/console/account`);
    await shot(page, 'default-in-force');
    const form = page.locator('#password-policy-form');
    assert.match(await textOf(page, '#password-policy'), /In force now: .*8 characters.*three of/);
    // Untouched, the form asks for at least what IAM's default asks.
    assert.equal(await form.getByLabel('Minimum length').inputValue(), '8');
    const ticked = await form.locator('input[type=checkbox][name=upper], input[name=lower], input[name=numbers]')
      .evaluateAll((boxes) => boxes.map((b) => b.checked));
    assert.deepEqual(ticked, [true, true, true]);
    await submit(page, 'Save password policy');
    assert.match(await textOf(page, '.notice'), /Password policy saved/);
    const saved = await awsJson('iam', 'get-account-password-policy');
    assert.equal(saved.PasswordPolicy.RequireUppercaseCharacters, true);
    // Unticking every class would accept "abcdefgh": refused until confirmed.
    for (const name of ['upper', 'lower', 'numbers']) await form.locator(`input[name=${name}]`).uncheck();
    await submit(page, 'Save password policy');
    await shot(page, 'weaker-asks');
    assert.match(await textOf(page, '[role=alert]'), /weaker than the rules in force/);
    assert.equal((await awsJson('iam', 'get-account-password-policy')).PasswordPolicy.RequireUppercaseCharacters, true);
    assert.equal(await form.locator('input[name=upper]').isChecked(), false, 'the form keeps what was chosen');
    await form.getByLabel('Save this policy although it is weaker than the rules in force').check();
    await submit(page, 'Save password policy');
    assert.match(await textOf(page, '.notice'), /Password policy saved/);
    assert.equal((await awsJson('iam', 'get-account-password-policy')).PasswordPolicy.RequireUppercaseCharacters, false);
  });

test('deleting asks for the name first; the message names what went and shows once',
  { timeout: 120_000 }, async () => {
    const shot = screenshots('confirm-delete');
    await server.aws('iam', 'create-group', '--group-name', 'leaving');
    const page = await rootPage();
    await page.goto(`${server.url}/console/groups/leaving`);
    await submit(page, 'Delete group');
    await shot(page, 'asks');
    assert.match(await textOf(page, 'h1'), /Delete group leaving\?/);
    assert.ok(await page.getByRole('button', { name: 'Delete group leaving' }).isVisible()
      || await page.locator('#confirm-form button.danger').isVisible());
    // A wrong name deletes nothing.
    await page.getByLabel('To confirm, type leaving').fill('leavin');
    await page.locator('#confirm-form button[type=submit]').click();
    await page.waitForLoadState();
    assert.match(await textOf(page, '.field-error'), /exactly/);
    await server.aws('iam', 'get-group', '--group-name', 'leaving');
    await page.getByLabel('To confirm, type leaving').fill('leaving');
    await Promise.all([page.waitForNavigation(), page.locator('#confirm-form button[type=submit]').click()]);
    assert.equal(pathOf(page), '/console/groups');
    assert.match(await textOf(page, '.notice'), /Group leaving deleted/);
    await assert.rejects(server.aws('iam', 'get-group', '--group-name', 'leaving'));
    await page.reload();
    assert.equal(await page.locator('.notice').count(), 0, 'a flash does not reappear on reload');
  });

test('at phone width the sidebar hides behind a menu button', { timeout: 60_000 }, async () => {
  const shot = screenshots('phone-menu');
  const page = await rootPage({ viewport: { width: 375, height: 740 } });
  const menu = page.getByRole('button', { name: 'Menu' });
  const sidebar = page.locator('#sidebar');
  assert.equal(await menu.isVisible(), true);
  assert.equal(await sidebar.isVisible(), false);
  await shot(page, 'closed');
  await menu.click();
  assert.equal(await menu.getAttribute('aria-expanded'), 'true');
  assert.equal(await sidebar.isVisible(), true);
  await shot(page, 'open');
  await sidebar.getByRole('link', { name: 'Users' }).click();
  await page.waitForURL((u) => u.pathname === '/console/users');
  assert.equal(await page.locator('#sidebar a[aria-current=page]').innerText(), 'Users');
  // Wide again: the sidebar is always there and the button is not.
  await page.setViewportSize({ width: 1100, height: 850 });
  assert.equal(await sidebar.isVisible(), true);
  assert.equal(await menu.isVisible(), false);
});

/** Every console page a root user reaches, and a few states of them. */
async function consolePaths() {
  const account = server.account;
  await server.aws('iam', 'create-role', '--role-name', 'axe-role', '--assume-role-policy-document',
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }] }));
  const app = await server.keywardJson('POST', '/keyward/oidc/clients', {
    client_name: 'Axe app', redirect_uris: ['https://app.example/cb'],
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  return [
    `/console/oidc-clients/${app.body.client_id}`,
    '/console', '/console/users', '/console/create/user', '/console/users/admin',
    '/console/groups', '/console/groups/Administrators', '/console/roles', '/console/roles/axe-role',
    '/console/policies',
    `/console/policies/view?arn=${encodeURIComponent('arn:aws:iam::aws:policy/ReadOnlyAccess')}`,
    '/console/identity-providers', '/console/simulator', '/console/account', '/console/oidc-clients',
    '/console/mfa', '/console/applications', '/console/password', '/console/switch-role',
    '/console/inline/groups/Administrators/none', '/console/policies/generate',
    '/console/policies/generate?service=iam', '/console/no-such-page',
  ];
}

test('axe-core finds no serious or critical violation on any console page', { timeout: 300_000 }, async () => {
  const page = await rootPage({ bypassCSP: true });
  const failures = [];
  for (const path of await consolePaths()) {
    await page.goto(`${server.url}${path}`);
    await page.evaluate(AXE_SOURCE);
    const found = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const result = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
      return {
        checked: result.passes.length,
        serious: result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
        minor: result.violations.map((v) => `${v.id} (${v.impact})`),
      };
    });
    assert.ok(found.checked > 10, `axe checked ${path}`);
    if (found.minor.length) console.log(`# axe, below serious, on ${path}: ${found.minor.join(', ')}`);
    if (found.serious.length) failures.push(`${path}:\n  ${found.serious.join('\n  ')}`);
    // No two headings say the same at the same level.
    const headings = await page.locator('h1, h2').evaluateAll((hs) => hs.map((h) => h.textContent.trim()));
    const repeated = headings.filter((h, i) => headings.indexOf(h) !== i);
    if (repeated.length) failures.push(`${path}: repeated headings ${repeated.join(', ')}`);
  }
  // The confirmation step of a destructive form too.
  await page.goto(`${server.url}/console/groups/Administrators`);
  await submit(page, 'Delete group');
  await page.evaluate(AXE_SOURCE);
  const confirmFound = await page.evaluate(async () => (await axe.run()).violations // eslint-disable-line no-undef
    .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id));
  if (confirmFound.length) failures.push(`confirmation page: ${confirmFound.join(', ')}`);
  assert.deepEqual(failures, []);
});

test('the skip link is the first stop and moves focus to the page', { timeout: 60_000 }, async () => {
  const page = await rootPage();
  await page.goto(`${server.url}/console/users`);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.textContent.trim());
  assert.equal(focused, 'Skip to content');
  // The focus ring is drawn (a visible outline) on the focused link.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'content');
});

test('a path outside the console gets a branded page; the console 404 keeps the navigation',
  { timeout: 60_000 }, async () => {
    const visitor = await freshPage(browser);
    const outside = await visitor.goto(`${server.url}/no/such/place`);
    assert.equal(outside.status(), 404);
    assert.match(await textOf(visitor, 'h1'), /Page not found/);
    assert.match(await textOf(visitor, '.brand'), /Keyward/);
    const page = await rootPage();
    const inside = await page.goto(`${server.url}/console/nothing-here`);
    assert.equal(inside.status(), 404);
    assert.equal(await page.locator('#sidebar').isVisible(), true);
  });

test('a user\'s page shows every policy that applies and through what; inline ones are edited there',
  { timeout: 120_000 }, async () => {
    const shot = screenshots('effective-permissions');
    const doc = (sid, action) => JSON.stringify({
      Version: '2012-10-17', Statement: [{ Sid: sid, Effect: 'Allow', Action: action, Resource: '*' }],
    });
    await server.aws('iam', 'create-user', '--user-name', 'eve');
    await server.aws('iam', 'attach-user-policy', '--user-name', 'eve', '--policy-arn', 'arn:aws:iam::aws:policy/ReadOnlyAccess');
    await server.aws('iam', 'put-user-policy', '--user-name', 'eve', '--policy-name', 'own-inline', '--policy-document', doc('Own', 'iam:GetUser'));
    await server.aws('iam', 'create-group', '--group-name', 'auditors');
    await server.aws('iam', 'add-user-to-group', '--group-name', 'auditors', '--user-name', 'eve');
    await server.aws('iam', 'attach-group-policy', '--group-name', 'auditors', '--policy-arn', 'arn:aws:iam::aws:policy/IAMReadOnlyAccess');
    await server.aws('iam', 'put-group-policy', '--group-name', 'auditors', '--policy-name', 'group-inline', '--policy-document', doc('Group', 'iam:ListUsers'));
    await server.aws('iam', 'put-user-permissions-boundary', '--user-name', 'eve', '--permissions-boundary', 'arn:aws:iam::aws:policy/PowerUserAccess');
    const page = await rootPage();
    await page.goto(`${server.url}/console/users/eve`);
    await shot(page, 'user');
    const rows = await page.locator('#effective-permissions tbody tr').evaluateAll((trs) => trs.map(
      (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()).join(' | ')));
    assert.deepEqual(rows.sort(), [
      'IAMReadOnlyAccess | AWS managed | Group auditors',
      'PowerUserAccess | Permissions boundary | Caps all of the above',
      'ReadOnlyAccess | AWS managed | Directly',
      'group-inline | Inline | Group auditors',
      'own-inline | Inline | Directly',
    ]);
    // Each can be read; an inline one is edited where it is shown.
    await page.locator('#effective-permissions').getByRole('link', { name: 'own-inline' }).click();
    await page.waitForURL((u) => u.pathname === '/console/inline/users/eve/own-inline');
    const editor = page.getByLabel('Policy document');
    assert.match(await editor.inputValue(), /"Sid":"Own"/);
    await editor.fill(doc('Own', ['iam:GetUser', 'iam:ListGroups']));
    await submit(page, 'Save policy');
    await shot(page, 'inline-saved');
    assert.match(await textOf(page, '.notice'), /Inline policy own-inline saved/);
    const saved = await awsJson('iam', 'get-user-policy', '--user-name', 'eve', '--policy-name', 'own-inline');
    assert.deepEqual(saved.PolicyDocument.Statement[0].Action, ['iam:GetUser', 'iam:ListGroups']);
    // A role's description and maximum session are edited on its page.
    await server.aws('iam', 'create-role', '--role-name', 'edited-role', '--assume-role-policy-document',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${server.account}:root` }, Action: 'sts:AssumeRole' }] }));
    await page.goto(`${server.url}/console/roles/edited-role`);
    const settings = page.locator('#role-settings');
    await settings.getByLabel('Description').fill('Edited in the console');
    await settings.getByLabel('Maximum session duration (seconds)').fill('7200');
    await submit(page, 'Save');
    assert.match(await textOf(page, '.notice'), /Role edited-role saved/);
    const role = await awsJson('iam', 'get-role', '--role-name', 'edited-role');
    assert.equal(role.Role.Description, 'Edited in the console');
    assert.equal(role.Role.MaxSessionDuration, 7200);
  });
