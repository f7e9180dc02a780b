-- With the web_identity_jti_once setting, the jti of every web identity token a role was
-- assumed with, until the token expires: a token then works once per role.
CREATE TABLE web_identity_tokens (
    role_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (role_id, jti)
);
