//! The unique ids behind the IAM users and roles that a role's trust policy names.
//!
//! AWS keeps a trust policy's user and role ARNs as the unique ids of the principals they named
//! when the policy was saved ("IAM JSON policy elements: Principal"). A user deleted and created
//! again under the same name is a different principal and is not trusted; the policy then shows
//! the old principal's unique id in place of its ARN. A renamed user keeps the trust, and the
//! policy shows its new ARN.
//!
//! ```text
//!  CreateRole / UpdateAssumeRolePolicy ─> bind: each user/role ARN ─> its id (or refused:
//!                                          "Invalid principal in policy")
//!  AssumeRole (authz::Authorizer::trusted_role) ─> ids ─> Policy::with_principal_ids
//!  GetRole ─> shown: the stored text, or the ARNs of today (renamed) and the ids of the gone
//! ```

use super::roles::Role;
use super::IamError;
use crate::iam::arn;
use crate::policy::{Policy, PolicyKind};
use crate::storage::schema::{role_trust_principals, roles, users};
use crate::storage::sql::lower;
use crate::storage::DbConnection;
use diesel::prelude::*;
use serde_json::Value;
use std::collections::HashMap;

/// A user or role ARN of a `Principal` element, split: account, entity kind, path and name.
struct Named<'a> {
    account: &'a str,
    kind: &'a str,
    path: String,
    name: &'a str,
}

fn split(principal_arn: &str) -> Option<Named<'_>> {
    let rest = principal_arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let (kind, path_and_name) = resource.split_once('/')?;
    let (path, name) = match path_and_name.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name),
        None => ("/".to_string(), path_and_name),
    };
    Some(Named {
        account,
        kind,
        path,
        name,
    })
}

/// The unique id of the user or role `principal_arn` names now, if one does.
fn resolve(conn: &mut DbConnection, principal_arn: &str) -> Result<Option<String>, IamError> {
    let Some(named) = split(principal_arn) else {
        return Ok(None);
    };
    let found: Option<(String, String)> = match named.kind {
        "user" => users::table
            .filter(users::account_id.eq(named.account))
            .filter(lower(users::name).eq(named.name.to_lowercase()))
            .select((users::id, users::path))
            .first(conn)
            .optional()?,
        "role" => roles::table
            .filter(roles::account_id.eq(named.account))
            .filter(lower(roles::name).eq(named.name.to_lowercase()))
            .select((roles::id, roles::path))
            .first(conn)
            .optional()?,
        _ => None,
    };
    Ok(found
        .filter(|(_, path)| *path == named.path)
        .map(|(id, _)| id))
}

/// The ARN the principal with unique id `id` has now, if it still exists.
fn current_arn(conn: &mut DbConnection, id: &str) -> Result<Option<String>, IamError> {
    let user: Option<(String, String, String)> = users::table
        .find(id)
        .select((users::account_id, users::path, users::name))
        .first(conn)
        .optional()?;
    if let Some((account, path, name)) = user {
        return Ok(Some(arn::user(&account, &path, &name)));
    }
    let role: Option<(String, String, String)> = roles::table
        .find(id)
        .select((roles::account_id, roles::path, roles::name))
        .first(conn)
        .optional()?;
    Ok(role.map(|(account, path, name)| arn::role(&account, &path, &name)))
}

