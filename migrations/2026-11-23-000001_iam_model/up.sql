-- Keyward's IAM model. Portable SQL: it runs unchanged on PostgreSQL and on the embedded SQLite
-- store. Ids are AWS-shaped text (AIDA..., AGPA..., AROA..., ANPA..., AIPA..., AKIA...), JSON is
-- text, times are UTC timestamps without a zone. Names are unique per account ignoring case, as
-- IAM has it, through unique indexes on lower(name): two concurrent creates cannot both win.

-- One row, written by the first start's bootstrap; a concurrent second bootstrap fails on it.
CREATE TABLE installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    default_account_id TEXT NOT NULL,
    bootstrapped_at TIMESTAMP NOT NULL
);

-- 'aws' is the pseudo-account that owns the AWS-managed policies.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    alias TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX accounts_alias ON accounts (lower(alias));

-- The account's root user signs in with its own login on the account's sign-in page; it is
-- not an IAM user. Logins repeat across accounts (each account's root may be `root`).
CREATE TABLE root_users (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    login TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    password_last_used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX root_users_login ON root_users (lower(login));

CREATE TABLE managed_policies (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    description TEXT,
    default_version_id TEXT NOT NULL,
    next_version_number INTEGER NOT NULL,
    is_attachable BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX managed_policies_name ON managed_policies (account_id, lower(name));

-- At most five versions per policy (a quota the service enforces under a row lock).
CREATE TABLE policy_versions (
    policy_id TEXT NOT NULL REFERENCES managed_policies (id),
    version_id TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (policy_id, version_id)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    permissions_boundary_id TEXT REFERENCES managed_policies (id),
    password_last_used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_name ON users (account_id, lower(name));
CREATE INDEX users_boundary ON users (permissions_boundary_id);

CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (account_id, lower(name));

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    description TEXT,
    assume_role_policy TEXT NOT NULL,
    max_session_duration INTEGER NOT NULL,
    permissions_boundary_id TEXT REFERENCES managed_policies (id),
    last_used_at TIMESTAMP,
    last_used_region TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles (account_id, lower(name));
CREATE INDEX roles_boundary ON roles (permissions_boundary_id);

-- Inline policies, one table per kind of owner so that each has a real foreign key.
CREATE TABLE user_inline_policies (
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, name)
);
CREATE UNIQUE INDEX user_inline_policies_name ON user_inline_policies (user_id, lower(name));

CREATE TABLE group_inline_policies (
    group_id TEXT NOT NULL REFERENCES groups (id),
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, name)
);
CREATE UNIQUE INDEX group_inline_policies_name ON group_inline_policies (group_id, lower(name));

CREATE TABLE role_inline_policies (
    role_id TEXT NOT NULL REFERENCES roles (id),
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (role_id, name)
);
CREATE UNIQUE INDEX role_inline_policies_name ON role_inline_policies (role_id, lower(name));

CREATE TABLE user_policy_attachments (
    user_id TEXT NOT NULL REFERENCES users (id),
    policy_id TEXT NOT NULL REFERENCES managed_policies (id),
    attached_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, policy_id)
);
CREATE INDEX user_policy_attachments_policy ON user_policy_attachments (policy_id);

CREATE TABLE group_policy_attachments (
    group_id TEXT NOT NULL REFERENCES groups (id),
    policy_id TEXT NOT NULL REFERENCES managed_policies (id),
    attached_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, policy_id)
);
CREATE INDEX group_policy_attachments_policy ON group_policy_attachments (policy_id);

CREATE TABLE role_policy_attachments (
    role_id TEXT NOT NULL REFERENCES roles (id),
    policy_id TEXT NOT NULL REFERENCES managed_policies (id),
    attached_at TIMESTAMP NOT NULL,
    PRIMARY KEY (role_id, policy_id)
);
CREATE INDEX role_policy_attachments_policy ON role_policy_attachments (policy_id);

