//! IAM's own condition keys for one authorization: what the table in
//! `policy::supplied_keys` says the action is given, with values from the request's parameters
//! and from the entity the action acts on.
//!
//! ```text
//!  iam:AttachUserPolicy on user/bob ──table──> PolicyArn, BoundaryOfEntity, ResourceTags, ...
//!    PolicyArn          <- the PolicyArn parameter                       (always: no read)
//!    BoundaryInRequest  <- the PermissionsBoundary parameter             (always: no read)
//!    RequestTags        <- Tags.member.N  (aws:RequestTag/K, aws:TagKeys) (always: no read)
//!    TagKeysRemoved     <- TagKeys.member.N (aws:TagKeys)                 (always: no read)
//!    BoundaryOfEntity   <- the user's or role's boundary  } read only when a policy in play
//!    ResourceTags, IamResourceTags <- the entity's tags   } names such a key
//! ```
//!
//! The entity is the one the action is authorized on: its kind and name come from the
//! resource ARN (`user/path/name`, `role/...`, `policy/...`, `instance-profile/...`,
//! `oidc-provider/...`, `mfa/...`). An entity that does not exist (yet) has no tags and no
//! boundary. A store failure fails the authorization: a guardrail is not skipped for want of
//! its key.

use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::iam::page::{PageRequest, MAX_MAX_ITEMS};
use crate::iam::tags::{self, Tag, Taggable};
use crate::iam::{roles, users, IamError};
use crate::policy::supplied_keys::{self, Supplied};
use crate::policy::{Arn, ContextValue, StoredKeys};

/// The context keys `action` (`iam:...`) on `resource` is given beyond the global ones.
pub fn for_request(
    env: &Env<'_>,
    action: &str,
    resource: &str,
) -> Result<Vec<(String, ContextValue)>, AwsError> {
    let Some(sources) = action
        .strip_prefix("iam:")
        .and_then(supplied_keys::for_action)
    else {
        return Ok(Vec::new());
    };
    let mut keys = Vec::new();
    let mut stored = None;
    for source in sources {
        match source {
            Supplied::PolicyArn => {
                if let Some(arn) = env.params.get("PolicyArn") {
                    keys.push(("iam:PolicyARN".to_string(), arn.into()));
                }
            }
            Supplied::BoundaryInRequest => {
                if let Some(arn) = env.params.get("PermissionsBoundary") {
                    keys.push(("iam:PermissionsBoundary".to_string(), arn.into()));
                }
            }
            Supplied::RequestTags => request_tags(env, &mut keys)?,
            Supplied::TagKeysRemoved => {
                let removed: Vec<String> = env
                    .params
                    .list("TagKeys")?
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                if !removed.is_empty() {
                    keys.push(("aws:TagKeys".to_string(), removed.into()));
                }
            }
            Supplied::BoundaryOfEntity | Supplied::ResourceTags | Supplied::IamResourceTags => {
                if stored.is_none() {
                    stored = Some(Stored::read(env, sources, resource)?);
                }
            }
        }
    }
    if let Some(stored) = stored {
        stored.supply(sources, &mut keys);
    }
    Ok(keys)
}

/// `aws:RequestTag/K` for each tag of the request and `aws:TagKeys` for their keys (absent,
/// as on AWS, when the request carries no tags).
fn request_tags(env: &Env<'_>, keys: &mut Vec<(String, ContextValue)>) -> Result<(), AwsError> {
    let tags = env.params.tags("Tags")?;
    if tags.is_empty() {
        return Ok(());
    }
    for tag in &tags {
        keys.push((
            format!("aws:RequestTag/{}", tag.key),
            tag.value.as_str().into(),
        ));
    }
    let names: Vec<String> = tags.into_iter().map(|t| t.key).collect();
    keys.push(("aws:TagKeys".to_string(), names.into()));
    Ok(())
}

/// What was read of the entity: only what some policy in play asks for.
#[derive(Default)]
struct Stored {
    boundary: Option<String>,
    tags: Vec<Tag>,
}

impl Stored {
    fn read(env: &Env<'_>, sources: &[Supplied], resource: &str) -> Result<Stored, AwsError> {
        let wanted = keys_in_play(env)?;
        let wants_tags = wanted.resource_tags
            && sources
                .iter()
                .any(|s| matches!(s, Supplied::ResourceTags | Supplied::IamResourceTags));
        let wants_boundary =
            wanted.permissions_boundary && sources.contains(&Supplied::BoundaryOfEntity);
        if !wants_tags && !wants_boundary {
            return Ok(Stored::default());
        }
        let Some((kind, name)) = entity_of(env, resource) else {
            return Ok(Stored::default());
        };
        let found = match kind {
            Taggable::User => users::get(env.ctx(), env.account(), &name)
                .map(|u| (u.permissions_boundary_arn, u.tags)),
            Taggable::Role => roles::get(env.ctx(), env.account(), &name)
                .map(|r| (r.permissions_boundary_arn, r.tags)),
            _ if wants_tags => all_tags(env, kind, &name).map(|tags| (None, tags)),
            _ => Ok((None, Vec::new())),
        };
        match found {
            Ok((boundary, tags)) => Ok(Stored { boundary, tags }),
            Err(IamError::NoSuchEntity(_)) => Ok(Stored::default()),
            Err(e) => Err(e.into()),
        }
    }

