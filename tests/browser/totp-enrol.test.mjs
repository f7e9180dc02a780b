// A user assigns itself an authenticator app from "Security credentials": the secret read off
// the page (as a person would type it into an app), two consecutive codes to confirm; from then
// on the password alone does not sign it in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startKeyward, launchBrowser, freshPage, screenshots, submit, signIn, pathOf, textOf,
  createConsoleUser, totpFor, waitForStep, stepOf, STEP_MS,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startKeyward('totp-enrol');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an authenticator app assigned from the page is then asked for at sign-in', { timeout: 150_000 }, async () => {
  const shot = screenshots('totp-enrol');
  const { account, url } = server;
  await createConsoleUser(server, 'nia', 'Nia-Passw0rd!');
  const page = await freshPage(browser);
  await page.goto(`${url}/signin/${account}`);
  await signIn(page, { account, user: 'nia', password: 'Nia-Passw0rd!' });
  await page.getByRole('link', { name: 'Security credentials' }).click();
  await submit(page, 'Assign an authenticator app');
  await shot(page, 'qr-code-and-secret');
  assert.equal(pathOf(page), '/console/mfa/totp');
  assert.equal(await page.locator('.qr svg').count(), 1, 'a QR code');
  const totp = totpFor(await textOf(page, '#totp-secret'));

  await waitForStep({ minRemainingMs: 5_000 });
  const now = Date.now();
  await page.getByLabel('First code').fill(totp.generate({ timestamp: now - STEP_MS }));
  await page.getByLabel('Second code').fill(totp.generate({ timestamp: now }));
  await submit(page, 'Assign');
  await shot(page, 'assigned');
  assert.match(await textOf(page, '.notice'), /Authenticator app '.+' added/);
  assert.match(await textOf(page, '#devices tbody'), /Authenticator app/);

  // Signed out and back: the code is asked for (a later step's: the enrolment used this one).
  await submit(page, 'Sign out');
  await page.goto(`${url}/signin/${account}`);
  await signIn(page, { account, user: 'nia', password: 'Nia-Passw0rd!' });
  assert.equal(pathOf(page), '/signin/mfa');
  const step = await waitForStep({ after: stepOf(now), minRemainingMs: 3_000 });
  await page.getByLabel('MFA code').fill(totp.generate({ timestamp: step * STEP_MS + 1_000 }));
  await submit(page, 'Verify');
  await shot(page, 'signed-in-with-the-app');
  assert.equal(pathOf(page), '/console');
  assert.match(await textOf(page, 'main'), /Signed in with a second factor/);
});
