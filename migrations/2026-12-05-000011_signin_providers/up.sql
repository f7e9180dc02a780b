-- External OpenID Connect providers that people of an account sign in to the console through:
-- Keyward is their relying party. The client secret is sealed; `rules` is a JSON list of
-- claim-to-role rules; `scopes` is space-separated.
CREATE TABLE signin_providers (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    scopes TEXT NOT NULL,
    username_claim TEXT NOT NULL,
    rules TEXT NOT NULL,
    trusted_for_mfa BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, name)
);
