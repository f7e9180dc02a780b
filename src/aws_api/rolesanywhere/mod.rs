//! IAM Roles Anywhere's administration API (`rolesanywhere`, 2018-05-10) over
//! [`crate::iam::roles_anywhere`]: REST-JSON on its own paths, reached only by requests
//! SigV4-signed for the service `rolesanywhere` ([`signed_for_rolesanywhere`], the routes'
//! guard), authorized by IAM policy as `rolesanywhere:<Action>` on AWS's ARNs, audited.
//! Methods, paths and shapes are botocore's service model's; so are the errors: the status,
//! `x-amzn-ErrorType: <Code>` and the body `{"message": ...}` (`ValidationException` 400,
//! `ResourceNotFoundException` 404, `AccessDeniedException` 403, `TooManyTagsException` 400).
//!
//! ```text
//! POST   /trustanchors  GET /trustanchors       trust_anchors.rs   Create, List
//! GET|PATCH|DELETE /trustanchor/{id}, POST /trustanchor/{id}/enable|disable
//! POST   /profiles      GET /profiles           profiles.rs        likewise /profile/{id}
//! POST   /crls          GET /crls               crls.rs            Import, List; /crl/{id}
//! POST   /TagResource  /UntagResource  GET /ListTagsForResource    tags.rs
//! ```

pub mod crls;
pub mod profiles;
pub mod tags;
pub mod trust_anchors;

use super::auditing::audit_failure;
use super::authenticate::authenticate;
use super::endpoint::AwsApi;
use super::error::AwsError;
use super::incoming::Incoming;
use super::sigv4;
use crate::audit::{AuditEvent, EventSource};
use crate::authz::Caller;
use crate::iam::roles_anywhere::{is_uuid, Scope};
use crate::iam::{Call, IamError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde_json::{json, Value};

/// The service name of its signatures, actions and audit events.
pub const SERVICE: &str = "rolesanywhere";

/// The routes' guard: a credential scope naming `rolesanywhere` (header or presigned query).
pub fn signed_for_rolesanywhere(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    let scope = "/rolesanywhere/aws4_request";
    ctx.head()
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(scope))
        || ctx
            .head()
            .uri
            .query()
            .is_some_and(|q| q.contains("%2Frolesanywhere%2Faws4_request") || q.contains(scope))
}

/// What a served request answers: its status and JSON body.
pub type Answer = Result<(StatusCode, Value), AwsError>;

/// One signed call: who asks, from where, in which scope; what it is allowed is checked by
/// [`Request::authorized`].
pub struct Request<'a> {
    pub api: &'a AwsApi,
    pub incoming: &'a Incoming,
    pub caller: Caller,
    pub action: &'static str,
}

impl Request<'_> {
    pub fn scope(&self) -> Scope<'_> {
        Scope {
            account_id: self.caller.account_id(),
            region: &self.api.region,
        }
    }

    /// `rolesanywhere:<action>` on `resource` allowed, and the call a change is made as.
    pub fn authorized(&self, resource: &str) -> Result<Call, AwsError> {
        let facts = self.incoming.facts(self.api, self.api.ctx.clock.now());
        super::keyward::authorized_in(
            self.api,
            SERVICE,
            &self.caller,
            &facts,
            &self.incoming.meta,
            self.action,
            resource,
        )
    }

    /// A refusal after the caller is known, audited.
    pub fn refused(&self, error: AwsError) -> AwsError {
        audit_failure(
            self.api,
            Some(&self.caller),
            &self.incoming.meta,
            SERVICE,
            self.action,
            &error,
        );
        error
    }

    /// A read that succeeded, audited as one.
    pub fn read(&self, parameters: Value) {
        let mut event = AuditEvent::new(EventSource::RolesAnywhere, self.action)
            .account(self.caller.account_id())
            .actor(self.caller.arn())
            .parameters(parameters);
        event.read_only = true;
        self.api
            .audit
            .push(self.api.ctx.clock.now_naive(), &self.incoming.meta, event);
    }

    /// The JSON body as `T`; malformed, a validation error.
    pub fn body<T: serde::de::DeserializeOwned>(&self) -> Result<T, AwsError> {
        let bytes: &[u8] = if self.incoming.body.is_empty() {
            b"{}"
        } else {
            &self.incoming.body
        };
        serde_json::from_slice(bytes)
            .map_err(|e| validation(format!("The request body is not valid: {e}")))
    }

    /// A query parameter, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.incoming.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The page a list asks for: after which id, and how many (`nextToken`, `pageSize`).
    pub fn page(&self) -> Result<(Option<String>, i64), AwsError> {
        let after = self.query("nextToken");
        if after.as_deref().is_some_and(|t| !is_uuid(t)) {
            return Err(validation("The nextToken is not one this API gave."));
        }
        let size = match self.query("pageSize") {
            None => DEFAULT_PAGE_SIZE,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| validation(format!("The pageSize must be 1 to {MAX_PAGE_SIZE}.")))?,
        };
        Ok((after, size))
    }
}

