-- Certificate trust for IAM Roles Anywhere's protocol: trust anchors (a CA certificate bundle,
-- PEM), profiles (the roles a certificate's holder may get and how), and the certificate
-- revocation lists imported for an anchor (DER, base64). Ids are UUIDs, as AWS's; names need
-- not be unique. Tags go to the shared `tags` table, under kinds of their own.
CREATE TABLE ra_trust_anchors (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    source_type TEXT NOT NULL,
    certificates TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ra_trust_anchors_account ON ra_trust_anchors (account_id);

-- `role_arns` and `managed_policy_arns` are JSON arrays of ARNs.
CREATE TABLE ra_profiles (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    role_arns TEXT NOT NULL,
    session_policy TEXT,
    managed_policy_arns TEXT NOT NULL,
    duration_seconds INTEGER NOT NULL,
    require_instance_properties BOOLEAN NOT NULL,
    accept_role_session_name BOOLEAN NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ra_profiles_account ON ra_profiles (account_id);

-- `issuer` is the CRL's issuer name as text (RFC 4514), the anchor's CA that signed it.
CREATE TABLE ra_crls (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    trust_anchor_id TEXT NOT NULL REFERENCES ra_trust_anchors (id),
    name TEXT NOT NULL,
    crl_der TEXT NOT NULL,
    issuer TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ra_crls_account ON ra_crls (account_id);
CREATE INDEX ra_crls_trust_anchor ON ra_crls (trust_anchor_id);
