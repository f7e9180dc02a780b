// Keyward's OpenID provider from a relying party's side, with openid-client (the certified RP
// library, which nobody here wrote) doing discovery, the code exchange and every ID token check
// itself (state, nonce, PKCE, iss of RFC 9207, signature against the JWKS, alg), UserInfo,
// refresh and the end-session URL, and a real Chromium doing the sign-in, consent and logout in
// the portal. The redirect URIs are served by a tiny HTTP server of the test ("Photo App"), so
// the browser really goes back to the application. ID tokens of RS256, ES256 and EdDSA clients.
//
// Negative cases: the library must reject, or Keyward must refuse: an unregistered redirect URI
// (an error page, no redirect), a replayed code, a reused refresh token, a wrong PKCE verifier,
// an expired code (a server with KEYWARD_OIDC_CODE_LIFETIME=3), a wrong client secret,
// prompt=none without a session, a denied consent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import {
  startKeyward, launchBrowser, freshPage, screenshots, signIn, pathOf, textOf, createConsoleUser, freePort,
  NAVIGATION_TIMEOUT_MS,
} from './helpers.mjs';

const SCOPE = 'openid profile email groups offline_access';
const ALICE = { user: 'alice', password: 'Alice-Passw0rd-1', email: 'alice@example.com', name: 'Alice Liddell' };
const BOB = { user: 'bob', password: 'Bob-Passw0rd-123' };
const LIBRARY_TIMEOUT_S = 30;
/** The code lifetime of the expired-code case's server: short, but long enough for a prompt exchange. */
const CODE_LIFETIME_S = 3;

let server;
let browser;
let rp;

/** The relying party's own web server: /callback (the redirect URI) and /signed-out (the
 * post-logout redirect URI) answer a small page; every request is recorded. */
async function startRelyingParty() {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const hits = [];
  const escape = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const http = createServer((req, res) => {
    const url = new URL(req.url, base);
    hits.push(url);
    const pages = {
      '/callback': `<h1>Photo App</h1><p id="callback">Back from Keyward with ${escape(url.search)}</p>`,
      '/signed-out': `<h1>Photo App</h1><p id="signed-out">Signed out (${escape(url.search)})</p>`,
    };
    const page = pages[url.pathname];
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
    res.end(page ?? 'not found');
  });
  await new Promise((ok, fail) => {
    http.once('error', fail);
    http.listen(port, '127.0.0.1', ok);
  });
  return {
    base,
    redirectUri: `${base}/callback`,
    logoutUri: `${base}/signed-out`,
    /** Requests for `path` so far. */
    hitsOf: (path) => hits.filter((u) => u.pathname === path),
    /** How many requests it has had. */
    count: () => hits.length,
    close: () => new Promise((ok) => {
      http.closeAllConnections();
      http.close(() => ok());
    }),
  };
}

/** An IAM user with a console password, a verified address set by the administrator (never a
 * tag), the `name` tag and a group; returns its user id. */
async function profileUser(keyward, { user, password, email, name }, group) {
  await createConsoleUser(keyward, user, password);
  if (email) {
    const set = await keyward.keywardJson('POST', '/keyward/users/email',
      { user_name: user, email, email_verified: true });
    assert.equal(set.status, 200, JSON.stringify(set.body));
  }
  if (name) await keyward.aws('iam', 'tag-user', '--user-name', user, '--tags', `Key=name,Value=${name}`);
  if (group) {
    await keyward.aws('iam', 'create-group', '--group-name', group);
    await keyward.aws('iam', 'add-user-to-group', '--group-name', group, '--user-name', user);
  }
  return JSON.parse(await keyward.aws('iam', 'get-user', '--user-name', user)).User.UserId;
}

/** `keyward oidc client create` for the Photo App's URIs. */
async function createClient(keyward, name, ...args) {
  const out = await keyward.cli('oidc', 'client', 'create', '--account', keyward.account, '--name', name,
    '--redirect-uri', rp.redirectUri, '--post-logout-redirect-uri', rp.logoutUri, '--json', ...args);
  return JSON.parse(out);
}

/** openid-client's Configuration for a client, by discovery; the ID token's signature is
 * checked against the JWKS (non-repudiation checks), and its alg against `alg` when given. */
