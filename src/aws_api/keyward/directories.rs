//! Directories over HTTP (see [`crate::iam::directories`]): JSON requests signed with SigV4 for
//! the service `keyward`, authorized by IAM policies on the directory's ARN
//! (`arn:aws:iam::<account>:directory/<name>`; `*` for create and list).
//!
//! ```text
//! POST   /keyward/directories          keyward:CreateDirectory   body: {"name", "url", ...}
//! GET    /keyward/directories          keyward:ListDirectories
//! GET    /keyward/directories/{name}   keyward:GetDirectory
//! PATCH  /keyward/directories/{name}   keyward:UpdateDirectory   body: the fields to change
//! DELETE /keyward/directories/{name}   keyward:DeleteDirectory
//! GET    /keyward/directories/{name}/mfa-devices  keyward:GetDirectory  its people's Keyward
//!                                                                    MFA devices
//! POST   /keyward/directories/{name}/reset-mfa    keyward:ResetDirectoryUserMFA
//!                                                 body: {"user_dn"}: that person's devices go
//! ```
//! The fields are those the CLI and the console take: `url`, `tls_mode` (`ldaps`, `starttls`,
//! `none`), `ca_certificate` (PEM), `bind_dn`, `bind_password` (never answered), `base_dn`,
//! `user_attribute`, `user_filter`, `group_mode` (`nested`, `member`), `attributes` (an object
//! of key to attribute), `require_mfa`, `timeout_seconds`. Changes and refusals are audited.

use super::{answer_json, audit_failure, authorized, keyward_caller, Incoming};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::iam::directories::{self, Registration};
use crate::secrets::SecretString;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A registration's body, or a change's: every field optional but the name of a new one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    name: Option<String>,
    url: Option<String>,
    tls_mode: Option<String>,
    ca_certificate: Option<String>,
    bind_dn: Option<String>,
    bind_password: Option<String>,
    base_dn: Option<String>,
    user_attribute: Option<String>,
    user_filter: Option<String>,
    group_mode: Option<String>,
    attributes: Option<BTreeMap<String, String>>,
    require_mfa: Option<bool>,
    timeout_seconds: Option<i32>,
}

impl Body {
    fn registration(self) -> Registration {
        Registration {
            url: self.url,
            tls_mode: self.tls_mode,
            ca_certificate: self.ca_certificate,
            bind_dn: self.bind_dn,
            bind_password: self.bind_password.map(SecretString::from),
            base_dn: self.base_dn,
            user_attribute: self.user_attribute,
            user_filter: self.user_filter,
            group_mode: self.group_mode,
            attributes: self.attributes,
            require_mfa: self.require_mfa,
            timeout_seconds: self.timeout_seconds,
        }
    }
}

enum Op {
    Create(Vec<u8>),
    List,
    Get(String),
    Update(String, Vec<u8>),
    Delete(String),
    Devices(String),
    ResetMfa(String, Vec<u8>),
}

/// The body of a reset: whose devices go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reset {
    user_dn: String,
}

impl Op {
    fn action(&self) -> &'static str {
        match self {
            Op::Create(_) => "CreateDirectory",
            Op::List => "ListDirectories",
            Op::Get(_) => "GetDirectory",
            Op::Update(..) => "UpdateDirectory",
            Op::Delete(_) => "DeleteDirectory",
            Op::Devices(_) => "GetDirectory",
            Op::ResetMfa(..) => "ResetDirectoryUserMFA",
        }
    }
}

fn body(bytes: &[u8]) -> Result<Body, AwsError> {
    serde_json::from_slice(bytes)
        .map_err(|e| AwsError::validation_error(format!("The body is not a directory: {e}")))
}

