//! Console passwords of IAM users (login profiles), the account password policy, and users
//! changing their own password. Hashing (argon2id, ~30 ms) happens outside write transactions.

use super::call::Call;
use super::{users, IamError};
use crate::auth::password;
use crate::auth::password_policy::{
    self, Applicable, PasswordPolicy, MAX_AGE_RANGE, MIN_LENGTH_RANGE, REUSE_RANGE,
};
use crate::context::ServiceContext;
use crate::secrets::{ExposeSecret, SecretString};
use crate::storage::schema::{
    account_password_policies, console_sessions, login_profiles, password_history, root_users,
};
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = account_password_policies)]
struct PolicyRow {
    account_id: String,
    minimum_length: i32,
    require_symbols: bool,
    require_numbers: bool,
    require_uppercase: bool,
    require_lowercase: bool,
    allow_users_to_change: bool,
    max_password_age: Option<i32>,
    password_reuse_prevention: Option<i32>,
    hard_expiry: bool,
}

fn to_policy(r: PolicyRow) -> PasswordPolicy {
    let u = |v: i32| u32::try_from(v).unwrap_or(0);
    PasswordPolicy {
        minimum_length: u(r.minimum_length),
        require_symbols: r.require_symbols,
        require_numbers: r.require_numbers,
        require_uppercase: r.require_uppercase,
        require_lowercase: r.require_lowercase,
        allow_users_to_change: r.allow_users_to_change,
        max_age_days: r.max_password_age.map(u),
        reuse_prevention: r.password_reuse_prevention.map(u),
        hard_expiry: r.hard_expiry,
    }
}

pub(crate) fn stored_policy(
    conn: &mut DbConnection,
    account_id: &str,
) -> Result<Option<PasswordPolicy>, StorageError> {
    Ok(account_password_policies::table
        .find(account_id)
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()?
        .map(to_policy))
}

pub fn get_policy(ctx: &ServiceContext, account_id: &str) -> Result<PasswordPolicy, IamError> {
    ctx.store
        .read(|conn| stored_policy(conn, account_id))?
        .ok_or_else(|| {
            IamError::NoSuchEntity(format!(
                "The Password Policy with domain name {account_id} cannot be found."
            ))
        })
}

fn in_range(name: &str, value: u32, range: std::ops::RangeInclusive<u32>) -> Result<i32, IamError> {
    if range.contains(&value) {
        Ok(i32::try_from(value).unwrap_or(i32::MAX))
    } else {
        Err(IamError::Validation(format!(
            "1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: \
             Member must have value between {} and {}",
            range.start(),
            range.end()
        )))
    }
}

pub fn update_policy(
    ctx: &ServiceContext,
    call: &Call,
    p: &PasswordPolicy,
) -> Result<(), IamError> {
    let row = PolicyRow {
        account_id: call.account_id.clone(),
        minimum_length: in_range("minimumPasswordLength", p.minimum_length, MIN_LENGTH_RANGE)?,
        require_symbols: p.require_symbols,
        require_numbers: p.require_numbers,
        require_uppercase: p.require_uppercase,
        require_lowercase: p.require_lowercase,
        allow_users_to_change: p.allow_users_to_change,
        max_password_age: p
            .max_age_days
            .map(|d| in_range("maxPasswordAge", d, MAX_AGE_RANGE))
            .transpose()?,
        password_reuse_prevention: p
            .reuse_prevention
            .map(|n| in_range("passwordReusePrevention", n, REUSE_RANGE))
            .transpose()?,
        hard_expiry: p.hard_expiry,
    };
    ctx.change(|conn| {
        diesel::delete(account_password_policies::table.find(&call.account_id)).execute(conn)?;
        diesel::insert_into(account_password_policies::table)
            .values(&row)
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "UpdateAccountPasswordPolicy",
            json!({ "minimumPasswordLength": p.minimum_length }),
        )?;
        Ok(())
    })
}

pub fn delete_policy(ctx: &ServiceContext, call: &Call) -> Result<(), IamError> {
    ctx.change(|conn| {
        let removed = diesel::delete(account_password_policies::table.find(&call.account_id))
            .execute(conn)?;
        if removed == 0 {
            return Err(IamError::NoSuchEntity(format!(
                "The account policy with name PasswordPolicy cannot be found for account {}.",
                call.account_id
            )));
        }
        call.audit(ctx, conn, "DeleteAccountPasswordPolicy", json!({}))?;
        Ok(())
    })
}

#[derive(Debug, Clone)]
pub struct LoginProfile {
    pub user_name: String,
    pub created_at: NaiveDateTime,
    pub password_reset_required: bool,
}

