//! Who signs in: the root user or an IAM user with a console password, found by the name typed
//! on the sign-in form, or by id for everything that already knows its principal (a session,
//! a passkey). A name is never turned back into a principal once the id is known: a user may
//! be renamed to anything an administrator allows.

use super::sessions::Session;
use crate::credentials::Principal as Who;
use crate::iam;
use crate::storage::schema::{accounts, login_profiles, mfa_devices, root_users, users};
use crate::storage::sql::lower;
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The principal a user name names, with what sign-in needs to know about it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: String,
    /// The root user or the IAM user (never a federated principal: those sign in elsewhere).
    pub who: Who,
    pub name: String,
    pub arn: String,
    pub password_hash: String,
    pub must_change: bool,
    pub changed_at: NaiveDateTime,
    pub has_mfa: bool,
}

/// The account an id or alias names.
pub fn resolve_account(
    conn: &mut DbConnection,
    text: &str,
) -> Result<Option<String>, StorageError> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(accounts::table
        .filter(accounts::id.eq(&text).or(accounts::alias.eq(&text)))
        .select(accounts::id)
        .first(conn)
        .optional()?)
}

/// The root user (by its login) or the IAM user with a login profile that `name` names.
/// The root login is matched first; IAM user names never take it (`iam::users` reserves it).
pub fn find_principal(
    conn: &mut DbConnection,
    account_id: &str,
    name: &str,
) -> Result<Option<Principal>, StorageError> {
    let is_root: i64 = root_users::table
        .find(account_id)
        .filter(lower(root_users::login).eq(name.to_lowercase()))
        .count()
        .get_result(conn)?;
    if is_root > 0 {
        return root_principal(conn, account_id);
    }
    let user_id: Option<String> = users::table
        .filter(users::account_id.eq(account_id))
        .filter(lower(users::name).eq(name.to_lowercase()))
        .select(users::id)
        .first(conn)
        .optional()?;
    match user_id {
        Some(id) => user_principal(conn, account_id, &id),
        None => Ok(None),
    }
}

/// The account's root user.
pub(super) fn root_principal(
    conn: &mut DbConnection,
    account_id: &str,
) -> Result<Option<Principal>, StorageError> {
    let root: Option<(String, String, bool, NaiveDateTime)> = root_users::table
        .find(account_id)
        .select((
            root_users::login,
            root_users::password_hash,
            root_users::must_change_password,
            root_users::password_changed_at,
        ))
        .first(conn)
        .optional()?;
    let Some((login, hash, must_change, changed_at)) = root else {
        return Ok(None);
    };
    let devices: i64 = mfa_devices::table
        .filter(mfa_devices::account_id.eq(account_id))
        .filter(mfa_devices::user_id.is_null())
        .filter(mfa_devices::external_provider.is_null())
        .filter(mfa_devices::enabled.eq(true))
        .count()
        .get_result(conn)?;
    Ok(Some(Principal {
        account_id: account_id.to_string(),
        who: Who::Root,
        name: login,
        arn: iam::arn::root(account_id),
        password_hash: hash,
        must_change,
        changed_at,
        has_mfa: devices > 0,
    }))
}

/// The IAM user with this id in this account, if it has a login profile. Found by id only:
/// a user's name may be anything an administrator renamed it to.
pub(super) fn user_principal(
    conn: &mut DbConnection,
    account_id: &str,
    user_id: &str,
) -> Result<Option<Principal>, StorageError> {
    let user: Option<(String, String, String, String, bool, NaiveDateTime)> = users::table
        .inner_join(login_profiles::table)
        .filter(users::id.eq(user_id))
        .filter(users::account_id.eq(account_id))
        .select((
            users::id,
            users::name,
            users::path,
            login_profiles::password_hash,
            login_profiles::must_change_password,
            login_profiles::password_changed_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, name, path, hash, must_change, changed_at)) = user else {
        return Ok(None);
    };
    let devices: i64 = mfa_devices::table
        .filter(mfa_devices::user_id.eq(&id))
        .filter(mfa_devices::enabled.eq(true))
        .count()
        .get_result(conn)?;
    Ok(Some(Principal {
        account_id: account_id.to_string(),
        arn: iam::arn::user(account_id, &path, &name),
        who: Who::User(id),
        name,
        password_hash: hash,
        must_change,
        changed_at,
        has_mfa: devices > 0,
    }))
}

/// The principal behind a session (it may have been deleted since).
pub(super) fn session_principal(
    conn: &mut DbConnection,
    session: &Session,
) -> Result<Option<Principal>, StorageError> {
    match session.owner() {
        Some(owner) => principal_of(conn, &session.account_id, &owner),
        None => Ok(None),
    }
}

/// The principal that owns devices: an IAM user (by id), or the account's root user; an
/// external identity's devices belong to no principal that signs in with a password.
pub(super) fn principal_of(
    conn: &mut DbConnection,
    account_id: &str,
    owner: &iam::mfa::Owner,
) -> Result<Option<Principal>, StorageError> {
    match owner {
        iam::mfa::Owner::User(id) => user_principal(conn, account_id, id),
        iam::mfa::Owner::Root(_) => root_principal(conn, account_id),
        iam::mfa::Owner::External { .. } => Ok(None),
    }
}
