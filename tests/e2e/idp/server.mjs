// An external OpenID Connect provider for Keyward's tests: node's certified oidc-provider, served
// over HTTPS on loopback with a certificate the test made. For tests/e2e/test_web_identity.py it
// issues JWT access tokens (RFC 9068) for the client_credentials grant, as a CI system's token
// service would; for tests/browser/external-signin.test.mjs it signs people in with the
// authorization code flow, as a company's single sign-on service would. Keyward is the relying
// party here and trusts none of this code.
//
//     node server.mjs --port PORT --cert cert.pem --key key.pem --jwks jwks.json --clients clients.json
//                     [--accounts accounts.json]
//
// The issuer is https://127.0.0.1:PORT. Prints one line "listening https://127.0.0.1:PORT" once
// it serves; SIGTERM stops it.
//
// --jwks: the signing keys, private JWKs ({"keys": [...]}, each with a kid and an alg). The
//   first key of each algorithm signs; every key is published at the jwks_uri. Restarting with
//   other keys on the same port is how the test rotates them.
// --clients: [{"client_id", "client_secret", "alg", "ttl", "claims"}]. A client_credentials token's
//   `sub` is its client's id, so the ids are shaped like a CI system's subjects. `alg` signs its
//   access tokens, `ttl` is their lifetime in seconds (default 3600) and `claims` are added to them.
//   The audience is chosen per request with a resource indicator (RFC 8707):
//   resource=urn:keyward-test:aud:<audience> gives a token whose `aud` is <audience>.
//   A client with "redirect_uris" is a web application signing people in instead: it uses the
//   authorization code flow (response type `code`, PKCE always required), authenticates at the
//   token endpoint with "token_endpoint_auth_method" (default client_secret_basic), may ask for
//   the scopes openid, profile, email and groups, and gets ID tokens signed with `alg` (default
//   RS256).
// --accounts: {"<username>": {"claims": {...}, "amr": [...]}} the people who can sign in. The
//   login page (/interaction/<uid>, a form asking only for a username: there are no passwords)
//   signs a known username in with that account's `amr` (default ["pwd"]); consent is given
//   without asking. The `sub` is the username; the scope `profile` releases `name` and
//   `preferred_username`, `email` releases `email` and `email_verified`, `groups` releases
//   `groups`. The ID token carries these claims itself, with `amr`, not only the UserInfo endpoint.
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    jwks: { type: 'string' },
    clients: { type: 'string' },
    accounts: { type: 'string' },
  },
});
for (const name of ['port', 'cert', 'key', 'jwks', 'clients']) {
  if (!args[name]) {
    console.error(`missing --${name}`);
    process.exit(2);
  }
}

const port = Number(args.port);
const issuer = `https://127.0.0.1:${port}`;
const jwks = JSON.parse(fs.readFileSync(args.jwks, 'utf8'));
const clients = JSON.parse(fs.readFileSync(args.clients, 'utf8'));
const byId = new Map(clients.map((c) => [c.client_id, c]));
const accounts = args.accounts ? JSON.parse(fs.readFileSync(args.accounts, 'utf8')) : {};

const AUDIENCE_PREFIX = 'urn:keyward-test:aud:';
const SCOPE = 'sts';
const SIGNIN_SCOPE = 'openid profile email groups';
const MAX_FORM_BYTES = 16 * 1024;

/** The provider's view of a client from --clients: a token service's, or a web application's
 * when it has redirect URIs. */
function clientMetadata(c) {
  const alg = c.alg ? { id_token_signed_response_alg: c.alg } : {};
  if (c.redirect_uris) {
    return {
      client_id: c.client_id,
      client_secret: c.client_secret,
      token_endpoint_auth_method: c.token_endpoint_auth_method ?? 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: c.redirect_uris,
      scope: SIGNIN_SCOPE,
      ...alg,
    };
  }
  return {
    client_id: c.client_id,
    client_secret: c.client_secret,
    // In the form body: the ids hold ':' and '/', which HTTP Basic would need escaped.
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: SCOPE,
    ...alg,
  };
}

/** The account behind a username of --accounts, as oidc-provider's findAccount returns it. */
function findAccount(ctx, id) {
  if (!Object.hasOwn(accounts, id)) return undefined;
  return {
    accountId: id,
    // oidc-provider keeps only the claims the granted scopes release.
    claims: async () => ({ ...accounts[id].claims, sub: id }),
  };
}

