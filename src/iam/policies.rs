//! Customer managed policies and their versions, and attaching managed policies to users,
//! groups and roles. AWS-managed policies (account `aws`) can be read and attached, not changed.

use super::call::Call;
use super::entities::{self, EntityKind};
use super::page::{Page, PageRequest};
use super::tags::{self, Tag, Taggable};
use super::{arn, names, IamError};
use crate::context::ServiceContext;
use crate::policy::{Policy, PolicyError, PolicyKind, ValidationLimit};
use crate::storage::ids::{AccountId, PolicyId};
use crate::storage::models::{ManagedPolicy, PolicyVersion};
use crate::storage::schema::{
    group_policy_attachments, managed_policies, policy_versions, role_policy_attachments, roles,
    user_policy_attachments, users,
};
use crate::storage::sql::lower;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

pub const MAX_NAME_LEN: usize = 128;

/// Checks a document for `kind` under `limit` the way IAM does on every write.
pub fn check_document(
    json: &str,
    kind: PolicyKind,
    limit: ValidationLimit,
) -> Result<(), IamError> {
    match Policy::parse_with_limit(json, kind, limit) {
        Ok(_) => Ok(()),
        Err(PolicyError::TooLarge { limit, .. }) => Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for PolicySize: {limit}"
        ))),
        Err(e) => Err(IamError::MalformedPolicyDocument(e.to_string())),
    }
}

#[derive(Debug, Clone)]
pub struct PolicyView {
    pub policy: ManagedPolicy,
    pub attachment_count: i64,
    pub boundary_usage_count: i64,
    pub tags: Vec<Tag>,
}

pub fn not_found(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

/// The ARN of the managed policy with this id.
pub fn arn_of(conn: &mut DbConnection, id: &str) -> Result<String, StorageError> {
    Ok(managed_policies::table
        .find(id)
        .select(managed_policies::arn)
        .first(conn)?)
}

/// A policy visible to `account_id`: its own, or AWS-managed.
pub fn find(
    conn: &mut DbConnection,
    account_id: &str,
    policy_arn: &str,
) -> Result<ManagedPolicy, IamError> {
    managed_policies::table
        .filter(managed_policies::arn.eq(policy_arn))
        .filter(
            managed_policies::account_id
                .eq(account_id)
                .or(managed_policies::account_id.eq(AccountId::AWS)),
        )
        .select(ManagedPolicy::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(policy_arn))
}

/// A customer managed policy of the account (the only kind a caller may change).
pub(crate) fn find_own(
    conn: &mut DbConnection,
    account_id: &str,
    policy_arn: &str,
) -> Result<ManagedPolicy, IamError> {
    let policy = find(conn, account_id, policy_arn)?;
    if policy.account_id != account_id {
        return Err(IamError::InvalidInput(format!(
            "{policy_arn} is an AWS managed policy and cannot be changed."
        )));
    }
    Ok(policy)
}

/// The id of a policy usable as a permissions boundary.
pub fn boundary_id(
    conn: &mut DbConnection,
    account_id: &str,
    policy_arn: &str,
) -> Result<String, IamError> {
    find(conn, account_id, policy_arn)
        .map(|p| p.id)
        .map_err(|_| IamError::InvalidInput(format!("ARN {policy_arn} is not valid.")))
}

pub fn view(conn: &mut DbConnection, policy: ManagedPolicy) -> Result<PolicyView, IamError> {
    let id = &policy.id;
    let attachment_count: i64 = user_policy_attachments::table
        .filter(user_policy_attachments::policy_id.eq(id))
        .count()
        .get_result::<i64>(conn)?
        + group_policy_attachments::table
            .filter(group_policy_attachments::policy_id.eq(id))
            .count()
            .get_result::<i64>(conn)?
        + role_policy_attachments::table
            .filter(role_policy_attachments::policy_id.eq(id))
            .count()
            .get_result::<i64>(conn)?;
    let boundary_usage_count: i64 = users::table
        .filter(users::permissions_boundary_id.eq(id))
        .count()
        .get_result::<i64>(conn)?
        + roles::table
            .filter(roles::permissions_boundary_id.eq(id))
            .count()
            .get_result::<i64>(conn)?;
    let tags = tags::list(conn, Taggable::Policy, id)?;
    Ok(PolicyView {
        policy,
        attachment_count,
        boundary_usage_count,
        tags,
    })
}

#[derive(Debug, Clone, Default)]
pub struct CreatePolicy {
    pub name: String,
    pub path: Option<String>,
    pub document: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

pub fn create(
    ctx: &ServiceContext,
    call: &Call,
    input: CreatePolicy,
) -> Result<PolicyView, IamError> {
    names::check_name("policyName", &input.name, MAX_NAME_LEN)?;
    let path = input.path.clone().unwrap_or_else(|| "/".to_string());
    names::check_path(&path)?;
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 1000)
    {
        return Err(IamError::Validation(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: \
             Member must have length less than or equal to 1000"
                .into(),
        ));
    }
    check_document(
        &input.document,
        PolicyKind::Identity,
        ValidationLimit::Managed,
    )?;
    tags::check(&input.tags, ctx.limits.tags_per_resource)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = managed_policies::table
            .filter(managed_policies::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= ctx.limits.customer_managed_policies {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PoliciesPerAccount: {}.",
                ctx.limits.customer_managed_policies
            )));
        }
        let policy = ManagedPolicy {
            id: PolicyId::generate(ctx.random.as_ref()).into_string(),
            account_id: call.account_id.clone(),
            name: input.name.clone(),
            arn: arn::policy(&call.account_id, &path, &input.name),
            path,
            description: input.description.clone(),
            default_version_id: "v1".into(),
            next_version_number: 2,
            is_attachable: true,
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(managed_policies::table)
            .values(&policy)
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "A policy called {} already exists. Duplicate names are not allowed.",
                    input.name
                )),
                other => other.into(),
            })?;
        insert_version(conn, &policy.id, "v1", &input.document, now)?;
        tags::set(
            conn,
            &call.account_id,
            Taggable::Policy,
            &policy.id,
            &input.tags,
            ctx.limits.tags_per_resource,
        )?;
        call.audit(
            ctx,
            conn,
            "CreatePolicy",
            json!({ "policyName": input.name, "policyArn": policy.arn }),
        )?;
        view(conn, policy)
    })
}