/// Binds the user and role ARNs of `document` (a trust policy, already validated) to the ids of
/// the principals they name, for role `role_id`, replacing earlier bindings. With `strict`, an
/// ARN that names nobody refuses the save as IAM does; without (binding a policy saved before
/// ids were kept), it is left unbound and so trusts nobody.
pub fn bind(
    conn: &mut DbConnection,
    role_id: &str,
    document: &str,
    strict: bool,
) -> Result<(), IamError> {
    let policy = match Policy::parse(document, PolicyKind::Trust) {
        Ok(policy) => Some(policy),
        Err(e) if strict => return Err(IamError::MalformedPolicyDocument(e.to_string())),
        // A stored policy that no longer compiles (one saved before a rule it breaks) binds
        // nothing: AssumeRole refuses it whatever it names, and the server still starts.
        Err(e) => {
            tracing::warn!(role = role_id, error = %e, "stored trust policy does not compile");
            None
        }
    };
    let mut rows: Vec<(String, String)> = Vec::new();
    for principal_arn in policy.iter().flat_map(|p| p.principal_arns()) {
        match resolve(conn, principal_arn)? {
            Some(id) => rows.push((principal_arn.to_string(), id)),
            None if strict => {
                return Err(IamError::MalformedPolicyDocument(format!(
                    "Invalid principal in policy: \"AWS\":\"{principal_arn}\""
                )))
            }
            None => {}
        }
    }
    diesel::delete(role_trust_principals::table.filter(role_trust_principals::role_id.eq(role_id)))
        .execute(conn)?;
    for (principal_arn, id) in rows {
        diesel::insert_into(role_trust_principals::table)
            .values((
                role_trust_principals::role_id.eq(role_id),
                role_trust_principals::arn.eq(principal_arn),
                role_trust_principals::principal_id.eq(id),
            ))
            .execute(conn)?;
    }
    diesel::update(roles::table.find(role_id))
        .set(roles::trust_bound.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Binds the trust policies of roles saved before ids were kept (once, at start-up), from the
/// principals that have their names now. Returns how many roles were bound.
pub fn bind_unbound(conn: &mut DbConnection) -> Result<usize, IamError> {
    let unbound: Vec<(String, String)> = roles::table
        .filter(roles::trust_bound.eq(false))
        .select((roles::id, roles::assume_role_policy))
        .load(conn)?;
    for (role_id, document) in &unbound {
        bind(conn, role_id, document, false)?;
    }
    Ok(unbound.len())
}

/// The ids role `role_id`'s trust policy is bound to, by ARN as written.
pub fn ids(conn: &mut DbConnection, role_id: &str) -> Result<HashMap<String, String>, IamError> {
    Ok(role_trust_principals::table
        .filter(role_trust_principals::role_id.eq(role_id))
        .select((
            role_trust_principals::arn,
            role_trust_principals::principal_id,
        ))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// The trust policy as IAM shows it: each bound ARN as its principal's ARN of today, or its
/// unique id when the principal is gone. The stored text when nothing changed.
pub fn shown(conn: &mut DbConnection, role_id: &str, document: &str) -> Result<String, IamError> {
    let bindings: Vec<(String, String)> = ids(conn, role_id)?.into_iter().collect();
    let replace = replacements(conn, bindings)?;
    Ok(rewrite(document, &replace))
}

/// [`shown`] for a page of roles (ListRoles): the page's bindings in one query, then the
/// principals they name; roles whose policies name no user or role cost nothing more.
pub fn show_page<'a>(
    conn: &mut DbConnection,
    roles: impl IntoIterator<Item = &'a mut Role>,
) -> Result<(), IamError> {
    let mut roles: Vec<&mut Role> = roles.into_iter().collect();
    let role_ids: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
    let bound: Vec<(String, String, String)> = role_trust_principals::table
        .filter(role_trust_principals::role_id.eq_any(&role_ids))
        .select((
            role_trust_principals::role_id,
            role_trust_principals::arn,
            role_trust_principals::principal_id,
        ))
        .load(conn)?;
    let mut by_role: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (role_id, written, id) in bound {
        by_role.entry(role_id).or_default().push((written, id));
    }
    for role in &mut roles {
        if let Some(bindings) = by_role.remove(&role.id) {
            let replace = replacements(conn, bindings)?;
            role.assume_role_policy = rewrite(&role.assume_role_policy, &replace);
        }
    }
    Ok(())
}

/// The bound ARNs (ARN as written, unique id) that IAM shows otherwise now: a renamed
/// principal's ARN of today, or a gone principal's unique id.
fn replacements(
    conn: &mut DbConnection,
    bindings: Vec<(String, String)>,
) -> Result<HashMap<String, String>, IamError> {
    let mut replace = HashMap::new();
    for (written, id) in bindings {
        let now = current_arn(conn, &id)?.unwrap_or(id);
        if now != written {
            replace.insert(written, now);
        }
    }
    Ok(replace)
}

/// `document` with the `AWS` principals of `replace` replaced; the stored text when none is.
fn rewrite(document: &str, replace: &HashMap<String, String>) -> String {
    if replace.is_empty() {
        return document.to_string();
    }
    let Ok(mut value) = serde_json::from_str::<Value>(document) else {
        return document.to_string();
    };
    let statements = match value.get_mut("Statement") {
        Some(Value::Array(list)) => list.iter_mut().collect::<Vec<_>>(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    for statement in statements {
        for element in ["Principal", "NotPrincipal"] {
            let Some(aws) = statement.get_mut(element).and_then(|p| p.get_mut("AWS")) else {
                continue;
            };
            let entries = match aws {
                Value::Array(list) => list.iter_mut().collect::<Vec<_>>(),
                one => vec![one],
            };
            for entry in entries {
                if let Some(now) = entry.as_str().and_then(|s| replace.get(s)) {
                    *entry = Value::String(now.clone());
                }
            }
        }
    }
    serde_json::to_string(&value).unwrap_or_else(|_| document.to_string())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn principal_arns_split_into_account_kind_path_and_name() {
        let n = split("arn:aws:iam::111122223333:user/team/a/bob").unwrap();
        assert_eq!(
            (n.account, n.kind, n.path.as_str(), n.name),
            ("111122223333", "user", "/team/a/", "bob")
        );
        let n = split("arn:aws:iam::111122223333:role/Dev").unwrap();
        assert_eq!((n.kind, n.path.as_str(), n.name), ("role", "/", "Dev"));
        assert!(split("arn:aws:iam::111122223333:root").is_none());
    }
}