-- Tags on any taggable IAM resource (user, role, policy, instance-profile, oidc-provider,
-- saml-provider, mfa). Keys are unique per resource ignoring case, as IAM has it.
CREATE TABLE tags (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    resource_kind TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (resource_kind, resource_id, tag_key)
);
CREATE UNIQUE INDEX tags_key ON tags (resource_kind, resource_id, lower(tag_key));
CREATE INDEX tags_account ON tags (account_id);

-- Long-term access keys. user_id NULL is the account's root user. The secret is sealed with
-- AES-256-GCM under the master key; it is needed in clear to verify SigV4 signatures.
CREATE TABLE access_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT REFERENCES users (id),
    sealed_secret TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    last_used_service TEXT,
    last_used_region TEXT
);
CREATE INDEX access_keys_user ON access_keys (user_id);
CREATE INDEX access_keys_account ON access_keys (account_id);

CREATE TABLE login_profiles (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Earlier password hashes, for the password policy's reuse prevention.
CREATE TABLE password_history (
    user_id TEXT NOT NULL REFERENCES users (id),
    password_hash TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, changed_at)
);

CREATE TABLE account_password_policies (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    minimum_length INTEGER NOT NULL,
    require_symbols BOOLEAN NOT NULL,
    require_numbers BOOLEAN NOT NULL,
    require_uppercase BOOLEAN NOT NULL,
    require_lowercase BOOLEAN NOT NULL,
    allow_users_to_change BOOLEAN NOT NULL,
    max_password_age INTEGER,
    password_reuse_prevention INTEGER,
    hard_expiry BOOLEAN NOT NULL
);

-- MFA devices: virtual (TOTP) and WebAuthn security keys / passkeys. user_id NULL is the root
-- user. The TOTP seed is sealed; last_used_step is the replay guard (a code's time step, once
-- accepted, is refused for the rest of its window).
CREATE TABLE mfa_devices (
    serial_number TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('totp', 'webauthn')),
    name TEXT NOT NULL,
    sealed_seed TEXT,
    webauthn_credential TEXT,
    webauthn_credential_id TEXT UNIQUE,
    enabled BOOLEAN NOT NULL,
    enabled_at TIMESTAMP,
    last_used_step BIGINT,
    last_used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id);
CREATE INDEX mfa_devices_account ON mfa_devices (account_id);

CREATE TABLE instance_profiles (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX instance_profiles_name ON instance_profiles (account_id, lower(name));

-- An instance profile holds at most one role (AWS's quota), enforced by the primary key.
CREATE TABLE instance_profile_roles (
    instance_profile_id TEXT PRIMARY KEY REFERENCES instance_profiles (id),
    role_id TEXT NOT NULL REFERENCES roles (id)
);
CREATE INDEX instance_profile_roles_role ON instance_profile_roles (role_id);

CREATE TABLE oidc_providers (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    url TEXT NOT NULL,
    client_ids TEXT NOT NULL,
    thumbprints TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX oidc_providers_url ON oidc_providers (account_id, url);

CREATE TABLE saml_providers (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    metadata_document TEXT NOT NULL,
    valid_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX saml_providers_name ON saml_providers (account_id, lower(name));

-- Append-only record of every sign-in and every change, written in the transaction of the
-- change it records. Secrets are redacted before they reach this table.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    event_time TIMESTAMP NOT NULL,
    account_id TEXT,
    actor_arn TEXT,
    source_ip TEXT,
    user_agent TEXT,
    event_source TEXT NOT NULL,
    event_name TEXT NOT NULL,
    read_only BOOLEAN NOT NULL,
    request_parameters TEXT,
    response_elements TEXT,
    error_code TEXT,
    error_message TEXT,
    request_id TEXT
);
CREATE INDEX audit_events_account_time ON audit_events (account_id, event_time);
CREATE INDEX audit_events_name_time ON audit_events (event_name, event_time);

-- Signing keys for OIDC tokens and for sealing STS session tokens, private halves sealed.
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

-- Console sessions: the cookie carries an opaque id; only its SHA-256 is stored.
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT REFERENCES users (id),
    csrf_secret TEXT NOT NULL,
    mfa_authenticated_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_account ON console_sessions (account_id);
