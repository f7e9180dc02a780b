// Sign-in with a virtual MFA device (TOTP) that the administrator set up with the AWS CLI:
// password, then a wrong code, then the right one; the same code again from another browser in
// the same 30 s window is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startKeyward, launchBrowser, freshPage, screenshots, submit, signIn, pathOf, textOf,
  createConsoleUser, totpFor, waitForStep, stepOf, STEP_MS,
} from './helpers.mjs';

const INCORRECT = 'Your authentication information is incorrect. Please try again.';
let server;
let browser;

before(async () => {
  server = await startKeyward('totp');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A six-digit code that is none of the codes valid around now (the server allows one step of skew). */
function wrongCode(totp) {
  const now = Date.now();
  const valid = new Set([-2, -1, 0, 1, 2].map((k) => totp.generate({ timestamp: now + k * STEP_MS })));
  for (let n = 0; n < 10; n += 1) {
    const candidate = String((Number(totp.generate({ timestamp: now })) + 111_111 * (n + 1)) % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
  throw new Error('no wrong code found');
}

test('TOTP sign-in: wrong code refused, current code accepted once, replay from a second browser refused',
  { timeout: 180_000 }, async (t) => {
    const shot = screenshots('totp-signin');
    const { account, url } = server;
    const password = 'Dana-Passw0rd!';
    await createConsoleUser(server, 'dana', password);

    // The administrator's steps, as in the AWS documentation.
    const seedFile = join(server.dir, 'dana-seed.txt');
    const created = JSON.parse(await server.aws('iam', 'create-virtual-mfa-device', '--virtual-mfa-device-name', 'dana',
      '--outfile', seedFile, '--bootstrap-method', 'Base32StringSeed'));
    const serial = created.VirtualMFADevice.SerialNumber;
    const totp = totpFor(readFileSync(seedFile, 'utf8'));
    await waitForStep({ minRemainingMs: 5_000 }); // both codes from the steps we mean
    const enabling = Date.now();
    await server.aws('iam', 'enable-mfa-device', '--user-name', 'dana', '--serial-number', serial,
      '--authentication-code1', totp.generate({ timestamp: enabling - STEP_MS }),
      '--authentication-code2', totp.generate({ timestamp: enabling }));
    // Enabling spends the codes it was given: the code to sign in with is a later step's. Start
    // the sign-in early in a fresh step so that both browsers use that step's code.
    const step = await waitForStep({ after: stepOf(Date.now()), minRemainingMs: 20_000 });
    t.diagnostic(`device enabled in step ${stepOf(enabling)}, signing in in step ${step}`);

    const first = await freshPage(browser);
    let response = await first.goto(`${url}/signin/${account}`);
    await shot(first, 'signin-page');
    assert.equal(response.status(), 200);
    response = await signIn(first, { account, user: 'dana', password });
    await shot(first, 'mfa-page');
    assert.equal(response.status(), 200);
    assert.equal(pathOf(first), '/signin/mfa');
    assert.equal(await textOf(first, 'h1'), 'Multi-factor authentication');
    assert.match(await textOf(first, 'main'), /six-digit code from your authenticator app for dana/);

    await first.getByLabel('MFA code').fill(wrongCode(totp));
    response = await submit(first, 'Verify');
    await shot(first, 'wrong-code');
    assert.equal(response.status(), 401);
    assert.equal(pathOf(first), '/signin/mfa');
    assert.equal(await textOf(first, 'p.error'), INCORRECT);

    const code = totp.generate({ timestamp: Date.now() });
    await first.getByLabel('MFA code').fill(code);
    response = await submit(first, 'Verify');
    await shot(first, 'dashboard');
    assert.equal(response.status(), 200);
    assert.equal(pathOf(first), '/console');
    assert.equal(await textOf(first, 'h1'), 'Dashboard');
    assert.match(await textOf(first, 'main'), /Signed in with a second factor\./);

    // Someone who saw the code tries it from another browser, in the same window.
    const second = await freshPage(browser);
    response = await second.goto(`${url}/signin/${account}`);
    await shot(second, 'second-browser-signin-page');
    response = await signIn(second, { account, user: 'dana', password });
    await shot(second, 'second-browser-mfa-page');
    assert.equal(pathOf(second), '/signin/mfa');
    await second.getByLabel('MFA code').fill(code);
    response = await submit(second, 'Verify');
    await shot(second, 'second-browser-code-replayed');
    if (stepOf(Date.now()) !== step) t.diagnostic('the replay crossed into the next step (still a replay)');
    assert.equal(response.status(), 401);
    assert.equal(pathOf(second), '/signin/mfa');
    assert.equal(await textOf(second, 'p.error'), INCORRECT);
    response = await second.goto(`${url}/console`);
    await shot(second, 'second-browser-console-refused');
    assert.notEqual(pathOf(second), '/console');

    // The first browser is still signed in.
    response = await first.goto(`${url}/console`);
    await shot(first, 'first-browser-still-signed-in');
    assert.equal(pathOf(first), '/console');
    assert.equal(await textOf(first, 'h1'), 'Dashboard');

    await first.context().close();
    await second.context().close();
  });
