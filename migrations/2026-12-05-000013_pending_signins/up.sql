-- A sign-in waiting for its person's next step (the role picker of a directory sign-in): what
-- was proved, sealed, behind the hash of a random id in the browser's cookie, until it expires.
CREATE TABLE pending_signins (
    id_hash TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
