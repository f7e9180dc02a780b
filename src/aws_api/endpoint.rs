//! The AWS Query endpoint at `/`: SigV4 authentication, authorization, dispatch to the action
//! handlers, XML out, AWS errors, and an audit event for every call.
//!
//! ```text
//!  headers ─> admission (refused from the headers alone: answered, body unread)
//!         ─> body, streamed up to its limit (413 past it)
//!  request ─> parse SigV4 ─> look up key (unknown: InvalidClientTokenId) ─> verify signature
//!         ─> caller ─> decode parameters ─> handler: authorize(action, resource) ─> service
//!         ─> XML, or AWS error XML;  audit: mutations in their own transaction (services),
//!            reads and failures here
//! ```

use super::admission;
use super::error::AwsError;
use super::incoming::action_hint;
pub(super) use super::incoming::Incoming;
use super::query::QueryParams;
use super::sigv4::{self, RequestParts, SigningKeyCache};
use super::xml::{self, XmlResponse};
use crate::audit::{AuditEvent, AuditQueue, EventSource, RequestMeta};
use crate::authz::{Authorizer, Caller, RequestFacts, ResourceRequest};
use crate::context::ServiceContext;
use crate::credentials::TemporaryAccessKeyId;
use crate::iam::{access_keys, users, Call};
use crate::secrets::ExposeSecret;
use crate::storage::connection::without_store;
use crate::storage::ids::AccessKeyId;
use crate::storage::StorageError;
use crate::sts::{SessionPrincipal, TokenError};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Shared state of the AWS API surface.
pub struct AwsApi {
    pub ctx: ServiceContext,
    pub authorizer: Authorizer,
    pub signing_keys: SigningKeyCache,
    pub region: String,
    /// When each access key's (and role's) use was last written, so a busy one writes at most
    /// once a minute.
    last_use_written: Mutex<HashMap<String, chrono::NaiveDateTime>>,
    /// Access keys already looked up, with their secret and owner, valid until the next IAM
    /// change (the same epoch that invalidates cached policies: a key deactivated, deleted or
    /// its user renamed is read again).
    keys: Mutex<HashMap<String, (u64, Arc<KnownKey>)>>,
    /// Where the events of reads, denials and failures go (changes audit themselves).
    pub audit: Arc<AuditQueue>,
    /// Which unauthenticated failures are recorded (a sample: anyone can send them).
    unauthenticated: Mutex<crate::audit::sampling::Sampler>,
}

/// An access key as authentication needs it.
pub(super) struct KnownKey {
    secret: crate::secrets::SecretString,
    active: bool,
    caller: Caller,
}

/// Bound on cached access keys; past it the cache starts over.
const KEY_CACHE_CAPACITY: usize = 100_000;

impl AwsApi {
    pub fn new(ctx: ServiceContext, region: String, audit: Arc<AuditQueue>) -> Self {
        Self {
            audit,
            ctx,
            authorizer: Authorizer::default(),
            signing_keys: SigningKeyCache::default(),
            region,
            last_use_written: Mutex::default(),
            keys: Mutex::default(),
            unauthenticated: Mutex::default(),
        }
    }
}

/// One call, as the action handlers see it.
pub struct Env<'a> {
    pub api: &'a AwsApi,
    pub caller: Caller,
    pub call: Call,
    pub facts: RequestFacts,
    pub params: QueryParams,
}

impl Env<'_> {
    pub fn ctx(&self) -> &ServiceContext {
        &self.api.ctx
    }

    pub fn account(&self) -> &str {
        self.caller.account_id()
    }

    /// Authorizes `action` on `resource`; the root user may do anything in its account.
    pub fn authorize(&self, action: &str, resource: &str) -> Result<(), AwsError> {
        if let Some(reason) = session_restriction(&self.caller, action) {
            return Err(restricted(&self.caller, action, resource, reason));
        }
        if self.caller.is_root() {
            return Ok(());
        }
        // IAM's own keys (iam:PolicyARN, aws:RequestTag/*, ...), as AWS sets them per action.
        let context = super::iam::condition_keys::for_request(self, action, resource)?;
        let (decision, request) = self
            .api
            .authorizer
            .decide_for(
                self.ctx(),
                &self.caller,
                &self.facts,
                &ResourceRequest {
                    action,
                    resource,
                    context,
                    resource_policy: None,
                    resource_account: None,
                },
            )
            .map_err(AwsError::from)?;
        if decision.is_allowed() {
            return Ok(());
        }
        let message = decision.access_denied_message(&request).unwrap_or_else(|| {
            format!(
                "User: {} is not authorized to perform: {action} on resource: {resource}",
                self.caller.arn()
            )
        });
        Err(AwsError::access_denied(message))
    }
}

