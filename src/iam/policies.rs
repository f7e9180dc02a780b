//! Customer managed policies: created, read, listed, deleted; AWS-managed policies (account
//! `aws`) can be read and attached, not changed. Their versions are in `versions.rs`, their
//! attachment to users, groups and roles in `attachments.rs`, both re-exported here.

mod attachments;
mod versions;

pub use attachments::{attach, attached_ids, detach, list_attached, list_entities};
pub(crate) use versions::insert_version;
pub use versions::{
    create_version, delete_version, get_version, list_versions, set_default_version,
};

use super::call::Call;
use super::page::{Page, PageRequest};
use super::tags::{self, Tag, Taggable};
use super::{arn, names, IamError};
use crate::context::ServiceContext;
use crate::policy::{Policy, PolicyError, PolicyKind, ValidationLimit};
use crate::storage::ids::{AccountId, PolicyId};
use crate::storage::models::ManagedPolicy;
use crate::storage::schema::{
    group_policy_attachments, groups, managed_policies, policy_versions, role_policy_attachments,
    roles, user_policy_attachments, users,
};
use crate::storage::{lock_account, DbConnection, StorageError};
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

/// The policy ids among `ids` attached to a user, group or role of `account_id`, once per
/// attachment (never another account's: an AWS-managed policy is attached in many).
pub fn attachments_in(
    conn: &mut DbConnection,
    account_id: &str,
    ids: &[&str],
) -> Result<Vec<String>, IamError> {
    let mut attached: Vec<String> = user_policy_attachments::table
        .inner_join(users::table)
        .filter(users::account_id.eq(account_id))
        .filter(user_policy_attachments::policy_id.eq_any(ids))
        .select(user_policy_attachments::policy_id)
        .load(conn)?;
    attached.extend(
        group_policy_attachments::table
            .inner_join(groups::table)
            .filter(groups::account_id.eq(account_id))
            .filter(group_policy_attachments::policy_id.eq_any(ids))
            .select(group_policy_attachments::policy_id)
            .load::<String>(conn)?,
    );
    attached.extend(
        role_policy_attachments::table
            .inner_join(roles::table)
            .filter(roles::account_id.eq(account_id))
            .filter(role_policy_attachments::policy_id.eq_any(ids))
            .select(role_policy_attachments::policy_id)
            .load::<String>(conn)?,
    );
    Ok(attached)
}

/// `policy` as `account_id` sees it: its attachments and uses as a boundary in that account.
pub fn view(
    conn: &mut DbConnection,
    account_id: &str,
    policy: ManagedPolicy,
) -> Result<PolicyView, IamError> {
    let id = &policy.id;
    let attachment_count = attachments_in(conn, account_id, &[id.as_str()])?.len() as i64;
    let boundary_usage_count: i64 = users::table
        .filter(users::account_id.eq(account_id))
        .filter(users::permissions_boundary_id.eq(id))
        .count()
        .get_result::<i64>(conn)?
        + roles::table
            .filter(roles::account_id.eq(account_id))
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
        view(conn, &call.account_id, policy)
    })
}

pub fn get(
    ctx: &ServiceContext,
    account_id: &str,
    policy_arn: &str,
) -> Result<PolicyView, IamError> {
    ctx.store.read(|conn| {
        let policy = find(conn, account_id, policy_arn)?;
        view(conn, account_id, policy)
    })
}

pub fn delete(ctx: &ServiceContext, call: &Call, policy_arn: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let policy = find_own(conn, &call.account_id, policy_arn)?;
        let v = view(conn, &call.account_id, policy.clone())?;
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
            let v = view(conn, account_id, policy)?;
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
