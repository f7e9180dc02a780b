//! Managed policies attached to users, groups and roles: attach, detach, and the lists either
//! way (an entity's policies, a policy's entities).

use super::find;
use crate::context::ServiceContext;
use crate::iam::call::Call;
use crate::iam::entities::{self, EntityKind};
use crate::iam::page::{Page, PageRequest};
use crate::iam::IamError;
use crate::storage::schema::{
    group_policy_attachments, managed_policies, role_policy_attachments, roles,
    user_policy_attachments, users,
};
use crate::storage::sql::lower;
use crate::storage::{lock_account, DbConnection, StorageError};
use diesel::prelude::*;
use serde_json::json;

/// Attaches a managed policy to a user, group or role (idempotent, as in IAM).
pub fn attach(
    ctx: &ServiceContext,
    call: &Call,
    kind: EntityKind,
    entity: &str,
    policy_arn: &str,
) -> Result<(), IamError> {
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let entity_id = entities::resolve(conn, &call.account_id, kind, entity)?;
        let policy = find(conn, &call.account_id, policy_arn)?;
        let attached = attached_ids(conn, kind, &entity_id)?;
        if !attached.contains(&policy.id) {
            if attached.len() as i64 >= ctx.limits.managed_policies_per_entity {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for PoliciesPer{}: {}",
                    kind.quota_word(),
                    ctx.limits.managed_policies_per_entity
                )));
            }
            match kind {
                EntityKind::User => diesel::insert_into(user_policy_attachments::table)
                    .values((
                        user_policy_attachments::user_id.eq(&entity_id),
                        user_policy_attachments::policy_id.eq(&policy.id),
                        user_policy_attachments::attached_at.eq(now),
                    ))
                    .execute(conn)?,
                EntityKind::Group => diesel::insert_into(group_policy_attachments::table)
                    .values((
                        group_policy_attachments::group_id.eq(&entity_id),
                        group_policy_attachments::policy_id.eq(&policy.id),
                        group_policy_attachments::attached_at.eq(now),
                    ))
                    .execute(conn)?,
                EntityKind::Role => diesel::insert_into(role_policy_attachments::table)
                    .values((
                        role_policy_attachments::role_id.eq(&entity_id),
                        role_policy_attachments::policy_id.eq(&policy.id),
                        role_policy_attachments::attached_at.eq(now),
                    ))
                    .execute(conn)?,
            };
        }
        let event = format!("Attach{}Policy", kind.quota_word());
        call.audit(
            ctx,
            conn,
            &event,
            json!({ kind.parameter(): entity, "policyArn": policy_arn }),
        )?;
        Ok(())
    })
}

pub fn detach(
    ctx: &ServiceContext,
    call: &Call,
    kind: EntityKind,
    entity: &str,
    policy_arn: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let entity_id = entities::resolve(conn, &call.account_id, kind, entity)?;
        let policy = find(conn, &call.account_id, policy_arn)?;
        let removed = match kind {
            EntityKind::User => {
                diesel::delete(user_policy_attachments::table.find((&entity_id, &policy.id)))
                    .execute(conn)?
            }
            EntityKind::Group => {
                diesel::delete(group_policy_attachments::table.find((&entity_id, &policy.id)))
                    .execute(conn)?
            }
            EntityKind::Role => {
                diesel::delete(role_policy_attachments::table.find((&entity_id, &policy.id)))
                    .execute(conn)?
            }
        };
        if removed == 0 {
            return Err(IamError::NoSuchEntity(format!(
                "Policy {policy_arn} was not found."
            )));
        }
        let event = format!("Detach{}Policy", kind.quota_word());
        call.audit(
            ctx,
            conn,
            &event,
            json!({ kind.parameter(): entity, "policyArn": policy_arn }),
        )?;
        Ok(())
    })
}

/// Ids of the managed policies attached to an entity.
pub fn attached_ids(
    conn: &mut DbConnection,
    kind: EntityKind,
    entity_id: &str,
) -> Result<Vec<String>, StorageError> {
    Ok(match kind {
        EntityKind::User => user_policy_attachments::table
            .filter(user_policy_attachments::user_id.eq(entity_id))
            .select(user_policy_attachments::policy_id)
            .load(conn)?,
        EntityKind::Group => group_policy_attachments::table
            .filter(group_policy_attachments::group_id.eq(entity_id))
            .select(group_policy_attachments::policy_id)
            .load(conn)?,
        EntityKind::Role => role_policy_attachments::table
            .filter(role_policy_attachments::role_id.eq(entity_id))
            .select(role_policy_attachments::policy_id)
            .load(conn)?,
    })
}

/// (name, arn) of the managed policies attached to an entity, by name.
pub fn list_attached(
    ctx: &ServiceContext,
    account_id: &str,
    kind: EntityKind,
    entity: &str,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<(String, String)>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let entity_id = entities::resolve(conn, account_id, kind, entity)?;
        let ids = attached_ids(conn, kind, &entity_id)?;
        let mut query = managed_policies::table
            .filter(managed_policies::id.eq_any(ids))
            .select((managed_policies::name, managed_policies::arn))
            .order(managed_policies::arn.asc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(prefix) = path_prefix {
            query = query.filter(
                managed_policies::path
                    .like(format!("{}%", crate::iam::users::escape_like(prefix)))
                    .escape('\\'),
            );
        }
        if let Some(after) = &after {
            query = query.filter(managed_policies::arn.gt(after.clone()));
        }
        let rows: Vec<(String, String)> = query.load(conn)?;
        Ok(Page::from_rows(rows, limit, |(_, arn)| arn.clone()))
    })
}

/// The users, groups and roles a policy is attached to: (kind, name, id).
pub fn list_entities(
    ctx: &ServiceContext,
    account_id: &str,
    policy_arn: &str,
) -> Result<Vec<(EntityKind, String, String)>, IamError> {
    use crate::storage::schema::groups;
    ctx.store.read(|conn| {
        let policy = find(conn, account_id, policy_arn)?;
        let mut out = Vec::new();
        let u: Vec<(String, String)> = users::table
            .inner_join(user_policy_attachments::table)
            .filter(user_policy_attachments::policy_id.eq(&policy.id))
            .filter(users::account_id.eq(account_id))
            .select((users::name, users::id))
            .order(lower(users::name))
            .load(conn)?;
        out.extend(u.into_iter().map(|(n, i)| (EntityKind::User, n, i)));
        let g: Vec<(String, String)> = groups::table
            .inner_join(group_policy_attachments::table)
            .filter(group_policy_attachments::policy_id.eq(&policy.id))
            .filter(groups::account_id.eq(account_id))
            .select((groups::name, groups::id))
            .order(lower(groups::name))
            .load(conn)?;
        out.extend(g.into_iter().map(|(n, i)| (EntityKind::Group, n, i)));
        let r: Vec<(String, String)> = roles::table
            .inner_join(role_policy_attachments::table)
            .filter(role_policy_attachments::policy_id.eq(&policy.id))
            .filter(roles::account_id.eq(account_id))
            .select((roles::name, roles::id))
            .order(lower(roles::name))
            .load(conn)?;
        out.extend(r.into_iter().map(|(n, i)| (EntityKind::Role, n, i)));
        Ok(out)
    })
}