function configFor(keyward, client, { alg, secret } = {}) {
  const metadata = alg ? { id_token_signed_response_alg: alg } : {};
  return oidc.discovery(new URL(keyward.url), client.client_id, metadata,
    oidc.ClientSecretBasic(secret ?? client.client_secret),
    { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks], timeout: LIBRARY_TIMEOUT_S });
}

/** A fresh authorization request: PKCE verifier, state and nonce, and its URL. */
async function authorizationRequest(config, extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: rp.redirectUri,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

const atCallback = (u) => u.origin === rp.base && u.pathname === '/callback';

/** Runs `action` and waits (bounded) until the browser is at a URL that `at` accepts. A failure
 * says where the browser stayed and which Content-Security-Policy violations it reported. */
async function arriveAt(page, at, action) {
  const violations = [];
  const listen = (m) => { if (/Content Security Policy/.test(m.text())) violations.push(m.text().trim()); };
  page.on('console', listen);
  try {
    await Promise.all([page.waitForURL(at, { timeout: NAVIGATION_TIMEOUT_MS }), action()]);
  } catch (e) {
    await sleep(300); // the console message of a blocked navigation may trail its failure
    const why = violations.length ? `; Chromium reported: ${violations.join(' | ')}` : '';
    throw new Error(`did not arrive: ${e.message.split('\n')[0]} (still at ${page.url()})${why}`, { cause: e });
  } finally {
    page.off('console', listen);
  }
  return new URL(page.url());
}

/** Runs `action` and waits (bounded) until the browser is back at the redirect URI. */
const backAtTheApp = (page, action) => arriveAt(page, atCallback, action);

/** The library's code exchange with every check of the request. */
function exchange(config, request, callbackUrl, { verifier = request.verifier } = {}) {
  return oidc.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  });
}

/** Signs in (a fresh page of its own) and comes back with a code, for a client without consent. */
async function codeFor(config, person, shot, { page } = {}) {
  const p = page ?? await freshPage(browser);
  const request = await authorizationRequest(config);
  await p.goto(request.url.href);
  if (pathOf(p).startsWith('/signin')) {
    await shot?.(p, 'signin');
    await backAtTheApp(p, () => signIn(p, { account: server.account, ...person }));
  }
  assert.ok(atCallback(new URL(p.url())), `back at the app: ${p.url()}`);
  return { page: p, request, callback: new URL(p.url()) };
}

const jwtHeader = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());
const jwtClaims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

