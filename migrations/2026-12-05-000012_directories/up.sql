-- Directories (Active Directory, OpenLDAP) whose people sign in and get role credentials
-- without being copied into Keyward. The service account's password is sealed; `attributes`
-- is a JSON object of trust-key name to directory attribute.
CREATE TABLE directories (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    tls_mode TEXT NOT NULL,
    ca_certificate TEXT NOT NULL,
    bind_dn TEXT NOT NULL,
    bind_password_sealed TEXT NOT NULL,
    base_dn TEXT NOT NULL,
    user_attribute TEXT NOT NULL,
    user_filter TEXT NOT NULL,
    group_mode TEXT NOT NULL,
    attributes TEXT NOT NULL,
    require_mfa BOOLEAN NOT NULL,
    timeout_seconds INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, name)
);
