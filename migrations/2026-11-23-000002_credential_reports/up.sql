-- The latest credential report of each account (IAM keeps one, regenerated on request).
CREATE TABLE credential_reports (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    generated_at TIMESTAMP NOT NULL,
    content TEXT NOT NULL
);
