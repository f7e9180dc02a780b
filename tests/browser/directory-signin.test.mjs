// Console sign-in with a directory account, in Chromium: a real OpenLDAP (Debian's slapd, from
// tests/e2e/ldap_fixture.py run as a program) on loopback, registered in the account as `corp`
// with `keyward directory create`, and a role Operator whose trust policy admits the members of
// the directory's ops group (Keyward runs with KEYWARD_ALLOW_PLAIN_LDAP to reach plain ldap://).
//
// From the account's sign-in page: alice (in ops) goes straight to the console as
// assumed-role/Operator/alice; a wrong password and an unknown user read the same and open no
// session; bob (in no group) gets no role; with a second role Auditor open to ops, alice picks it
// in the role picker, and the picker's form, sent again after that, is refused; with Keyward MFA
// required, alice registers a security key at her first sign-in and uses it at the next (the
// picker following the key), and root resets her key on the directory's page. Without slapd,
// every test is skipped with the fixture's reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  REPO, ARTIFACTS, startKeyward, launchBrowser, freshPage, screenshots, submit, pathOf, textOf,
  signInAsRoot, NAVIGATION_TIMEOUT_MS,
} from './helpers.mjs';

const DIRECTORY = 'corp';
const LINK = `Sign in with your directory account (${DIRECTORY})`;
const INCORRECT = 'Your authentication information is incorrect. Please try again.';
const FIXTURE = join(REPO, 'tests', 'e2e', 'ldap_fixture.py');
const FIXTURE_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

let ldap; // the fixture's line: url, base_dn, admin_dn, admin_password, ops_dn, people
let unavailable; // why there is no directory (no slapd), or undefined
let server;
let browser;
const roleArn = (role) => `arn:aws:iam::${server.account}:role/${role}`;
const sessionArn = (role, user) => `arn:aws:sts::${server.account}:assumed-role/${role}/${user}`;

/**
 * Runs tests/e2e/ldap_fixture.py and resolves, once it printed its JSON line, to
 * { info (that line), stop() }. The fixture serves until its standard input closes or it gets
 * SIGTERM; it also ends when this process does (its standard input closes then). Its standard
 * error goes to target/browser-artifacts/directory-signin-ldap.log.
 */
async function startDirectory() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const log = createWriteStream(join(ARTIFACTS, 'directory-signin-ldap.log'));
  const proc = spawn('python3', [FIXTURE], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  let exited = null;
  const exit = new Promise((ok) => {
    proc.on('exit', (code, signal) => { exited = { code, signal }; ok(exited); });
    proc.on('error', (error) => { exited = { error: error.message }; ok(exited); });
  });
  let stdout = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => { stdout += chunk; log.write(chunk); });
  proc.stderr.on('data', (chunk) => log.write(chunk));

  const stop = async () => {
    if (exited === null) {
      proc.stdin.end();
      proc.kill('SIGTERM');
      const stopped = await Promise.race([exit, sleep(STOP_TIMEOUT_MS, null, { ref: false })]);
      if (stopped === null) {
        proc.kill('SIGKILL');
        await Promise.race([exit, sleep(STOP_TIMEOUT_MS, null, { ref: false })]);
      }
    }
    log.end();
  };

  const deadline = Date.now() + FIXTURE_TIMEOUT_MS;
  while (!stdout.includes('\n')) {
    if (exited || Date.now() > deadline) {
      await stop();
      const why = exited ? `exited (${JSON.stringify(exited)})` : `printed nothing within ${FIXTURE_TIMEOUT_MS} ms`;
      throw new Error(`${FIXTURE} ${why}; see ${join(ARTIFACTS, 'directory-signin-ldap.log')}`);
    }
    await sleep(50);
  }
  return { info: JSON.parse(stdout.slice(0, stdout.indexOf('\n'))), stop };
}

let directory;

