//! IAM actions (`Version=2010-05-08`): one file per family; each handler decodes the
//! parameters, authorizes, calls one service function and writes the XML that botocore's `iam`
//! model describes.

mod account;
pub(super) mod condition_keys;
mod groups;
mod keys;
mod mfa;
mod passwords;
mod policies;
mod roles;
mod simulate;
pub(super) mod simulate_limits;
mod tagging;
mod users;
mod write;

use super::env::Env;
use super::error::AwsError;
use super::xml::{XmlResponse, IAM_NAMESPACE};
use crate::iam::page::PageRequest;
use crate::iam::tags::{Tag, Taggable};
use crate::iam::IamError;

/// Actions that change nothing (audited as reads by the endpoint).
pub fn is_read_only(action: &str) -> bool {
    ["Get", "List", "Simulate"]
        .iter()
        .any(|p| action.starts_with(p))
}

pub fn dispatch(env: &Env<'_>, action: &str) -> Result<XmlResponse, AwsError> {
    if let Some(version) = env.params.version() {
        if version != "2010-05-08" {
            return Err(AwsError::invalid_action(action, version));
        }
    }
    users::dispatch(env, action)
        .or_else(|| groups::dispatch(env, action))
        .or_else(|| roles::dispatch(env, action))
        .or_else(|| policies::dispatch(env, action))
        .or_else(|| keys::dispatch(env, action))
        .or_else(|| simulate::dispatch(env, action))
        .or_else(|| account::dispatch(env, action))
        .or_else(|| passwords::dispatch(env, action))
        .or_else(|| mfa::dispatch(env, action))
        .or_else(|| tagging::dispatch(env, action))
        .unwrap_or_else(|| {
            if action.is_empty() {
                Err(AwsError::missing_action())
            } else {
                Err(AwsError::invalid_action(action, "2010-05-08"))
            }
        })
}

impl From<IamError> for AwsError {
    fn from(e: IamError) -> Self {
        match e {
            IamError::NoSuchEntity(m) => AwsError::no_such_entity(m),
            IamError::EntityAlreadyExists(m) => AwsError::entity_already_exists(m),
            IamError::LimitExceeded(m) => AwsError::limit_exceeded(m),
            IamError::DeleteConflict(m) => AwsError::delete_conflict(m),
            IamError::MalformedPolicyDocument(m) => AwsError::malformed_policy_document(m),
            IamError::Validation(m) => AwsError::validation_error(m),
            IamError::InvalidInput(m) => AwsError::invalid_input(m),
            IamError::PasswordPolicyViolation(m) => AwsError::password_policy_violation(m),
            IamError::InvalidAuthenticationCode(m) => AwsError::invalid_authentication_code(m),
            IamError::ReportNotPresent(m) => AwsError::report_not_present(m),
            IamError::Throttled(m) => AwsError::sender("Throttling", 400, m),
            IamError::Storage(e) => {
                if !e.is_deferred() {
                    tracing::error!(error = %e, "storage error in an IAM call");
                }
                AwsError::service_failure()
            }
            IamError::Internal(m) => {
                tracing::error!(error = %m, "internal error in an IAM call");
                AwsError::service_failure()
            }
        }
    }
}

/// IAM's answer when a call that defaults to the calling user comes from a role session or a
/// federated user.
fn non_user_caller() -> AwsError {
    AwsError::validation_error("Must specify userName when calling with non-User credentials")
}

/// A response for `action` in the IAM namespace.
fn response(action: &str) -> XmlResponse {
    XmlResponse::new(action, IAM_NAMESPACE)
}

fn empty(action: &str) -> XmlResponse {
    XmlResponse::without_result(action, IAM_NAMESPACE)
}

fn page(env: &Env<'_>) -> Result<PageRequest, AwsError> {
    let p = env.params.pagination()?;
    Ok(PageRequest {
        marker: p.marker.map(str::to_string),
        max_items: Some(i64::from(p.max_items)),
    })
}

fn tags(env: &Env<'_>, name: &str) -> Result<Vec<Tag>, AwsError> {
    Ok(env
        .params
        .tags(name)?
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect())
}

/// Authorizes a `Create*` call that may carry `Tags`, and returns the tags: `action` on the new
/// entity's `arn`, and when tags are passed also `iam:Tag<noun>` on it, as IAM requires. Without
/// the second check a caller allowed to create but not to tag could choose the tags that
/// attribute-based policies (`aws:ResourceTag`, `aws:PrincipalTag`) grant access by.
fn authorize_create(
    env: &Env<'_>,
    action: &str,
    kind: Taggable,
    arn: &str,
) -> Result<Vec<Tag>, AwsError> {
    env.authorize(action, arn)?;
    let tags = tags(env, "Tags")?;
    if !tags.is_empty() {
        env.authorize(&format!("iam:Tag{}", kind.noun()), arn)?;
    }
    Ok(tags)
}

fn opt(env: &Env<'_>, name: &str) -> Option<String> {
    env.params.get(name).map(str::to_string)
}

fn req(env: &Env<'_>, name: &str) -> Result<String, AwsError> {
    env.params.required(name).map(str::to_string)
}

/// The caller's ARN in its own account, for resources named by the caller's account.
fn arn_in(env: &Env<'_>, kind: &str, path: &str, name: &str) -> String {
    crate::iam::arn::entity(env.account(), kind, path, name)
}
