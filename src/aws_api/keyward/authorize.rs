//! The authorization endpoint for resource servers: `POST /keyward/authorize`.
//!
//! A service of the organisation receives a SigV4-signed request from a caller (any SDK signs
//! for any service name). It forwards the parts the signature covers, with the action, the
//! resource and what else it knows, signed with its own credentials for the service `keyward`
//! and allowed `keyward:Authorize`. Keyward checks the caller's signature (long-term or
//! temporary credentials), evaluates the caller's policies with the resource's policy, and
//! answers with the decision, the principal and the explanation, as JSON.
//!
//! ```text
//! POST /keyward/authorize            (signed: service "keyward", needs keyward:Authorize)
//! {"request": {"method": "GET", "path": "/photos/1", "query": "", "headers": [["host", ...], ...],
//!              "payloadHash": "<hex SHA-256 of the body, or UNSIGNED-PAYLOAD>"},
//!  "action": "photos:GetPhoto", "resource": "arn:aws:photos:::album/1",
//!  "context": [{"key": "aws:SourceIp", "type": "ip", "values": ["203.0.113.7"]}],
//!  "resourcePolicy": "{...}", "resourceAccount": "123456789012"}
//! ```
//! The context entries and their types are those of `SimulatePrincipalPolicy`'s
//! `ContextEntries` (with the simulator's limits on their number), and the decision is the one
//! the simulator gives for the same inputs.
//!
//! Two bindings keep a forwarded request from meaning more than it did to its caller:
//! - the caller signed for one service, and the forwarded signature counts only for that
//!   service's actions: the credential scope's service must be the action's prefix
//!   (`photos` for `photos:GetPhoto`), so a request one service received cannot be replayed
//!   through another;
//! - the resource belongs to the asking service's account unless `resourceAccount` says
//!   otherwise, so a caller of another account needs the resource's policy, as across accounts
//!   on AWS, and its own policies are not enough.

use super::{audit_failure, json_error, keyward_caller, Incoming};
use crate::audit::{AuditEvent, EventSource};
use crate::authz::{Caller, Denied, ResourceRequest};
use crate::aws_api::authenticate::authenticate;
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::aws_api::iam::simulate_limits::{MAX_CONTEXT_ENTRIES, MAX_CONTEXT_VALUES};
use crate::aws_api::sigv4::{self, RequestParts};
use crate::policy::{ContextValue, Decision, DecisionEffect, Policy, PolicyKind, RequestContext};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