fn profile_not_found(user: &str) -> IamError {
    IamError::NoSuchEntity(format!("Login Profile for User {user} cannot be found."))
}

/// Checks a new password against the account's policy and, with reuse prevention, the user's
/// last ones, then hashes it. Runs outside any transaction: the up to 24 argon2id checks of
/// the reuse rule must not hold the store's write lock (on SQLite they would stop every
/// writer).
fn vetted_hash(
    ctx: &ServiceContext,
    account_id: &str,
    user_id: &str,
    user_name: &str,
    new: &SecretString,
) -> Result<String, IamError> {
    let (policy, recent) = ctx.store.read(|conn| {
        let policy = stored_policy(conn, account_id)?;
        let recent: Vec<String> = match policy.as_ref().and_then(|p| p.reuse_prevention) {
            Some(n) => password_history::table
                .filter(password_history::user_id.eq(user_id))
                .order(password_history::changed_at.desc())
                .limit(i64::from(n))
                .select(password_history::password_hash)
                .load(conn)?,
            None => Vec::new(),
        };
        Ok::<_, StorageError>((policy, recent))
    })?;
    let applicable = policy.map_or(Applicable::Default, Applicable::Account);
    let problems = password_policy::violations(&applicable, new.expose_secret(), user_name);
    if !problems.is_empty() {
        return Err(IamError::PasswordPolicyViolation(format!(
            "Password does not conform to the account password policy. {}",
            problems.join(" ")
        )));
    }
    let offered = new.clone();
    let reused = on_pool(ctx, move || {
        recent
            .iter()
            .any(|old| password::verify(&offered, old).unwrap_or(false))
    })?;
    if reused {
        return Err(IamError::PasswordPolicyViolation(
            "Password does not conform to the account password policy. \
             The password was used recently; choose another."
                .into(),
        ));
    }
    hash(ctx, new)
}

/// Ends what a principal's old password opened: its console sessions (but `keep`, the one
/// that made the change) and every OpenID Connect grant it gave (their refresh and access
/// tokens stop working). A password that was reset, changed or removed may have been known
/// to someone else; whatever that person signed in to must not outlive it.
fn end_console_access(
    conn: &mut DbConnection,
    account_id: &str,
    user_id: Option<&str>,
    keep: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    use crate::storage::schema::oidc_grants;
    let of_account = console_sessions::table
        .filter(console_sessions::account_id.eq(account_id))
        .filter(console_sessions::id_hash.ne(keep.unwrap_or("")));
    match user_id {
        Some(id) => {
            diesel::delete(of_account.filter(console_sessions::user_id.eq(id))).execute(conn)?
        }
        None => {
            diesel::delete(of_account.filter(console_sessions::user_id.is_null())).execute(conn)?
        }
    };
    let subject = user_id.unwrap_or(account_id);
    diesel::update(
        oidc_grants::table
            .filter(oidc_grants::account_id.eq(account_id))
            .filter(oidc_grants::subject.eq(subject))
            .filter(oidc_grants::revoked_at.is_null()),
    )
    .set(oidc_grants::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Checks a principal's current password, as a guess: reserved against the principal's and
/// the caller's address's throttle first (`storage::throttle`), so that a change-password
/// form or `ChangePassword` call is no faster an oracle than the sign-in page.
fn check_old(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    old: &SecretString,
    stored: &str,
) -> Result<(), IamError> {
    use crate::auth::throttle::Verdict;
    use crate::storage::throttle::{self, Key};
    let mut keys = vec![Key::user(&call.account_id, name)];
    if let Some(ip) = &call.meta.source_ip {
        keys.push(Key::address(ip));
    }
    let now = ctx.clock.now_naive();
    if let Verdict::Blocked { .. } = throttle::reserve(&ctx.store, &keys, now)? {
        return Err(IamError::Throttled(
            "Too many incorrect passwords; try again later.".into(),
        ));
    }
    let (offered, stored) = (old.clone(), stored.to_string());
    let right = on_pool(ctx, move || password::verify(&offered, &stored))?
        .map_err(|e| IamError::Internal(e.to_string()))?;
    if !right {
        throttle::failed(&ctx.store, &*ctx.clock, &keys)?;
        return Err(IamError::InvalidInput(
            "The old password is incorrect.".into(),
        ));
    }
    ctx.store.write(|conn| throttle::succeeded(conn, &keys))?;
    Ok(())
}

/// Runs argon2id work on the context's bounded password threads; when they are all busy and
/// their queue is full, the caller is told to come back (`Throttling`).
fn on_pool<T: Send + 'static>(
    ctx: &ServiceContext,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, IamError> {
    ctx.hashing.wait(work).map_err(|e| match e {
        crate::auth::hash_pool::PoolError::Busy => IamError::Throttled(
            "Too many password operations are waiting; try again shortly.".into(),
        ),
        crate::auth::hash_pool::PoolError::Stopped => IamError::Internal(e.to_string()),
    })
}

fn hash(ctx: &ServiceContext, secret: &SecretString) -> Result<String, IamError> {
    let (secret, random) = (secret.clone(), ctx.random.clone());
    on_pool(ctx, move || password::hash(&secret, random.as_ref()))?
        .map_err(|e| IamError::Internal(e.to_string()))
}

fn remember(
    conn: &mut DbConnection,
    user_id: &str,
    hash: &str,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::insert_into(password_history::table)
        .values((
            password_history::user_id.eq(user_id),
            password_history::password_hash.eq(hash),
            password_history::changed_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn create_profile(
    ctx: &ServiceContext,
    call: &Call,
    user_name: &str,
    new: &SecretString,
    reset_required: bool,
) -> Result<LoginProfile, IamError> {
    let user = ctx
        .store
        .read(|conn| users::find(conn, &call.account_id, user_name))?;
    let hashed = vetted_hash(ctx, &call.account_id, &user.id, &user.name, new)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let user = users::get_by_id_in(conn, &user.id)?;
        diesel::insert_into(login_profiles::table)
            .values((
                login_profiles::user_id.eq(&user.id),
                login_profiles::password_hash.eq(&hashed),
                login_profiles::must_change_password.eq(reset_required),
                login_profiles::password_changed_at.eq(now),
                login_profiles::created_at.eq(now),
            ))
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "Login Profile for user {user_name} already exists."
                )),
                other => other.into(),
            })?;
        remember(conn, &user.id, &hashed, now)?;
        call.audit(
            ctx,
            conn,
            "CreateLoginProfile",
            json!({ "userName": user_name, "passwordResetRequired": reset_required }),
        )?;
        Ok(LoginProfile {
            user_name: user.name,
            created_at: now,
            password_reset_required: reset_required,
        })
    })
}

