DROP TABLE recovery_codes;
ALTER TABLE mfa_devices DROP COLUMN passkey;
DROP TABLE webauthn_ceremonies;
DROP TABLE signin_throttle;
DROP TABLE console_sessions;
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
