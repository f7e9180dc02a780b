//! IAM users' email addresses over HTTP, a Keyward extension (see [`crate::iam::user_email`]):
//! JSON requests signed with SigV4 for the service `keyward`, authorized by IAM policies on the
//! user's ARN (`arn:aws:iam::<account>:user<path><name>`).
//!
//! ```text
//! POST /keyward/users/email                  keyward:SetUserEmail
//!      body: {"user_name": "alice", "email": "alice@example.com", "email_verified": true}
//!      ("email": null removes the address; "email_verified" is false unless given)
//! GET  /keyward/users/email?user_name=alice  keyward:GetUserEmail
//! ```
//! Both answer `{"user_name", "email", "email_verified"}`. An address another user of the
//! account already has is refused with `EntityAlreadyExists` (409); a malformed one with
//! `ValidationError`. Changes and every refusal are audited.

use super::{answer_json, audit_failure, keyward_caller, Incoming};
use crate::audit::RequestMeta;
use crate::authz::{Caller, Denied, RequestFacts, ResourceRequest};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::iam::user_email::{self, UserEmail};
use crate::iam::{arn, users, Call};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The body of a `SetUserEmail`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    pub user_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
}

/// One request about a user's address.
pub enum Op {
    Get(String),
    Set(EmailChange),
}

impl Op {
    fn action(&self) -> &'static str {
        match self {
            Op::Get(_) => "GetUserEmail",
            Op::Set(_) => "SetUserEmail",
        }
    }

    fn user_name(&self) -> &str {
        match self {
            Op::Get(name) => name,
            Op::Set(change) => &change.user_name,
        }
    }
}

fn to_json(found: &UserEmail) -> Value {
    json!({
        "user_name": found.user_name,
        "email": found.email,
        "email_verified": found.email_verified,
    })
}

/// The ARN the action is authorized on: the user's (with its path) when it exists, else
/// `user/<name>`, as IAM's own user actions do.
fn resource(api: &AwsApi, account: &str, name: &str) -> String {
    match users::get(&api.ctx, account, name) {
        Ok(user) => user.arn,
        Err(_) => arn::user(account, "/", name),
    }
}

/// Authorizes `op` for `caller` with IAM's rules and carries it out; refusals are audited.
/// The API and the console both come here.
pub fn perform(
    api: &AwsApi,
    caller: &Caller,
    facts: &RequestFacts,
    meta: &RequestMeta,
    op: Op,
) -> Result<Value, AwsError> {
    let action = op.action();
    let refused = |error: AwsError| {
        audit_failure(api, Some(caller), meta, "keyward", action, &error);
        error
    };
    let account = caller.account_id().to_string();
    if op.user_name().is_empty() {
        return Err(refused(AwsError::validation_error(
            "user_name is required.",
        )));
    }
    let resource = resource(api, &account, op.user_name());
    let full = format!("keyward:{action}");
    let request = ResourceRequest::new(&full, &resource);
    match api.authorizer.authorize(&api.ctx, caller, facts, &request) {
        Ok(()) => {}
        Err(Denied::Undecided(error)) => return Err(error.into()),
        Err(denied) => return Err(refused(denied.into())),
    }
    let found = match op {
        Op::Get(name) => user_email::get(&api.ctx, &account, &name),
        Op::Set(change) => {
            let call = Call {
                account_id: account.clone(),
                actor_arn: caller.arn(),
                meta: meta.clone(),
            };
            user_email::set(
                &api.ctx,
                &call,
                &change.user_name,
                change.email.as_deref(),
                change.email_verified,
            )
        }
    };
    found
        .map(|f| to_json(&f))
        .map_err(|e| refused(AwsError::from(e)))
}

/// A signed request: its signature checked, its body read, then [`perform`]ed as its signer.
fn serve(
    api: &AwsApi,
    incoming: &Incoming,
    action: &str,
    op: impl FnOnce(&[u8]) -> Result<Op, AwsError>,
) -> Result<Value, AwsError> {
    let caller = keyward_caller(api, incoming, action)?;
    let op = op(&incoming.body).inspect_err(|e| {
        audit_failure(api, Some(&caller), &incoming.meta, "keyward", action, e);
    })?;
    let facts = incoming.facts(api, api.ctx.clock.now());
    perform(api, &caller, &facts, &incoming.meta, op)
}

async fn run(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    action: &'static str,
    op: impl FnOnce(&[u8]) -> Result<Op, AwsError> + Send + 'static,
) -> HttpResponse {
    answer_json(req, body, api, move |api, incoming| {
        serve(api, incoming, action, op).map(|answer| (actix_web::http::StatusCode::OK, answer))
    })
    .await
}

/// `POST /keyward/users/email`.
pub async fn set(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    run(req, body, api, "SetUserEmail", |body| {
        serde_json::from_slice(body)
            .map(Op::Set)
            .map_err(|e| AwsError::validation_error(format!("The request body is not valid: {e}")))
    })
    .await
}

/// `GET /keyward/users/email?user_name=...`.
pub async fn get(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    let name = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("user_name").cloned())
        .unwrap_or_default();
    run(req, body, api, "GetUserEmail", move |_| Ok(Op::Get(name))).await
}
