// Helpers for the portal's browser tests: a real `keyward serve` per test file (fresh data
// directory, its own port), the AWS CLI against it, Debian's Chromium driven by playwright-core,
// screenshots of every page a test visits (target/browser-artifacts/), and an external OpenID
// provider over HTTPS (tests/e2e/idp) for the tests that sign in through one.
//
// Everything waits with a deadline; servers are killed with their whole process group when a
// file ends, and at the latest when this process exits.
import { spawn, execFile } from 'node:child_process';
import {
  existsSync, mkdirSync, mkdtempSync, rmSync, readdirSync, createWriteStream, readFileSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { createHash, createHmac, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import * as OTPAuth from 'otpauth';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KEYWARD_BIN = resolve(REPO, process.env.KEYWARD_BIN || 'target/debug/keyward');
export const ARTIFACTS = join(REPO, 'target', 'browser-artifacts');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const CLI_TIMEOUT_MS = 60_000;
export const ACTION_TIMEOUT_MS = 15_000;
export const NAVIGATION_TIMEOUT_MS = 30_000;

/** A free TCP port on the loopback interface (listen on 0, read it, close). */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Turns a test or step name into a file name part. */
export function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
}

// Process groups of the servers still running, killed hard if this process exits first.
const running = new Set();
function killAll() {
  for (const pid of running) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone already */ }
  }
  running.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { killAll(); process.kill(process.pid, signal); });
}

/**
 * Starts `keyward serve` with a clean environment and a fresh data directory, on
 * http://localhost:PORT, and waits (bounded) until it listens, answers /healthz and has printed
 * its first-start banner. `name` names the server log in target/browser-artifacts/; `env` adds
 * settings (KEYWARD_OIDC_CODE_LIFETIME, ...) to its environment.
 */
export async function startKeyward(name, { env: extraEnv = {} } = {}) {
  if (!existsSync(KEYWARD_BIN)) throw new Error(`no Keyward binary at ${KEYWARD_BIN} (cargo build --bin keyward)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'keyward-browser-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KEYWARD_')));
  Object.assign(env, {
    KEYWARD_DATA_DIR: dir,
    KEYWARD_LISTEN: `127.0.0.1:${port}`,
    KEYWARD_PUBLIC_URL: `http://localhost:${port}`,
    KEYWARD_WORKERS: '2',
    KEYWARD_LOG: 'warn',
  }, extraEnv);
  const log = createWriteStream(join(ARTIFACTS, `${slug(name)}-server.log`));
  const proc = spawn(KEYWARD_BIN, ['serve'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc.pid);
  let stdout = '';
  let exited = null;
  const exit = new Promise((ok) => proc.on('exit', (code, signal) => {
    exited = { code, signal };
    running.delete(proc.pid);
    ok(exited);
  }));
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => { stdout += chunk; log.write(chunk); });
  proc.stderr.on('data', (chunk) => log.write(chunk));

  const server = {
    port,
    dir,
    url: `http://localhost:${port}`,
    /** The value of a banner line `  label:   value`. */
    banner(label) {
      const line = stdout.split('\n').find((l) => l.trimStart().startsWith(`${label}:`));
      if (!line) throw new Error(`no "${label}:" line in Keyward's banner:\n${stdout}`);
      return line.slice(line.indexOf(':') + 1).trim();
    },
    /** The AWS CLI as the account's administrator (profile `keyward` from the first start). */
    aws: (...args) => aws(dir, args),
    /** The AWS CLI with other credentials (an access key made in the console), same endpoint. */
    awsAs: (key, secret, ...args) => awsWith(dir, { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret }, args),
    /** A SigV4-signed JSON request (service `keyward`) to one of Keyward's own APIs, as the
     * account's administrator; resolves to { status, body }. */
    keywardJson: (method, path, body) => keywardJson(dir, `http://localhost:${port}`, method, path, body),
    /** Keyward's own CLI against this server's store (`keyward oidc client create ...`); the
     * server sees what it changes without a restart. Resolves to its standard output. */
    cli: (...args) => keywardCli(dir, args),
    async stop() {
      if (exited === null) {
        try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone already */ }
        const stopped = await Promise.race([exit, sleep(STOP_TIMEOUT_MS, null, { ref: false })]);
        if (stopped === null) {
          try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone already */ }
          await Promise.race([exit, sleep(STOP_TIMEOUT_MS, null, { ref: false })]);
        }
      }
      // The group may hold children even after the leader exited.
      try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* none left */ }
      running.delete(proc.pid);
      log.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const until = async (what, ready) => {
      for (;;) {
        if (await ready()) return;
        if (exited) throw new Error(`Keyward exited (${JSON.stringify(exited)}) while waiting for ${what}:\n${stdout}`);
        if (Date.now() > deadline) throw new Error(`Keyward: no ${what} within ${START_TIMEOUT_MS} ms:\n${stdout}`);
        await sleep(50);
      }
    };
    await until('"Keyward is listening on" line', () => /^Keyward is listening on /m.test(stdout));
    await until('200 from /healthz', async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return r.status === 200;
      } catch {
        return false;
      }
    });
    // The first start's banner ends with the admin's access key; the root password is above it.
    await until('first-start banner', () => /^\s*admin access key:/m.test(stdout));
    server.account = server.banner('account');
    server.rootPassword = server.banner('root password');
    if (!existsSync(join(dir, 'credentials'))) throw new Error(`no credentials file in ${dir}`);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/** The AWS CLI: the test venv's (pinned by tests/e2e/requirements.txt) if there is one, else PATH's. */
