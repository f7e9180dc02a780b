//! IAM roles: trust policy, session duration, boundary, tags.

use super::call::Call;
use super::page::{Page, PageRequest};
use super::policies::{self, check_document};
use super::tags::{self, Tag, Taggable};
use super::users::escape_like;
use super::{arn, names, trust_principals, IamError};
use crate::context::ServiceContext;
use crate::policy::{PolicyKind, ValidationLimit};
use crate::storage::ids::RoleId;
use crate::storage::schema::{
    instance_profile_roles, role_inline_policies, role_policy_attachments, roles,
};
use crate::storage::sql::lower;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

pub const MAX_NAME_LEN: usize = 64;
/// AWS's bounds for a role's maximum session duration, in seconds.
pub const MIN_SESSION: i32 = 3600;
pub const MAX_SESSION: i32 = 43200;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = roles)]
pub struct Role {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub assume_role_policy: String,
    pub max_session_duration: i32,
    pub permissions_boundary_id: Option<String>,
    pub last_used_at: Option<NaiveDateTime>,
    pub last_used_region: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct RoleView {
    pub role: Role,
    pub arn: String,
    pub permissions_boundary_arn: Option<String>,
    pub tags: Vec<Tag>,
}

pub fn not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

/// Records that the role was used (assumed) at `now` in `region`, for `RoleLastUsed`.
pub fn record_use(
    ctx: &ServiceContext,
    role_id: &str,
    now: NaiveDateTime,
    region: &str,
) -> Result<(), StorageError> {
    ctx.store.write(|conn| {
        diesel::update(roles::table.find(role_id))
            .set((
                roles::last_used_at.eq(now),
                roles::last_used_region.eq(region),
            ))
            .execute(conn)?;
        Ok(())
    })
}

pub fn find(conn: &mut DbConnection, account_id: &str, name: &str) -> Result<Role, IamError> {
    roles::table
        .filter(roles::account_id.eq(account_id))
        .filter(lower(roles::name).eq(name.to_lowercase()))
        .select(Role::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(name))
}

/// A role as ListRoles returns it: without tags, boundary or last use (no further queries; its
/// trust policy as `trust_principals::show_page` made it).
pub fn summary(role: Role) -> RoleView {
    RoleView {
        arn: arn::role(&role.account_id, &role.path, &role.name),
        role,
        permissions_boundary_arn: None,
        tags: Vec::new(),
    }
}

/// A role as GetRole returns it: with tags, boundary, and its trust policy as IAM shows it
/// (principals that are gone by their unique ids; see `trust_principals::shown`).
pub fn view(conn: &mut DbConnection, mut role: Role) -> Result<RoleView, IamError> {
    role.assume_role_policy = trust_principals::shown(conn, &role.id, &role.assume_role_policy)?;
    let tags = tags::list(conn, Taggable::Role, &role.id)?;
    let permissions_boundary_arn = match &role.permissions_boundary_id {
        Some(id) => Some(policies::arn_of(conn, id)?),
        None => None,
    };
    Ok(RoleView {
        arn: arn::role(&role.account_id, &role.path, &role.name),
        role,
        permissions_boundary_arn,
        tags,
    })
}

fn check_duration(seconds: i32) -> Result<(), IamError> {
    if (MIN_SESSION..=MAX_SESSION).contains(&seconds) {
        Ok(())
    } else {
        Err(IamError::Validation(format!(
            "1 validation error detected: Value '{seconds}' at 'maxSessionDuration' failed to \
             satisfy constraint: Member must have value less than or equal to {MAX_SESSION} and \
             greater than or equal to {MIN_SESSION}"
        )))
    }
}

fn check_description(description: Option<&str>) -> Result<(), IamError> {
    if description.is_some_and(|d| d.chars().count() > 1000) {
        return Err(IamError::Validation(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: \
             Member must have length less than or equal to 1000"
                .into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct CreateRole {
    pub name: String,
    pub path: Option<String>,
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i32>,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

pub fn create(ctx: &ServiceContext, call: &Call, input: CreateRole) -> Result<RoleView, IamError> {
    names::check_name("roleName", &input.name, MAX_NAME_LEN)?;
    let path = input.path.clone().unwrap_or_else(|| "/".into());
    names::check_path(&path)?;
    check_document(
        &input.assume_role_policy,
        PolicyKind::Trust,
        ValidationLimit::Trust,
    )?;
    let duration = input.max_session_duration.unwrap_or(MIN_SESSION);
    check_duration(duration)?;
    check_description(input.description.as_deref())?;
    tags::check(&input.tags, ctx.limits.tags_per_resource)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = roles::table
            .filter(roles::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= ctx.limits.roles_per_account {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for RolesPerAccount: {}.",
                ctx.limits.roles_per_account
            )));
        }
        let boundary = match &input.permissions_boundary {
            Some(arn) => Some(policies::boundary_id(conn, &call.account_id, arn)?),
            None => None,
        };
        let role = Role {
            id: RoleId::generate(ctx.random.as_ref()).into_string(),
            account_id: call.account_id.clone(),
            name: input.name.clone(),
            path,
            description: input.description.clone(),
            assume_role_policy: input.assume_role_policy.clone(),
            max_session_duration: duration,
            permissions_boundary_id: boundary,
            last_used_at: None,
            last_used_region: None,
            created_at: now,
        };
        diesel::insert_into(roles::table)
            .values(&role)
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "Role with name {} already exists.",
                    input.name
                )),
                other => other.into(),
            })?;
        trust_principals::bind(conn, &role.id, &role.assume_role_policy, true)?;
        tags::set(
            conn,
            &call.account_id,
            Taggable::Role,
            &role.id,
            &input.tags,
            ctx.limits.tags_per_resource,
        )?;
        call.audit(
            ctx,
            conn,
            "CreateRole",
            json!({ "roleName": input.name, "path": role.path }),
        )?;
        view(conn, role)
    })
}

