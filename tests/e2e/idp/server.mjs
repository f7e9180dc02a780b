// An external OpenID Connect provider for tests/e2e/test_web_identity.py: node's certified
// oidc-provider, served over HTTPS on loopback with a certificate the test made, issuing JWT
// access tokens (RFC 9068) for the client_credentials grant, as a CI system's token service
// would. Keyward is the relying party here and trusts none of this code.
//
//     node server.mjs --port PORT --cert cert.pem --key key.pem --jwks jwks.json --clients clients.json
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

const AUDIENCE_PREFIX = 'urn:keyward-test:aud:';
const SCOPE = 'sts';

const configuration = {
  jwks,
  clients: clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    // In the form body: the ids hold ':' and '/', which HTTP Basic would need escaped.
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: SCOPE,
    id_token_signed_response_alg: c.alg,
  })),
  scopes: ['openid', SCOPE],
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

const server = https.createServer(
  { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) },
  provider.callback(),
);
server.on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