/// What AWS withholds from some temporary credentials whatever their policies say: sessions
/// from GetSessionToken call IAM only when MFA was proved, and federated users call neither
/// IAM nor STS (but GetCallerIdentity, which asks no permission).
///
/// Keyward's own actions (`keyward:*`) are held to the IAM rule, family by family:
/// - OIDC client management (`keyward:*OidcClient*`) decides which programs may receive
///   tokens for the account's users: identity administration, as IAM is;
/// - `keyward:Authorize` answers with another principal's decision and the policies behind
///   it, as `iam:SimulatePrincipalPolicy` does.
///
/// A new `keyward:` action falls under the rule unless it is listed here with the reason it
/// may be called from such a session. Leaving them out would let a federated user, or a
/// stolen access key turned into a session without MFA, administer what IAM calls from the
/// same session may not.
pub(super) fn session_restriction(caller: &Caller, action: &str) -> Option<&'static str> {
    let session = caller.session()?;
    if action.starts_with("sts:") && matches!(session.principal, SessionPrincipal::Federated { .. })
    {
        return Some("federated user sessions call no STS operation but GetCallerIdentity");
    }
    if !administers_identities(action) {
        return None;
    }
    match session.principal {
        SessionPrincipal::Federated { .. } => {
            Some("federated user sessions cannot call IAM or Keyward operations")
        }
        SessionPrincipal::User { .. } | SessionPrincipal::Root if session.mfa_at.is_none() => {
            Some("sessions from GetSessionToken call IAM and Keyward operations only with MFA")
        }
        _ => None,
    }
}

/// IAM's actions and Keyward's own, which the session rules above treat alike.
fn administers_identities(action: &str) -> bool {
    let service = action.split(':').next().unwrap_or_default();
    service.eq_ignore_ascii_case("iam") || service.eq_ignore_ascii_case("keyward")
}

