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
