// Console sign-in through an external OpenID provider, in Chromium: a company's single sign-on
// service (node's oidc-provider from tests/e2e/idp, over HTTPS with a self-signed certificate)
// whose users carry a `groups` claim, and Keyward as its relying party.
//
// The account's administrator trusts the provider in IAM (an OpenID Connect provider with the
// certificate's thumbprint) and makes two roles whose trust policies let its tokens in; the root
// user registers it in the console as "Corp" with rules from groups to roles. Then, from the
// account's sign-in page: alice (in admins and developers) picks a role and lands in the console
// as assumed-role/Developers/alice; bob (in admins) goes straight in as Administrators; carol
// (in sales) matches no rule and is refused without a session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  startKeyward, startExternalIdp, launchBrowser, freshPage, freshPageWith, screenshots, submit, signInAsRoot,
  pathOf, textOf, NAVIGATION_TIMEOUT_MS,
} from './helpers.mjs';

const PROVIDER = 'Corp';
const CLIENT_ID = 'keyward-console';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const ACCOUNTS = {
  alice: { claims: { preferred_username: 'alice', email: 'alice@corp.example', groups: ['admins', 'developers'] },
    amr: ['pwd', 'mfa'] },
  bob: { claims: { preferred_username: 'bob', email: 'bob@corp.example', groups: ['admins'] }, amr: ['pwd'] },
  carol: { claims: { preferred_username: 'carol', email: 'carol@corp.example', groups: ['sales'] }, amr: ['pwd'] },
};
const ROLES = ['Administrators', 'Developers'];
const RULES = 'groups contains admins => Administrators\ngroups contains developers => Developers';

let server;
let browser;
let idp;
let providerArn;
const roleArn = (role) => `arn:aws:iam::${server.account}:role/${role}`;
const sessionArn = (role, user) => `arn:aws:sts::${server.account}:assumed-role/${role}/${user}`;