/** An assertion that `promise` rejects with an OAuth error response `error` (status too). */
async function refusedWith(promise, error, status = 400) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof oidc.ResponseBodyError, `a ResponseBodyError, not ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.error, error, e.error_description);
    assert.equal(e.status, status);
    return true;
  });
}

let aliceId;
let bobId;

before(async () => {
  server = await startKeyward('oidc');
  browser = await launchBrowser();
  rp = await startRelyingParty();
  aliceId = await profileUser(server, ALICE, 'photographers');
  bobId = await profileUser(server, BOB);
});

after(async () => {
  await browser?.close();
  await rp?.close();
  await server?.stop();
});

test('discovery: openid-client reads the issuer, the endpoints and what Keyward supports', async () => {
  const client = await createClient(server, 'Discovery App', '--no-consent');
  const config = await configFor(server, client);
  const m = config.serverMetadata();
  assert.equal(m.issuer, server.url);
  for (const [name, path] of [
    ['authorization_endpoint', '/oauth2/authorize'], ['token_endpoint', '/oauth2/token'],
    ['userinfo_endpoint', '/oauth2/userinfo'], ['jwks_uri', '/oauth2/jwks'],
    ['revocation_endpoint', '/oauth2/revoke'], ['introspection_endpoint', '/oauth2/introspect'],
    ['end_session_endpoint', '/oauth2/logout'],
  ]) assert.equal(m[name], `${server.url}${path}`, name);
  assert.ok(m.supportsPKCE('S256'));
  assert.equal(m.authorization_response_iss_parameter_supported, true);
  assert.deepEqual(m.response_types_supported, ['code']);
  for (const alg of ['RS256', 'ES256', 'EdDSA']) assert.ok(m.id_token_signing_alg_values_supported.includes(alg), alg);
  for (const scope of SCOPE.split(' ')) assert.ok(m.scopes_supported.includes(scope), scope);
});

test('code flow with PKCE: sign-in and consent in Chromium, ID token, UserInfo, refresh, logout',
  { timeout: 180_000 }, async () => {
    const shot = screenshots('oidc-code-flow');
    const client = await createClient(server, 'Photo App');
    assert.equal(client.consent_required, true);
    const config = await configFor(server, client, { alg: 'RS256' });
    const page = await freshPage(browser);
    const request = await authorizationRequest(config);

    let response = await page.goto(request.url.href);
    await shot(page, 'signin-page');
    assert.equal(response.status(), 200);
    assert.equal(pathOf(page), `/signin/${server.account}`);
    assert.equal(await page.getByLabel('Account ID or alias').inputValue(), server.account);
    // The sign-in page names the application, and keeps the root user's hint to itself.
    assert.equal(await textOf(page, 'h1'), 'Sign in to continue to Photo App');
    assert.equal(await page.getByText('The root user signs in').count(), 0);

    response = await signIn(page, { account: server.account, user: ALICE.user, password: ALICE.password });
    await shot(page, 'consent');
    // The consent page says where the answer goes, and offers "Not you?".
    assert.equal(await textOf(page, '#redirect-host'), new URL(request.url.searchParams.get('redirect_uri')).hostname);
    assert.equal(await page.locator('#not-you').isVisible(), true);
    assert.equal(response.status(), 200);
    assert.equal(pathOf(page), '/oauth2/authorize/continue');
    assert.equal(await textOf(page, 'h1'), 'Allow Photo App?');
    assert.match(await textOf(page, 'main'), new RegExp(`sign you in as alice\\s+\\(account ${server.account}\\)`));
    const scopes = await textOf(page, '#requested-scopes');
    for (const words of ['who you are', 'your user name', 'your email address', 'IAM groups', 'access while you are signed out']) {
      assert.ok(scopes.includes(words), `${words} in ${scopes}`);
    }

    const callback = await backAtTheApp(page, () => page.click('#allow'));
    await shot(page, 'back-at-the-app');
    assert.equal(callback.searchParams.get('state'), request.state);
    assert.equal(callback.searchParams.get('iss'), server.url, 'RFC 9207');
    assert.equal(rp.hitsOf('/callback').filter((u) => u.searchParams.get('state') === request.state).length, 1);

    const tokens = await exchange(config, request, callback);
    const claims = tokens.claims();
    assert.equal(jwtHeader(tokens.id_token).alg, 'RS256');
    assert.equal(claims.iss, server.url);
    assert.equal(claims.aud, client.client_id);
    assert.equal(claims.sub, aliceId, 'sub is the IAM user id');
    assert.equal(claims.nonce, request.nonce);
    assert.equal(claims.preferred_username, 'alice');
    assert.equal(claims.email, ALICE.email);
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, ALICE.name);
    assert.deepEqual(claims.groups, ['photographers']);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.ok(claims.auth_time <= claims.iat && claims.iat <= Date.now() / 1000 + 5);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.expiresIn() > 3500 && tokens.expiresIn() <= 3600, String(tokens.expiresIn()));
    assert.deepEqual(tokens.scope.split(' ').sort(), SCOPE.split(' ').sort());
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    assert.equal(jwtHeader(tokens.access_token).typ, 'at+jwt', 'RFC 9068');
    assert.equal(jwtClaims(tokens.access_token).sub, aliceId);

    // UserInfo, for the ID token's subject: the library refuses another subject's answer.
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.sub, aliceId);
    assert.equal(info.preferred_username, 'alice');
    assert.equal(info.email, ALICE.email);
    assert.equal(info.email_verified, true);
    assert.equal(info.name, ALICE.name);
    assert.deepEqual(info.groups, ['photographers']);
    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, bobId), /unexpected JSON attribute value/);

    // Refresh: a new refresh token each time, an ID token the library validates again.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'rotated');
    assert.notEqual(refreshed.access_token, tokens.access_token);
    const again = refreshed.claims();
    assert.equal(again.sub, aliceId);
    assert.equal(again.auth_time, claims.auth_time, 'the same sign-in');
    assert.equal((await oidc.fetchUserInfo(config, refreshed.access_token, aliceId)).email, ALICE.email);

    // The consent is remembered: the next request of this client comes straight back.
    const silent = await authorizationRequest(config);
    await page.goto(silent.url.href);
    assert.ok(atCallback(new URL(page.url())), `no consent page the second time: ${page.url()}`);
    assert.equal((await exchange(config, silent, new URL(page.url()))).claims().sub, aliceId);

    // RP-initiated logout, followed in the browser: back at the app, and the portal session gone.
    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: refreshed.id_token,
      post_logout_redirect_uri: rp.logoutUri,
      state: 'bye-1',
    });
    response = await page.goto(endSession.href);
    await shot(page, 'signed-out-at-the-app');
    assert.equal(response.status(), 200);
    const out = new URL(page.url());
    assert.equal(`${out.origin}${out.pathname}`, rp.logoutUri);
    assert.equal(out.searchParams.get('state'), 'bye-1');
    await page.goto(`${server.url}/console`);
    await shot(page, 'console-after-logout');
    assert.equal(pathOf(page), '/signin', 'the portal session is gone');
    const none = await authorizationRequest(config, { prompt: 'none' });
    await page.goto(none.url.href);
    assert.ok(atCallback(new URL(page.url())));
    assert.equal(new URL(page.url()).searchParams.get('error'), 'login_required', 'nobody is signed in any more');
    await page.context().close();
  });

test('ES256 and EdDSA clients: the library validates their ID tokens against the JWKS', { timeout: 180_000 }, async () => {
  const shot = screenshots('oidc-signing-algorithms');
  for (const alg of ['ES256', 'EdDSA']) {
    const client = await createClient(server, `${alg} App`, '--signing-alg', alg, '--no-consent');
    assert.equal(client.id_token_signed_response_alg, alg);
    const config = await configFor(server, client, { alg });
    const { page, request, callback } = await codeFor(config, ALICE, shot);
    await shot(page, `${alg}-back-at-the-app`);
    const tokens = await exchange(config, request, callback);
    assert.equal(jwtHeader(tokens.id_token).alg, alg);
    assert.equal(jwtHeader(tokens.access_token).alg, alg);
    const claims = tokens.claims();
    assert.equal(claims.sub, aliceId);
    assert.equal(claims.nonce, request.nonce);
    assert.equal(claims.email, ALICE.email);
    assert.equal((await oidc.fetchUserInfo(config, tokens.access_token, aliceId)).sub, aliceId);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.equal(jwtHeader(refreshed.id_token).alg, alg);
    assert.equal(refreshed.claims().sub, aliceId);

    // The checks are real: a configuration that expects RS256 refuses this client's ID token.
    const expectingRs256 = await configFor(server, client, { alg: 'RS256' });
    const next = await codeFor(expectingRs256, ALICE, null, { page });
    await assert.rejects(exchange(expectingRs256, next.request, next.callback), (e) => {
      assert.equal(e.code, 'OAUTH_INVALID_RESPONSE', `${e?.constructor?.name}: ${e?.message}`);
      assert.match(e.cause?.message ?? '', /unexpected JWT "alg" header parameter/);
      return true;
    });
    await page.context().close();
  }
});

test('logout without an id_token_hint asks first; confirmed, it ends the session and returns to the app',
  { timeout: 120_000 }, async () => {
    const shot = screenshots('oidc-logout-confirmed');
    const client = await createClient(server, 'Logout App', '--no-consent');
    const config = await configFor(server, client);
    const { page } = await codeFor(config, BOB, shot);
    const endSession = oidc.buildEndSessionUrl(config, { post_logout_redirect_uri: rp.logoutUri, state: 'bye-2' });
    assert.equal(endSession.searchParams.get('client_id'), client.client_id);
    let response = await page.goto(endSession.href);
    await shot(page, 'asked-to-confirm');
    assert.equal(response.status(), 200);
    assert.equal(await textOf(page, 'h1'), 'Sign out?');
    assert.match(await textOf(page, 'main'), /Logout App asks to sign you out of Keyward/);
    await page.goto(`${server.url}/console`);
    assert.equal(pathOf(page), '/console', 'a link alone signs nobody out');

    await page.goto(endSession.href);
    await arriveAt(page, (u) => `${u.origin}${u.pathname}` === rp.logoutUri, () => page.click('#confirm'));
    await shot(page, 'signed-out-at-the-app');
    assert.equal(new URL(page.url()).searchParams.get('state'), 'bye-2');
    await page.goto(`${server.url}/console`);
    assert.equal(pathOf(page), '/signin', 'the portal session is gone');
    await page.context().close();
  });

test('an unregistered redirect URI gets an error page, never a redirect', async () => {
  const shot = screenshots('oidc-wrong-redirect-uri');
  const client = await createClient(server, 'Redirect App', '--no-consent');
  const config = await configFor(server, client);
  const page = await freshPage(browser);
  for (const [what, wrong] of [['other-path', `${rp.base}/elsewhere`], ['trailing-slash', `${rp.redirectUri}/`],
    ['extra-query', `${rp.redirectUri}?next=x`], ['other-site', 'https://evil.example/callback']]) {
    const request = await authorizationRequest(config, { redirect_uri: wrong });
    const before = rp.count();
    const response = await page.goto(request.url.href);
    await shot(page, `refused-${what}`);
    assert.equal(response.status(), 400, wrong);
    assert.equal(response.request().redirectedFrom(), null, 'no redirect at all');
    assert.equal(new URL(page.url()).origin, server.url);
    assert.equal(pathOf(page), '/oauth2/authorize');
    assert.equal(await textOf(page, 'h1'), 'This sign-in link is not valid');
    assert.match(await textOf(page, 'main'), /is not a redirect URI registered for Redirect App/);
    assert.equal(rp.count(), before, 'the app heard nothing');
  }
  await page.context().close();
});

test('a replayed code is refused, and the tokens of its first exchange stop working', { timeout: 120_000 }, async () => {
  const client = await createClient(server, 'Replay App', '--no-consent');
  const config = await configFor(server, client);
  const { page, request, callback } = await codeFor(config, BOB, screenshots('oidc-replayed-code'));
  const first = await exchange(config, request, callback);
  assert.equal(first.claims().sub, bobId);
  await refusedWith(exchange(config, request, callback), 'invalid_grant');
  // RFC 6749 4.1.2: the authorization server SHOULD revoke the tokens issued for that code.
  await refusedWith(oidc.refreshTokenGrant(config, first.refresh_token), 'invalid_grant');
  await assert.rejects(oidc.fetchUserInfo(config, first.access_token, bobId), (e) => {
    assert.ok(e instanceof oidc.WWWAuthenticateChallengeError, `${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, 401);
    assert.equal(e.cause[0].parameters.error, 'invalid_token');
    return true;
  });
  await page.context().close();
});

