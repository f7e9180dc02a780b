// The policy generator in a browser: the root user picks IAM, two actions and a user ARN, opens
// the generated document in the policy editor, saves it, and finds it on the policy's page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKeyward, launchBrowser, freshPage, submit, signInAsRoot, pathOf } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startKeyward('generator');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a generated policy opens in the editor and is saved', { timeout: 120_000 }, async () => {
  const { account } = server;
  const page = await freshPage(browser);
  await signInAsRoot(page, server);
  assert.equal(pathOf(page), '/console');

  await page.getByRole('link', { name: 'Policy generator' }).click();
  await page.waitForURL((u) => u.pathname === '/console/policies/generate');
  await page.locator('#service-form [name="service"]').selectOption('iam');
  await submit(page, 'Choose actions');
  await page.locator('#generate-form [name="action:GetUser"]').check();
  await page.locator('#generate-form [name="action:ListUsers"]').check();
  const user = `arn:aws:iam::${account}:user/alice`;
  await page.locator('#generate-form [name="arn:user"]').fill(user);
  await submit(page, 'Generate policy');
  const code = await page.locator('#result pre').innerText();
  assert.match(code, /"iam:GetUser"/);
  assert.match(code, /"iam:ListUsers"/);

  await page.getByRole('link', { name: 'Open in the policy editor' }).click();
  await page.waitForURL((u) => u.pathname === '/console/policies');
  const document = await page.locator('#create-policy-form [name="document"]').inputValue();
  assert.match(document, /iam:ListUsers/);
  await page.locator('#create-policy-form [name="name"]').fill('generated');
  await submit(page, 'Create policy');
  await page.waitForURL((u) => u.pathname === '/console/policies/view');
  const body = await page.locator('main').innerText();
  assert.match(body, /iam:GetUser/);
  assert.ok(body.includes(user), body);
});