    fn supply(self, sources: &[Supplied], keys: &mut Vec<(String, ContextValue)>) {
        for source in sources {
            match source {
                Supplied::BoundaryOfEntity => {
                    if let Some(arn) = &self.boundary {
                        keys.push(("iam:PermissionsBoundary".to_string(), arn.as_str().into()));
                    }
                }
                Supplied::ResourceTags => keys.extend(tag_keys("aws", &self.tags)),
                Supplied::IamResourceTags => keys.extend(tag_keys("iam", &self.tags)),
                _ => {}
            }
        }
    }
}

fn tag_keys<'a>(
    prefix: &'a str,
    tags: &'a [Tag],
) -> impl Iterator<Item = (String, ContextValue)> + 'a {
    tags.iter().map(move |t| {
        (
            format!("{prefix}:ResourceTag/{}", t.key),
            t.value.as_str().into(),
        )
    })
}

/// Which store-backed keys the caller's policies name: its identity policies, its boundary and
/// its session's policies (all cached; no read on the hot path).
fn keys_in_play(env: &Env<'_>) -> Result<StoredKeys, AwsError> {
    let authorizer = &env.api.authorizer;
    let policies = authorizer.policies(env.ctx(), &env.caller)?;
    let session = authorizer.session_policies(env.ctx(), &env.caller)?;
    Ok(policies
        .identity
        .iter()
        .chain(policies.boundary_policy())
        .chain(session.iter().flat_map(|s| s.iter()))
        .fold(StoredKeys::default(), |acc, p| acc.union(p.stored_keys())))
}

/// The taggable entity a resource ARN of the caller's account names, as the tag service
/// names it: users, roles and instance profiles by name, the others by their ARN.
fn entity_of(env: &Env<'_>, resource: &str) -> Option<(Taggable, String)> {
    let arn = Arn::parse(resource)?;
    if arn.service != "iam" || arn.account != env.account() {
        return None;
    }
    let (kind, rest) = arn.resource.split_once('/')?;
    let last = || rest.rsplit('/').next().unwrap_or(rest).to_string();
    let entity = match kind {
        "user" => (Taggable::User, last()),
        "role" => (Taggable::Role, last()),
        "instance-profile" => (Taggable::InstanceProfile, last()),
        "policy" => (Taggable::Policy, resource.to_string()),
        "oidc-provider" => (Taggable::OidcProvider, resource.to_string()),
        "mfa" => (Taggable::Mfa, resource.to_string()),
        _ => return None,
    };
    // A pattern (`user/*` of ListUsers) names no one entity.
    (!entity.1.contains(['*', '?'])).then_some(entity)
}

/// Every tag of the entity, page by page.
fn all_tags(env: &Env<'_>, kind: Taggable, name: &str) -> Result<Vec<Tag>, IamError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = tags::list_page(
            env.ctx(),
            env.account(),
            kind,
            name,
            &PageRequest {
                marker,
                max_items: Some(MAX_MAX_ITEMS),
            },
        )?;
        let more = page.is_truncated();
        marker = page.marker.clone();
        out.extend(page.items);
        if !more || marker.is_none() {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action the dispatchers serve has its row in the table, so that no action is
    /// authorized without the keys the reference gives it.
    #[test]
    fn every_iam_action_keyward_serves_is_in_the_table() {
        let sources = [
            include_str!("users.rs"),
            include_str!("groups.rs"),
            include_str!("roles.rs"),
            include_str!("policies.rs"),
            include_str!("keys.rs"),
            include_str!("simulate.rs"),
            include_str!("account.rs"),
            include_str!("passwords.rs"),
            include_str!("mfa.rs"),
        ];
        let mut served = Vec::new();
        for line in sources.iter().flat_map(|s| s.lines()) {
            let Some((names, call)) = line.trim().split_once("=>") else {
                continue;
            };
            if !names.starts_with('"') || !call.contains("(env") {
                continue;
            }
            served.extend(
                names
                    .split('|')
                    .map(|n| n.trim().trim_matches('"').to_string()),
            );
        }
        for kind in Taggable::ALL {
            let noun = kind.noun();
            served.extend([
                format!("Tag{noun}"),
                format!("Untag{noun}"),
                format!("List{noun}Tags"),
            ]);
        }
        assert!(served.len() > 100, "{served:?}");
        for action in &served {
            assert!(supplied_keys::for_action(action).is_some(), "{action}");
        }
    }
}