test('a reused refresh token is refused and ends its whole grant', { timeout: 120_000 }, async () => {
  const client = await createClient(server, 'Refresh App', '--no-consent');
  const config = await configFor(server, client);
  const { page, request, callback } = await codeFor(config, BOB, screenshots('oidc-reused-refresh-token'));
  const tokens = await exchange(config, request, callback);
  const second = await oidc.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(second.refresh_token, tokens.refresh_token);
  await refusedWith(oidc.refreshTokenGrant(config, tokens.refresh_token), 'invalid_grant');
  // Reuse detection (OAuth 2.0 Security BCP): the rotated successor goes too.
  await refusedWith(oidc.refreshTokenGrant(config, second.refresh_token), 'invalid_grant');
  await page.context().close();
});

test('a wrong PKCE verifier is refused, and the code is spent', { timeout: 120_000 }, async () => {
  const client = await createClient(server, 'PKCE App', '--no-consent');
  const config = await configFor(server, client);
  const { page, request, callback } = await codeFor(config, BOB, screenshots('oidc-bad-pkce-verifier'));
  await refusedWith(exchange(config, request, callback, { verifier: oidc.randomPKCECodeVerifier() }), 'invalid_grant');
  await refusedWith(exchange(config, request, callback), 'invalid_grant');
  await page.context().close();
});

