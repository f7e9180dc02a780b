//! The AWS Query endpoint at `/`: the handler and the dispatch to the action handlers, XML
//! out, AWS errors, and an audit event for every call. Who is calling is settled in
//! `authenticate`, the call's environment is `env`, its events are written by `auditing`,
//! and the actions that take no signature are served by `unsigned`.
//!
//! ```text
//!  headers ─> admission (refused from the headers alone: answered, body unread)
//!         ─> body, streamed up to its limit (413 past it)
//!  request ─> no signature, an unsigned action by name: `unsigned` (no caller)
//!         ─> parse SigV4 ─> look up key (unknown: InvalidClientTokenId) ─> verify signature
//!         ─> caller ─> decode parameters ─> handler: authorize(action, resource) ─> service
//!         ─> XML, or AWS error XML;  audit: mutations in their own transaction (services),
//!            reads and failures here
//! ```

use super::admission;
use super::auditing::{audit_failure, audit_read};
use super::authenticate::{authenticate_parsed, KeyCache};
use super::env::Env;
use super::error::AwsError;
use super::incoming::action_hint;
pub(super) use super::incoming::Incoming;
use super::query::QueryParams;
use super::sigv4::{self, SigV4Error, SigningKeyCache};
use super::unsigned;
use super::xml::{self, XmlResponse};
use crate::audit::AuditQueue;
use crate::authz::Authorizer;
use crate::context::ServiceContext;
use crate::iam::Call;
use crate::storage::connection::without_store;
use crate::sts::web_identity::keys::ProviderCache;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::{Arc, Mutex};

/// Shared state of the AWS API surface.
pub struct AwsApi {
    pub ctx: ServiceContext,
    pub authorizer: Authorizer,
    pub signing_keys: SigningKeyCache,
    pub region: String,
    /// The access keys already looked up, and when each credential's use was last written.
    pub(super) keys: KeyCache,
    /// Where the events of reads, denials and failures go (changes audit themselves).
    pub audit: Arc<AuditQueue>,
    /// Which unauthenticated failures are recorded (a sample: anyone can send them).
    pub(super) unauthenticated: Mutex<crate::audit::sampling::Sampler>,
    /// The keys of the OpenID Connect providers accounts trust (AssumeRoleWithWebIdentity).
    pub web_identity_providers: ProviderCache,
    /// The pooled connections to accounts' directories (AssumeRoleWithLDAPIdentity, and the
    /// portal's directory sign-ins).
    pub directories: crate::directory::client::Connections,
}

impl AwsApi {
    pub fn new(ctx: ServiceContext, region: String, audit: Arc<AuditQueue>) -> Self {
        Self {
            audit,
            web_identity_providers: ProviderCache::new(std::time::Duration::from_secs(
                ctx.web_identity.jwks_max_cache_seconds,
            )),
            directories: crate::directory::client::Connections::new(
                ctx.web_identity.allow_plain_ldap,
            ),
            ctx,
            authorizer: Authorizer::default(),
            signing_keys: SigningKeyCache::default(),
            region,
            keys: KeyCache::default(),
            unauthenticated: Mutex::default(),
        }
    }
}