pub fn get_profile(
    ctx: &ServiceContext,
    account_id: &str,
    user_name: &str,
) -> Result<LoginProfile, IamError> {
    ctx.store.read(|conn| {
        let user = users::find(conn, account_id, user_name)?;
        let (created_at, reset) = login_profiles::table
            .find(&user.id)
            .select((
                login_profiles::created_at,
                login_profiles::must_change_password,
            ))
            .first::<(NaiveDateTime, bool)>(conn)
            .optional()?
            .ok_or_else(|| profile_not_found(user_name))?;
        Ok(LoginProfile {
            user_name: user.name,
            created_at,
            password_reset_required: reset,
        })
    })
}

pub fn update_profile(
    ctx: &ServiceContext,
    call: &Call,
    user_name: &str,
    new: Option<&SecretString>,
    reset_required: Option<bool>,
) -> Result<(), IamError> {
    let found = ctx
        .store
        .read(|conn| users::find(conn, &call.account_id, user_name))?;
    let hashed = new
        .map(|p| vetted_hash(ctx, &call.account_id, &found.id, &found.name, p))
        .transpose()?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let user = users::get_by_id_in(conn, &found.id)?;
        let exists: i64 = login_profiles::table
            .find(&user.id)
            .count()
            .get_result(conn)?;
        if exists == 0 {
            return Err(profile_not_found(user_name));
        }
        if let Some(hashed) = &hashed {
            diesel::update(login_profiles::table.find(&user.id))
                .set((
                    login_profiles::password_hash.eq(hashed),
                    login_profiles::password_changed_at.eq(now),
                ))
                .execute(conn)?;
            remember(conn, &user.id, hashed, now)?;
            end_console_access(conn, &call.account_id, Some(&user.id), None, now)?;
        }
        if let Some(reset) = reset_required {
            diesel::update(login_profiles::table.find(&user.id))
                .set(login_profiles::must_change_password.eq(reset))
                .execute(conn)?;
        }
        call.audit(
            ctx,
            conn,
            "UpdateLoginProfile",
            json!({ "userName": user_name, "passwordResetRequired": reset_required }),
        )?;
        Ok(())
    })
}