test('a wrong client secret is refused with 401 and a Basic challenge', { timeout: 120_000 }, async () => {
  const client = await createClient(server, 'Secret App', '--no-consent');
  const wrongSecret = `${client.client_secret.slice(0, -1)}${client.client_secret.endsWith('A') ? 'B' : 'A'}`;
  const config = await configFor(server, client, { secret: wrongSecret });
  const { page, request, callback } = await codeFor(config, BOB, screenshots('oidc-wrong-client-secret'));
  // RFC 6749 5.2: a client that used the Authorization header gets 401 with WWW-Authenticate
  // (the library raises the challenge), and the body says invalid_client.
  const challenged = async (promise) => {
    const e = await promise.then(() => assert.fail('the wrong secret was accepted'), (error) => error);
    assert.ok(e instanceof oidc.WWWAuthenticateChallengeError, `${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, 401);
    assert.equal(e.cause[0].scheme, 'basic');
    assert.equal((await e.response.json()).error, 'invalid_client');
  };
  await challenged(exchange(config, request, callback));
  await challenged(oidc.refreshTokenGrant(config, 'whatever'));
  await page.context().close();
});

test('prompt=none without a session: login_required comes back to the client', async () => {
  const shot = screenshots('oidc-prompt-none');
  const client = await createClient(server, 'Silent App', '--no-consent');
  const config = await configFor(server, client);
  const page = await freshPage(browser);
  const request = await authorizationRequest(config, { prompt: 'none' });
  const response = await page.goto(request.url.href);
  await shot(page, 'login-required-at-the-app');
  assert.equal(response.status(), 200);
  const callback = new URL(page.url());
  assert.ok(atCallback(callback), page.url());
  assert.equal(callback.searchParams.get('iss'), server.url, 'RFC 9207: errors name the issuer too');
  await assert.rejects(exchange(config, request, callback), (e) => {
    assert.ok(e instanceof oidc.AuthorizationResponseError, `${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.error, 'login_required');
    return true;
  });
  await page.context().close();
});

