-- Keyward as an OpenID Connect provider. The first migration's placeholder tables for OIDC
-- clients and signing keys were never used; they are replaced by the ones below.
DROP TABLE oidc_clients;
DROP TABLE signing_keys;

-- Keys that sign ID tokens and access tokens, one series per algorithm. A key is published in
-- the JWKS from its creation, signs from `signs_from` until its successor's `signs_from`, and
-- stays published for the longest token lifetime after that, so that every token it signed
-- verifies until it expires. `generation` numbers the keys of an algorithm, so two instances
-- that rotate at the same moment cannot both add a successor.
CREATE TABLE oidc_signing_keys (
    kid TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    generation INTEGER NOT NULL,
    -- PKCS#8, sealed under the master key.
    sealed_private_key TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    signs_from TIMESTAMP NOT NULL,
    UNIQUE (algorithm, generation)
);

-- Relying parties. Lists are stored as JSON arrays of strings.
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    -- SHA-256 (hex) of the client secret; NULL for public and private_key_jwt clients.
    secret_hash TEXT,
    -- client_secret_basic, client_secret_post, private_key_jwt or none.
    auth_method TEXT NOT NULL,
    -- The client's public keys (a JWKS) for private_key_jwt.
    jwks TEXT,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    scopes TEXT NOT NULL,
    signing_alg TEXT NOT NULL,
    access_token_lifetime INTEGER NOT NULL,
    id_token_lifetime INTEGER NOT NULL,
    refresh_token_lifetime INTEGER NOT NULL,
    consent_required BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX oidc_clients_account ON oidc_clients (account_id);

-- What a user let a client see, remembered until the user revokes it.
CREATE TABLE oidc_consents (
    subject TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    scopes TEXT NOT NULL,
    granted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (subject, client_id)
);

-- One sign-in of a user to a client and every token that came of it: the code, the refresh
-- tokens (each rotation adds one) and the access tokens (JWTs whose jti starts with the
-- grant's id). Revoking the grant makes all of them worthless. A grant without
-- offline_access belongs to the portal session it came from and ends with it.
CREATE TABLE oidc_grants (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- NULL for the account's root user.
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    auth_time TIMESTAMP NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT NOT NULL,
    session_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX oidc_grants_session ON oidc_grants (session_hash);
CREATE INDEX oidc_grants_subject ON oidc_grants (subject);

-- Authorization codes (SHA-256 of each), single use: a used code keeps its row, so that a
-- second use is recognised and revokes its grant.
CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX oidc_codes_grant ON oidc_codes (grant_id);

-- Refresh tokens (SHA-256 of each). Each use marks the token used and issues its successor; a
-- used token presented again revokes the grant.
CREATE TABLE oidc_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX oidc_refresh_tokens_grant ON oidc_refresh_tokens (grant_id);

-- Access tokens revoked one by one (RFC 7009), until they would have expired anyway.
CREATE TABLE oidc_revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);

-- The jti of every private_key_jwt client assertion seen, until it expires: an assertion
-- works once.
CREATE TABLE oidc_client_assertions (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, jti)
);
