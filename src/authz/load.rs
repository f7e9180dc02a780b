//! Reading a principal's policies from the store and compiling them.

use super::Caller;
use crate::credentials::{SessionClaims, SessionPrincipal};
use crate::iam::entities::EntityKind;
use crate::iam::{groups, inline, policies, tags, IamError};
use crate::policy::{Policy, PolicyKind};
use crate::storage::ids::AccountId;
use crate::storage::schema::{managed_policies, policy_versions, roles, users};
use crate::storage::{DbConnection, StorageError};
use diesel::prelude::*;

/// Where a policy comes from, as IAM's simulator names it (`SourcePolicyId`, `SourcePolicyType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    pub id: String,
    /// `user`, `group`, `role` (inline policies), `aws-managed`, `user-managed`, `resource`, `none`.
    pub kind: &'static str,
}

/// A principal's compiled policies, with their sources, and its tags.
#[derive(Debug, Default)]
pub struct PrincipalPolicies {
    pub identity: Vec<Policy>,
    pub sources: Vec<PolicySource>,
    pub boundary: Option<(Policy, PolicySource)>,
    pub tags: Vec<(String, String)>,
}

impl PrincipalPolicies {
    pub fn boundary_policy(&self) -> Option<&Policy> {
        self.boundary.as_ref().map(|(p, _)| p)
    }

    /// The source of the policy with this label.
    pub fn source_of(&self, label: &str) -> Option<&PolicySource> {
        self.identity
            .iter()
            .position(|p| p.label().as_ref() == label)
            .and_then(|i| self.sources.get(i))
            .or_else(|| {
                self.boundary
                    .as_ref()
                    .filter(|(p, _)| p.label().as_ref() == label)
                    .map(|(_, s)| s)
            })
    }
}

/// Compiles a stored document. One that no longer compiles (saved before a rule it breaks was
/// enforced, such as duplicate keys) fails closed: it is enforced as a Deny of everything, so
/// the principals that have it are refused (AccessDenied names the policy) and nobody else is
/// touched, and each load logs an error naming it.
fn compile(document: &str, kind: PolicyKind, label: &str) -> Policy {
    match Policy::parse(document, kind) {
        Ok(p) => p.with_label(label),
        Err(e) => {
            tracing::error!(
                policy = label,
                error = %e,
                "stored policy does not compile; it denies every request of the principals that have it until it is replaced"
            );
            Policy::deny_all(kind).with_label(label)
        }
    }
}

