//! Profiles: which roles a certificate's holder may get through them, and how. A profile names
//! its roles (the account's own), the managed policies and the session policy that narrow the
//! session, the session's duration (900 to 43200 seconds; 3600 unless given), whether a
//! session needs instance properties, and whether the caller may name its role session (AWS's
//! `acceptRoleSessionName`; otherwise the session is named after the certificate). Disabled,
//! it hands out nothing.

use super::tags::{self, Tag};
use super::{check_name, corrupt, invalid, new_id, not_found, Kind, Stamps, Switch};
use crate::audit::EventSource;
use crate::context::ServiceContext;
use crate::iam::{Call, IamError};
use crate::policy::{Policy, PolicyKind};
use crate::storage::schema::ra_profiles as table;
use crate::storage::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

pub const DEFAULT_DURATION_SECONDS: i32 = 3600;
pub const MIN_DURATION_SECONDS: i32 = 900;
pub const MAX_DURATION_SECONDS: i32 = 43200;
/// The most roles and managed policies a profile names (the API's list limits).
pub const MAX_ROLES: usize = 250;
pub const MAX_MANAGED_POLICIES: usize = 50;
/// The longest session policy, in characters.
pub const MAX_SESSION_POLICY_CHARS: usize = 100_000;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = table)]
struct Row {
    id: String,
    account_id: String,
    name: String,
    role_arns: String,
    session_policy: Option<String>,
    managed_policy_arns: String,
    duration_seconds: i32,
    require_instance_properties: bool,
    accept_role_session_name: bool,
    enabled: bool,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub role_arns: Vec<String>,
    pub session_policy: Option<String>,
    pub managed_policy_arns: Vec<String>,
    pub duration_seconds: i32,
    pub require_instance_properties: bool,
    pub accept_role_session_name: bool,
    pub enabled: bool,
    /// The ARN of whoever created it.
    pub created_by: String,
    pub stamps: Stamps,
}

impl Profile {
    fn from_row(row: Row) -> Result<Self, IamError> {
        Ok(Profile {
            role_arns: serde_json::from_str(&row.role_arns).map_err(corrupt)?,
            managed_policy_arns: serde_json::from_str(&row.managed_policy_arns).map_err(corrupt)?,
            stamps: Stamps {
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
            id: row.id,
            account_id: row.account_id,
            name: row.name,
            session_policy: row.session_policy,
            duration_seconds: row.duration_seconds,
            require_instance_properties: row.require_instance_properties,
            accept_role_session_name: row.accept_role_session_name,
            enabled: row.enabled,
            created_by: row.created_by,
        })
    }
}

/// A new profile, or a change of one: `None` keeps what is stored.
#[derive(Debug, Default)]
pub struct Shape {
    pub name: Option<String>,
    pub role_arns: Option<Vec<String>>,
    pub session_policy: Option<String>,
    pub managed_policy_arns: Option<Vec<String>>,
    pub duration_seconds: Option<i32>,
    pub require_instance_properties: Option<bool>,
    pub accept_role_session_name: Option<bool>,
    pub enabled: Option<bool>,
    pub tags: Vec<Tag>,
}

/// `arn:aws:iam::<account>:role/<path><name>` of the profile's own account.
fn check_role_arn(account_id: &str, arn: &str) -> Result<(), IamError> {
    let fine = arn.len() <= 1011
        && arn
            .strip_prefix(&format!("arn:aws:iam::{account_id}:role/"))
            .is_some_and(|rest| {
                !rest.is_empty()
                    && !rest.ends_with('/')
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c))
            });
    if fine {
        Ok(())
    } else {
        Err(invalid(format!(
            "{arn} is not the ARN of a role of account {account_id}."
        )))
    }
}

