//! IAM groups and their members.

use super::call::Call;
use super::page::{Page, PageRequest};
use super::users::{self, escape_like, UserView};
use super::{arn, names, IamError};
use crate::context::ServiceContext;
use crate::storage::ids::GroupId;
use crate::storage::models::{Group, GroupMember, User};
use crate::storage::schema::{
    group_inline_policies, group_members, group_policy_attachments, groups, users as users_table,
};
use crate::storage::sql::lower;
use crate::storage::{lock_account, DbConnection, StorageError};
use diesel::prelude::*;
use serde_json::json;

pub const MAX_NAME_LEN: usize = 128;

pub fn not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The group with name {name} cannot be found."))
}

pub fn find(conn: &mut DbConnection, account_id: &str, name: &str) -> Result<Group, IamError> {
    groups::table
        .filter(groups::account_id.eq(account_id))
        .filter(lower(groups::name).eq(name.to_lowercase()))
        .select(Group::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(name))
}

pub fn group_arn(group: &Group) -> String {
    arn::group(&group.account_id, &group.path, &group.name)
}

fn exists(name: &str) -> impl Fn(StorageError) -> IamError + '_ {
    move |e| match e {
        StorageError::Conflict(_) => {
            IamError::EntityAlreadyExists(format!("Group with name {name} already exists."))
        }
        other => other.into(),
    }
}

pub fn create(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    path: Option<&str>,
) -> Result<Group, IamError> {
    names::check_name("groupName", name, MAX_NAME_LEN)?;
    let path = path.unwrap_or("/").to_string();
    names::check_path(&path)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = groups::table
            .filter(groups::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= ctx.limits.groups_per_account {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for GroupsPerAccount: {}.",
                ctx.limits.groups_per_account
            )));
        }
        let group = Group {
            id: GroupId::generate(ctx.random.as_ref()).into_string(),
            account_id: call.account_id.clone(),
            name: name.to_string(),
            path,
            created_at: now,
        };
        diesel::insert_into(groups::table)
            .values(&group)
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(exists(name))?;
        call.audit(
            ctx,
            conn,
            "CreateGroup",
            json!({ "groupName": name, "path": group.path }),
        )?;
        Ok(group)
    })
}

/// A group and a page of its members.
pub fn get(
    ctx: &ServiceContext,
    account_id: &str,
    name: &str,
    page: &PageRequest,
) -> Result<(Group, Page<UserView>), IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let group = find(conn, account_id, name)?;
        let mut query = users_table::table
            .inner_join(group_members::table)
            .filter(group_members::group_id.eq(&group.id))
            .select(User::as_select())
            .order(lower(users_table::name).asc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(after) = &after {
            query = query.filter(lower(users_table::name).gt(after.clone()));
        }
        let rows = query.load(conn)?;
        let page = Page::from_rows(rows, limit, |u: &User| u.name.to_lowercase());
        Ok((group, page.map(users::summary)))
    })
}

pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> Result<(), IamError> {
    if let Some(n) = new_name {
        names::check_name("newGroupName", n, MAX_NAME_LEN)?;
    }
    if let Some(p) = new_path {
        names::check_path(p)?;
    }
    ctx.change(|conn| {
        let group = find(conn, &call.account_id, name)?;
        let target = new_name.unwrap_or(&group.name).to_string();
        diesel::update(groups::table.find(&group.id))
            .set((
                groups::name.eq(&target),
                groups::path.eq(new_path.unwrap_or(&group.path)),
            ))
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(exists(&target))?;
        call.audit(
            ctx,
            conn,
            "UpdateGroup",
            json!({ "groupName": name, "newGroupName": new_name, "newPath": new_path }),
        )?;
        Ok(())
    })
}

