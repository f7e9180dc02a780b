-- Console sign-in. Sessions are kept by the hash of their cookie's id (a stolen database
-- holds no usable cookie) and know how far their sign-in got: a session that still owes the
-- second factor or a new password grants nothing else. Guessing is throttled per user and per
-- source address (one row per key, see src/auth/throttle.rs).
DROP TABLE console_sessions;
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- NULL for the account's root user.
    user_id TEXT REFERENCES users (id),
    stage TEXT NOT NULL CHECK (stage IN ('mfa', 'change_password', 'active')),
    csrf_secret TEXT NOT NULL,
    mfa_authenticated_at TIMESTAMP,
    -- 'totp' or 'webauthn' once a second factor was proved.
    mfa_method TEXT,
    -- The last time the password or a factor was entered (sign-in, or asked again before a
    -- sensitive change such as adding a factor).
    reauthenticated_at TIMESTAMP NOT NULL,
    -- After "switch role": the role session's credentials, sealed under the master key.
    role_session TEXT,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    -- The absolute end; the idle end is last_seen_at plus the idle timeout.
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_account ON console_sessions (account_id);

CREATE TABLE signin_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMP,
    blocked_until TIMESTAMP
);

-- WebAuthn ceremonies under way: the challenge state a browser must answer, kept server side
-- and taken (deleted) by the answer, so that an answer cannot be replayed. Keyed by the hash
-- of the session or sign-in cookie and the ceremony's purpose.
CREATE TABLE webauthn_ceremonies (
    binding_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (binding_hash, purpose)
);

-- Security keys and passkeys: a passkey is a discoverable credential that signs in without a
-- user name or password; a security key is a second factor after the password.
ALTER TABLE mfa_devices ADD COLUMN passkey BOOLEAN NOT NULL DEFAULT FALSE;

-- The root user's one-time recovery codes (SHA-256 of each), made when it enrols its first
-- factor; a used code keeps its row with the time it was used.
CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_account ON recovery_codes (account_id);
