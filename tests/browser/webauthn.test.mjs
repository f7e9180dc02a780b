// Security keys and passkeys through Chrome's virtual authenticator (DevTools protocol
// WebAuthn.addVirtualAuthenticator): a user registers a security key on "Security credentials"
// and then needs it after the password; another registers a passkey and signs in with it alone,
// without typing a user name; a browser without the authenticator cannot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startKeyward, launchBrowser, freshPage, screenshots, submit, signIn, pathOf, textOf,
  createConsoleUser, NAVIGATION_TIMEOUT_MS,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startKeyward('webauthn');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Gives the page's browser context a virtual platform authenticator with resident keys and
 * user verification, as a phone or laptop with a screen lock has. */
async function addAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function credentials(authenticator) {
  const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials',
    { authenticatorId: authenticator.authenticatorId });
  return credentials;
}

/** Clicks a button that runs the WebAuthn script, and waits for the page it sends us to. */
async function clickAndWait(page, name, path) {
  await page.getByRole('button', { name, exact: true }).click();
  await page.waitForURL((url) => url.pathname === path, { timeout: NAVIGATION_TIMEOUT_MS });
}

test('a security key registered on the credentials page is then asked for after the password',
  { timeout: 120_000 }, async () => {
    const shot = screenshots('webauthn-security-key');
    const { account, url } = server;
    await createConsoleUser(server, 'erin', 'Erin-Passw0rd!');
    const page = await freshPage(browser);
    const authenticator = await addAuthenticator(page);
    await page.goto(`${url}/signin/${account}`);
    await signIn(page, { account, user: 'erin', password: 'Erin-Passw0rd!' });
    assert.equal(pathOf(page), '/console');

    await page.getByRole('link', { name: 'Security credentials' }).click();
    await page.waitForURL((u) => u.pathname === '/console/mfa');
    await shot(page, 'no-devices');
    assert.match(await textOf(page, '#no-devices'), /No MFA device is assigned/);
    await page.getByLabel('Name', { exact: true }).first().fill('Desk key');
    await clickAndWait(page, 'Register a security key', '/console/mfa');
    await page.locator('#devices').waitFor();
    await shot(page, 'key-registered');
    assert.match(await textOf(page, '#devices tbody'), /Desk key\s+Security key/);
    assert.equal((await credentials(authenticator)).length, 1);

    // Signed out, the password alone is not enough any more: the key is asked for.
    await submit(page, 'Sign out');
    await page.goto(`${url}/signin/${account}`);
    await signIn(page, { account, user: 'erin', password: 'Erin-Passw0rd!' });
    assert.equal(pathOf(page), '/signin/mfa');
    await shot(page, 'asks-for-key');
    await clickAndWait(page, 'Use security key', '/console');
    await shot(page, 'signed-in-with-key');
    assert.match(await textOf(page, 'main'), /Signed in with a second factor/);

    // Another browser knows the password but has no key: it stays at the second step.
    const other = await freshPage(browser);
    await other.goto(`${url}/signin/${account}`);
    await signIn(other, { account, user: 'erin', password: 'Erin-Passw0rd!' });
    assert.equal(pathOf(other), '/signin/mfa');
    const response = await other.goto(`${url}/console`);
    assert.equal(pathOf(other), '/signin/mfa', `status ${response.status()}`);
  });

