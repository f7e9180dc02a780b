// Guessing passwords: three free failures, then a growing delay during which even the right
// password is turned away with the time to try again; after the delay it works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startKeyward, launchBrowser, freshPage, screenshots, signIn, pathOf, textOf, createConsoleUser,
} from './helpers.mjs';

const INCORRECT = 'Your authentication information is incorrect. Please try again.';
let server;
let browser;

before(async () => {
  server = await startKeyward('throttling');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('throttling: four wrong passwords, then the right one is delayed, then accepted', async () => {
  const shot = screenshots('throttling');
  const { account, url } = server;
  const password = 'Frank-Passw0rd!';
  await createConsoleUser(server, 'frank', password);

  const page = await freshPage(browser);
  let response = await page.goto(`${url}/signin/${account}`);
  await shot(page, 'signin-page');
  assert.equal(response.status(), 200);

  for (let attempt = 1; attempt <= 4; attempt += 1) {
    response = await signIn(page, { account, user: 'frank', password: `Wrong-guess-${attempt}` });
    await shot(page, `wrong-password-${attempt}`);
    assert.equal(response.status(), 401, `attempt ${attempt}`);
    assert.equal(pathOf(page), '/signin');
    assert.equal(await textOf(page, 'p.error'), INCORRECT, `attempt ${attempt}`);
    // The form keeps what was typed, except the password.
    assert.equal(await page.getByLabel('User name').inputValue(), 'frank');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
  }

  // Right away, the right password is refused too, with the time to come back.
  response = await signIn(page, { account, user: 'frank', password });
  await shot(page, 'right-password-while-delayed');
  assert.equal(response.status(), 429);
  assert.equal(pathOf(page), '/signin');
  assert.match(await textOf(page, 'p.error'), /^Too many failed attempts\. Try again in \d+ seconds?\.$/);

  await sleep(1_200);
  response = await signIn(page, { account, user: 'frank', password });
  await shot(page, 'right-password-after-delay');
  assert.equal(response.status(), 200);
  assert.equal(pathOf(page), '/console');
  assert.equal(await textOf(page, 'h1'), 'Dashboard');
  await page.context().close();
});
