//! Instance profiles: containers for at most one role, which instances assume.

use super::call::Call;
use super::page::{Page, PageRequest};
use super::roles::{self, RoleView};
use super::tags::{self, Tag, Taggable};
use super::users::escape_like;
use super::{arn, names, IamError};
use crate::context::ServiceContext;
use crate::storage::ids::InstanceProfileId;
use crate::storage::schema::{instance_profile_roles, instance_profiles, roles as roles_table};
use crate::storage::sql::lower;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

pub const MAX_NAME_LEN: usize = 128;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = instance_profiles)]
pub struct InstanceProfile {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct ProfileView {
    pub profile: InstanceProfile,
    pub arn: String,
    pub roles: Vec<RoleView>,
    pub tags: Vec<Tag>,
}

fn not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("Instance Profile {name} cannot be found."))
}

pub fn find(
    conn: &mut DbConnection,
    account_id: &str,
    name: &str,
) -> Result<InstanceProfile, IamError> {
    instance_profiles::table
        .filter(instance_profiles::account_id.eq(account_id))
        .filter(lower(instance_profiles::name).eq(name.to_lowercase()))
        .select(InstanceProfile::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(name))
}

fn view(conn: &mut DbConnection, profile: InstanceProfile) -> Result<ProfileView, IamError> {
    let role_rows: Vec<roles::Role> = roles_table::table
        .inner_join(instance_profile_roles::table)
        .filter(instance_profile_roles::instance_profile_id.eq(&profile.id))
        .select(roles::Role::as_select())
        .load(conn)?;
    let mut role_views = Vec::new();
    for role in role_rows {
        role_views.push(roles::view(conn, role)?);
    }
    Ok(ProfileView {
        arn: arn::entity(
            &profile.account_id,
            "instance-profile",
            &profile.path,
            &profile.name,
        ),
        tags: tags::list(conn, Taggable::InstanceProfile, &profile.id)?,
        roles: role_views,
        profile,
    })
}

pub fn create(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    path: Option<&str>,
    new_tags: &[Tag],
) -> Result<ProfileView, IamError> {
    names::check_name("instanceProfileName", name, MAX_NAME_LEN)?;
    let path = path.unwrap_or("/").to_string();
    names::check_path(&path)?;
    tags::check(new_tags, ctx.limits.tags_per_resource)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = instance_profiles::table
            .filter(instance_profiles::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= ctx.limits.instance_profiles_per_account {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for InstanceProfilesPerAccount: {}.",
                ctx.limits.instance_profiles_per_account
            )));
        }
        let profile = InstanceProfile {
            id: InstanceProfileId::generate(ctx.random.as_ref()).into_string(),
            account_id: call.account_id.clone(),
            name: name.to_string(),
            path,
            created_at: now,
        };
        diesel::insert_into(instance_profiles::table)
            .values(&profile)
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "Instance Profile {name} already exists."
                )),
                other => other.into(),
            })?;
        tags::set(
            conn,
            &call.account_id,
            Taggable::InstanceProfile,
            &profile.id,
            new_tags,
            ctx.limits.tags_per_resource,
        )?;
        call.audit(
            ctx,
            conn,
            "CreateInstanceProfile",
            json!({ "instanceProfileName": name }),
        )?;
        view(conn, profile)
    })
}

pub fn get(ctx: &ServiceContext, account_id: &str, name: &str) -> Result<ProfileView, IamError> {
    ctx.store.read(|conn| {
        let profile = find(conn, account_id, name)?;
        view(conn, profile)
    })
}

pub fn delete(ctx: &ServiceContext, call: &Call, name: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let profile = find(conn, &call.account_id, name)?;
        let has_role: i64 = instance_profile_roles::table
            .find(&profile.id)
            .count()
            .get_result(conn)?;
        if has_role > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first.".into(),
            ));
        }
        tags::remove_all(conn, Taggable::InstanceProfile, &profile.id)?;
        diesel::delete(instance_profiles::table.find(&profile.id)).execute(conn)?;
        call.audit(
            ctx,
            conn,
            "DeleteInstanceProfile",
            json!({ "instanceProfileName": name }),
        )?;
        Ok(())
    })
}

pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<ProfileView>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let mut query = instance_profiles::table
            .filter(instance_profiles::account_id.eq(account_id))
            .select(InstanceProfile::as_select())
            .order(lower(instance_profiles::name).asc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(prefix) = path_prefix {
            query = query.filter(
                instance_profiles::path
                    .like(format!("{}%", escape_like(prefix)))
                    .escape('\\'),
            );
        }
        if let Some(after) = &after {
            query = query.filter(lower(instance_profiles::name).gt(after.clone()));
        }
        let rows = query.load(conn)?;
        let page = Page::from_rows(rows, limit, |p: &InstanceProfile| p.name.to_lowercase());
        let mut items = Vec::new();
        for profile in page.items {
            items.push(view(conn, profile)?);
        }
        Ok(Page {
            items,
            marker: page.marker,
        })
    })
}

/// Puts the role in the profile; a profile holds one role at most (AWS's quota).
pub fn add_role(
    ctx: &ServiceContext,
    call: &Call,
    profile_name: &str,
    role_name: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let profile = find(conn, &call.account_id, profile_name)?;
        let role = roles::find(conn, &call.account_id, role_name)?;
        diesel::insert_into(instance_profile_roles::table)
            .values((
                instance_profile_roles::instance_profile_id.eq(&profile.id),
                instance_profile_roles::role_id.eq(&role.id),
            ))
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::LimitExceeded(
                    "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".into(),
                ),
                other => other.into(),
            })?;
        call.audit(
            ctx,
            conn,
            "AddRoleToInstanceProfile",
            json!({ "instanceProfileName": profile_name, "roleName": role_name }),
        )?;
        Ok(())
    })
}

pub fn remove_role(
    ctx: &ServiceContext,
    call: &Call,
    profile_name: &str,
    role_name: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let profile = find(conn, &call.account_id, profile_name)?;
        let role = roles::find(conn, &call.account_id, role_name)?;
        let removed = diesel::delete(
            instance_profile_roles::table
                .filter(instance_profile_roles::instance_profile_id.eq(&profile.id))
                .filter(instance_profile_roles::role_id.eq(&role.id)),
        )
        .execute(conn)?;
        if removed == 0 {
            return Err(IamError::NoSuchEntity(format!(
                "The role with name {role_name} cannot be found in instance profile {profile_name}."
            )));
        }
        call.audit(
            ctx,
            conn,
            "RemoveRoleFromInstanceProfile",
            json!({ "instanceProfileName": profile_name, "roleName": role_name }),
        )?;
        Ok(())
    })
}

pub fn for_role(
    ctx: &ServiceContext,
    account_id: &str,
    role_name: &str,
) -> Result<Vec<ProfileView>, IamError> {
    ctx.store.read(|conn| {
        let role = roles::find(conn, account_id, role_name)?;
        let rows: Vec<InstanceProfile> = instance_profiles::table
            .inner_join(instance_profile_roles::table)
            .filter(instance_profile_roles::role_id.eq(&role.id))
            .select(InstanceProfile::as_select())
            .order(lower(instance_profiles::name).asc())
            .load(conn)?;
        let mut out = Vec::new();
        for profile in rows {
            out.push(view(conn, profile)?);
        }
        Ok(out)
    })
}