fn managed_source(arn: &str) -> PolicySource {
    let aws = arn.starts_with(&format!("arn:aws:iam::{}:", AccountId::AWS));
    PolicySource {
        id: arn.to_string(),
        kind: if aws { "aws-managed" } else { "user-managed" },
    }
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

/// Adds an entity's inline and attached managed policies. Inline policies are labelled
/// `inline:<kind>/<entity>/<policy>` (not an ARN, so AccessDenied messages do not name them).
fn add_entity(
    conn: &mut DbConnection,
    out: &mut PrincipalPolicies,
    kind: EntityKind,
    id: &str,
    name: &str,
) -> Result<(), IamError> {
    let word = match kind {
        EntityKind::User => "user",
        EntityKind::Group => "group",
        EntityKind::Role => "role",
    };
    for (policy_name, document) in inline::all(conn, kind, id)? {
        let label = format!("inline:{word}/{name}/{policy_name}");
        out.identity
            .push(compile(&document, PolicyKind::Identity, &label));
        out.sources.push(PolicySource {
            id: policy_name,
            kind: word,
        });
    }
    let attached = policies::attached_ids(conn, kind, id)?;
    for (arn, document) in managed_documents(conn, &attached)? {
        out.identity
            .push(compile(&document, PolicyKind::Identity, &arn));
        out.sources.push(managed_source(&arn));
    }
    Ok(())
}

fn add_boundary(
    conn: &mut DbConnection,
    out: &mut PrincipalPolicies,
    boundary_id: Option<String>,
) -> Result<(), IamError> {
    if let Some(boundary_id) = boundary_id {
        if let Some((arn, document)) = managed_documents(conn, &[boundary_id])?.into_iter().next() {
            out.boundary = Some((
                compile(&document, PolicyKind::Boundary, &arn),
                managed_source(&arn),
            ));
        }
    }
    Ok(())
}

/// An IAM user's policies: its own, its groups', its boundary, and its tags.
pub fn for_user(
    conn: &mut DbConnection,
    user_id: &str,
    name: &str,
) -> Result<PrincipalPolicies, IamError> {
    let mut out = PrincipalPolicies::default();
    add_entity(conn, &mut out, EntityKind::User, user_id, name)?;
    for group in groups::for_user(conn, user_id)? {
        add_entity(conn, &mut out, EntityKind::Group, &group.id, &group.name)?;
    }
    let boundary = users::table
        .find(user_id)
        .select(users::permissions_boundary_id)
        .first::<Option<String>>(conn)?;
    add_boundary(conn, &mut out, boundary)?;
    out.tags = tags::list(conn, tags::Taggable::User, user_id)?
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    Ok(out)
}

/// A group's policies.
pub fn for_group(
    conn: &mut DbConnection,
    group_id: &str,
    name: &str,
) -> Result<PrincipalPolicies, IamError> {
    let mut out = PrincipalPolicies::default();
    add_entity(conn, &mut out, EntityKind::Group, group_id, name)?;
    Ok(out)
}

/// A role's policies, boundary and tags.
pub fn for_role(
    conn: &mut DbConnection,
    role_id: &str,
    name: &str,
) -> Result<PrincipalPolicies, IamError> {
    let mut out = PrincipalPolicies::default();
    add_entity(conn, &mut out, EntityKind::Role, role_id, name)?;
    let boundary = roles::table
        .find(role_id)
        .select(roles::permissions_boundary_id)
        .first::<Option<String>>(conn)?;
    add_boundary(conn, &mut out, boundary)?;
    out.tags = tags::list(conn, tags::Taggable::Role, role_id)?
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    Ok(out)
}

/// The policies of whoever the caller acts as: a user, the role of a role session (none once
/// the role is deleted: its sessions lose every permission), or the user behind a federated
/// session.
pub fn for_caller(conn: &mut DbConnection, caller: &Caller) -> Result<PrincipalPolicies, IamError> {
    match caller {
        Caller::User { user_id, name, .. } => for_user(conn, user_id, name),
        Caller::Root { .. } => Ok(PrincipalPolicies::default()),
        Caller::Session { claims, .. } => match &claims.principal {
            SessionPrincipal::Role { id, name, .. } => {
                let exists = roles::table
                    .find(id)
                    .select(roles::id)
                    .first::<String>(conn)
                    .optional()?
                    .is_some();
                if exists {
                    for_role(conn, id, name)
                } else {
                    Ok(PrincipalPolicies::default())
                }
            }
            SessionPrincipal::User { id, name, .. }
            | SessionPrincipal::Federated {
                user_id: id,
                user_name: name,
                ..
            } => {
                let exists = users::table
                    .find(id)
                    .select(users::id)
                    .first::<String>(conn)
                    .optional()?
                    .is_some();
                if exists {
                    for_user(conn, id, name)
                } else {
                    Ok(PrincipalPolicies::default())
                }
            }
            SessionPrincipal::Root => Ok(PrincipalPolicies::default()),
        },
    }
}

/// The session policies of a temporary credential: its inline policy and the default versions
/// of its managed session policies. `None` when it has none (the session is not narrowed).
pub fn session_policies(
    conn: &mut DbConnection,
    claims: &SessionClaims,
) -> Result<Option<Vec<Policy>>, IamError> {
    if claims.policy.is_none() && claims.policy_arns.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    if let Some(document) = &claims.policy {
        out.push(compile(document, PolicyKind::Session, "session-policy"));
    }
    if !claims.policy_arns.is_empty() {
        let ids: Vec<String> = managed_policies::table
            .filter(managed_policies::arn.eq_any(&claims.policy_arns))
            .select(managed_policies::id)
            .load(conn)?;
        for (arn, document) in managed_documents(conn, &ids)? {
            out.push(compile(&document, PolicyKind::Session, &arn));
        }
    }
    Ok(Some(out))
}