/// A signed request: its signer, the action authorized on the directory, then carried out.
fn serve(api: &AwsApi, incoming: &Incoming, op: Op) -> Result<(StatusCode, Value), AwsError> {
    let action = op.action();
    let caller = keyward_caller(api, incoming, action)?;
    let facts = incoming.facts(api, api.ctx.clock.now());
    let account = caller.account_id().to_string();
    let refused = |error: AwsError| {
        audit_failure(
            api,
            Some(&caller),
            &incoming.meta,
            "keyward",
            action,
            &error,
        );
        error
    };
    let (name, bytes) = match &op {
        Op::Create(bytes) => {
            let parsed = body(bytes).map_err(refused)?;
            (parsed.name.clone(), Some(parsed))
        }
        Op::Update(name, bytes) => (Some(name.clone()), Some(body(bytes).map_err(refused)?)),
        Op::Get(name) | Op::Delete(name) | Op::Devices(name) | Op::ResetMfa(name, _) => {
            (Some(name.clone()), None)
        }
        Op::List => (None, None),
    };
    let resource = match (&op, &name) {
        (Op::Create(_) | Op::List, _) | (_, None) => "*".to_string(),
        (_, Some(name)) => directories::arn(&account, name),
    };
    let call = authorized(api, &caller, &facts, &incoming.meta, action, &resource)?;
    let ctx = &api.ctx;
    let ok = StatusCode::OK;
    let result = match op {
        Op::Create(_) => {
            let name = name.unwrap_or_default();
            let registration = bytes.unwrap_or_default().registration();
            directories::create(ctx, &call, &name, &registration)
                .map(|d| (StatusCode::CREATED, d.to_json()))
        }
        Op::List => directories::list(ctx, &account).map(|all| {
            let all: Vec<Value> = all.iter().map(directories::Directory::to_json).collect();
            (ok, json!({ "directories": all }))
        }),
        Op::Get(name) => directories::get(ctx, &account, &name).map(|d| (ok, d.to_json())),
        Op::Update(name, _) => {
            let change = bytes.unwrap_or_default();
            if change.name.as_deref().is_some_and(|n| n != name) {
                return Err(refused(AwsError::validation_error(
                    "A directory cannot be renamed.",
                )));
            }
            directories::update(ctx, &call, &name, &change.registration())
                .map(|d| (ok, d.to_json()))
        }
        Op::Delete(name) => directories::delete(ctx, &call, &name).map(|()| (ok, json!({}))),
        Op::Devices(name) => directories::get(ctx, &account, &name).and_then(|d| {
            let devices = crate::iam::mfa::external_devices(ctx, &account, &d.arn())?;
            let devices: Vec<Value> = devices
                .iter()
                .map(|e| {
                    let time =
                        |t: Option<chrono::NaiveDateTime>| t.map(|t| t.and_utc().to_rfc3339());
                    json!({
                        "user_dn": e.subject,
                        "serial_number": e.device.serial_number,
                        "name": e.device.name,
                        "kind": e.device.kind,
                        "enabled_at": time(e.device.enabled_at),
                        "last_used_at": time(e.device.last_used_at),
                    })
                })
                .collect();
            Ok((ok, json!({ "devices": devices })))
        }),
        Op::ResetMfa(name, bytes) => {
            let reset: Reset = serde_json::from_slice(&bytes).map_err(|e| {
                refused(AwsError::validation_error(format!(
                    "The body is not a reset ({{\"user_dn\": ...}}): {e}"
                )))
            })?;
            directories::reset_mfa(ctx, &call, &name, &reset.user_dn)
                .map(|removed| (ok, json!({ "removed": removed })))
        }
    };
    result.map_err(|e| refused(AwsError::from(e)))
}

async fn run(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    op: impl FnOnce(&[u8]) -> Op + Send + 'static,
) -> HttpResponse {
    answer_json(req, body, api, move |api, incoming| {
        serve(api, incoming, op(&incoming.body))
    })
    .await
}

pub async fn create(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    run(req, body, api, |b| Op::Create(b.to_vec())).await
}

pub async fn list(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    run(req, body, api, |_| Op::List).await
}

pub async fn get(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    name: web::Path<String>,
) -> HttpResponse {
    let name = name.into_inner();
    run(req, body, api, move |_| Op::Get(name)).await
}

pub async fn update(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    name: web::Path<String>,
) -> HttpResponse {
    let name = name.into_inner();
    run(req, body, api, move |b| Op::Update(name, b.to_vec())).await
}

pub async fn delete(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    name: web::Path<String>,
) -> HttpResponse {
    let name = name.into_inner();
    run(req, body, api, move |_| Op::Delete(name)).await
}

pub async fn devices(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    name: web::Path<String>,
) -> HttpResponse {
    let name = name.into_inner();
    run(req, body, api, move |_| Op::Devices(name)).await
}

pub async fn reset_mfa(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    name: web::Path<String>,
) -> HttpResponse {
    let name = name.into_inner();
    run(req, body, api, move |b| Op::ResetMfa(name, b.to_vec())).await
}