before(async () => {
  directory = await startDirectory();
  if (directory.info.unavailable) {
    unavailable = `no OpenLDAP directory: ${directory.info.unavailable}`;
    console.log(`directory-signin.test.mjs: skipping every test, ${unavailable}`);
    return;
  }
  ldap = directory.info;
  server = await startKeyward('directory-signin', { env: { KEYWARD_ALLOW_PLAIN_LDAP: 'true' } });
  browser = await launchBrowser();

  // The directory, as tests/e2e/test_ldap_identity.py registers it.
  const passwordFile = join(server.dir, 'directory-password');
  writeFileSync(passwordFile, `${ldap.admin_password}\n`, { mode: 0o600 });
  await server.cli('directory', 'create', DIRECTORY, '--account', server.account,
    '--url', ldap.url, '--tls', 'none', '--bind-dn', ldap.admin_dn,
    '--bind-password-file', passwordFile, '--base-dn', ldap.base_dn,
    '--user-attribute', 'uid', '--user-filter', '(objectClass=inetOrgPerson)',
    '--groups', 'member', '--attribute', 'email=mail');

  // One role open to the ops group; it may read IAM, so the console shows something.
  await server.aws('iam', 'create-role', '--role-name', 'Operator', '--assume-role-policy-document', trust());
  await server.aws('iam', 'attach-role-policy', '--role-name', 'Operator',
    '--policy-arn', 'arn:aws:iam::aws:policy/IAMReadOnlyAccess');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await directory?.stop();
});

