DROP TABLE credential_reports;
