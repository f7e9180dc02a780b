// Peer for bench/oidc_load.py: node's certified oidc-provider, issuing JWT access tokens for
// the client_credentials grant, signed ES256 (P-256) or RS256 (RSA 2048) depending on the client.
//
//     npm ci && NODE_ENV=production node server.mjs PORT      (or PORT=... node server.mjs)
//
// Prints one line "listening http://127.0.0.1:PORT" when it serves. Keys are made at start with
// node's crypto and exported as JWK. Otherwise oidc-provider's defaults are kept (its in-memory
// adapter; JWT access tokens are not stored in it). PEER_WORKERS=N (default 1) runs N processes
// with node:cluster sharing the port and the keys, for a comparison that uses every core.
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || process.env.PORT || 3000);
const workers = Number(process.env.PEER_WORKERS || 1);
const issuer = `http://127.0.0.1:${port}`;

// One resource server; the clients' access tokens are JWTs for it.
const RESOURCE = 'urn:keyward-bench:api';
const SCOPE = 'api:read api:write';
const CLIENTS = {
  'bench-es256': { secret: 'bench-es256-secret-0123456789abcdef', alg: 'ES256' },
  'bench-rs256': { secret: 'bench-rs256-secret-0123456789abcdef', alg: 'RS256' },
};

function makeKeys() {
  const jwk = (key, kid, alg) => ({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' });
  const es = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const rs = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  // RS256 first: oidc-provider's default ID token alg is RS256, so the JWKS must hold an RSA key.
  return { keys: [jwk(rs, 'rs256-1', 'RS256'), jwk(es, 'es256-1', 'ES256')] };
}

async function serve(jwks) {
  const configuration = {
    jwks,
    clients: Object.entries(CLIENTS).map(([id, c]) => ({
      client_id: id,
      client_secret: c.secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: SCOPE,
    })),
    scopes: ['openid', 'offline_access', ...SCOPE.split(' ')],
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        getResourceServerInfo: async (ctx, resourceIndicator, client) => {
          if (resourceIndicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
          return {
            scope: SCOPE,
            audience: RESOURCE,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: CLIENTS[client.clientId]?.alg ?? 'ES256' } },
          };
        },
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  await new Promise((resolve, reject) => {
    const server = provider.listen(port, '127.0.0.1', resolve);
    server.on('error', reject);
  });
  return provider;
}

if (workers > 1 && cluster.isPrimary) {
  const jwks = makeKeys();
  let up = 0;
  for (let i = 0; i < workers; i += 1) {
    const worker = cluster.fork({ PEER_JWKS: JSON.stringify(jwks) });
    worker.on('message', (m) => {
      if (m === 'listening' && (up += 1) === workers) console.log(`listening ${issuer} (${workers} workers)`);
    });
  }
  cluster.on('exit', (_w, code, signal) => {
    if (signal !== 'SIGTERM') console.error(`worker exited (${signal || code})`);
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (cluster.isWorker) {
  await serve(JSON.parse(process.env.PEER_JWKS));
  process.send('listening');
} else {
  await serve(makeKeys());
  console.log(`listening ${issuer}`);
}
