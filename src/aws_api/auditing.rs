//! The audit events the AWS endpoint and Keyward's JSON APIs write themselves: failures
//! (those of callers who proved nothing only as a sample, since anyone can send them) and IAM
//! reads. Changes audit themselves, in their own transaction, in the services.

use super::endpoint::AwsApi;
use super::env::Env;
use super::error::AwsError;
use crate::audit::{AuditEvent, EventSource, RequestMeta};
use crate::authz::Caller;

fn source(service: &str) -> EventSource {
    match service {
        "sts" => EventSource::Sts,
        "rolesanywhere" => EventSource::RolesAnywhere,
        _ => EventSource::Iam,
    }
}

fn write_event(api: &AwsApi, meta: &RequestMeta, event: AuditEvent) {
    api.audit.push(api.ctx.clock.now_naive(), meta, event);
}

pub fn audit_failure(
    api: &AwsApi,
    caller: Option<&Caller>,
    meta: &RequestMeta,
    service: &str,
    action: &str,
    error: &AwsError,
) {
    let name = if action.is_empty() { "Unknown" } else { action };
    let mut event = AuditEvent::new(source(service), name).failed(error.code(), error.message());
    event.read_only = super::iam::is_read_only(action);
    match caller {
        Some(caller) => event = event.account(caller.account_id()).actor(caller.arn()),
        None => {
            let admitted = api
                .unauthenticated
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .admit(api.ctx.clock.now_naive());
            match admitted {
                None => return,
                Some(0) => {}
                Some(skipped) => {
                    event = event.response(
                        serde_json::json!({"unauthenticatedFailuresNotRecorded": skipped}),
                    );
                }
            }
        }
    }
    write_event(api, meta, event);
}

pub(super) fn audit_read(env: &Env<'_>, action: &str) {
    let mut parameters = serde_json::Map::new();
    for (k, v) in env
        .params
        .iter()
        .filter(|(k, _)| *k != "Action" && *k != "Version")
    {
        parameters.insert(k.to_string(), serde_json::Value::String(v.to_string()));
    }
    let mut event = AuditEvent::new(EventSource::Iam, action)
        .account(env.account())
        .actor(env.caller.arn())
        .parameters(serde_json::Value::Object(parameters));
    event.read_only = true;
    write_event(env.api, &env.call.meta, event);
}