test('a denied consent: access_denied comes back to the client', { timeout: 120_000 }, async () => {
  const shot = screenshots('oidc-consent-denied');
  const client = await createClient(server, 'Curious App');
  const config = await configFor(server, client);
  const page = await freshPage(browser);
  const request = await authorizationRequest(config);
  await page.goto(request.url.href);
  await signIn(page, { account: server.account, user: BOB.user, password: BOB.password });
  await shot(page, 'consent');
  assert.equal(await textOf(page, 'h1'), 'Allow Curious App?');
  const callback = await backAtTheApp(page, () => page.click('#deny'));
  await shot(page, 'denied-at-the-app');
  await assert.rejects(exchange(config, request, callback), (e) => {
    assert.ok(e instanceof oidc.AuthorizationResponseError, `${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.error, 'access_denied');
    return true;
  });
  await page.context().close();
});

test('an expired code is refused (KEYWARD_OIDC_CODE_LIFETIME=3)', { timeout: 180_000 }, async () => {
  const shot = screenshots('oidc-expired-code');
  const short = await startKeyward('oidc-short-code', { env: { KEYWARD_OIDC_CODE_LIFETIME: String(CODE_LIFETIME_S) } });
  try {
    const carolId = await profileUser(short, { user: 'carol', password: 'Carol-Passw0rd-1' });
    const client = await createClient(short, 'Slow App', '--no-consent');
    const config = await configFor(short, client);
    const signInShort = async (page) => {
      const request = await authorizationRequest(config);
      await page.goto(request.url.href);
      if (pathOf(page).startsWith('/signin')) {
        await backAtTheApp(page, () => signIn(page, { account: short.account, user: 'carol', password: 'Carol-Passw0rd-1' }));
      }
      return { request, callback: new URL(page.url()) };
    };
    const page = await freshPage(browser);
    // Exchanged at once, a code of this server works.
    const prompt = await signInShort(page);
    assert.equal((await exchange(config, prompt.request, prompt.callback)).claims().sub, carolId);
    // Exchanged after its lifetime, it does not.
    const late = await signInShort(page);
    await shot(page, 'code-issued');
    await sleep(CODE_LIFETIME_S * 1000 + 1_500);
    await assert.rejects(exchange(config, late.request, late.callback), (e) => {
      assert.ok(e instanceof oidc.ResponseBodyError, `${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.error, 'invalid_grant');
      assert.match(e.error_description ?? '', /expired/);
      return true;
    });
    await page.context().close();
  } finally {
    await short.stop();
  }
});