/// The AccessDenied of a [`session_restriction`].
pub(super) fn restricted(caller: &Caller, action: &str, resource: &str, reason: &str) -> AwsError {
    AwsError::access_denied(format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because \
         {reason}",
        caller.arn()
    ))
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
    // caches alone (GetCallerIdentity, AssumeRole of a cached role) end here, and one that
    // wants the store is run again on the blocking pool. IAM calls all read or write the
    // store, so they go to the pool at once.
    let outcome = if incoming.signed_for("sts") {
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
    let namespace = if service == "sts" {
        xml::STS_NAMESPACE
    } else {
        xml::IAM_NAMESPACE
    };
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

/// Finds the key, checks the signature and says who is calling.
pub(super) fn authenticate(
    api: &AwsApi,
    parts: &RequestParts<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Caller, AwsError> {
    authenticate_parsed(api, parts, &sigv4::parse(parts)?, now)
}

/// [`authenticate`] with the signature already parsed.
fn authenticate_parsed(
    api: &AwsApi,
    parts: &RequestParts<'_>,
    parsed: &sigv4::ParsedSignature,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Caller, AwsError> {
    if let Some(token) = &parsed.security_token {
        return authenticate_session(api, parts, parsed, token.expose_secret(), now);
    }
    let key =
        known_key(api, &parsed.access_key_id)?.ok_or_else(AwsError::invalid_client_token_id)?;
    sigv4::verify(
        parsed,
        parts,
        &key.secret,
        now,
        &parsed.scope.service,
        &api.signing_keys,
    )?;
    if !key.active {
        return Err(AwsError::invalid_client_token_id());
    }
    record_use(
        api,
        &parsed.access_key_id,
        &parsed.scope.service,
        &parsed.scope.region,
    );
    Ok(key.caller.clone())
}

/// A temporary credential: the session token alone says who is calling and holds the secret
/// to check the signature with; the store is not read.
fn authenticate_session(
    api: &AwsApi,
    parts: &RequestParts<'_>,
    parsed: &sigv4::ParsedSignature,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Caller, AwsError> {
    if !TemporaryAccessKeyId::is_well_formed(&parsed.access_key_id) {
        return Err(AwsError::invalid_client_token_id());
    }
    let claims = api
        .ctx
        .sessions
        .open(&parsed.access_key_id, token, now.timestamp())
        .map_err(|e| match e {
            TokenError::Expired => AwsError::expired_token(),
            TokenError::Invalid => AwsError::invalid_client_token_id(),
        })?;
    let secret = crate::secrets::SecretString::from(claims.secret.clone());
    sigv4::verify(
        parsed,
        parts,
        &secret,
        now,
        &parsed.scope.service,
        &api.signing_keys,
    )?;
    Ok(Caller::Session {
        access_key_id: parsed.access_key_id.clone(),
        claims: Arc::new(claims),
    })
}

/// The key with this id, from the cache while no IAM change happened since it was read.
pub(super) fn known_key(api: &AwsApi, id: &str) -> Result<Option<Arc<KnownKey>>, AwsError> {
    let ctx = &api.ctx;
    let epoch = ctx.epoch();
    if let Some((at, key)) = api.keys.lock().unwrap_or_else(|e| e.into_inner()).get(id) {
        if *at == epoch {
            return Ok(Some(key.clone()));
        }
    }
    let found = ctx
        .store
        .read(|conn| access_keys::lookup(conn, id))
        .map_err(|e: StorageError| {
            if e.is_deferred() {
                AwsError::service_failure()
            } else {
                internal(&e)
            }
        })?;
    let Some((key, _)) = found else {
        return Ok(None);
    };
    let key_id = AccessKeyId::from_stored(key.id.clone());
    let secret = access_keys::unseal(&ctx.master_key, &key_id, &key.sealed_secret)
        .map_err(|e| internal(&e))?;
    let caller = match key.user_id {
        None => Caller::Root {
            account_id: key.account_id,
        },
        Some(user_id) => {
            let user = users::get_by_id(ctx, &user_id).map_err(AwsError::from)?;
            Caller::User {
                account_id: user.account_id,
                user_id: user.id,
                name: user.name,
                path: user.path,
            }
        }
    };
    let known = Arc::new(KnownKey {
        secret,
        active: key.status == "Active",
        caller,
    });
    let mut cache = api.keys.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= KEY_CACHE_CAPACITY {
        cache.clear();
    }
    cache.insert(id.to_string(), (epoch, known.clone()));
    Ok(Some(known))
}

fn internal(error: &dyn std::fmt::Display) -> AwsError {
    tracing::error!(error = %error, "AWS API internal error");
    AwsError::service_failure()
}

/// Writes the last use of `what` (a key or role id) with `write`, at most once a minute each,
/// so that busy credentials do not write on every request.
pub(super) fn record_use_with(
    api: &AwsApi,
    what: &str,
    write: impl FnOnce(chrono::NaiveDateTime) -> Result<(), StorageError>,
) {
    let now = api.ctx.clock.now_naive();
    let recent = api
        .last_use_written
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(what)
        .is_some_and(|at| now - *at < chrono::Duration::seconds(60));
    if recent {
        return;
    }
    match write(now) {
        // Marked only once written: a write deferred to the blocking pool is made there.
        Ok(()) => {
            let mut written = api
                .last_use_written
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if written.len() > 100_000 {
                written.clear();
            }
            written.insert(what.to_string(), now);
        }
        Err(e) if e.is_deferred() => {}
        Err(e) => tracing::warn!(error = %e, what, "cannot record the last use"),
    }
}

/// Writes a key's last use (see [`record_use_with`]).
fn record_use(api: &AwsApi, key_id: &str, service: &str, region: &str) {
    record_use_with(api, key_id, |now| {
        api.ctx
            .store
            .write(|conn| access_keys::record_use(conn, key_id, now, service, region))
    });
}

fn source(service: &str) -> EventSource {
    if service == "sts" {
        EventSource::Sts
    } else {
        EventSource::Iam
    }
}

fn write_event(api: &AwsApi, meta: &RequestMeta, event: AuditEvent) {
    api.audit.push(api.ctx.clock.now_naive(), meta, event);
}

pub(super) fn audit_failure(
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
