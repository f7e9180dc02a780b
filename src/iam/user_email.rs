//! An IAM user's email address: a Keyward extension (AWS IAM users have none), set only by
//! callers allowed `keyward:SetUserEmail` on the user, never derived from the user's tags.
//!
//! ID tokens and UserInfo carry it as `email`, and `email_verified` says whether the
//! administrator who set it vouches for it. A relying party may link accounts or grant access
//! by a verified address, so whoever may set one may act as its owner there: that is why it is
//! not a tag (which `iam:TagUser`, often granted on oneself, could write) and why
//! `PowerUserAccess` does not grant it.
//!
//! An address belongs to at most one user of an account, ignoring case; the unique index on
//! `(account_id, lower(email))` decides under concurrent writes. Addresses are printable ASCII
//! (see [`check_address`]), so that "ignoring case" means the same on both stores and no two
//! users hold addresses that a relying party's Unicode folding would make equal.

use super::call::Call;
use super::{users, IamError};
use crate::audit::EventSource;
use crate::context::ServiceContext;
use crate::storage::schema::users as user_rows;
use crate::storage::StorageError;
use diesel::prelude::*;
use serde_json::json;

/// The longest address accepted: RFC 5321's limit on a forward path (254 characters once its
/// angle brackets are removed). A longer one could not be delivered to, so it is refused rather
/// than stored.
pub const MAX_ADDRESS_LEN: usize = 254;

/// The longest local part (before the `@`), RFC 5321 section 4.5.3.1.1.
const MAX_LOCAL_LEN: usize = 64;

/// A user's address as administrators set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEmail {
    pub user_name: String,
    pub email: Option<String>,
    pub email_verified: bool,
}

fn invalid(address: &str, why: &str) -> IamError {
    IamError::Validation(format!(
        "The email address {address:?} is not valid: {why}."
    ))
}

/// Characters RFC 5322 allows unquoted in a local part (`atext`), besides letters and digits.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// Checks an address's syntax: at most [`MAX_ADDRESS_LEN`] characters, printable ASCII without
/// spaces, exactly one `@`, an unquoted local part (RFC 5322 `dot-atom`) of at most 64
/// characters, and a domain of dot-separated labels of letters, digits and hyphens.
pub fn check_address(address: &str) -> Result<(), IamError> {
    if address.len() > MAX_ADDRESS_LEN {
        return Err(invalid(
            address,
            &format!("it is longer than {MAX_ADDRESS_LEN} characters"),
        ));
    }
    if let Some(c) = address.chars().find(|c| !c.is_ascii_graphic()) {
        let what = if c.is_whitespace() {
            "spaces".to_string()
        } else if c.is_control() {
            "control characters".to_string()
        } else {
            format!("the character {c:?} (addresses are ASCII)")
        };
        return Err(invalid(address, &format!("it may not contain {what}")));
    }
    let mut parts = address.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid(address, "it must contain exactly one @"));
    };
    let dot_atom = |text: &str, allowed: fn(char) -> bool| {
        !text.is_empty()
            && text
                .split('.')
                .all(|atom| !atom.is_empty() && atom.chars().all(allowed))
    };
    if local.len() > MAX_LOCAL_LEN || !dot_atom(local, is_atext) {
        return Err(invalid(
            address,
            "the part before the @ must be at most 64 letters, digits or !#$%&'*+-/=?^_`{|}~, with single dots between them",
        ));
    }
    let label = |c: char| c.is_ascii_alphanumeric() || c == '-';
    let ends_ok = domain
        .split('.')
        .all(|l| !l.starts_with('-') && !l.ends_with('-'));
    if !dot_atom(domain, label) || !ends_ok {
        return Err(invalid(
            address,
            "the part after the @ must be a domain name (labels of letters, digits and hyphens, separated by dots)",
        ));
    }
    Ok(())
}

/// The address of the user `name` of the account.
pub fn get(ctx: &ServiceContext, account_id: &str, name: &str) -> Result<UserEmail, IamError> {
    ctx.store.read(|conn| {
        let user = users::find(conn, account_id, name)?;
        Ok(UserEmail {
            user_name: user.name,
            email: user.email,
            email_verified: user.email_verified,
        })
    })
}

/// Sets (or, with `None`, removes) the address of the user `name`; `verified` says whether the
/// caller vouches for it (always false without an address). Audited as `SetUserEmail`.
pub fn set(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    email: Option<&str>,
    verified: bool,
) -> Result<UserEmail, IamError> {
    if let Some(address) = email {
        check_address(address)?;
    }
    let verified = verified && email.is_some();
    ctx.store.write(|conn| {
        let user = users::find(conn, &call.account_id, name)?;
        diesel::update(user_rows::table.find(&user.id))
            .set((
                user_rows::email.eq(email),
                user_rows::email_verified.eq(verified),
            ))
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "The email address {} is already the address of another user of the account.",
                    email.unwrap_or_default()
                )),
                other => IamError::Storage(other),
            })?;
        call.record(
            ctx,
            conn,
            EventSource::Keyward,
            "SetUserEmail",
            json!({ "userName": user.name, "email": email, "emailVerified": verified }),
        )?;
        Ok(UserEmail {
            user_name: user.name,
            email: email.map(str::to_string),
            email_verified: verified,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_pass() {
        for ok in [
            "alice@example.com",
            "Alice.Liddell+photos@Mail.Example.co.uk",
            "o'brien@x-y.example",
            "a@localhost",
        ] {
            assert!(check_address(ok).is_ok(), "{ok}");
        }
        let longest = format!("{}@{}.com", "a".repeat(64), "b".repeat(185));
        assert_eq!(longest.len(), MAX_ADDRESS_LEN);
        assert!(check_address(&longest).is_ok());
    }

    #[test]
    fn malformed_addresses_are_refused_with_the_reason() {
        let reason = |address: &str| match check_address(address) {
            Err(IamError::Validation(m)) => m,
            other => panic!("{address}: {other:?}"),
        };
        assert!(reason("alice").contains("exactly one @"));
        assert!(reason("a@b@example.com").contains("exactly one @"));
        assert!(reason("alice @example.com").contains("spaces"));
        assert!(reason("alice@example.com\n").contains("spaces"));
        assert!(reason("alice\u{0}@example.com").contains("control"));
        assert!(reason("ａlice@example.com").contains("ASCII"));
        assert!(reason("@example.com").contains("before the @"));
        assert!(reason(".alice@example.com").contains("before the @"));
        assert!(reason("al..ice@example.com").contains("before the @"));
        assert!(reason("\"al\"@example.com").contains("before the @"));
        assert!(reason(&format!("{}@example.com", "a".repeat(65))).contains("before the @"));
        assert!(reason("alice@").contains("after the @"));
        assert!(reason("alice@example..com").contains("after the @"));
        assert!(reason("alice@-example.com").contains("after the @"));
        assert!(reason("alice@[127.0.0.1]").contains("after the @"));
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
        assert!(reason(&long).contains("longer than 254"));
    }
}
