DROP TABLE web_identity_tokens;