/// A list's page size when none is asked for, and the largest one.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 1000;

/// A page's `nextToken`: the last id when more follow.
pub fn next_token(ids: &[&str], more: bool) -> Option<String> {
    more.then(|| ids.last().map(|id| id.to_string())).flatten()
}

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::sender("ValidationException", 400, message)
}

/// A domain error as this API names it.
pub fn domain_error(error: IamError) -> AwsError {
    match error {
        IamError::NoSuchEntity(m) => AwsError::sender("ResourceNotFoundException", 404, m),
        IamError::LimitExceeded(m) => AwsError::sender("TooManyTagsException", 400, m),
        IamError::Validation(m)
        | IamError::InvalidInput(m)
        | IamError::MalformedPolicyDocument(m) => validation(m),
        other => AwsError::from(other),
    }
}

/// The code a REST-JSON client expects for an error of the shared surface (authentication,
/// authorization) as AWS's JSON services name them.
fn rest_json_code(error: &AwsError) -> &str {
    match error.code() {
        "AccessDenied" => "AccessDeniedException",
        "NoSuchEntity" => "ResourceNotFoundException",
        "ValidationError" | "InvalidInput" | "MalformedPolicyDocument" => "ValidationException",
        "InvalidClientTokenId" => "UnrecognizedClientException",
        "SignatureDoesNotMatch" => "InvalidSignatureException",
        "ExpiredToken" => "ExpiredTokenException",
        "ServiceFailure" => "InternalServerException",
        "Throttling" => "ThrottlingException",
        code => code,
    }
}

/// An error as REST-JSON sends it: status, `x-amzn-ErrorType` and `{"message"}`.
pub fn error_response(error: &AwsError, request_id: &str) -> HttpResponse {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header(("x-amzn-ErrorType", rest_json_code(error)))
        .insert_header(("x-amzn-RequestId", request_id))
        .json(json!({ "message": error.message() }))
}

/// ISO 8601 as the API's timestamps are written.
pub fn timestamp(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The caller of a request signed for `rolesanywhere` (a refusal audited under `action`).
fn caller(api: &AwsApi, incoming: &Incoming, action: &str) -> Result<Caller, AwsError> {
    let parts = incoming.parts();
    let parsed = sigv4::parse(&parts)?;
    if parsed.scope.service != SERVICE {
        return Err(sigv4::SigV4Error::SignatureDoesNotMatch(
            "Credential should be scoped to correct service: 'rolesanywhere'. ".to_string(),
        )
        .into());
    }
    authenticate(api, &parts, api.ctx.clock.now()).inspect_err(|e| {
        audit_failure(api, None, &incoming.meta, SERVICE, action, e);
    })
}

/// Serves one request of `action`: its caller authenticated, then `serve`d on the blocking
/// pool, answered as JSON or as the REST-JSON error.
pub async fn answer(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    action: &'static str,
    serve: impl FnOnce(&Request<'_>) -> Answer + Send + 'static,
) -> HttpResponse {
    let (incoming, request_id) = Incoming::read(&req, body);
    let api = api.into_inner();
    let outcome = web::block(move || {
        let caller = caller(&api, &incoming, action)?;
        let request = Request {
            api: &api,
            incoming: &incoming,
            caller,
            action,
        };
        serve(&request).map_err(|error| match error.code() {
            // Refusals of authorization were audited when decided.
            "AccessDenied" => error,
            _ => request.refused(error),
        })
    })
    .await;
    match outcome {
        Ok(Ok((status, answer))) => HttpResponse::build(status)
            .insert_header(("x-amzn-RequestId", request_id))
            .json(answer),
        Ok(Err(error)) => error_response(&error, &request_id),
        Err(e) => {
            tracing::error!(error = %e, path = %req.path(), "a rolesanywhere request failed");
            error_response(&AwsError::service_failure(), &request_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_rest_json_names() {
        let denied = AwsError::access_denied("no");
        assert_eq!(rest_json_code(&denied), "AccessDeniedException");
        let missing = domain_error(IamError::NoSuchEntity("gone".into()));
        assert_eq!(
            (missing.code(), missing.status()),
            ("ResourceNotFoundException", 404)
        );
        let tags = domain_error(IamError::LimitExceeded("many".into()));
        assert_eq!((tags.code(), tags.status()), ("TooManyTagsException", 400));
        let bad = domain_error(IamError::Validation("bad".into()));
        assert_eq!((bad.code(), bad.status()), ("ValidationException", 400));
        assert_eq!(next_token(&["a", "b"], true).as_deref(), Some("b"));
        assert_eq!(next_token(&["a", "b"], false), None);
    }
}
