//! Versions of customer managed policies: created (up to the quota), read, listed, deleted,
//! and which one is the default.

use super::{check_document, find, find_own};
use crate::context::ServiceContext;
use crate::iam::call::Call;
use crate::iam::IamError;
use crate::policy::{PolicyKind, ValidationLimit};
use crate::storage::models::PolicyVersion;
use crate::storage::schema::{managed_policies, policy_versions};
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

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
