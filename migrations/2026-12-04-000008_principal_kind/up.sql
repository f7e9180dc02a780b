-- Whose a console session or an OpenID Connect grant is: the root user, an IAM user
-- (`user_id`, whose foreign key and its ON DELETE stay as they were) or a federated principal
-- (`federated_principal`: its provider, its subject there and the role it acts as, one JSON
-- object). Existing rows: a NULL user_id was the root user. A row written without a kind is
-- read as before this migration: 'root' (the default) when it has no user_id, and refused by
-- the CHECK when it has one (never a root row that names a user).
-- The CHECK comes with the last column, added after the existing rows are mapped: both stores
-- accept a CHECK on an added column and test it against the rows already there.
ALTER TABLE console_sessions ADD COLUMN principal_kind TEXT NOT NULL DEFAULT 'root';
UPDATE console_sessions SET principal_kind = 'user' WHERE user_id IS NOT NULL;
ALTER TABLE console_sessions ADD COLUMN federated_principal TEXT CHECK (
    (principal_kind = 'root' AND user_id IS NULL AND federated_principal IS NULL)
    OR (principal_kind = 'user' AND user_id IS NOT NULL AND federated_principal IS NULL)
    OR (principal_kind = 'federated' AND user_id IS NULL AND federated_principal IS NOT NULL)
);

ALTER TABLE oidc_grants ADD COLUMN principal_kind TEXT NOT NULL DEFAULT 'root';
UPDATE oidc_grants SET principal_kind = 'user' WHERE user_id IS NOT NULL;
ALTER TABLE oidc_grants ADD COLUMN federated_principal TEXT CHECK (
    (principal_kind = 'root' AND user_id IS NULL AND federated_principal IS NULL)
    OR (principal_kind = 'user' AND user_id IS NOT NULL AND federated_principal IS NULL)
    OR (principal_kind = 'federated' AND user_id IS NULL AND federated_principal IS NOT NULL)
);