/// Stores one version of a managed policy.
pub(crate) fn insert_version(
    conn: &mut DbConnection,
    policy_id: &str,
    version_id: &str,
    document: &str,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::insert_into(policy_versions::table)
        .values(&PolicyVersion {
            policy_id: policy_id.to_string(),
            version_id: version_id.to_string(),
            document: document.to_string(),
            created_at: now,
        })
        .execute(conn)?;
    Ok(())
}

pub fn get(
    ctx: &ServiceContext,
    account_id: &str,
    policy_arn: &str,
) -> Result<PolicyView, IamError> {
    ctx.store.read(|conn| {
        let policy = find(conn, account_id, policy_arn)?;
        view(conn, policy)
    })
}

pub fn delete(ctx: &ServiceContext, call: &Call, policy_arn: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let policy = find_own(conn, &call.account_id, policy_arn)?;
        let v = view(conn, policy.clone())?;
        if v.attachment_count > 0 || v.boundary_usage_count > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete a policy attached to entities.".into(),
            ));
        }
        let versions: i64 = policy_versions::table
            .filter(policy_versions::policy_id.eq(&policy.id))
            .count()
            .get_result(conn)?;
        if versions > 1 {
            return Err(IamError::DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must \
                 delete the policy's versions. The default version is deleted with the policy."
                    .into(),
            ));
        }
        diesel::delete(policy_versions::table.filter(policy_versions::policy_id.eq(&policy.id)))
            .execute(conn)?;
        tags::remove_all(conn, Taggable::Policy, &policy.id)?;
        diesel::delete(managed_policies::table.find(&policy.id)).execute(conn)?;
        call.audit(
            ctx,
            conn,
            "DeletePolicy",
            json!({ "policyArn": policy_arn }),
        )?;
        Ok(())
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Aws,
    Local,
}

pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    scope: Scope,
    only_attached: bool,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<PolicyView>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let mut query = managed_policies::table
            .select(ManagedPolicy::as_select())
            .order(managed_policies::arn.asc())
            .into_boxed();
        query = match scope {
            Scope::All => query.filter(
                managed_policies::account_id
                    .eq(account_id)
                    .or(managed_policies::account_id.eq(AccountId::AWS)),
            ),
            Scope::Aws => query.filter(managed_policies::account_id.eq(AccountId::AWS)),
            Scope::Local => query.filter(managed_policies::account_id.eq(account_id)),
        };
        if let Some(prefix) = path_prefix {
            query = query.filter(
                managed_policies::path
                    .like(format!("{}%", super::users::escape_like(prefix)))
                    .escape('\\'),
            );
        }
        if let Some(after) = &after {
            query = query.filter(managed_policies::arn.gt(after.clone()));
        }
        // OnlyAttached filters after counting; fetch everything from the marker on then.
        let rows: Vec<ManagedPolicy> = if only_attached {
            query.load(conn)?
        } else {
            query.limit(limit + 1).load(conn)?
        };
        let mut views = Vec::new();
        for policy in rows {
            let v = view(conn, policy)?;
            if only_attached && v.attachment_count == 0 {
                continue;
            }
            views.push(v);
            if views.len() as i64 > limit {
                break;
            }
        }
        Ok(Page::from_rows(views, limit, |v: &PolicyView| {
            v.policy.arn.clone()
        }))
    })
}

