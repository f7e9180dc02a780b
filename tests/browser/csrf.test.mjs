// A sign-in form whose CSRF token was tampered with (as a forged cross-site post would be) is
// refused with the "Form expired" page, even with the right password, and signs nobody in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startKeyward, launchBrowser, freshPage, screenshots, submit, signIn, pathOf, textOf, createConsoleUser,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startKeyward('csrf');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('CSRF: a sign-in form with a tampered token gets "Form expired" and signs nobody in', async () => {
  const shot = screenshots('csrf-signin');
  const { account, url } = server;
  const password = 'Erin-Passw0rd!';
  await createConsoleUser(server, 'erin', password);

  const page = await freshPage(browser);
  let response = await page.goto(`${url}/signin/${account}`);
  await shot(page, 'signin-page');
  assert.equal(response.status(), 200);
  // One character of the token changed, as a stale or forged form would carry.
  const [original, tampered] = await page.evaluate(() => {
    const input = document.querySelector('form[action="/signin"] input[name="csrf_token"]');
    const before = input.value;
    input.value = before.slice(0, -1) + (before.endsWith('A') ? 'B' : 'A');
    return [before, input.value];
  });
  assert.ok(original.length > 0);
  assert.notEqual(tampered, original);
  await page.getByLabel('Account ID or alias').fill(account);
  await page.getByLabel('User name').fill('erin');
  await page.getByLabel('Password', { exact: true }).fill(password);
  response = await submit(page, 'Sign in');
  await shot(page, 'form-expired');
  assert.equal(response.status(), 403);
  assert.match(await page.title(), /^Form expired/);
  assert.equal(await textOf(page, 'h1'), 'Form expired');
  assert.match(await textOf(page, 'main'), /The form was too old or did not come from this site\./);

  // Not signed in: the console sends the browser to the sign-in page.
  response = await page.goto(`${url}/console`);
  await shot(page, 'console-redirects-to-signin');
  assert.equal(response.status(), 200);
  assert.equal(pathOf(page), '/signin');
  assert.equal(await textOf(page, 'h1'), 'Sign in');

  // The same credentials on an untouched form do sign in (so the refusal above was the token's).
  response = await signIn(page, { account, user: 'erin', password });
  await shot(page, 'untampered-form-signs-in');
  assert.equal(response.status(), 200);
  assert.equal(pathOf(page), '/console');
  assert.equal(await textOf(page, 'h1'), 'Dashboard');
  await page.context().close();
});