pub fn get(ctx: &ServiceContext, account_id: &str, name: &str) -> Result<RoleView, IamError> {
    ctx.store.read(|conn| {
        let role = find(conn, account_id, name)?;
        view(conn, role)
    })
}

/// `UpdateRole` or `UpdateRoleDescription` (`action`, the name the audit trail records).
pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    action: &'static str,
    name: &str,
    description: Option<&str>,
    max_session_duration: Option<i32>,
) -> Result<RoleView, IamError> {
    check_description(description)?;
    if let Some(d) = max_session_duration {
        check_duration(d)?;
    }
    ctx.change(|conn| {
        let role = find(conn, &call.account_id, name)?;
        if let Some(d) = description {
            diesel::update(roles::table.find(&role.id)).set(roles::description.eq(d)).execute(conn)?;
        }
        if let Some(s) = max_session_duration {
            diesel::update(roles::table.find(&role.id)).set(roles::max_session_duration.eq(s)).execute(conn)?;
        }
        call.audit(ctx, conn, action, json!({ "roleName": name, "description": description, "maxSessionDuration": max_session_duration }))?;
        let role = find(conn, &call.account_id, name)?;
        view(conn, role)
    })
}

pub fn update_assume_role_policy(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    document: &str,
) -> Result<(), IamError> {
    check_document(document, PolicyKind::Trust, ValidationLimit::Trust)?;
    ctx.change(|conn| {
        let role = find(conn, &call.account_id, name)?;
        diesel::update(roles::table.find(&role.id))
            .set(roles::assume_role_policy.eq(document))
            .execute(conn)?;
        trust_principals::bind(conn, &role.id, document, true)?;
        call.audit(
            ctx,
            conn,
            "UpdateAssumeRolePolicy",
            json!({ "roleName": name }),
        )?;
        Ok(())
    })
}

pub fn delete(ctx: &ServiceContext, call: &Call, name: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let role = find(conn, &call.account_id, name)?;
        let profiles: i64 = instance_profile_roles::table
            .filter(instance_profile_roles::role_id.eq(&role.id))
            .count()
            .get_result(conn)?;
        if profiles > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first.".into(),
            ));
        }
        let inline: i64 = role_inline_policies::table
            .filter(role_inline_policies::role_id.eq(&role.id))
            .count()
            .get_result(conn)?;
        if inline > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must delete policies first.".into(),
            ));
        }
        let attached: i64 = role_policy_attachments::table
            .filter(role_policy_attachments::role_id.eq(&role.id))
            .count()
            .get_result(conn)?;
        if attached > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must detach all policies first.".into(),
            ));
        }
        tags::remove_all(conn, Taggable::Role, &role.id)?;
        diesel::delete(roles::table.find(&role.id)).execute(conn)?;
        call.audit(ctx, conn, "DeleteRole", json!({ "roleName": name }))?;
        Ok(())
    })
}

pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<RoleView>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let mut query = roles::table
            .filter(roles::account_id.eq(account_id))
            .select(Role::as_select())
            .order(lower(roles::name).asc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(prefix) = path_prefix {
            query = query.filter(
                roles::path
                    .like(format!("{}%", escape_like(prefix)))
                    .escape('\\'),
            );
        }
        if let Some(after) = &after {
            query = query.filter(lower(roles::name).gt(after.clone()));
        }
        let rows = query.load(conn)?;
        let mut page = Page::from_rows(rows, limit, |r: &Role| r.name.to_lowercase());
        trust_principals::show_page(conn, page.items.iter_mut())?;
        Ok(page.map(summary))
    })
}
