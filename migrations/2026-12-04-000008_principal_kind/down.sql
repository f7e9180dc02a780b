-- The old shape cannot hold a federated principal: its sessions and grants end.
DELETE FROM console_sessions WHERE principal_kind = 'federated';
ALTER TABLE console_sessions DROP COLUMN federated_principal;
ALTER TABLE console_sessions DROP COLUMN principal_kind;

DELETE FROM oidc_grants WHERE principal_kind = 'federated';
ALTER TABLE oidc_grants DROP COLUMN federated_principal;
ALTER TABLE oidc_grants DROP COLUMN principal_kind;
