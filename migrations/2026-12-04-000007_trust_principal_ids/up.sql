-- The unique ids behind the IAM users and roles a role's trust policy names, as AWS keeps
-- them: bound when the policy is saved, so a principal deleted and created again under the
-- same name is a different principal and is not trusted, and a renamed one still is.
-- `trust_bound` is false for roles saved before this table existed; the server binds those at
-- its next start, from the principals that have the names then.
CREATE TABLE role_trust_principals (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    arn TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    PRIMARY KEY (role_id, arn)
);
ALTER TABLE roles ADD COLUMN trust_bound BOOLEAN NOT NULL DEFAULT FALSE;
