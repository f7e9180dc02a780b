// The root user's first sign-in, as a person does it: the printed password, the forced change
// (with a password the rules refuse first), the dashboard, sign-out, and the old password gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKeyward, launchBrowser, freshPage, screenshots, submit, signIn, pathOf, textOf } from './helpers.mjs';

const INCORRECT = 'Your authentication information is incorrect. Please try again.';
let server;
let browser;

before(async () => {
  server = await startKeyward('root-signin');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('root first sign-in: forced password change, dashboard, sign-out, old password refused', async () => {
  const shot = screenshots('root-first-signin');
  const page = await freshPage(browser);
  const { account, rootPassword, url } = server;
  const newPassword = 'Root-Chang3d-Passw0rd!';

  // The account's own sign-in URL fills in the account.
  let response = await page.goto(`${url}/signin/${account}`);
  await shot(page, 'signin-page');
  assert.equal(response.status(), 200);
  assert.equal(await textOf(page, 'h1'), 'Sign in');
  assert.equal(await page.getByLabel('Account ID or alias').inputValue(), account);

  response = await signIn(page, { account, user: 'root', password: rootPassword });
  await shot(page, 'forced-password-change');
  assert.equal(response.status(), 200);
  assert.equal(pathOf(page), '/console/password');
  assert.equal(await textOf(page, 'h1'), 'Change password');
  assert.match(await textOf(page, 'main'), /You must choose a new password before you continue\./);

  // Too short for the rules: the page says why and stays.
  await page.getByLabel('Current password').fill(rootPassword);
  await page.getByLabel('New password', { exact: true }).fill('Sh0rt!');
  await page.getByLabel('Confirm new password').fill('Sh0rt!');
  response = await submit(page, 'Change password');
  await shot(page, 'password-too-short');
  assert.equal(pathOf(page), '/console/password');
  assert.equal(response.status(), 400);
  assert.match(await textOf(page, 'p.error'), /Password should have at least 8 characters\./);

  await page.getByLabel('Current password').fill(rootPassword);
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('Confirm new password').fill(newPassword);
  response = await submit(page, 'Change password');
  await shot(page, 'dashboard');
  assert.equal(response.status(), 200);
  assert.equal(pathOf(page), '/console');
  assert.equal(await textOf(page, 'h1'), 'Dashboard');
  assert.match(await textOf(page, 'main'), /Sign-in URL for this account/);
  const link = page.locator('#signin-url');
  const signinUrl = `${url}/signin/${account}`;
  assert.equal((await link.innerText()).trim(), signinUrl);
  assert.equal(await link.getAttribute('href'), signinUrl);
  assert.match(await textOf(page, 'main'), /Resources/);
  assert.match(await textOf(page, 'main'), /Security status/);

  response = await submit(page, 'Sign out');
  await shot(page, 'signed-out');
  assert.equal(response.status(), 200);
  assert.equal(pathOf(page), '/signin');
  assert.equal(await textOf(page, 'h1'), 'Sign in');

  // Back through the sign-in URL the dashboard showed: the old password no longer works.
  await page.goto(signinUrl);
  await shot(page, 'signin-url-from-dashboard');
  assert.equal(await page.getByLabel('Account ID or alias').inputValue(), account);
  response = await signIn(page, { account, user: 'root', password: rootPassword });
  await shot(page, 'old-password-refused');
  assert.equal(response.status(), 401);
  assert.equal(await textOf(page, 'p.error'), INCORRECT);

  response = await signIn(page, { account, user: 'root', password: newPassword });
  await shot(page, 'new-password-dashboard');
  assert.equal(response.status(), 200);
  assert.equal(pathOf(page), '/console');
  assert.equal(await textOf(page, 'h1'), 'Dashboard');
  await page.context().close();
});
