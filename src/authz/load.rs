//! Reading a principal's policies from the store and compiling them.

use super::Caller;
use crate::iam::entities::EntityKind;
use crate::iam::{groups, inline, policies, tags, IamError};
use crate::policy::{Policy, PolicyKind};
use crate::storage::schema::{managed_policies, policy_versions, users};
use crate::storage::{DbConnection, StorageError};
use diesel::prelude::*;

/// A principal's compiled policies and tags.
#[derive(Debug, Default)]
pub struct PrincipalPolicies {
    pub identity: Vec<Policy>,
    pub boundary: Option<Policy>,
    pub tags: Vec<(String, String)>,
}

fn compile(document: &str, kind: PolicyKind, label: &str) -> Result<Policy, IamError> {
    Policy::parse(document, kind)
        .map(|p| p.with_label(label))
        .map_err(|e| {
            IamError::Storage(StorageError::Corrupt(format!("stored policy {label}: {e}")))
        })
}

/// (arn, document) of the default versions of these managed policies.
fn managed_documents(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<Vec<(String, String)>, StorageError> {
    Ok(managed_policies::table
        .inner_join(
            policy_versions::table.on(policy_versions::policy_id
                .eq(managed_policies::id)
                .and(policy_versions::version_id.eq(managed_policies::default_version_id))),
        )
        .filter(managed_policies::id.eq_any(ids))
        .select((managed_policies::arn, policy_versions::document))
        .load(conn)?)
}

fn add_entity(
    conn: &mut DbConnection,
    out: &mut PrincipalPolicies,
    kind: EntityKind,
    id: &str,
    arn: &str,
) -> Result<(), IamError> {
    for (name, document) in inline::all(conn, kind, id)? {
        out.identity.push(compile(
            &document,
            PolicyKind::Identity,
            &format!("{arn} inline policy {name}"),
        )?);
    }
    let attached = policies::attached_ids(conn, kind, id)?;
    for (policy_arn, document) in managed_documents(conn, &attached)? {
        out.identity
            .push(compile(&document, PolicyKind::Identity, &policy_arn)?);
    }
    Ok(())
}

pub fn for_caller(conn: &mut DbConnection, caller: &Caller) -> Result<PrincipalPolicies, IamError> {
    let mut out = PrincipalPolicies::default();
    let Caller::User {
        user_id,
        account_id,
        ..
    } = caller
    else {
        return Ok(out);
    };
    let user_arn = caller.arn();
    add_entity(conn, &mut out, EntityKind::User, user_id, &user_arn)?;
    for group in groups::for_user(conn, user_id)? {
        let group_arn = groups::group_arn(&group);
        add_entity(conn, &mut out, EntityKind::Group, &group.id, &group_arn)?;
    }
    let boundary: Option<String> = users::table
        .find(user_id)
        .select(users::permissions_boundary_id)
        .first::<Option<String>>(conn)?;
    if let Some(boundary_id) = boundary {
        if let Some((arn, document)) = managed_documents(conn, &[boundary_id])?.into_iter().next() {
            out.boundary = Some(compile(&document, PolicyKind::Boundary, &arn)?);
        }
    }
    out.tags = tags::list(conn, tags::Taggable::User, user_id)?
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    let _ = account_id;
    Ok(out)
}