before(async () => {
  server = await startKeyward('external-signin');
  browser = await launchBrowser();
  idp = await startExternalIdp('external-signin', {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [`${server.url}/signin/external/callback`],
    }],
    accounts: ACCOUNTS,
  });

  // IAM trusts the provider's tokens for the console's client id...
  const created = JSON.parse(await server.aws('iam', 'create-open-id-connect-provider', '--url', idp.issuer,
    '--client-id-list', CLIENT_ID, '--thumbprint-list', idp.thumbprint));
  providerArn = created.OpenIDConnectProviderArn;
  assert.equal(providerArn, `arn:aws:iam::${server.account}:oidc-provider/${idp.host}`);

  // ...and two roles let them in; both may read IAM, so the console shows something.
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${idp.host}:aud`]: CLIENT_ID } },
    }],
  });
  for (const role of ROLES) {
    await server.aws('iam', 'create-role', '--role-name', role, '--assume-role-policy-document', trust);
    await server.aws('iam', 'attach-role-policy', '--role-name', role,
      '--policy-arn', 'arn:aws:iam::aws:policy/IAMReadOnlyAccess');
  }
  // A user for the roles to see in the console's list.
  await server.aws('iam', 'create-user', '--user-name', 'dana');
});

after(async () => {
  await browser?.close();
  await idp?.stop();
  await server?.stop();
});

/** A fresh browser context that accepts the provider's self-signed certificate. */
function pageForIdp() {
  return freshPageWith(browser, { ignoreHTTPSErrors: true });
}

/** Waits until the page's URL satisfies `ok`; on timeout, says where the browser is instead. */
async function expectUrl(page, ok, what) {
  try {
    await page.waitForURL(ok, { timeout: NAVIGATION_TIMEOUT_MS });
  } catch (e) {
    const h1 = await page.locator('h1').first().innerText({ timeout: 1_000 }).catch(() => '(no h1)');
    throw new Error(`expected ${what}, but the browser is at ${page.url()} (h1: ${h1}): ${e.message}`);
  }
}

/**
 * From the account's sign-in page, follows "Sign in with Corp" to the provider's login page and
 * signs in there as `user`; returns the response that ends back at Keyward (after redirects).
 */
async function signInThroughProvider(page, shot, user) {
  const response = await page.goto(`${server.url}/signin/${server.account}`);
  assert.equal(response.status(), 200);
  const link = page.getByRole('link', { name: `Sign in with ${PROVIDER}`, exact: true });
  assert.equal(await link.getAttribute('href'), `/signin/external/${server.account}/${PROVIDER}`,
    'the sign-in page links to the provider');
  await link.click();
  await expectUrl(page, (u) => u.origin === idp.issuer && u.pathname.startsWith('/interaction/'),
    "the provider's login page");
  await shot(page, `${user}-at-the-provider`);
  await page.locator('#idp-login [name="username"]').fill(user);
  const back = await submit(page, 'Sign in');
  await shot(page, `${user}-back-at-keyward`);
  assert.equal(new URL(page.url()).origin, server.url,
    `the provider sent ${user} back to Keyward, not to ${page.url()}`);
  return back;
}

/** The header's identity: its text and its title (the ARN the console acts as). */
async function identityOf(page) {
  const identity = page.locator('header .identity');
  return { text: (await identity.innerText()).trim(), arn: await identity.getAttribute('title') };
}

test('the root user registers the provider in the console; the sign-in page offers it',
  { timeout: 120_000 }, async () => {
    const shot = screenshots('external-signin-register');
    const page = await freshPage(browser);
    await signInAsRoot(page, server);
    assert.equal(pathOf(page), '/console');

    const response = await page.goto(`${server.url}/console/signin-providers`);
    assert.equal(response.status(), 200);
    const form = page.locator('#create-signin-provider-form');
    const field = (name) => form.locator(`[name="${name}"]`);
    assert.equal(await field('scopes').inputValue(), 'openid profile email', 'default scopes');
    assert.equal(await field('username_claim').inputValue(), 'preferred_username', 'default user-name claim');
    await field('name').fill(PROVIDER);
    await field('issuer').fill(idp.issuer);
    await field('client_id').fill(CLIENT_ID);
    await field('client_secret').fill(CLIENT_SECRET);
    await field('scopes').fill('openid profile email groups');
    await field('rules').fill(RULES);
    // Not trusted for MFA (though alice's sign-in at the provider says mfa in its amr).
    await field('trusted_for_mfa').setChecked(false);
    await shot(page, 'form-filled');
    const registered = await submit(page, 'Register provider');
    await shot(page, 'registered');
    assert.equal(registered.status(), 200);
    assert.equal(await page.locator('p.error').count(), 0, 'no error after registering');
    // Registering opens the provider's own page, as creating anything in the console does.
    assert.match(await textOf(page, '.notice'), new RegExp(`Sign-in provider ${PROVIDER} registered`));
    await page.goto(`${server.url}/console/signin-providers`);
    await shot(page, 'provider-list');
    assert.match(await textOf(page, '#signin-provider-list'), new RegExp(`\\b${PROVIDER}\\b`));

    await submit(page, 'Sign out');
    assert.equal(pathOf(page), '/signin');
    await page.context().close();

    const visitor = await freshPage(browser);
    await visitor.goto(`${server.url}/signin/${server.account}`);
    await shot(visitor, 'signin-page-offers-corp');
    const link = visitor.getByRole('link', { name: `Sign in with ${PROVIDER}`, exact: true });
    assert.equal(await link.count(), 1);
    assert.equal(await link.getAttribute('href'), `/signin/external/${server.account}/${PROVIDER}`);
    await visitor.context().close();
  });

test('alice, in two groups, chooses Developers and uses the console as that role', { timeout: 120_000 }, async () => {
  const shot = screenshots('external-signin-alice');
  const page = await pageForIdp();
  const back = await signInThroughProvider(page, shot, 'alice');
  assert.equal(back.status(), 200);
  assert.equal(await textOf(page, 'h1'), 'Choose a role');
  const buttons = page.locator('#role-picker button[name="role"]');
  const offered = await buttons.evaluateAll((all) => all.map((b) => ({ text: b.innerText.trim(), value: b.value })));
  assert.deepEqual(offered.sort((a, b) => a.text.localeCompare(b.text)),
    ROLES.map((role) => ({ text: role, value: roleArn(role) })), 'one button per role the rules give alice');

  await submit(page, 'Developers');
  await shot(page, 'console-as-developers');
  assert.equal(pathOf(page), '/console');
  assert.deepEqual(await identityOf(page), { text: 'alice', arn: sessionArn('Developers', 'alice') });

  // The role's IAMReadOnlyAccess lets the console list users.
  const users = await page.goto(`${server.url}/console/users`);
  await shot(page, 'users-as-developers');
  assert.equal(users.status(), 200);
  assert.equal(pathOf(page), '/console/users');
  assert.match(await textOf(page, 'main'), /\bdana\b/);
  assert.equal((await identityOf(page)).arn, sessionArn('Developers', 'alice'));
  await page.context().close();
});

test('bob, in one group, goes straight to the console as Administrators', { timeout: 120_000 }, async () => {
  const shot = screenshots('external-signin-bob');
  const page = await pageForIdp();
  const back = await signInThroughProvider(page, shot, 'bob');
  assert.equal(back.status(), 200);
  assert.equal(pathOf(page), '/console', 'no role picker for a single role');
  assert.equal(await page.locator('#role-picker').count(), 0);
  assert.deepEqual(await identityOf(page), { text: 'bob', arn: sessionArn('Administrators', 'bob') });
  await page.context().close();
});

test('carol, whom no rule matches, is refused and has no session', { timeout: 120_000 }, async () => {
  const shot = screenshots('external-signin-carol');
  const page = await pageForIdp();
  const back = await signInThroughProvider(page, shot, 'carol');
  assert.equal(back.status(), 403);
  assert.equal(await textOf(page, 'h1'), 'No role is available to you');

  const visit = await page.goto(`${server.url}/console`);
  await shot(page, 'console-without-session');
  assert.equal(visit.status(), 200);
  assert.match(pathOf(page), /^\/signin(\/|$)/, 'the console sends carol to a sign-in page');
  assert.equal(await textOf(page, 'h1'), 'Sign in');
  assert.equal(await page.locator('header .identity').count(), 0);
  await page.context().close();
});