/// `POST /` and `GET /`.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    api: web::Data<AwsApi>,
) -> HttpResponse {
    // A person's browser at the root, not an AWS client: show them the console.
    if req.method() == actix_web::http::Method::GET
        && req.query_string().is_empty()
        && !req.headers().contains_key("authorization")
    {
        return HttpResponse::SeeOther()
            .insert_header(("location", "/console"))
            .finish();
    }
    let (incoming, request_id) = Incoming::read(&req, web::Bytes::new());
    let api = api.into_inner();
    let rid = request_id.clone();
    // The headers say first whether the body is read at all, and how much of it (see
    // `admission`): a refused request is answered with its body unread.
    let (mut incoming, admitted) = match admission::screen(&api, incoming).await {
        Ok(admitted) => admitted,
        Err((namespace, error)) => return error_answer(namespace, &error, &rid),
    };
    incoming.body = match admission::read_body(&api, &incoming, payload, &admitted).await {
        Ok(body) => body,
        Err((namespace, error)) => return error_answer(namespace, &error, &rid),
    };
    // STS calls are tried first on this worker without the store: those answered from
    // caches alone (GetCallerIdentity, AssumeRole of a cached role, AssumeRoleWithWebIdentity
    // with a cached provider and keys) end here, and one that wants the store (or to fetch a
    // provider's keys) is run again on the blocking pool. IAM calls all read or write the
    // store, so they go to the pool at once.
    // (Only a request without a signature is looked at for an unsigned action's name: signed
    // IAM calls pay nothing for it.)
    let unsigned_sts = incoming.unsigned() && unsigned::route(&incoming).is_some();
    let outcome = if incoming.signed_for("sts") || unsigned_sts {
        let (attempt, wants_store) = without_store(|| serve(&api, &incoming));
        if wants_store {
            api.audit.drop_held();
            web::block(move || serve(&api, &incoming)).await
        } else {
            api.audit.release_held();
            Ok(attempt)
        }
    } else {
        web::block(move || serve(&api, &incoming)).await
    };
    let (status, body) = match outcome {
        Ok((namespace, Ok(response))) => match response.finish(&rid) {
            Ok(body) => (200, body),
            Err(e) => {
                tracing::error!(error = %e, "cannot write the XML response");
                (
                    500,
                    xml::error_response(namespace, &AwsError::service_failure(), &rid),
                )
            }
        },
        Ok((namespace, Err(error))) => {
            (error.status(), xml::error_response(namespace, &error, &rid))
        }
        Err(e) => {
            tracing::error!(error = %e, "AWS API worker failed");
            (
                500,
                xml::error_response(xml::IAM_NAMESPACE, &AwsError::service_failure(), &rid),
            )
        }
    };
    xml_answer(status, body)
}

fn error_answer(namespace: &str, error: &AwsError, request_id: &str) -> HttpResponse {
    xml_answer(
        error.status(),
        xml::error_response(namespace, error, request_id),
    )
}

fn xml_answer(status: u16, body: String) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    )
    .content_type("text/xml")
    .body(body)
}

fn serve(api: &AwsApi, incoming: &Incoming) -> (&'static str, Result<XmlResponse, AwsError>) {
    let parts = incoming.parts();
    let signature = sigv4::parse(&parts);
    let service = signature
        .as_ref()
        .map(|p| p.scope.service.clone())
        .unwrap_or_default();
    let namespace = xml::namespace(&service);
    // An action that takes no signature (its caller proves who it is in its parameters) is
    // routed by its name before anything is authenticated, and served without a caller.
    if matches!(signature, Err(SigV4Error::MissingAuthenticationToken)) {
        if let Some(action) = unsigned::route(incoming) {
            return unsigned::serve(api, incoming, action);
        }
    }
    let now = api.ctx.clock.now();
    // Who is calling is settled before the body is parsed: a refused caller costs no form
    // decoding, whatever it sent.
    let caller = match signature
        .map_err(AwsError::from)
        .and_then(|parsed| authenticate_parsed(api, &parts, &parsed, now))
    {
        Ok(caller) => caller,
        Err(error) => {
            let action = action_hint(incoming);
            audit_failure(api, None, &incoming.meta, &service, &action, &error);
            return (namespace, Err(error));
        }
    };
    let params = if incoming.method == "POST" {
        QueryParams::from_query_and_body(&incoming.query, &incoming.body)
    } else {
        QueryParams::from_query_string(&incoming.query)
    };
    let action = params
        .as_ref()
        .ok()
        .and_then(|p| p.action())
        .unwrap_or("")
        .to_string();
    let env = match params {
        Ok(params) => Env {
            api,
            call: Call {
                account_id: caller.account_id().to_string(),
                actor_arn: caller.arn(),
                meta: incoming.meta.clone(),
            },
            facts: incoming.facts(api, now),
            caller,
            params,
        },
        Err(error) => {
            audit_failure(
                api,
                Some(&caller),
                &incoming.meta,
                &service,
                &action,
                &error,
            );
            return (namespace, Err(error));
        }
    };
    let result = match service.as_str() {
        "iam" => super::iam::dispatch(&env, &action),
        "sts" => super::sts::dispatch(&env, &action),
        _ => Err(AwsError::invalid_action(
            &action,
            env.params.version().unwrap_or(""),
        )),
    };
    match &result {
        Err(error) => audit_failure(
            api,
            Some(&env.caller),
            &incoming.meta,
            &service,
            &action,
            error,
        ),
        // STS calls audit themselves, with the credentials they issued.
        Ok(_) if service == "iam" && super::iam::is_read_only(&action) => audit_read(&env, &action),
        Ok(_) => {}
    }
    (namespace, result)
}
