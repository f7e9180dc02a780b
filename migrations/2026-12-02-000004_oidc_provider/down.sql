DROP TABLE oidc_client_assertions;
DROP TABLE oidc_revoked_tokens;
DROP TABLE oidc_refresh_tokens;
DROP TABLE oidc_codes;
DROP TABLE oidc_grants;
DROP TABLE oidc_consents;
DROP TABLE oidc_clients;
DROP TABLE oidc_signing_keys;
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    sealed_private_key TEXT NOT NULL,
    public_jwk TEXT,
    created_at TIMESTAMP NOT NULL,
    active_from TIMESTAMP NOT NULL,
    retire_at TIMESTAMP,
    remove_at TIMESTAMP
);
CREATE INDEX signing_keys_purpose ON signing_keys (purpose, active_from);
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    secret_hash TEXT,
    public_client BOOLEAN NOT NULL,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    scopes TEXT NOT NULL,
    id_token_signed_response_alg TEXT NOT NULL,
    access_token_lifetime INTEGER NOT NULL,
    refresh_token_lifetime INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX oidc_clients_account ON oidc_clients (account_id);