test('a passkey signs its user in without a user name or password', { timeout: 120_000 }, async () => {
  const shot = screenshots('webauthn-passkey');
  const { account, url } = server;
  await createConsoleUser(server, 'fay', 'Fay-Passw0rd!');
  const page = await freshPage(browser);
  const authenticator = await addAuthenticator(page);
  await page.goto(`${url}/signin/${account}`);
  await signIn(page, { account, user: 'fay', password: 'Fay-Passw0rd!' });
  await page.goto(`${url}/console/mfa`);
  await page.locator('#passkey-name').fill('Laptop');
  await clickAndWait(page, 'Create a passkey', '/console/mfa');
  await page.locator('#devices').waitFor();
  await shot(page, 'passkey-created');
  assert.match(await textOf(page, '#devices tbody'), /Laptop\s+Passkey/);
  const stored = await credentials(authenticator);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].isResidentCredential, true, 'a discoverable credential');

  // Where the browser offers passkeys in the user name field's autofill (conditional UI),
  // the sign-in page asks for one as it loads; Chrome's virtual authenticator picks it at once.
  // Signing out lands on that page. (Loading it again here would race its own passkey sign-in,
  // which takes the sign-in cookie that the second load's request was made with.)
  await submit(page, 'Sign out');
  await page.waitForURL((u) => u.pathname === '/console', { timeout: NAVIGATION_TIMEOUT_MS });
  await shot(page, 'signed-in-through-autofill');
  assert.match(await textOf(page, 'header'), /fay/);
  assert.match(await textOf(page, 'main'), /Signed in with a second factor/);

  // Where it does not, the button asks for a passkey. (The virtual authenticator belongs to
  // this page, so the same page goes on, told that there is no conditional UI.)
  await page.context().addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  const plain = page;
  await submit(plain, 'Sign out');
  await shot(plain, 'signin-page');
  assert.equal(pathOf(plain), '/signin');
  await clickAndWait(plain, 'Sign in with a passkey', '/console');
  await shot(plain, 'signed-in-with-the-button');
  assert.match(await textOf(plain, 'header'), /fay/);
  const devices = await server.aws('iam', 'list-mfa-devices', '--user-name', 'fay');
  assert.match(devices, /u2f\/user\/fay\//);
});

// The attack from the security review: bob registers a passkey, then is renamed to the root
// login ("ROOT"), then signs in with his passkey. It must end in a refused rename or in a
// session of user/ROOT: never in the root user's session.
test('a user renamed like the root login never signs in as the root user', { timeout: 120_000 },
  async () => {
    const shot = screenshots('webauthn-root-name');
    const { account, url } = server;
    await createConsoleUser(server, 'bob', 'Bob-Passw0rd!');
    const page = await freshPage(browser);
    await addAuthenticator(page);
    await page.goto(`${url}/signin/${account}`);
    await signIn(page, { account, user: 'bob', password: 'Bob-Passw0rd!' });
    await page.goto(`${url}/console/mfa`);
    await page.locator('#passkey-name').fill('Laptop');
    await clickAndWait(page, 'Create a passkey', '/console/mfa');
    await page.locator('#devices').waitFor();

    let renamed = true;
    try {
      await server.aws('iam', 'update-user', '--user-name', 'bob', '--new-user-name', 'ROOT');
    } catch (e) {
      renamed = false;
      assert.match(e.message, /reserved/, 'refused because the name is the root login');
    }

    await page.context().addInitScript(() => {
      if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    await submit(page, 'Sign out');
    assert.equal(pathOf(page), '/signin');
    await clickAndWait(page, 'Sign in with a passkey', '/console');
    await shot(page, 'signed-in-with-the-passkey');
    const arn = await page.locator('header .identity').getAttribute('title');
    assert.equal(arn, `arn:aws:iam::${account}:user/${renamed ? 'ROOT' : 'bob'}`, 'never the root user');
  });

test('a passkey sign-in that finds no passkey says so in words; the autofill request says nothing',
  { timeout: 60_000 }, async () => {
    const page = await freshPage(browser);
    await addAuthenticator(page);
    await page.goto(`${server.url}/signin/${server.account}`);
    const status = page.locator('#webauthn-status');
    // The page's own autofill request (conditional mediation) waits silently.
    await page.waitForTimeout(500);
    assert.equal(await status.isVisible(), false);
    await page.getByRole('button', { name: 'Sign in with a passkey', exact: true }).click();
    await status.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await status.innerText(),
      'Passkey sign-in was cancelled. Try again or sign in with your password.');
  });