function awsCommand() {
  const venv = join(REPO, 'target', 'test-venv', 'bin', 'aws');
  return existsSync(venv) ? venv : 'aws';
}

function aws(dir, args) {
  return awsWith(dir, {}, ['--profile', 'keyward', ...args]);
}

/** Runs the AWS CLI with the server's config file (its endpoint) and `extra` environment; with
 * access keys in `extra`, they are the credentials (the config's profile `keyward` is not used). */
function awsWith(dir, extra, args) {
  const env = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('KEYWARD_')));
  Object.assign(env, {
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_PAGER: '',
  }, extra);
  if (extra.AWS_ACCESS_KEY_ID) {
    // Credentials from the environment; the endpoint and region as the profile names them.
    const config = readFileSync(join(dir, 'config'), 'utf8');
    env.AWS_ENDPOINT_URL = /endpoint_url\s*=\s*(\S+)/.exec(config)[1];
    env.AWS_DEFAULT_REGION = /region\s*=\s*(\S+)/.exec(config)[1];
    delete env.AWS_CONFIG_FILE;
    delete env.AWS_SHARED_CREDENTIALS_FILE;
  }
  return new Promise((ok, fail) => {
    execFile(awsCommand(), args, { env, timeout: CLI_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`aws ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else ok(stdout);
      });
  });
}

/** The administrator's access key from the credentials file of the first start. */
function adminKey(dir) {
  const text = readFileSync(join(dir, 'credentials'), 'utf8');
  const value = (name) => new RegExp(`^${name}\\s*=\\s*(\\S+)`, 'm').exec(text)[1];
  return { id: value('aws_access_key_id'), secret: value('aws_secret_access_key') };
}

/** Signs a request with AWS Signature Version 4 (headers host, x-amz-date; no session token)
 * for the service `keyward` in us-east-1, and sends it; `path` may carry a query of unreserved
 * characters, in the order SigV4 sorts it. */
async function keywardJson(dir, base, method, path, body) {
  const { id, secret } = adminKey(dir);
  const url = new URL(path, base);
  const payload = body === undefined ? '' : JSON.stringify(body);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/keyward/aws4_request`;
  const sha = (text) => createHash('sha256').update(text).digest('hex');
  const hmac = (key, text) => createHmac('sha256', key).update(text).digest();
  const canonical = [method, url.pathname, url.search.slice(1), `host:${url.host}`, `x-amz-date:${amzDate}`, '',
    'host;x-amz-date', sha(payload)].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha(canonical)].join('\n');
  let key = hmac(`AWS4${secret}`, day);
  for (const part of ['us-east-1', 'keyward', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const response = await fetch(url, {
    method,
    body: payload || undefined,
    headers: {
      'content-type': 'application/json',
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${id}/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    },
    signal: AbortSignal.timeout(CLI_TIMEOUT_MS),
  });
  return { status: response.status, body: await response.json() };
}

/** Runs `keyward ARGS` on the store in `dir` (KEYWARD_DATA_DIR, which is --data-dir), bounded. */
function keywardCli(dir, args) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KEYWARD_')));
  env.KEYWARD_DATA_DIR = dir;
  return new Promise((ok, fail) => {
    execFile(KEYWARD_BIN, args, { env, timeout: CLI_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`keyward ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else ok(stdout);
      });
  });
}

/** Debian's Chromium, headless. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: START_TIMEOUT_MS });
}

/** A page in a fresh browser context (its own cookies), with bounded waits. */
export async function freshPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 850 } });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  return context.newPage();
}

/**
 * Screenshots for one test: `shot(page, step)` writes
 * target/browser-artifacts/<test>-<NN>-<step>.png (earlier files of the same test are removed).
 */
export function screenshots(testName) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const prefix = `${slug(testName)}-`;
  for (const f of readdirSync(ARTIFACTS)) {
    if (f.startsWith(prefix) && /^\d\d-.*\.png$/.test(f.slice(prefix.length))) rmSync(join(ARTIFACTS, f));
  }
  let n = 0;
  return async (page, step) => {
    n += 1;
    const path = join(ARTIFACTS, `${prefix}${String(n).padStart(2, '0')}-${slug(step)}.png`);
    await page.screenshot({ path, fullPage: true, timeout: ACTION_TIMEOUT_MS });
    return path;
  };
}

/** Clicks the button named `name` and returns the response that ended the navigation it starts
 * (after redirects: the last one). */
export async function submit(page, name) {
  const [response] = await Promise.all([
    page.waitForNavigation({ timeout: NAVIGATION_TIMEOUT_MS }),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  if (!response) throw new Error(`clicking "${name}" led to no new document`);
  return response;
}

/** The path of the page's URL. */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** The page's text in `selector` (first match), trimmed; waits (bounded) for it to appear. */
export async function textOf(page, selector) {
  return (await page.locator(selector).first().innerText({ timeout: ACTION_TIMEOUT_MS })).trim();
}

/** Fills the sign-in form on the current page and submits it. */
export async function signIn(page, { account, user, password }) {
  await page.getByLabel('Account ID or alias').fill(account);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  return submit(page, 'Sign in');
}

/**
 * Signs `page` in as the server's root user; the first time, the first-start password is
 * changed to `newPassword` on the way (and `server.rootPassword` follows). Ends on /console.
 */
export async function signInAsRoot(page, server, newPassword = 'Root-Console-Passw0rd') {
  await page.goto(`${server.url}/signin/${server.account}`);
  await signIn(page, { account: server.account, user: 'root', password: server.rootPassword });
  if (pathOf(page) === '/console/password') {
    await page.getByLabel('Current password').fill(server.rootPassword);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await submit(page, 'Change password');
    server.rootPassword = newPassword;
  }
}

/** Creates an IAM user with a console password. */
export async function createConsoleUser(server, name, password, { resetRequired = false } = {}) {
  await server.aws('iam', 'create-user', '--user-name', name);
  await server.aws('iam', 'create-login-profile', '--user-name', name, '--password', password,
    ...(resetRequired ? ['--password-reset-required'] : []));
}

/** A TOTP generator for a base32 seed (SHA1, 6 digits, 30 s: what Keyward's virtual devices use). */
export function totpFor(base32Seed) {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(base32Seed.trim()), algorithm: 'SHA1', digits: 6, period: 30 });
}

export const STEP_MS = 30_000;
export const stepOf = (ms) => Math.floor(ms / STEP_MS);

/**
 * Waits (at most one step plus a little) until the clock is in a TOTP step later than `after`
 * (if given) with at least `minRemainingMs` left in it, and returns that step.
 */
export async function waitForStep({ after = -Infinity, minRemainingMs = 5_000 } = {}) {
  for (let i = 0; i < 3; i += 1) {
    const now = Date.now();
    const step = stepOf(now);
    const remaining = (step + 1) * STEP_MS - now;
    if (step > after && remaining >= minRemainingMs) return step;
    await sleep(remaining + 200);
  }
  throw new Error('no suitable TOTP step after waiting for three');
}

/** A page in a fresh browser context like freshPage's, with more of Playwright's context
 * options (`{ ignoreHTTPSErrors: true }` for a test server's self-signed certificate). */
export async function freshPageWith(browser, contextOptions) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 850 }, ...contextOptions });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  return context.newPage();
}

const IDP_DIR = join(REPO, 'tests', 'e2e', 'idp');

/** Runs a command (openssl) to its end, bounded; resolves to its standard output. */
function run(command, args, options = {}) {
  return new Promise((ok, fail) => {
    execFile(command, args, { timeout: CLI_TIMEOUT_MS, killSignal: 'SIGKILL', ...options },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else ok(stdout);
      });
  });
}

/**
 * Starts an external OpenID provider (tests/e2e/idp/server.mjs: node's oidc-provider) on
 * https://127.0.0.1:PORT, a free port, with a self-signed certificate for 127.0.0.1 made by the
 * `openssl` command and a fresh RS256 signing key (kid `<name>-rs256`). `clients` and `accounts`
 * are what server.mjs takes in --clients and --accounts. Resolves, once it serves, to
 * { port, issuer, host ("127.0.0.1:PORT", the IAM provider's name), thumbprint (SHA-1 of the
 * certificate's DER, lower-case hex, as IAM's ThumbprintList takes it), stop() }. Its log is
 * target/browser-artifacts/<name>-idp.log.
 */
export async function startExternalIdp(name, { clients, accounts = {} }) {
  if (!existsSync(join(IDP_DIR, 'node_modules', 'oidc-provider'))) {
    throw new Error(`oidc-provider is not installed: run \`npm ci\` in ${IDP_DIR}`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'keyward-idp-'));
  const file = (f) => join(dir, f);

  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', file('key.pem'), '-out', file('cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=serverAuth']);
  const der = new X509Certificate(readFileSync(file('cert.pem'))).raw;
  const thumbprint = createHash('sha1').update(der).digest('hex');

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `${slug(name)}-rs256`, alg: 'RS256', use: 'sig' };
  writeFileSync(file('jwks.json'), JSON.stringify({ keys: [jwk] }));
  writeFileSync(file('clients.json'), JSON.stringify(clients));
  writeFileSync(file('accounts.json'), JSON.stringify(accounts));

  const log = createWriteStream(join(ARTIFACTS, `${slug(name)}-idp.log`));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KEYWARD_')));
  env.NODE_ENV = 'production';
  const proc = spawn(process.execPath, [join(IDP_DIR, 'server.mjs'), '--port', String(port),
    '--cert', file('cert.pem'), '--key', file('key.pem'), '--jwks', file('jwks.json'),
    '--clients', file('clients.json'), '--accounts', file('accounts.json')],
  { cwd: IDP_DIR, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc.pid);
  let stdout = '';
  let exited = null;
  const exit = new Promise((ok) => proc.on('exit', (code, signal) => {
    exited = { code, signal };
    running.delete(proc.pid);
    ok(exited);
  }));
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => { stdout += chunk; log.write(chunk); });
  proc.stderr.on('data', (chunk) => log.write(chunk));

  const idp = {
    port,
    issuer,
    host: `127.0.0.1:${port}`,
    thumbprint,
    async stop() {
      if (exited === null) {
        try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone already */ }
        const stopped = await Promise.race([exit, sleep(STOP_TIMEOUT_MS, null, { ref: false })]);
        if (stopped === null) {
          try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone already */ }
          await Promise.race([exit, sleep(STOP_TIMEOUT_MS, null, { ref: false })]);
        }
      }
      running.delete(proc.pid);
      log.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  // server.mjs prints "listening <issuer>" once it serves.
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!stdout.includes(`listening ${issuer}`)) {
    if (exited || Date.now() > deadline) {
      await idp.stop();
      const why = exited ? `exited (${JSON.stringify(exited)})` : `did not serve within ${START_TIMEOUT_MS} ms`;
      throw new Error(`the external OpenID provider ${why}; see ${join(ARTIFACTS, `${slug(name)}-idp.log`)}`);
    }
    await sleep(50);
  }
  return idp;
}