/**
 * The grant for a code flow request: the one this browser session holds for the client if it is
 * this account's, else a new one; either way it grants every scope and claim the request asks
 * for, so the consent prompt never stops the flow (oidc-provider's way of skipping consent).
 */
async function loadExistingGrant(ctx) {
  const { Grant } = ctx.oidc.provider;
  const clientId = ctx.oidc.client.clientId;
  const accountId = ctx.oidc.session.accountId;
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(clientId);
  let grant = grantId ? await Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== accountId) grant = new Grant({ clientId, accountId });
  grant.addOIDCScope(ctx.oidc.requestParamOIDCScopes);
  grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
  await grant.save();
  return grant;
}

const configuration = {
  jwks,
  clients: clients.map(clientMetadata),
  scopes: ['openid', SCOPE, 'profile', 'email', 'groups'],
  // The claims each scope releases (`openid` adds the sign-in's `amr`). Those set to null are
  // oidc-provider's defaults, released only when a request calls for them (max_age or
  // prompt=login for auth_time, acr_values for acr).
  claims: {
    acr: null,
    amr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub', 'amr'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // The scopes' claims go into the ID token too (the relying party reads them there).
  conformIdTokenClaims: false,
  findAccount,
  loadExistingGrant,
  // The relying party must send a PKCE challenge (S256, the only method allowed) with every
  // authorization request, though its clients are confidential.
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => undefined,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator, client) => {
        if (!resourceIndicator.startsWith(AUDIENCE_PREFIX)) throw new Provider.errors.InvalidTarget();
        const c = byId.get(client.clientId);
        return {
          scope: SCOPE,
          audience: resourceIndicator.slice(AUDIENCE_PREFIX.length),
          accessTokenTTL: c.ttl ?? 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: c.alg } },
        };
      },
    },
  },
  extraTokenClaims: async (ctx, token) => byId.get(token.clientId)?.claims,
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The login page: a username field and a "Sign in" button, with `error` above them if given. */
function loginPage(res, status, { uid, client, error }) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test IdP: sign in</title></head>
<body>
<h1>Test IdP</h1>
<p>Sign in to continue to ${escape(client)}.</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form id="idp-login" method="post" action="/interaction/${escape(uid)}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" autofocus required>
  <button type="submit">Sign in</button>
</form>
</body></html>
`);
}

function plainPage(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
}

/** A urlencoded request body, refused beyond MAX_FORM_BYTES. */
async function formBody(req) {
  let body = '';
  for await (const chunk of req.setEncoding('utf8')) {
    body += chunk;
    if (body.length > MAX_FORM_BYTES) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * /interaction/<uid>: GET shows the login page; POST signs the username in if it is an account,
 * else shows the page again with an error. Only the login prompt has a page: loadExistingGrant
 * grants what a request asks for, so the consent prompt does not come up for a web client that
 * names no resource.
 */
async function interaction(req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    // No interaction cookie, or an expired interaction.
    plainPage(res, 400, `No sign-in is in progress here: ${err.message}`);
    return;
  }
  if (details.uid !== uid) {
    plainPage(res, 400, 'This sign-in page belongs to another sign-in in progress.');
    return;
  }
  const { prompt, params } = details;
  if (prompt.name !== 'login') {
    plainPage(res, 400, `This provider has no page for the prompt "${prompt.name}" (${prompt.reasons.join(', ')}).`);
    return;
  }
  if (req.method === 'GET') {
    loginPage(res, 200, { uid, client: params.client_id });
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'GET, POST');
    plainPage(res, 405, 'Method not allowed.');
    return;
  }
  const username = (await formBody(req)).get('username')?.trim() ?? '';
  if (!Object.hasOwn(accounts, username)) {
    loginPage(res, 401, { uid, client: params.client_id, error: `There is no user named "${username}".` });
    return;
  }
  const amr = accounts[username].amr ?? ['pwd'];
  await provider.interactionFinished(req, res, { login: { accountId: username, amr } },
    { mergeWithLastSubmission: false });
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)$/;
const providerCallback = provider.callback();

const server = https.createServer(
  { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) },
  (req, res) => {
    const match = INTERACTION_PATH.exec(new URL(req.url, issuer).pathname);
    if (!match) {
      providerCallback(req, res);
      return;
    }
    interaction(req, res, match[1]).catch((err) => {
      console.error('interaction error', err);
      if (!res.headersSent) plainPage(res, 500, `The sign-in failed: ${err.message}`);
      else res.end();
    });
  },
);
server.on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
