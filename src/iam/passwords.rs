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

/// Checks a new password against the policy and, with reuse prevention, the user's last ones.
fn check_new(
    conn: &mut DbConnection,
    account_id: &str,
    user_id: &str,
    user_name: &str,
    new: &SecretString,
) -> Result<(), IamError> {
    let policy = stored_policy(conn, account_id)?;
    let applicable = policy
        .clone()
        .map_or(Applicable::Default, Applicable::Account);
    let problems = password_policy::violations(&applicable, new.expose_secret(), user_name);
    if !problems.is_empty() {
        return Err(IamError::PasswordPolicyViolation(format!(
            "Password does not conform to the account password policy. {}",
            problems.join(" ")
        )));
    }
    if let Some(n) = policy.and_then(|p| p.reuse_prevention) {
        let recent: Vec<String> = password_history::table
            .filter(password_history::user_id.eq(user_id))
            .order(password_history::changed_at.desc())
            .limit(i64::from(n))
            .select(password_history::password_hash)
            .load(conn)?;
        for old in recent {
            if password::verify(new, &old).unwrap_or(false) {
                return Err(IamError::PasswordPolicyViolation(
                    "Password does not conform to the account password policy. \
                     The password was used recently; choose another."
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

fn hash(ctx: &ServiceContext, secret: &SecretString) -> Result<String, IamError> {
    password::hash(secret, ctx.random.as_ref()).map_err(|e| IamError::Internal(e.to_string()))
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
    let hashed = hash(ctx, new)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let user = users::find(conn, &call.account_id, user_name)?;
        check_new(conn, &call.account_id, &user.id, &user.name, new)?;
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
    let hashed = new.map(|p| hash(ctx, p)).transpose()?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let user = users::find(conn, &call.account_id, user_name)?;
        let exists: i64 = login_profiles::table
            .find(&user.id)
            .count()
            .get_result(conn)?;
        if exists == 0 {
            return Err(profile_not_found(user_name));
        }
        if let (Some(new), Some(hashed)) = (new, &hashed) {
            check_new(conn, &call.account_id, &user.id, &user.name, new)?;
            diesel::update(login_profiles::table.find(&user.id))
                .set((
                    login_profiles::password_hash.eq(hashed),
                    login_profiles::password_changed_at.eq(now),
                ))
                .execute(conn)?;
            remember(conn, &user.id, hashed, now)?;
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
    ctx.change(|conn| {
        let user = users::find(conn, &call.account_id, user_name)?;
        let removed = diesel::delete(login_profiles::table.find(&user.id)).execute(conn)?;
        if removed == 0 {
            return Err(profile_not_found(user_name));
        }
        // Without a password the user has no console: its sessions end with it.
        diesel::delete(console_sessions::table.filter(console_sessions::user_id.eq(&user.id)))
            .execute(conn)?;
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
pub fn change_own(
    ctx: &ServiceContext,
    call: &Call,
    user_id: &str,
    old: &SecretString,
    new: &SecretString,
) -> Result<(), IamError> {
    let stored: Option<String> = ctx.store.read(|conn| {
        login_profiles::table
            .find(user_id)
            .select(login_profiles::password_hash)
            .first::<String>(conn)
            .optional()
            .map_err(StorageError::from)
    })?;
    let Some(stored) = stored else {
        return Err(IamError::NoSuchEntity(
            "The user does not have a login profile.".into(),
        ));
    };
    if !password::verify(old, &stored).map_err(|e| IamError::Internal(e.to_string()))? {
        return Err(IamError::InvalidInput(
            "The old password is incorrect.".into(),
        ));
    }
    let hashed = hash(ctx, new)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let user = users::get_by_id_in(conn, user_id)?;
        check_new(conn, &call.account_id, user_id, &user.name, new)?;
        diesel::update(login_profiles::table.find(user_id))
            .set((
                login_profiles::password_hash.eq(&hashed),
                login_profiles::password_changed_at.eq(now),
                login_profiles::must_change_password.eq(false),
            ))
            .execute(conn)?;
        remember(conn, user_id, &hashed, now)?;
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
) -> Result<(), IamError> {
    let stored: String = ctx.store.read(|conn| {
        root_users::table
            .find(&call.account_id)
            .select(root_users::password_hash)
            .first::<String>(conn)
            .map_err(StorageError::from)
    })?;
    if !password::verify(old, &stored).map_err(|e| IamError::Internal(e.to_string()))? {
        return Err(IamError::InvalidInput(
            "The old password is incorrect.".into(),
        ));
    }
    let problems = password_policy::violations(&Applicable::Default, new.expose_secret(), "root");
    if !problems.is_empty() {
        return Err(IamError::PasswordPolicyViolation(format!(
            "Password does not conform to the password rules. {}",
            problems.join(" ")
        )));
    }
    if password::verify(new, &stored).unwrap_or(false) {
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
