DROP TABLE webauthn_ceremonies;
CREATE TABLE webauthn_ceremonies (
    binding_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (binding_hash, purpose)
);