/// The action a service needs to ask.
pub const AUTHORIZE_ACTION: &str = "keyward:Authorize";
/// The purpose encoded authorization messages are sealed for, with the account of the
/// principal that was denied: only that account's `sts:DecodeAuthorizationMessage` opens one.
/// Without the account in the purpose, anyone of any account allowed to decode could read
/// another account's denials (its policies' names, statements and request context).
pub fn message_purpose(account: &str) -> String {
    format!("authorization-message:{account}")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthorizeRequest {
    request: ForwardedRequest,
    action: String,
    resource: String,
    #[serde(default)]
    context: Vec<ContextEntry>,
    resource_policy: Option<String>,
    resource_account: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ForwardedRequest {
    method: String,
    path: String,
    #[serde(default)]
    query: String,
    headers: Vec<(String, String)>,
    payload_hash: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextEntry {
    key: String,
    #[serde(rename = "type", default = "string_type")]
    ty: String,
    values: Vec<String>,
}

fn string_type() -> String {
    "string".to_string()
}

/// `aws:` keys a resource owner may state: what it observed of the request and the resource.
/// Keys about the principal and its session come from Keyward's own records only.
const OWNER_AWS_KEYS: [&str; 9] = [
    "aws:SourceIp",
    "aws:SecureTransport",
    "aws:UserAgent",
    "aws:Referer",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:ResourceAccount",
    "aws:TagKeys",
];

fn owner_may_set(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    if !lower.starts_with("aws:") {
        return true;
    }
    lower.starts_with("aws:requesttag/")
        || lower.starts_with("aws:resourcetag/")
        || OWNER_AWS_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

pub async fn handle(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    let (incoming, request_id) = Incoming::read(&req, body);
    let api = api.into_inner();
    match web::block(move || serve(&api, &incoming)).await {
        Ok(Ok(answer)) => HttpResponse::Ok().json(answer),
        Ok(Err(error)) => json_error(&error, &request_id),
        Err(e) => {
            tracing::error!(error = %e, "authorization worker failed");
            json_error(&AwsError::service_failure(), &request_id)
        }
    }
}

fn serve(api: &AwsApi, incoming: &Incoming) -> Result<Value, AwsError> {
    let now = api.ctx.clock.now();
    // The service itself: a signature for `keyward`, and permission to ask.
    let asker = keyward_caller(api, incoming, "Authorize")?;
    let facts = incoming.facts(api, now);
    let permission = ResourceRequest::new(AUTHORIZE_ACTION, "*");
    match api
        .authorizer
        .authorize(&api.ctx, &asker, &facts, &permission)
    {
        Ok(()) => {}
        Err(Denied::Undecided(error)) => return Err(error.into()),
        Err(denied) => {
            let error = AwsError::from(denied);
            audit_failure(
                api,
                Some(&asker),
                &incoming.meta,
                "keyward",
                "Authorize",
                &error,
            );
            return Err(error);
        }
    }

    let asked: AuthorizeRequest = serde_json::from_slice(&incoming.body)
        .map_err(|e| AwsError::validation_error(format!("The request body is not valid: {e}")))?;
    check_sizes(&asked)?;
    let mut context = Vec::new();
    for entry in &asked.context {
        if !owner_may_set(&entry.key) {
            return Err(AwsError::invalid_parameter_value(format!(
                "The context key {} describes the principal and cannot be supplied.",
                entry.key
            )));
        }
        let values: Vec<&str> = entry.values.iter().map(String::as_str).collect();
        let value = ContextValue::from_typed(&entry.ty, &values).map_err(|e| {
            AwsError::invalid_parameter_value(format!("Context key {}: {e}", entry.key))
        })?;
        context.push((entry.key.clone(), value));
    }
    let resource_policy = asked
        .resource_policy
        .as_deref()
        .map(|text| Policy::parse(text, PolicyKind::Resource))
        .transpose()
        .map_err(|e| AwsError::malformed_policy_document(e.to_string()))?;

    // The caller whose request the service received.
    let forwarded = &asked.request;
    let caller_parts = RequestParts {
        method: &forwarded.method,
        path: &forwarded.path,
        query: &forwarded.query,
        headers: &forwarded.headers,
        body: b"",
        payload_hash: Some(&forwarded.payload_hash),
    };
    let caller = match signed_for_action(&caller_parts, &asked.action)
        .and_then(|()| authenticate(api, &caller_parts, now))
    {
        Ok(caller) => caller,
        Err(error) => {
            audit(api, incoming, &asker, &asked, None, Some(&error));
            return Ok(json!({
                "decision": "Deny",
                "authenticated": false,
                "error": {"code": error.code(), "message": error.message()},
            }));
        }
    };
    let mut caller_facts = facts.clone();
    // Keyward sees the service's address, not the caller's: only what the service states.
    caller_facts.source_ip = None;
    caller_facts.user_agent = None;
    let (decision, evaluated) = api
        .authorizer
        .decide_for(
            &api.ctx,
            &caller,
            &caller_facts,
            &ResourceRequest {
                action: &asked.action,
                resource: &asked.resource,
                context,
                resource_policy: resource_policy.as_ref(),
                // Unless stated, the resource is the asking service's.
                resource_account: Some(
                    asked
                        .resource_account
                        .as_deref()
                        .unwrap_or(asker.account_id()),
                ),
            },
        )
        .map_err(AwsError::from)?;
    audit(
        api,
        incoming,
        &asker,
        &asked,
        Some((&caller, &decision)),
        None,
    );
    Ok(answer(api, &caller, &decision, &evaluated))
}

/// The simulator's limits on context entries (see `iam::simulate_limits`), applied before any
/// entry is read.
fn check_sizes(asked: &AuthorizeRequest) -> Result<(), AwsError> {
    let too_many = |list: &str, count: usize, max: usize| {
        AwsError::invalid_input(format!(
            "{list} has {count} entries; at most {max} are accepted."
        ))
    };
    if asked.context.len() > MAX_CONTEXT_ENTRIES {
        return Err(too_many(
            "context",
            asked.context.len(),
            MAX_CONTEXT_ENTRIES,
        ));
    }
    match asked
        .context
        .iter()
        .find(|entry| entry.values.len() > MAX_CONTEXT_VALUES)
    {
        Some(entry) => Err(too_many(
            &format!("The values of {}", entry.key),
            entry.values.len(),
            MAX_CONTEXT_VALUES,
        )),
        None => Ok(()),
    }
}

/// Refuses a forwarded signature whose credential scope names another service than the
/// action's (compared without case, as IAM compares service prefixes), with the message AWS
/// gives a request signed for the wrong service.
fn signed_for_action(parts: &RequestParts<'_>, action: &str) -> Result<(), AwsError> {
    let signature = sigv4::parse(parts)?;
    let prefix = action.split_once(':').map_or(action, |(prefix, _)| prefix);
    if signature.scope.service.eq_ignore_ascii_case(prefix) {
        return Ok(());
    }
    Err(sigv4::SigV4Error::SignatureDoesNotMatch(format!(
        "Credential should be scoped to correct service: '{prefix}'. "
    ))
    .into())
}

fn effect_name(effect: DecisionEffect) -> &'static str {
    match effect {
        DecisionEffect::Allowed => "allowed",
        DecisionEffect::ExplicitDeny => "explicitDeny",
        DecisionEffect::ImplicitDeny => "implicitDeny",
    }
}

fn answer(api: &AwsApi, caller: &Caller, decision: &Decision, context: &RequestContext) -> Value {
    let principal = context.principal();
    let tags: serde_json::Map<String, Value> = principal
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let matched: Vec<Value> = decision
        .explanation
        .matched
        .iter()
        .map(|m| {
            json!({
                "policy": m.policy.as_ref(),
                "policyType": m.layer.policy_type(),
                "statement": m.index,
                "sid": m.sid.as_deref(),
                "effect": format!("{:?}", m.effect),
            })
        })
        .collect();
    let mut out = json!({
        "decision": if decision.is_allowed() { "Allow" } else { "Deny" },
        "effect": effect_name(decision.effect),
        "authenticated": true,
        "principal": {
            "arn": principal.arn,
            "account": caller.account_id(),
            "userId": principal.user_id,
            "type": format!("{:?}", principal.kind),
            "tags": tags,
        },
        "matchedStatements": matched,
        "missingContextValues": decision.explanation.missing_keys.iter().map(|k| k.as_ref()).collect::<Vec<_>>(),
    });
    if let Some(message) = decision.access_denied_message(context) {
        out["message"] = Value::String(message);
        if let Some(encoded) = encode_message(api, caller.account_id(), decision, context) {
            out["encodedMessage"] = Value::String(encoded);
        }
    }
    out
}

/// The details of a denial, sealed for `sts:DecodeAuthorizationMessage` (in AWS's decoded
/// shape): who asked what, which statements matched and the context that was evaluated.
fn encode_message(
    api: &AwsApi,
    account: &str,
    decision: &Decision,
    context: &RequestContext,
) -> Option<String> {
    let principal = context.principal();
    let message = json!({
        "allowed": false,
        "explicitDeny": decision.effect == DecisionEffect::ExplicitDeny,
        "matchedStatements": {"items": decision.explanation.matched.iter().map(|m| json!({
            "statementId": m.sid.as_deref().unwrap_or(""),
            "effect": format!("{:?}", m.effect).to_uppercase(),
            "policy": m.policy.as_ref(),
            "policyType": m.layer.policy_type(),
        })).collect::<Vec<_>>()},
        "failures": {"items": []},
        "context": {
            "principal": {"id": principal.user_id, "arn": principal.arn},
            "action": context.action(),
            "resource": context.resource(),
            "conditions": {"items": context.keys().map(|(key, value)| json!({
                "key": key,
                "values": {"items": value.texts().into_iter().map(|v| json!({"value": v})).collect::<Vec<_>>()},
            })).collect::<Vec<_>>()},
        },
    });
    api.ctx
        .master_key
        .seal(
            &message_purpose(account),
            message.to_string().as_bytes(),
            api.ctx.random.as_ref(),
        )
        .inspect_err(|e| tracing::error!(error = %e, "cannot seal an authorization message"))
        .ok()
}

fn audit(
    api: &AwsApi,
    incoming: &Incoming,
    asker: &Caller,
    asked: &AuthorizeRequest,
    outcome: Option<(&Caller, &Decision)>,
    failure: Option<&AwsError>,
) {
    let mut event = AuditEvent::new(EventSource::Keyward, "Authorize")
        .account(asker.account_id())
        .actor(asker.arn())
        .parameters(json!({"action": asked.action, "resource": asked.resource}));
    if let Some((caller, decision)) = outcome {
        event = event.response(json!({
            "principal": caller.arn(),
            "decision": effect_name(decision.effect),
        }));
    }
    if let Some(error) = failure {
        event = event.failed(error.code(), error.message());
    }
    event.read_only = true;
    api.audit
        .push(api.ctx.clock.now_naive(), &incoming.meta, event);
}
