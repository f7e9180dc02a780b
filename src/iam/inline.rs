//! Inline policies embedded in a user, group or role.

use super::call::Call;
use super::entities::{self, EntityKind};
use super::page::{Page, PageRequest};
use super::policies::check_document;
use super::{names, IamError};
use crate::context::ServiceContext;
use crate::policy::{PolicyKind, ValidationLimit};
use crate::storage::schema::{group_inline_policies, role_inline_policies, user_inline_policies};
use crate::storage::sql::lower;
use crate::storage::{DbConnection, StorageError};
use diesel::prelude::*;
use serde_json::json;

pub const MAX_NAME_LEN: usize = 128;

fn limit_for(kind: EntityKind) -> ValidationLimit {
    match kind {
        EntityKind::User => ValidationLimit::UserInline,
        EntityKind::Group => ValidationLimit::GroupInline,
        EntityKind::Role => ValidationLimit::RoleInline,
    }
}

fn not_found(kind: EntityKind, entity: &str, name: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "The {} policy with name {name} cannot be found.",
        match kind {
            EntityKind::User => format!("user {entity}"),
            EntityKind::Group => format!("group {entity}"),
            EntityKind::Role => format!("role {entity}"),
        }
    ))
}

/// Deletes the policy of that name (ignoring case); returns how many rows went.
fn remove(
    conn: &mut DbConnection,
    kind: EntityKind,
    id: &str,
    name: &str,
) -> Result<usize, StorageError> {
    let lc = name.to_lowercase();
    Ok(match kind {
        EntityKind::User => diesel::delete(
            user_inline_policies::table
                .filter(user_inline_policies::user_id.eq(id))
                .filter(lower(user_inline_policies::name).eq(lc)),
        )
        .execute(conn)?,
        EntityKind::Group => diesel::delete(
            group_inline_policies::table
                .filter(group_inline_policies::group_id.eq(id))
                .filter(lower(group_inline_policies::name).eq(lc)),
        )
        .execute(conn)?,
        EntityKind::Role => diesel::delete(
            role_inline_policies::table
                .filter(role_inline_policies::role_id.eq(id))
                .filter(lower(role_inline_policies::name).eq(lc)),
        )
        .execute(conn)?,
    })
}

/// Creates or replaces an inline policy.
pub fn put(
    ctx: &ServiceContext,
    call: &Call,
    kind: EntityKind,
    entity: &str,
    name: &str,
    document: &str,
) -> Result<(), IamError> {
    names::check_name("policyName", name, MAX_NAME_LEN)?;
    check_document(document, PolicyKind::Identity, limit_for(kind))?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let id = entities::resolve(conn, &call.account_id, kind, entity)?;
        remove(conn, kind, &id, name)?;
        match kind {
            EntityKind::User => diesel::insert_into(user_inline_policies::table)
                .values((
                    user_inline_policies::user_id.eq(&id),
                    user_inline_policies::name.eq(name),
                    user_inline_policies::document.eq(document),
                    user_inline_policies::created_at.eq(now),
                ))
                .execute(conn)?,
            EntityKind::Group => diesel::insert_into(group_inline_policies::table)
                .values((
                    group_inline_policies::group_id.eq(&id),
                    group_inline_policies::name.eq(name),
                    group_inline_policies::document.eq(document),
                    group_inline_policies::created_at.eq(now),
                ))
                .execute(conn)?,
            EntityKind::Role => diesel::insert_into(role_inline_policies::table)
                .values((
                    role_inline_policies::role_id.eq(&id),
                    role_inline_policies::name.eq(name),
                    role_inline_policies::document.eq(document),
                    role_inline_policies::created_at.eq(now),
                ))
                .execute(conn)?,
        };
        let event = format!("Put{}Policy", kind.quota_word());
        call.audit(
            ctx,
            conn,
            &event,
            json!({ kind.parameter(): entity, "policyName": name }),
        )?;
        Ok(())
    })
}

/// (name, document) pairs of an entity's inline policies, by name.
pub fn all(
    conn: &mut DbConnection,
    kind: EntityKind,
    id: &str,
) -> Result<Vec<(String, String)>, StorageError> {
    Ok(match kind {
        EntityKind::User => user_inline_policies::table
            .filter(user_inline_policies::user_id.eq(id))
            .select((user_inline_policies::name, user_inline_policies::document))
            .order(lower(user_inline_policies::name))
            .load(conn)?,
        EntityKind::Group => group_inline_policies::table
            .filter(group_inline_policies::group_id.eq(id))
            .select((group_inline_policies::name, group_inline_policies::document))
            .order(lower(group_inline_policies::name))
            .load(conn)?,
        EntityKind::Role => role_inline_policies::table
            .filter(role_inline_policies::role_id.eq(id))
            .select((role_inline_policies::name, role_inline_policies::document))
            .order(lower(role_inline_policies::name))
            .load(conn)?,
    })
}

/// The stored name and document of one inline policy.
pub fn get(
    ctx: &ServiceContext,
    account_id: &str,
    kind: EntityKind,
    entity: &str,
    name: &str,
) -> Result<(String, String), IamError> {
    ctx.store.read(|conn| {
        let id = entities::resolve(conn, account_id, kind, entity)?;
        all(conn, kind, &id)?
            .into_iter()
            .find(|(n, _)| n.to_lowercase() == name.to_lowercase())
            .ok_or_else(|| not_found(kind, entity, name))
    })
}

pub fn delete(
    ctx: &ServiceContext,
    call: &Call,
    kind: EntityKind,
    entity: &str,
    name: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let id = entities::resolve(conn, &call.account_id, kind, entity)?;
        if remove(conn, kind, &id, name)? == 0 {
            return Err(not_found(kind, entity, name));
        }
        let event = format!("Delete{}Policy", kind.quota_word());
        call.audit(
            ctx,
            conn,
            &event,
            json!({ kind.parameter(): entity, "policyName": name }),
        )?;
        Ok(())
    })
}

pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    kind: EntityKind,
    entity: &str,
    page: &PageRequest,
) -> Result<Page<String>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let id = entities::resolve(conn, account_id, kind, entity)?;
        let rows: Vec<String> = all(conn, kind, &id)?
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| after.as_ref().is_none_or(|a| n.to_lowercase() > *a))
            .take(usize::try_from(limit + 1).unwrap_or(usize::MAX))
            .collect();
        Ok(Page::from_rows(rows, limit, |n: &String| n.to_lowercase()))
    })
}
