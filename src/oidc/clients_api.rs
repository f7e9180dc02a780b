//! Managing OpenID Connect clients over HTTP: JSON requests signed with SigV4 for the service
//! `keyward`, authorized by IAM policies like any other action.
//!
//! ```text
//! POST   /keyward/oidc/clients         keyward:CreateOidcClient   body: registration metadata
//! GET    /keyward/oidc/clients         keyward:ListOidcClients
//! GET    /keyward/oidc/clients/{id}    keyward:GetOidcClient
//! PATCH  /keyward/oidc/clients/{id}    keyward:UpdateOidcClient   body: the fields to change
//! POST   /keyward/oidc/clients/{id}/secret
//!                                       keyward:RotateOidcClientSecret
//!                                                  body: {"grace_period_seconds": N}
//! DELETE /keyward/oidc/clients/{id}    keyward:DeleteOidcClient
//! ```
//! The resource is the client's ARN, `arn:aws:keyward::<account>:oidc-client/<id>` (`*` for
//! create and list). The body of a create uses RFC 7591's names (`client_name`,
//! `redirect_uris`, `grant_types`, `token_endpoint_auth_method`, `scope`,
//! `id_token_signed_response_alg`, `post_logout_redirect_uris`, `jwks`) plus Keyward's
//! lifetimes and `consent_required`; the answer holds `client_secret` once. An update takes
//! the same names, each optional: the ones present replace the stored values, and the result
//! must pass the registration rules (the authentication method cannot change). A rotation
//! answers with the new `client_secret`, once, and `previous_secret_expires_at` while the
//! replaced secret still works (`grace_period_seconds`, required: 0 to 30 days).

use super::clients::{self, AuthMethod, ClientChange, ClientError, GrantType, NewClient};
use super::keys::Algorithm;
use crate::audit::RequestMeta;
use crate::authz::{Caller, Denied, RequestFacts, ResourceRequest};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::aws_api::keyward::{answer_json, audit_failure, keyward_caller, Incoming};
use crate::iam::Call;
use crate::secrets::ExposeSecret;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    client_name: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    scope: Option<String>,
    id_token_signed_response_alg: Option<String>,
    jwks: Option<Value>,
    access_token_lifetime: Option<i64>,
    id_token_lifetime: Option<i64>,
    refresh_token_lifetime: Option<i64>,
    consent_required: Option<bool>,
}

fn invalid(text: impl Into<String>) -> AwsError {
    AwsError::validation_error(text)
}

/// An update's body: the registration's names, each optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Changes {
    client_name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    scope: Option<String>,
    id_token_signed_response_alg: Option<String>,
    jwks: Option<Value>,
    access_token_lifetime: Option<i64>,
    id_token_lifetime: Option<i64>,
    refresh_token_lifetime: Option<i64>,
    consent_required: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotation {
    grace_period_seconds: i64,
}

fn grant_types(names: &[String]) -> Result<Vec<GrantType>, AwsError> {
    names
        .iter()
        .map(|g| GrantType::parse(g).ok_or_else(|| invalid(format!("unknown grant type {g}"))))
        .collect()
}

fn algorithm(name: Option<&str>) -> Result<Option<Algorithm>, AwsError> {
    name.map(|a| {
        Algorithm::parse(a).ok_or_else(|| invalid(format!("unsupported signing algorithm {a}")))
    })
    .transpose()
}

/// RFC 7591's `scope`: space-separated.
fn scopes(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl Changes {
    fn into_change(self) -> Result<ClientChange, AwsError> {
        Ok(ClientChange {
            name: self.client_name,
            jwks: self.jwks.map(|j| j.to_string()),
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            grant_types: self.grant_types.as_deref().map(grant_types).transpose()?,
            scopes: self.scope.as_deref().map(scopes),
            signing_alg: algorithm(self.id_token_signed_response_alg.as_deref())?,
            access_token_lifetime: self.access_token_lifetime,
            id_token_lifetime: self.id_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            consent_required: self.consent_required,
        })
    }
}

/// A JSON body, or AWS's validation error naming what is wrong with it.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AwsError> {
    serde_json::from_slice(bytes)
        .map_err(|e| invalid(format!("The request body is not valid: {e}")))
}

impl Registration {
    fn into_new(self) -> Result<NewClient, AwsError> {
        let grant_types = grant_types(&self.grant_types)?;
        let auth_method = self
            .token_endpoint_auth_method
            .as_deref()
            .map(|m| {
                AuthMethod::parse(m)
                    .ok_or_else(|| invalid(format!("unknown token_endpoint_auth_method {m}")))
            })
            .transpose()?;
        let signing_alg = algorithm(self.id_token_signed_response_alg.as_deref())?;
        Ok(NewClient {
            name: self.client_name,
            auth_method,
            jwks: self.jwks.map(|j| j.to_string()),
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            grant_types,
            scopes: scopes(&self.scope.unwrap_or_default()),
            signing_alg,
            access_token_lifetime: self.access_token_lifetime,
            id_token_lifetime: self.id_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            consent_required: self.consent_required,
        })
    }
}

