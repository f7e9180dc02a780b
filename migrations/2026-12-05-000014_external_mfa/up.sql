-- MFA devices enrolled to an external identity (a directory user whose directory requires
-- Keyward MFA on top of its password): the provider's ARN and the subject (the user's DN) own
-- the device instead of an IAM user. Such a device is no IAM entity: user_id stays NULL, and
-- every query that reads a NULL user_id as the root user also asks for no external owner.
ALTER TABLE mfa_devices ADD COLUMN external_provider TEXT;
ALTER TABLE mfa_devices ADD COLUMN external_subject TEXT;
CREATE INDEX mfa_devices_external ON mfa_devices (external_provider, external_subject);
