-- A browser may have several WebAuthn ceremonies of one purpose under way at once (a sign-in
-- page in two tabs each asks for a passkey as it loads): each is now its own row, found by the
-- challenge that the answer's client data carries. Ceremonies live five minutes; those under
-- way when this runs are dropped, and their pages start again.
DROP TABLE webauthn_ceremonies;
CREATE TABLE webauthn_ceremonies (
    binding_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    challenge TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (binding_hash, purpose, challenge)
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);