pub fn delete(ctx: &ServiceContext, call: &Call, name: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let group = find(conn, &call.account_id, name)?;
        let members: i64 = group_members::table
            .filter(group_members::group_id.eq(&group.id))
            .count()
            .get_result(conn)?;
        if members > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove users from group first.".into(),
            ));
        }
        let inline: i64 = group_inline_policies::table
            .filter(group_inline_policies::group_id.eq(&group.id))
            .count()
            .get_result(conn)?;
        if inline > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must delete policies first.".into(),
            ));
        }
        let attached: i64 = group_policy_attachments::table
            .filter(group_policy_attachments::group_id.eq(&group.id))
            .count()
            .get_result(conn)?;
        if attached > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must detach all policies first.".into(),
            ));
        }
        diesel::delete(groups::table.find(&group.id)).execute(conn)?;
        call.audit(ctx, conn, "DeleteGroup", json!({ "groupName": name }))?;
        Ok(())
    })
}

pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Group>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let mut query = groups::table
            .filter(groups::account_id.eq(account_id))
            .select(Group::as_select())
            .order(lower(groups::name).asc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(prefix) = path_prefix {
            query = query.filter(
                groups::path
                    .like(format!("{}%", escape_like(prefix)))
                    .escape('\\'),
            );
        }
        if let Some(after) = &after {
            query = query.filter(lower(groups::name).gt(after.clone()));
        }
        let rows = query.load(conn)?;
        Ok(Page::from_rows(rows, limit, |g: &Group| {
            g.name.to_lowercase()
        }))
    })
}

pub fn add_user(
    ctx: &ServiceContext,
    call: &Call,
    group_name: &str,
    user_name: &str,
) -> Result<(), IamError> {
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let group = find(conn, &call.account_id, group_name)?;
        let user = users::find(conn, &call.account_id, user_name)?;
        let already: i64 = group_members::table
            .find((&group.id, &user.id))
            .count()
            .get_result(conn)?;
        if already == 0 {
            let count: i64 = group_members::table
                .filter(group_members::user_id.eq(&user.id))
                .count()
                .get_result(conn)?;
            if count >= ctx.limits.groups_per_user {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for GroupsPerUser: {}",
                    ctx.limits.groups_per_user
                )));
            }
            diesel::insert_into(group_members::table)
                .values(&GroupMember {
                    group_id: group.id,
                    user_id: user.id,
                    added_at: now,
                })
                .execute(conn)?;
        }
        call.audit(
            ctx,
            conn,
            "AddUserToGroup",
            json!({ "groupName": group_name, "userName": user_name }),
        )?;
        Ok(())
    })
}

pub fn remove_user(
    ctx: &ServiceContext,
    call: &Call,
    group_name: &str,
    user_name: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let group = find(conn, &call.account_id, group_name)?;
        let user = users::find(conn, &call.account_id, user_name)?;
        let removed =
            diesel::delete(group_members::table.find((&group.id, &user.id))).execute(conn)?;
        if removed == 0 {
            return Err(IamError::NoSuchEntity(format!(
                "User {user_name} is not in group {group_name}."
            )));
        }
        call.audit(
            ctx,
            conn,
            "RemoveUserFromGroup",
            json!({ "groupName": group_name, "userName": user_name }),
        )?;
        Ok(())
    })
}

/// The groups a user belongs to (all of them: IAM's quota keeps the list short).
pub fn for_user(conn: &mut DbConnection, user_id: &str) -> Result<Vec<Group>, StorageError> {
    Ok(groups::table
        .inner_join(group_members::table)
        .filter(group_members::user_id.eq(user_id))
        .select(Group::as_select())
        .order(lower(groups::name).asc())
        .load(conn)?)
}

pub fn list_for_user(
    ctx: &ServiceContext,
    account_id: &str,
    user_name: &str,
    page: &PageRequest,
) -> Result<Page<Group>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let user = users::find(conn, account_id, user_name)?;
        let rows: Vec<Group> = for_user(conn, &user.id)?
            .into_iter()
            .filter(|g| after.as_ref().is_none_or(|a| g.name.to_lowercase() > *a))
            .take(usize::try_from(limit + 1).unwrap_or(usize::MAX))
            .collect();
        Ok(Page::from_rows(rows, limit, |g: &Group| {
            g.name.to_lowercase()
        }))
    })
}
