//! Who the user is, as relying parties see it: the claims of ID tokens, access tokens and the
//! UserInfo endpoint.
//!
//! - `sub` is the IAM user's unique id (`AIDA...`), which never changes and is never reused,
//!   unlike the user name; the root user's `sub` is its account id.
//! - `preferred_username` is the user name (`root` for the root user).
//! - `name` comes from the user's IAM tag `name`, falling back to the user name.
//! - `email` and `email_verified` are the address an administrator set on the user (with
//!   `keyward:SetUserEmail`, see [`crate::iam::user_email`]) and whether the administrator
//!   vouched for it. Never from tags: a user allowed `iam:TagUser` on himself could otherwise
//!   claim any "verified" address, and a relying party that trusts it would take him for its
//!   owner. Without an address, neither claim is sent.
//! - `groups` (with the `groups` scope) are the user's IAM group names.

use crate::credentials::Principal;
use crate::iam::tags::{self, Taggable};
use crate::storage::{DbConnection, StorageError};
use serde_json::{Map, Value};

/// The claims a user has, before scopes choose among them.
#[derive(Debug, Clone)]
pub struct Profile {
    pub subject: String,
    /// The principal's ARN, for audit events.
    pub arn: String,
    pub account_id: String,
    pub principal: Principal,
    pub user_name: String,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub groups: Vec<String>,
}

/// The profile of an IAM user or the root user; `None` when the user no longer exists, and
/// for a federated principal (the provider serves no profile of one yet).
pub fn profile(
    conn: &mut DbConnection,
    account_id: &str,
    principal: &Principal,
) -> Result<Option<Profile>, StorageError> {
    let user_id = match principal {
        Principal::User(id) => id,
        Principal::Federated { .. } => return Ok(None),
        Principal::Root => {
            return Ok(Some(Profile {
                subject: principal.subject(account_id),
                arn: crate::iam::arn::root(account_id),
                account_id: account_id.to_string(),
                principal: Principal::Root,
                user_name: "root".into(),
                name: "root".into(),
                email: None,
                email_verified: false,
                groups: Vec::new(),
            }))
        }
    };
    let user = match crate::iam::users::get_by_id_in(conn, user_id) {
        Ok(user) if user.account_id == account_id => user,
        Ok(_) | Err(crate::iam::IamError::NoSuchEntity(_)) => return Ok(None),
        Err(crate::iam::IamError::Storage(e)) => return Err(e),
        Err(e) => return Err(StorageError::Corrupt(e.to_string())),
    };
    let tags = tags::list(conn, Taggable::User, &user.id)?;
    let tag = |key: &str| {
        tags.iter()
            .find(|t| t.key.eq_ignore_ascii_case(key))
            .map(|t| t.value.clone())
    };
    let groups = crate::iam::groups::for_user(conn, &user.id)?
        .into_iter()
        .map(|g| g.name)
        .collect();
    Ok(Some(Profile {
        subject: principal.subject(account_id),
        arn: crate::iam::arn::user(account_id, &user.path, &user.name),
        account_id: account_id.to_string(),
        principal: principal.clone(),
        name: tag("name").unwrap_or_else(|| user.name.clone()),
        email_verified: user.email_verified && user.email.is_some(),
        email: user.email,
        user_name: user.name,
        groups,
    }))
}

/// Whether `scope` brings claims from the user's profile (beyond `sub`).
pub fn needs_profile(scope: &str) -> bool {
    matches!(scope, "profile" | "email" | "groups")
}

/// The identity claims `scopes` allow, added to `claims`.
pub fn add_profile_claims<'a>(
    claims: &mut Map<String, Value>,
    profile: &Profile,
    scopes: impl Iterator<Item = &'a str>,
) {
    for scope in scopes {
        match scope {
            "profile" => {
                claims.insert("name".into(), profile.name.clone().into());
                claims.insert(
                    "preferred_username".into(),
                    profile.user_name.clone().into(),
                );
            }
            "email" => {
                if let Some(email) = &profile.email {
                    claims.insert("email".into(), email.clone().into());
                    claims.insert("email_verified".into(), profile.email_verified.into());
                }
            }
            "groups" => {
                claims.insert("groups".into(), profile.groups.clone().into());
            }
            _ => {}
        }
    }
}

/// The ACR values Keyward sets: a password alone, or with a second factor (or a passkey).
pub const ACR_PASSWORD: &str = "urn:keyward:acr:password";
pub const ACR_MFA: &str = "urn:keyward:acr:mfa";

/// `amr` (RFC 8176) and `acr` for a portal session's sign-in: `mfa_method` is the session's
/// second factor (`totp`, `webauthn`, `passkey`, `recovery`), if any.
pub fn authentication_methods(mfa_method: Option<&str>) -> (Vec<&'static str>, &'static str) {
    match mfa_method {
        None => (vec!["pwd"], ACR_PASSWORD),
        Some("totp") => (vec!["pwd", "otp", "mfa"], ACR_MFA),
        Some("passkey") => (vec!["swk", "user", "mfa"], ACR_MFA),
        Some("recovery-code") => (vec!["pwd", "otp", "mfa"], ACR_MFA),
        Some(_) => (vec!["pwd", "hwk", "mfa"], ACR_MFA),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_choose_the_identity_claims() {
        let p = Profile {
            subject: "AIDAEXAMPLE".into(),
            arn: "arn:aws:iam::111122223333:user/alice".into(),
            account_id: "111122223333".into(),
            principal: Principal::User("AIDAEXAMPLE".into()),
            user_name: "alice".into(),
            name: "Alice Liddell".into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
            groups: vec!["admins".into()],
        };
        let mut none = Map::new();
        add_profile_claims(&mut none, &p, ["openid"].into_iter());
        assert!(none.is_empty());
        let mut all = Map::new();
        add_profile_claims(&mut all, &p, "openid profile email groups".split(' '));
        assert_eq!(all["preferred_username"], "alice");
        assert_eq!(all["name"], "Alice Liddell");
        assert_eq!(all["email"], "alice@example.com");
        assert_eq!(all["email_verified"], true);
        assert_eq!(all["groups"], serde_json::json!(["admins"]));
    }

    #[test]
    fn a_second_factor_shows_in_amr_and_acr() {
        assert_eq!(authentication_methods(None), (vec!["pwd"], ACR_PASSWORD));
        assert_eq!(authentication_methods(Some("totp")).1, ACR_MFA);
        assert!(authentication_methods(Some("webauthn")).0.contains(&"hwk"));
        assert!(!authentication_methods(Some("passkey")).0.contains(&"pwd"));
    }
}
