-- An IAM user's email address, set by an administrator allowed keyward:SetUserEmail (never by
-- the user's own tags), with whether the administrator vouches for it. ID tokens and UserInfo
-- carry these two columns as `email` and `email_verified`, so a relying party that trusts a
-- verified address trusts what an administrator set. An address belongs to at most one user
-- of an account, ignoring case as names do; users without one (NULL) do not collide.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX users_email ON users (account_id, lower(email));
