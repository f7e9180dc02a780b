ALTER TABLE roles DROP COLUMN trust_bound;
DROP TABLE role_trust_principals;
