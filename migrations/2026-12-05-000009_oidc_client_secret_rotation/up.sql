-- A client's secret can be rotated with a grace period: the secret a rotation replaced keeps
-- working until `valid_until`. A client has at most one such secret; it goes with the client.
CREATE TABLE oidc_client_previous_secrets (
    client_id TEXT PRIMARY KEY REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    valid_until TIMESTAMP NOT NULL
);