/** The trust policy of the roles: the directory's identities in its ops group. */
function trust() {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${server.account}:directory/${DIRECTORY}` },
      Action: ['sts:AssumeRoleWithLDAPIdentity', 'sts:SetSourceIdentity', 'sts:TagSession'],
      Condition: { 'ForAnyValue:StringEquals': { 'ldap:groups': ldap.ops_dn } },
    }],
  });
}

/** Skips the test (saying why) when there is no directory; true if it did. */
function skipped(t) {
  if (!unavailable) return false;
  t.skip(unavailable);
  return true;
}

/**
 * From the account's sign-in page, follows the directory's link to its form, shoots it, and
 * signs in there as `user`; returns the response to the form (after redirects).
 */
async function signInWithDirectory(page, shot, user, password) {
  const response = await page.goto(`${server.url}/signin/${server.account}`);
  assert.equal(response.status(), 200);
  const link = page.getByRole('link', { name: LINK, exact: true });
  assert.equal(await link.getAttribute('href'), `/signin/directory/${server.account}/${DIRECTORY}`,
    'the sign-in page links to the directory');
  await shot(page, `${user}-signin-page`);
  await Promise.all([
    page.waitForURL((u) => u.pathname === `/signin/directory/${server.account}/${DIRECTORY}`,
      { timeout: NAVIGATION_TIMEOUT_MS }),
    link.click(),
  ]);
  assert.equal(await textOf(page, 'h1'), 'Sign in with your directory account');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await shot(page, `${user}-directory-form`);
  const answer = await submit(page, 'Sign in');
  await shot(page, `${user}-after-sign-in`);
  return answer;
}

/** The header's identity: its text and its title (the ARN the console acts as). */
async function identityOf(page) {
  const identity = page.locator('header .identity');
  return { text: (await identity.innerText()).trim(), arn: await identity.getAttribute('title') };
}

/** The names of the browser's cookies for Keyward. */
async function cookieNames(page) {
  return (await page.context().cookies(server.url)).map((c) => c.name);
}

/** The page has no console session: no session cookie, and the console sends it to sign in. */
async function assertNoSession(page, shot, step) {
  assert.ok(!(await cookieNames(page)).includes('keyward_session'), 'no session cookie');
  const visit = await page.goto(`${server.url}/console`);
  await shot(page, step);
  assert.equal(visit.status(), 200);
  assert.match(pathOf(page), /^\/signin(\/|$)/, 'the console sends the browser to a sign-in page');
  assert.equal(await textOf(page, 'h1'), 'Sign in');
  assert.equal(await page.locator('header .identity').count(), 0);
}

test('alice, with one role open to her, goes straight to the console as Operator', { timeout: 120_000 }, async (t) => {
  if (skipped(t)) return;
  const shot = screenshots('directory-signin-alice');
  const page = await freshPage(browser);
  const answer = await signInWithDirectory(page, shot, 'alice', ldap.people.alice);
  assert.equal(answer.status(), 200);
  assert.equal(pathOf(page), '/console', 'no role picker for a single role');
  assert.equal(await page.locator('#role-picker').count(), 0);
  assert.deepEqual(await identityOf(page), { text: 'alice', arn: sessionArn('Operator', 'alice') });
  assert.equal(await textOf(page, 'header .account'), `account ${server.account}`);
  assert.ok((await cookieNames(page)).includes('keyward_session'));

  // The role's IAMReadOnlyAccess lets the console list roles.
  const roles = await page.goto(`${server.url}/console/roles`);
  await shot(page, 'roles-as-operator');
  assert.equal(roles.status(), 200);
  assert.equal(pathOf(page), '/console/roles');
  assert.match(await textOf(page, 'main'), /\bOperator\b/);
  assert.equal((await identityOf(page)).arn, sessionArn('Operator', 'alice'));
  await page.context().close();
});

test('a wrong password and an unknown user read the same and open no session', { timeout: 120_000 }, async (t) => {
  if (skipped(t)) return;
  const shot = screenshots('directory-signin-refused');
  for (const [user, password] of [['alice', 'not-her-password'], ['nobody-here', 'whatever']]) {
    const page = await freshPage(browser);
    const answer = await signInWithDirectory(page, shot, user, password);
    assert.equal(answer.status(), 401, `${user}: 401`);
    assert.equal(pathOf(page), `/signin/directory/${server.account}/${DIRECTORY}`, `${user}: back on the form`);
    assert.equal(await textOf(page, 'p.error'), INCORRECT, `${user}: the one message for both`);
    assert.equal(await page.getByLabel('User name').inputValue(), user, 'the user name is kept');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not');
    await assertNoSession(page, shot, `${user}-console-without-session`);
    await page.context().close();
  }
});

test('bob, in no group, is told that no role is available to him', { timeout: 120_000 }, async (t) => {
  if (skipped(t)) return;
  const shot = screenshots('directory-signin-bob');
  const page = await freshPage(browser);
  const answer = await signInWithDirectory(page, shot, 'bob', ldap.people.bob);
  assert.equal(answer.status(), 403);
  assert.equal(await textOf(page, 'h1'), 'No role is available to you');
  assert.match(await textOf(page, 'main'), new RegExp(`Your account at ${DIRECTORY} does not give you any role`));
  await assertNoSession(page, shot, 'console-without-session');
  await page.context().close();
});

test('with two roles open to her, alice picks Auditor; the picker cannot be used again', { timeout: 120_000 }, async (t) => {
  if (skipped(t)) return;
  const shot = screenshots('directory-signin-picker');
  await server.aws('iam', 'create-role', '--role-name', 'Auditor', '--assume-role-policy-document', trust());
  t.after(() => server.aws('iam', 'delete-role', '--role-name', 'Auditor'));

  const page = await freshPage(browser);
  const answer = await signInWithDirectory(page, shot, 'alice', ldap.people.alice);
  assert.equal(answer.status(), 200);
  assert.equal(pathOf(page), `/signin/directory/${server.account}/${DIRECTORY}`);
  assert.equal(await textOf(page, 'h1'), 'Choose a role');
  assert.match(await textOf(page, 'main'), new RegExp(`Directory ${DIRECTORY} signed you in as alice\\.`));
  const buttons = page.locator('#role-picker button[name="role"]');
  const offered = await buttons.evaluateAll((all) => all.map((b) => ({ text: b.innerText.trim(), value: b.value })));
  assert.deepEqual(offered.sort((a, b) => a.text.localeCompare(b.text)),
    ['Auditor', 'Operator'].map((role) => ({ text: role, value: roleArn(role) })), 'one button per role open to ops');
  assert.ok(!(await cookieNames(page)).includes('keyward_session'), 'no session before the pick');
  const pending = (await page.context().cookies(server.url)).find((c) => c.name === 'keyward_pending');
  assert.ok(pending, 'the picker waits under a cookie');
  // Chromium does not show a POST's answer again on Back (net::ERR_CACHE_MISS, where a person
  // would be asked to send the user name and password again): the picker's page as it was,
  // kept here, stands in for it.
  const picker = await page.content();

  await submit(page, 'Auditor');
  await shot(page, 'console-as-auditor');
  assert.equal(pathOf(page), '/console');
  assert.deepEqual(await identityOf(page), { text: 'alice', arn: sessionArn('Auditor', 'alice') });
  assert.ok(!(await cookieNames(page)).includes('keyward_pending'), 'the waiting sign-in is forgotten');

  // Back to the picker, and its form sent again: refused.
  await page.setContent(picker);
  await shot(page, 'back-at-the-picker');
  assert.equal(await textOf(page, 'h1'), 'Choose a role');
  const again = await submit(page, 'Operator');
  await shot(page, 'picker-sent-again');
  assert.equal(pathOf(page), '/signin/directory/choose');
  assert.equal(again.status(), 400);
  assert.equal(await textOf(page, 'h1'), 'Sign-in expired');

  // Even with the waiting sign-in's cookie put back, it was used once.
  await page.context().addCookies([pending]);
  assert.ok((await cookieNames(page)).includes('keyward_pending'));
  await page.setContent(picker);
  const replayed = await submit(page, 'Auditor');
  await shot(page, 'picker-sent-with-the-old-cookie');
  assert.equal(replayed.status(), 400);
  assert.equal(await textOf(page, 'h1'), 'Sign-in expired');

  // The session alice opened is still hers, as Auditor.
  await page.goto(`${server.url}/console`);
  await shot(page, 'console-still-auditor');
  assert.deepEqual(await identityOf(page), { text: 'alice', arn: sessionArn('Auditor', 'alice') });
  await page.context().close();
});

/** A virtual security key for the page's browser context (Chrome DevTools' WebAuthn domain). */
async function addSecurityKey(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

test('with Keyward MFA required, alice registers a security key at her first sign-in and uses it at the next', { timeout: 180_000 }, async (t) => {
  if (skipped(t)) return;
  const shot = screenshots('directory-signin-mfa');
  await server.cli('directory', 'update', DIRECTORY, '--account', server.account, '--require-mfa', 'true');
  t.after(() => server.cli('directory', 'update', DIRECTORY, '--account', server.account, '--require-mfa', 'false'));

  const page = await freshPage(browser);
  const key = await addSecurityKey(page);
  await signInWithDirectory(page, shot, 'alice', ldap.people.alice);
  assert.equal(pathOf(page), '/signin/directory/mfa', 'the password alone opens nothing');
  assert.equal(await textOf(page, 'h1'), 'Multi-factor authentication');
  assert.match(await textOf(page, 'main'), /This is your first sign-in with it: set up an authenticator app\./);
  assert.ok(!(await cookieNames(page)).includes('keyward_session'));
  await page.locator('#key-name').fill('Desk key');
  await page.getByRole('button', { name: 'Register a security key and continue', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/console', { timeout: NAVIGATION_TIMEOUT_MS });
  await shot(page, 'console-after-enrolment');
  assert.deepEqual(await identityOf(page), { text: 'alice', arn: sessionArn('Operator', 'alice') });
  const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.authenticatorId });
  assert.equal(credentials.length, 1, 'the key holds one credential for Keyward');

  // Next time the key is asked for, not a new enrolment; with two roles, the picker follows.
  await server.aws('iam', 'create-role', '--role-name', 'Auditor', '--assume-role-policy-document', trust());
  t.after(() => server.aws('iam', 'delete-role', '--role-name', 'Auditor'));
  await page.context().clearCookies();
  await signInWithDirectory(page, shot, 'alice', ldap.people.alice);
  assert.equal(pathOf(page), '/signin/directory/mfa');
  assert.equal(await page.locator('#add-security-key').count(), 0, 'no second enrolment');
  assert.equal(await page.locator('input[name="code"]').count(), 0, 'no authenticator app to ask for');
  await page.getByRole('button', { name: 'Use security key', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/signin/directory/choose', { timeout: NAVIGATION_TIMEOUT_MS });
  await shot(page, 'picker-after-the-key');
  assert.equal(await textOf(page, 'h1'), 'Choose a role');
  await submit(page, 'Auditor');
  await shot(page, 'console-as-auditor-with-mfa');
  assert.equal(pathOf(page), '/console');
  assert.deepEqual(await identityOf(page), { text: 'alice', arn: sessionArn('Auditor', 'alice') });
  assert.match(await textOf(page, 'main'), /Signed in through your sign-in provider, with a second factor\./);

  // Root sees alice's key on the directory's page and resets it (a lost key): she enrols again.
  const admin = await freshPage(browser);
  await signInAsRoot(admin, server);
  await admin.goto(`${server.url}/console/directories/${DIRECTORY}`);
  await shot(admin, 'directory-devices');
  const devices = await textOf(admin, '#mfa-device-list');
  assert.match(devices, new RegExp(`uid=alice,ou=people,${ldap.base_dn}`));
  assert.match(devices, /Desk key \(security key\)/);
  await submit(admin, 'Reset');
  await shot(admin, 'directory-devices-reset');
  assert.match(await textOf(admin, 'main'), /The MFA devices of uid=alice,ou=people,.* were removed\./);
  assert.match(await textOf(admin, '#mfa-device-list'), /Nobody has enrolled a device\./);
  await admin.context().close();
  await page.context().clearCookies();
  await signInWithDirectory(page, shot, 'alice', ldap.people.alice);
  assert.equal(pathOf(page), '/signin/directory/mfa');
  assert.equal(await page.locator('#add-security-key').count(), 1, 'she enrols again');
  await page.context().close();
});