impl From<ClientError> for AwsError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Invalid(text) => AwsError::validation_error(text),
            ClientError::NotFound(id) => {
                AwsError::no_such_entity(format!("The OIDC client {id} cannot be found."))
            }
            ClientError::LimitExceeded(text) => AwsError::limit_exceeded(text),
            ClientError::Storage(e) => {
                tracing::error!(error = %e, "OIDC client storage failed");
                AwsError::service_failure()
            }
        }
    }
}

/// One client-management request.
pub enum Op {
    /// With the registration metadata (JSON).
    Create(Vec<u8>),
    List,
    Get(String),
    /// With the changes (JSON).
    Update(String, Vec<u8>),
    /// With the grace period (JSON).
    RotateSecret(String, Vec<u8>),
    Delete(String),
}

impl Op {
    fn action(&self) -> &'static str {
        match self {
            Op::Create(_) => "CreateOidcClient",
            Op::List => "ListOidcClients",
            Op::Get(_) => "GetOidcClient",
            Op::Update(..) => "UpdateOidcClient",
            Op::RotateSecret(..) => "RotateOidcClientSecret",
            Op::Delete(_) => "DeleteOidcClient",
        }
    }
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

/// A signed request: its signature checked, then [`perform`]ed as its signer.
fn serve(api: &AwsApi, incoming: &Incoming, op: Op) -> Result<(StatusCode, Value), AwsError> {
    let caller = keyward_caller(api, incoming, op.action())?;
    let facts = incoming.facts(api, api.ctx.clock.now());
    perform(api, &caller, &facts, &incoming.meta, op)
}

/// Authorizes `op` for `caller` with IAM's rules and carries it out; refusals are audited.
/// The API and the console both come here.
pub fn perform(
    api: &AwsApi,
    caller: &Caller,
    facts: &RequestFacts,
    meta: &RequestMeta,
    op: Op,
) -> Result<(StatusCode, Value), AwsError> {
    let action = op.action();
    let account = caller.account_id().to_string();
    let resource = match &op {
        Op::Get(id) | Op::Update(id, _) | Op::RotateSecret(id, _) | Op::Delete(id) => {
            format!("arn:aws:keyward::{account}:oidc-client/{id}")
        }
        _ => "*".to_string(),
    };
    let refused = |error: AwsError| {
        audit_failure(api, Some(caller), meta, "keyward", action, &error);
        error
    };
    let full = format!("keyward:{action}");
    let request = ResourceRequest::new(&full, &resource);
    match api.authorizer.authorize(&api.ctx, caller, facts, &request) {
        Ok(()) => {}
        Err(Denied::Undecided(error)) => return Err(error.into()),
        Err(denied) => return Err(refused(denied.into())),
    }
    let call = Call {
        account_id: account.clone(),
        actor_arn: caller.arn(),
        meta: meta.clone(),
    };
    let ok = StatusCode::OK;
    let now = api.ctx.clock.now_naive();
    let result = match op {
        Op::Create(bytes) => {
            let registration: Registration = body(&bytes).map_err(refused)?;
            let new = registration.into_new().map_err(refused)?;
            clients::create(&api.ctx, &call, &new).map(|(client, secret)| {
                let mut out = client.to_json(now);
                if let Some(secret) = secret {
                    out["client_secret"] = secret.expose_secret().into();
                }
                (StatusCode::CREATED, out)
            })
        }
        Op::List => clients::list(&api.ctx, &account).map(|all| {
            (
                ok,
                json!({ "clients": all.iter().map(|c| c.to_json(now)).collect::<Vec<_>>() }),
            )
        }),
        Op::Get(id) => clients::get(&api.ctx, &account, &id).map(|c| (ok, c.to_json(now))),
        Op::Update(id, bytes) => {
            let change = body::<Changes>(&bytes)
                .and_then(Changes::into_change)
                .map_err(refused)?;
            clients::update(&api.ctx, &call, &id, &change).map(|c| (ok, c.to_json(now)))
        }
        Op::RotateSecret(id, bytes) => {
            let rotation: Rotation = body(&bytes).map_err(refused)?;
            let grace = chrono::Duration::try_seconds(rotation.grace_period_seconds)
                .unwrap_or(chrono::Duration::MAX);
            clients::rotate_secret(&api.ctx, &call, &id, grace).map(|(client, secret)| {
                let mut out = client.to_json(now);
                out["client_secret"] = secret.expose_secret().into();
                (ok, out)
            })
        }
        Op::Delete(id) => clients::delete(&api.ctx, &call, &id).map(|()| (ok, json!({}))),
    };
    result.map_err(|e| refused(AwsError::from(e)))
}

pub async fn create(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    run(req, body, api, |body| Op::Create(body.to_vec())).await
}

pub async fn list(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    run(req, body, api, |_| Op::List).await
}

pub async fn get(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    run(req, body, api, move |_| Op::Get(id)).await
}

pub async fn update(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    run(req, body, api, move |body| Op::Update(id, body.to_vec())).await
}

pub async fn rotate_secret(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    run(req, body, api, move |body| {
        Op::RotateSecret(id, body.to_vec())
    })
    .await
}

pub async fn delete(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    run(req, body, api, move |_| Op::Delete(id)).await
}