pub fn delete_profile(ctx: &ServiceContext, call: &Call, user_name: &str) -> Result<(), IamError> {
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let user = users::find(conn, &call.account_id, user_name)?;
        let removed = diesel::delete(login_profiles::table.find(&user.id)).execute(conn)?;
        if removed == 0 {
            return Err(profile_not_found(user_name));
        }
        // Without a password the user has no console: its sessions and grants end with it.
        end_console_access(conn, &call.account_id, Some(&user.id), None, now)?;
        call.audit(
            ctx,
            conn,
            "DeleteLoginProfile",
            json!({ "userName": user_name }),
        )?;
        Ok(())
    })
}

/// A user changes its own password: the old one must match and the new one pass the policy.
/// The user's other console sessions (all but `keep`, the one that made the change) and its
/// OpenID Connect grants end.
pub fn change_own(
    ctx: &ServiceContext,
    call: &Call,
    user_id: &str,
    old: &SecretString,
    new: &SecretString,
    keep: Option<&str>,
) -> Result<(), IamError> {
    let (user, stored) = ctx.store.read(|conn| {
        let user = users::get_by_id_in(conn, user_id)?;
        let stored: Option<String> = login_profiles::table
            .find(user_id)
            .select(login_profiles::password_hash)
            .first::<String>(conn)
            .optional()?;
        Ok::<_, IamError>((user, stored))
    })?;
    let Some(stored) = stored else {
        return Err(IamError::NoSuchEntity(
            "The user does not have a login profile.".into(),
        ));
    };
    check_old(ctx, call, &user.name, old, &stored)?;
    let hashed = vetted_hash(ctx, &call.account_id, user_id, &user.name, new)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let user = users::get_by_id_in(conn, user_id)?;
        diesel::update(login_profiles::table.find(user_id))
            .set((
                login_profiles::password_hash.eq(&hashed),
                login_profiles::password_changed_at.eq(now),
                login_profiles::must_change_password.eq(false),
            ))
            .execute(conn)?;
        remember(conn, user_id, &hashed, now)?;
        end_console_access(conn, &call.account_id, Some(user_id), keep, now)?;
        call.audit(
            ctx,
            conn,
            "ChangePassword",
            json!({ "userName": user.name }),
        )?;
        Ok(())
    })
}

/// The rules for the root user's password, for the change-password page.
pub const ROOT_RULES: &str = "Passwords need at least 8 characters with at least three of: upper \
     case letters, lower case letters, numbers, symbols.";

/// The account's password rules in one sentence (IAM's default when it has no policy).
pub fn rules_text(ctx: &ServiceContext, account_id: &str) -> Result<String, IamError> {
    let policy = ctx.store.read(|conn| stored_policy(conn, account_id))?;
    Ok(password_policy::describe(
        &policy.map_or(Applicable::Default, Applicable::Account),
    ))
}

/// The root user changes its own password: the old one must match, and the new one pass
/// IAM's default rules (the account's password policy applies to IAM users only, as on AWS).
pub fn change_root(
    ctx: &ServiceContext,
    call: &Call,
    old: &SecretString,
    new: &SecretString,
    keep: Option<&str>,
) -> Result<(), IamError> {
    let (login, stored): (String, String) = ctx.store.read(|conn| {
        root_users::table
            .find(&call.account_id)
            .select((root_users::login, root_users::password_hash))
            .first(conn)
            .map_err(StorageError::from)
    })?;
    check_old(ctx, call, &login, old, &stored)?;
    let problems = password_policy::violations(&Applicable::Default, new.expose_secret(), "root");
    if !problems.is_empty() {
        return Err(IamError::PasswordPolicyViolation(format!(
            "Password does not conform to the password rules. {}",
            problems.join(" ")
        )));
    }
    let (offered, current) = (new.clone(), stored.clone());
    if on_pool(ctx, move || {
        password::verify(&offered, &current).unwrap_or(false)
    })? {
        return Err(IamError::PasswordPolicyViolation(
            "The new password must differ from the current one.".into(),
        ));
    }
    let hashed = hash(ctx, new)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        diesel::update(root_users::table.find(&call.account_id))
            .set((
                root_users::password_hash.eq(&hashed),
                root_users::password_changed_at.eq(now),
                root_users::must_change_password.eq(false),
            ))
            .execute(conn)?;
        end_console_access(conn, &call.account_id, None, keep, now)?;
        call.audit(ctx, conn, "ChangePassword", json!({ "userName": "root" }))?;
        Ok(())
    })
}

/// Whether users of the account may change their own password without an IAM permission.
pub fn users_may_change(ctx: &ServiceContext, account_id: &str) -> Result<bool, IamError> {
    Ok(ctx
        .store
        .read(|conn| stored_policy(conn, account_id))?
        .is_some_and(|p| p.allow_users_to_change))
}
