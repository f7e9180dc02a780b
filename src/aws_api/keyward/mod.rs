//! Keyward's own JSON APIs beside the AWS Query endpoint, signed with SigV4 for the service
//! `keyward` and authorized by IAM policies: the authorization endpoint for resource servers
//! ([`authorize`]), IAM users' email addresses ([`user_email`]) and directories
//! ([`directories`]). Here are the pieces they
//! share with each other and with the OIDC provider's client API (`oidc::clients_api`): the
//! signer of a request, the one JSON error body, and the refusals' audit.

pub mod authorize;
pub mod directories;
pub mod user_email;

use super::authenticate::authenticate;
use super::endpoint::AwsApi;
use super::error::AwsError;
use super::sigv4;
use crate::authz::Caller;
use actix_web::HttpResponse;
use serde_json::json;

pub use super::auditing::audit_failure;
pub use super::incoming::Incoming;

/// The signer of a request to one of Keyward's own JSON APIs: signed for the service
/// `keyward` with valid credentials. A refusal is audited under `action`.
pub fn keyward_caller(api: &AwsApi, incoming: &Incoming, action: &str) -> Result<Caller, AwsError> {
    let parts = incoming.parts();
    let service = sigv4::parse(&parts)?;
    if service.scope.service != "keyward" {
        return Err(sigv4::SigV4Error::SignatureDoesNotMatch(
            "Credential should be scoped to correct service: 'keyward'. ".to_string(),
        )
        .into());
    }
    authenticate(api, &parts, api.ctx.clock.now()).inspect_err(|e| {
        audit_failure(api, None, &incoming.meta, "keyward", action, e);
    })
}

/// A refusal as the JSON body of Keyward's own signed APIs.
pub fn json_error(error: &AwsError, request_id: &str) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(error.status())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    )
    .json(json!({
        "error": {"code": error.code(), "message": error.message()},
        "requestId": request_id,
    }))
}

/// `keyward:<action>` on `resource` allowed for `caller` (a refusal audited), and the call a
/// change is then made as. Keyward's own entities are authorized like IAM's actions, from the
/// JSON APIs and the console alike.
pub fn authorized(
    api: &AwsApi,
    caller: &Caller,
    facts: &crate::authz::RequestFacts,
    meta: &crate::audit::RequestMeta,
    action: &str,
    resource: &str,
) -> Result<crate::iam::Call, AwsError> {
    authorized_in(api, "keyward", caller, facts, meta, action, resource)
}

/// `<service>:<action>` on `resource` allowed for `caller`, as [`authorized`] for another
/// service's JSON API (`rolesanywhere`).
pub fn authorized_in(
    api: &AwsApi,
    service: &str,
    caller: &Caller,
    facts: &crate::authz::RequestFacts,
    meta: &crate::audit::RequestMeta,
    action: &str,
    resource: &str,
) -> Result<crate::iam::Call, AwsError> {
    use crate::authz::{Denied, ResourceRequest};
    let full = format!("{service}:{action}");
    match api.authorizer.authorize(
        &api.ctx,
        caller,
        facts,
        &ResourceRequest::new(&full, resource),
    ) {
        Ok(()) => {}
        Err(Denied::Undecided(error)) => return Err(error.into()),
        Err(denied) => {
            let error: AwsError = denied.into();
            audit_failure(api, Some(caller), meta, service, action, &error);
            return Err(error);
        }
    }
    Ok(crate::iam::Call {
        account_id: caller.account_id().to_string(),
        actor_arn: caller.arn(),
        meta: meta.clone(),
    })
}

/// Answers one request of Keyward's own JSON APIs: read, `serve`d on the blocking pool (where
/// the store is used), and answered as JSON with its status, or as the one error body (a
/// failure of the pool itself logged and answered as `ServiceFailure`).
pub async fn answer_json(
    req: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
    api: actix_web::web::Data<AwsApi>,
    serve: impl FnOnce(
            &AwsApi,
            &Incoming,
        ) -> Result<(actix_web::http::StatusCode, serde_json::Value), AwsError>
        + Send
        + 'static,
) -> HttpResponse {
    let (incoming, request_id) = Incoming::read(&req, body);
    let api = api.into_inner();
    match actix_web::web::block(move || serve(&api, &incoming)).await {
        Ok(Ok((status, answer))) => HttpResponse::build(status).json(answer),
        Ok(Err(error)) => json_error(&error, &request_id),
        Err(e) => {
            tracing::error!(error = %e, path = %req.path(), "a Keyward API request failed");
            json_error(&AwsError::service_failure(), &request_id)
        }
    }
}