/// A managed policy's ARN: the account's own or AWS's (`arn:aws:iam::aws:policy/...`).
fn check_policy_arn(account_id: &str, arn: &str) -> Result<(), IamError> {
    let fine = arn.len() <= 200
        && [account_id, "aws"].iter().any(|owner| {
            arn.strip_prefix(&format!("arn:aws:iam::{owner}:policy/"))
                .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
        });
    if fine {
        Ok(())
    } else {
        Err(invalid(format!(
            "{arn} is not the ARN of a managed policy."
        )))
    }
}

/// `shape` over `row`, every given field checked.
fn apply(mut row: Row, shape: &Shape) -> Result<Row, IamError> {
    if let Some(name) = &shape.name {
        check_name(name)?;
        row.name = name.clone();
    }
    if let Some(roles) = &shape.role_arns {
        if roles.len() > MAX_ROLES {
            return Err(invalid(format!(
                "A profile names at most {MAX_ROLES} roles."
            )));
        }
        for arn in roles {
            check_role_arn(&row.account_id, arn)?;
        }
        row.role_arns = serde_json::to_string(roles).map_err(corrupt)?;
    }
    if let Some(policies) = &shape.managed_policy_arns {
        if policies.len() > MAX_MANAGED_POLICIES {
            return Err(invalid(format!(
                "A profile names at most {MAX_MANAGED_POLICIES} managed policies."
            )));
        }
        for arn in policies {
            check_policy_arn(&row.account_id, arn)?;
        }
        row.managed_policy_arns = serde_json::to_string(policies).map_err(corrupt)?;
    }
    if let Some(document) = &shape.session_policy {
        if document.is_empty() || document.chars().count() > MAX_SESSION_POLICY_CHARS {
            return Err(invalid(format!(
                "A session policy is 1 to {MAX_SESSION_POLICY_CHARS} characters."
            )));
        }
        Policy::parse(document, PolicyKind::Session)
            .map_err(|e| invalid(format!("The session policy is not valid: {e}")))?;
        row.session_policy = Some(document.clone());
    }
    if let Some(seconds) = shape.duration_seconds {
        if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&seconds) {
            return Err(invalid(format!(
                "1 validation error detected: Value at 'durationSeconds' failed to satisfy \
                 constraint: Member must be between {MIN_DURATION_SECONDS} and \
                 {MAX_DURATION_SECONDS}"
            )));
        }
        row.duration_seconds = seconds;
    }
    if let Some(required) = shape.require_instance_properties {
        row.require_instance_properties = required;
    }
    if let Some(accept) = shape.accept_role_session_name {
        row.accept_role_session_name = accept;
    }
    Ok(row)
}

/// What the audit trail keeps of a profile.
fn audited(row: &Row) -> serde_json::Value {
    json!({
        "profileId": row.id,
        "name": row.name,
        "roleArns": serde_json::from_str::<serde_json::Value>(&row.role_arns).unwrap_or_default(),
        "managedPolicyArns": serde_json::from_str::<serde_json::Value>(&row.managed_policy_arns)
            .unwrap_or_default(),
        "sessionPolicy": row.session_policy,
        "durationSeconds": row.duration_seconds,
        "requireInstanceProperties": row.require_instance_properties,
        "acceptRoleSessionName": row.accept_role_session_name,
        "enabled": row.enabled,
    })
}

fn find(conn: &mut DbConnection, account_id: &str, id: &str) -> Result<Row, IamError> {
    table::table
        .filter(table::id.eq(id))
        .filter(table::account_id.eq(account_id))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(Kind::Profile, id))
}