pub fn create_version(
    ctx: &ServiceContext,
    call: &Call,
    policy_arn: &str,
    document: &str,
    set_as_default: bool,
) -> Result<PolicyVersion, IamError> {
    check_document(document, PolicyKind::Identity, ValidationLimit::Managed)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let policy = find_own(conn, &call.account_id, policy_arn)?;
        lock_policy(conn, &policy.id)?;
        let versions: i64 = policy_versions::table
            .filter(policy_versions::policy_id.eq(&policy.id))
            .count()
            .get_result(conn)?;
        if versions >= ctx.limits.policy_versions {
            return Err(IamError::LimitExceeded(format!(
                "A managed policy can have up to {} versions. Before you create a new version, \
                 you must delete an existing version.",
                ctx.limits.policy_versions
            )));
        }
        let version_id = format!("v{}", policy.next_version_number);
        insert_version(conn, &policy.id, &version_id, document, now)?;
        let default = if set_as_default { version_id.clone() } else { policy.default_version_id.clone() };
        diesel::update(managed_policies::table.find(&policy.id))
            .set((
                managed_policies::next_version_number.eq(policy.next_version_number + 1),
                managed_policies::default_version_id.eq(&default),
                managed_policies::updated_at.eq(now),
            ))
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "CreatePolicyVersion",
            json!({ "policyArn": policy_arn, "setAsDefault": set_as_default, "versionId": version_id }),
        )?;
        Ok(PolicyVersion {
            policy_id: policy.id,
            version_id,
            document: document.to_string(),
            created_at: now,
        })
    })
}

/// Serialises version changes of one policy (the 5-version quota, the version counter).
fn lock_policy(conn: &mut DbConnection, policy_id: &str) -> Result<(), StorageError> {
    if let DbConnection::Pg(pg) = conn {
        managed_policies::table
            .find(policy_id)
            .select(managed_policies::id)
            .for_update()
            .first::<String>(pg)?;
    }
    Ok(())
}

fn version_not_found(policy_arn: &str, version_id: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "Policy {policy_arn} version {version_id} does not exist or is not attachable."
    ))
}

pub fn get_version(
    ctx: &ServiceContext,
    account_id: &str,
    policy_arn: &str,
    version_id: &str,
) -> Result<(PolicyVersion, bool), IamError> {
    ctx.store.read(|conn| {
        let policy = find(conn, account_id, policy_arn)?;
        let version = policy_versions::table
            .find((&policy.id, version_id))
            .select(PolicyVersion::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| version_not_found(policy_arn, version_id))?;
        Ok((version, policy.default_version_id == version_id))
    })
}

pub fn list_versions(
    ctx: &ServiceContext,
    account_id: &str,
    policy_arn: &str,
) -> Result<(Vec<PolicyVersion>, String), IamError> {
    ctx.store.read(|conn| {
        let policy = find(conn, account_id, policy_arn)?;
        let versions = policy_versions::table
            .filter(policy_versions::policy_id.eq(&policy.id))
            .order(policy_versions::created_at.desc())
            .select(PolicyVersion::as_select())
            .load(conn)?;
        Ok((versions, policy.default_version_id))
    })
}

pub fn delete_version(
    ctx: &ServiceContext,
    call: &Call,
    policy_arn: &str,
    version_id: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let policy = find_own(conn, &call.account_id, policy_arn)?;
        if policy.default_version_id == version_id {
            return Err(IamError::DeleteConflict(
                "Cannot delete the default version of a policy.".into(),
            ));
        }
        let deleted =
            diesel::delete(policy_versions::table.find((&policy.id, version_id))).execute(conn)?;
        if deleted == 0 {
            return Err(version_not_found(policy_arn, version_id));
        }
        call.audit(
            ctx,
            conn,
            "DeletePolicyVersion",
            json!({ "policyArn": policy_arn, "versionId": version_id }),
        )?;
        Ok(())
    })
}

pub fn set_default_version(
    ctx: &ServiceContext,
    call: &Call,
    policy_arn: &str,
    version_id: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let policy = find_own(conn, &call.account_id, policy_arn)?;
        let exists: i64 = policy_versions::table
            .filter(policy_versions::policy_id.eq(&policy.id))
            .filter(policy_versions::version_id.eq(version_id))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            return Err(version_not_found(policy_arn, version_id));
        }
        diesel::update(managed_policies::table.find(&policy.id))
            .set((
                managed_policies::default_version_id.eq(version_id),
                managed_policies::updated_at.eq(ctx.clock.now_naive()),
            ))
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "SetDefaultPolicyVersion",
            json!({ "policyArn": policy_arn, "versionId": version_id }),
        )?;
        Ok(())
    })
}

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
                    .like(format!("{}%", super::users::escape_like(prefix)))
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
