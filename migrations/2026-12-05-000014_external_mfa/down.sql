DROP INDEX mfa_devices_external;
ALTER TABLE mfa_devices DROP COLUMN external_subject;
ALTER TABLE mfa_devices DROP COLUMN external_provider;