fn write(conn: &mut DbConnection, row: &Row) -> Result<(), IamError> {
    diesel::delete(table::table.filter(table::id.eq(&row.id))).execute(conn)?;
    diesel::insert_into(table::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// CreateProfile.
pub fn create(ctx: &ServiceContext, call: &Call, shape: &Shape) -> Result<Profile, IamError> {
    check_name(shape.name.as_deref().unwrap_or(""))?;
    if shape.role_arns.is_none() {
        return Err(invalid("A profile names its roles (roleArns)."));
    }
    tags::check(&shape.tags)?;
    let now = ctx.clock.now_naive();
    let empty = Row {
        id: new_id(ctx.random.as_ref()),
        account_id: call.account_id.clone(),
        name: String::new(),
        role_arns: "[]".to_string(),
        session_policy: None,
        managed_policy_arns: "[]".to_string(),
        duration_seconds: DEFAULT_DURATION_SECONDS,
        require_instance_properties: false,
        accept_role_session_name: false,
        // AWS creates a profile disabled unless told otherwise.
        enabled: shape.enabled.unwrap_or(false),
        created_by: call.actor_arn.clone(),
        created_at: now,
        updated_at: now,
    };
    let row = apply(empty, shape)?;
    ctx.change(|conn| {
        diesel::insert_into(table::table)
            .values(&row)
            .execute(conn)?;
        tags::add(conn, &call.account_id, Kind::Profile, &row.id, &shape.tags)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "CreateProfile",
            audited(&row),
        )?;
        Ok::<_, IamError>(())
    })?;
    Profile::from_row(row)
}

/// UpdateProfile: the fields given replace the stored ones.
pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    id: &str,
    shape: &Shape,
) -> Result<Profile, IamError> {
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        let mut row = apply(find(conn, &call.account_id, id)?, shape)?;
        row.updated_at = now;
        write(conn, &row)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "UpdateProfile",
            audited(&row),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Profile::from_row(row)
}

/// EnableProfile, DisableProfile.
pub fn switch(
    ctx: &ServiceContext,
    call: &Call,
    id: &str,
    to: Switch,
) -> Result<Profile, IamError> {
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        let mut row = find(conn, &call.account_id, id)?;
        row.enabled = to.enabled();
        row.updated_at = now;
        write(conn, &row)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            &format!("{}Profile", to.verb()),
            json!({ "profileId": row.id }),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Profile::from_row(row)
}

/// DeleteProfile, with its tags; answers the profile as it was.
pub fn delete(ctx: &ServiceContext, call: &Call, id: &str) -> Result<Profile, IamError> {
    let row = ctx.change(|conn| {
        let row = find(conn, &call.account_id, id)?;
        tags::remove_all(conn, Kind::Profile, id)?;
        diesel::delete(table::table.filter(table::id.eq(id))).execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "DeleteProfile",
            json!({ "profileId": row.id, "name": row.name }),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Profile::from_row(row)
}

/// GetProfile.
pub fn get(ctx: &ServiceContext, account_id: &str, id: &str) -> Result<Profile, IamError> {
    let row = ctx.store.read(|conn| find(conn, account_id, id))?;
    Profile::from_row(row)
}

/// ListProfiles: a page of at most `size` after the id `after`, by id; and whether more follow.
pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    after: Option<&str>,
    size: i64,
) -> Result<(Vec<Profile>, bool), IamError> {
    let rows: Vec<Row> = ctx.store.read(|conn| {
        table::table
            .filter(table::account_id.eq(account_id))
            .filter(table::id.gt(after.unwrap_or("")))
            .order(table::id.asc())
            .limit(size + 1)
            .select(Row::as_select())
            .load(conn)
            .map_err(IamError::from)
    })?;
    super::page(rows, size, Profile::from_row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_the_accounts_own_and_policies_managed_ones() {
        let account = "123456789012";
        assert!(check_role_arn(account, "arn:aws:iam::123456789012:role/web").is_ok());
        assert!(check_role_arn(account, "arn:aws:iam::123456789012:role/app/web").is_ok());
        assert!(check_role_arn(account, "arn:aws:iam::210987654321:role/web").is_err());
        assert!(check_role_arn(account, "arn:aws:iam::123456789012:user/web").is_err());
        assert!(check_role_arn(account, "arn:aws:iam::123456789012:role/").is_err());
        assert!(check_policy_arn(account, "arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        assert!(check_policy_arn(account, "arn:aws:iam::123456789012:policy/mine").is_ok());
        assert!(check_policy_arn(account, "arn:aws:iam::123456789012:role/web").is_err());
    }
}
