//! The authorization endpoint: `response_type=code` with PKCE, `state`, `nonce`, `prompt`,
//! `max_age`, `login_hint` and `acr_values`.
//!
//! Errors go back to the client by redirect only once the client and the redirect URI are
//! known to be valid (exact match with a registered URI); before that they are shown on a
//! page, so that Keyward never redirects anywhere a client did not register.
//!
//! A request that needs a sign-in (or a fresh one) is carried over it in a cookie sealed under
//! the master key; the portal sends the browser to `/oauth2/authorize/continue` once the
//! sign-in is complete. Consent is asked once per user, client and scope, and remembered.

use super::claims::{self, authentication_methods, ACR_MFA};
use super::clients::{Client, GrantType};
use super::error::OAuthError;
use super::grants::{self, Grant};
use super::pages::{describe_scope, ConfirmPage, ConsentPage};
use super::params::{self, Params};
use super::Provider;
use crate::audit::{AuditEvent, EventSource, RequestMeta};
use crate::portal::handlers::{self as portal_http, cookie, removal};
use crate::portal::sessions::{Session, Stage};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

/// The cookie that carries a pending authorization request over the sign-in.
pub const PENDING_COOKIE: &str = "keyward_authorize";
const SECURE_PENDING_COOKIE: &str = "__Host-keyward_authorize";
const SEAL_PURPOSE: &str = "oidc-authorization-request";
/// How long a pending request waits for its sign-in.
const PENDING_LIFETIME: i64 = 600;
/// Where the portal sends the browser after a sign-in that a pending request waits for.
pub const CONTINUE_PATH: &str = "/oauth2/authorize/continue";
/// Offline grants last at most this long (each refresh token lives the client's refresh
/// lifetime within it).
const OFFLINE_GRANT_LIFETIME: chrono::Duration = chrono::Duration::days(365);

fn pending_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_PENDING_COOKIE
    } else {
        PENDING_COOKIE
    }
}

/// Whether the browser has an authorization request waiting for its sign-in.
pub fn is_pending(req: &HttpRequest, secure: bool) -> bool {
    req.cookie(pending_cookie_name(secure)).is_some()
}

/// The redirect URI of the authorization request waiting for this browser's sign-in, if any:
/// the sign-in pages' forms end there after their redirects.
pub fn pending_target(portal: &crate::portal::Portal, req: &HttpRequest) -> Option<Url> {
    let request = unseal_with(&portal.ctx, portal.secure, req)?;
    Url::parse(&request.redirect_uri).ok()
}

/// Lets `response` (a page with a form) post to a flow that ends at `target`.
pub fn allow_form_target(mut response: HttpResponse, target: &Url) -> HttpResponse {
    if let Some(policy) = crate::http::security_headers::policy_with_form_target(target) {
        response
            .headers_mut()
            .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// A validated authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Request {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    prompt: Vec<String>,
    max_age: Option<i64>,
    login_hint: Option<String>,
    acr_values: Vec<String>,
    /// Unix seconds, when the request arrived.
    created_at: i64,
}

impl Request {
    fn prompts(&self, value: &str) -> bool {
        self.prompt.iter().any(|p| p == value)
    }

    /// What a consent page carries to name the request it showed: SHA-256 of the request,
    /// base64url. A browser has one waiting request at a time; when another authorization
    /// request replaced it after the page was shown, the page's answer no longer applies.
    fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        data_encoding::BASE64URL_NOPAD.encode(&Sha256::digest(&bytes))
    }
}

/// Why a request cannot go on.
enum Failure {
    /// Shown on a page: the client or redirect URI is not valid.
    Page(String),
    /// Sent back to the client's redirect URI (with the request's `state`).
    Redirect(Box<(Url, Option<String>, OAuthError)>),
}

fn redirect_with(mut uri: Url, pairs: &[(&str, &str)]) -> HttpResponse {
    {
        let mut q = uri.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    portal_http::see_other(uri.as_str()).finish()
}

fn error_redirect(
    provider: &Provider,
    uri: Url,
    state: Option<&str>,
    e: &OAuthError,
) -> HttpResponse {
    let mut pairs = vec![
        ("error", e.code),
        ("error_description", e.description.as_str()),
    ];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", provider.issuer()));
    redirect_with(uri, &pairs)
}

fn failure_response(provider: &Provider, failure: Failure) -> HttpResponse {
    match failure {
        Failure::Page(text) => portal_http::message(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            &text,
            "/console",
        ),
        Failure::Redirect(back) => {
            let (uri, state, e) = *back;
            error_redirect(provider, uri, state.as_deref(), &e)
        }
    }
}

/// Checks an authorization request's parameters against its client's registration.
fn validate(provider: &Provider, params: &Params) -> Result<(Client, Request), Failure> {
    let page = |e: OAuthError| Failure::Page(e.description);
    let client_id = params.require("client_id").map_err(page)?;
    let client = provider
        .client(client_id)
        .map_err(|e| Failure::Page(OAuthError::server_error(e).description))?
        .ok_or_else(|| {
            Failure::Page(format!(
                "There is no application with the client id {client_id}."
            ))
        })?;
    let redirect_uri = params.require("redirect_uri").map_err(page)?;
    if !client.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(Failure::Page(format!(
            "{redirect_uri} is not a redirect URI registered for {}.",
            client.name
        )));
    }
    let uri = Url::parse(redirect_uri)
        .map_err(|_| Failure::Page("The redirect URI is not valid.".into()))?;
    let state = params.get("state").ok().flatten().map(str::to_string);
    let back = |e: OAuthError| Failure::Redirect(Box::new((uri.clone(), state.clone(), e)));
    if params.has("request") {
        return Err(back(OAuthError::request_not_supported(
            "request objects are not supported",
        )));
    }
    if params.has("request_uri") {
        return Err(back(OAuthError::request_uri_not_supported(
            "request_uri is not supported",
        )));
    }
    match params.get("response_type").map_err(back)? {
        Some("code") => {}
        Some(other) => {
            return Err(back(OAuthError::unsupported_response_type(format!(
                "Keyward supports response_type=code only, not {other}"
            ))))
        }
        None => {
            return Err(back(OAuthError::invalid_request(
                "response_type is missing",
            )))
        }
    }
    if let Some(mode) = params.get("response_mode").map_err(back)? {
        if mode != "query" {
            return Err(back(OAuthError::invalid_request(format!(
                "response_mode {mode} is not supported; Keyward answers in the query"
            ))));
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(back(OAuthError::unauthorized_client(
            "the client may not use the authorization code flow",
        )));
    }
    let mut scopes = params::scopes(params.get("scope").map_err(back)?);
    if let Some(extra) = scopes.iter().find(|s| !client.allows_scope(s)) {
        return Err(back(OAuthError::invalid_scope(format!(
            "the client may not ask for the scope {extra}"
        ))));
    }
    // offline_access means refresh tokens: meaningless to a client that cannot refresh.
    if !client.allows(GrantType::RefreshToken) {
        scopes.retain(|s| s != "offline_access");
    }
    let code_challenge = params.get("code_challenge").map_err(back)?;
    let method = params.get("code_challenge_method").map_err(back)?;
    match (code_challenge, method) {
        (Some(c), Some("S256")) => {
            let ok = c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
            if !ok {
                return Err(back(OAuthError::invalid_request(
                    "code_challenge must be the base64url SHA-256 of the code verifier",
                )));
            }
        }
        (Some(_), _) => {
            return Err(back(OAuthError::invalid_request(
                "code_challenge_method must be S256",
            )))
        }
        (None, Some(_)) => {
            return Err(back(OAuthError::invalid_request(
                "code_challenge is missing",
            )))
        }
        (None, None) if client.is_public() => {
            return Err(back(OAuthError::invalid_request(
                "a public client must use PKCE (code_challenge with S256)",
            )))
        }
        (None, None) => {}
    }
    let prompt: Vec<String> = params::scopes(params.get("prompt").map_err(back)?);
    for p in &prompt {
        if !["none", "login", "consent", "select_account"].contains(&p.as_str()) {
            return Err(back(OAuthError::invalid_request(format!(
                "unknown prompt {p}"
            ))));
        }
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(back(OAuthError::invalid_request(
            "prompt=none cannot be combined",
        )));
    }
    let max_age = match params.get("max_age").map_err(back)? {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            back(OAuthError::invalid_request(
                "max_age must be a number of seconds",
            ))
        })?),
    };
    let short = |name: &str| -> Result<Option<String>, Failure> {
        match params.get(name).map_err(back)? {
            Some(v) if v.len() > 512 => Err(back(OAuthError::invalid_request(format!(
                "{name} is too long"
            )))),
            v => Ok(v.map(str::to_string)),
        }
    };
    let request = Request {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        state: short("state")?,
        nonce: short("nonce")?,
        code_challenge: code_challenge.map(str::to_string),
        prompt,
        max_age,
        login_hint: short("login_hint")?,
        acr_values: params::scopes(params.get("acr_values").map_err(back)?),
        created_at: provider.ctx.clock.now().timestamp(),
    };
    Ok((client, request))
}

/// What comes next for a request.
enum Step {
    /// The browser must sign in (again): to the sign-in page, or first to a confirmation
    /// that ends the current session.
    SignIn {
        reauthenticate: Option<String>,
    },
    Consent,
    Issue,
}

fn step(
    client: &Client,
    request: &Request,
    session: Option<&Session>,
    consented: Option<&[String]>,
    now: i64,
) -> Result<Step, OAuthError> {
    let none = request.prompts("none");
    let Some(session) = session else {
        return if none {
            Err(OAuthError::login_required("no one is signed in"))
        } else {
            Ok(Step::SignIn {
                reauthenticate: None,
            })
        };
    };
    let signed_in_at = session.created_at.and_utc().timestamp();
    let fresh = signed_in_at >= request.created_at;
    let mut again = None;
    if session.account_id != client.account_id {
        again = Some(format!(
            "{} is an application of account {}; you are signed in to account {}.",
            client.name, client.account_id, session.account_id
        ));
    } else if !fresh && (request.prompts("login") || request.prompts("select_account")) {
        again = Some(format!("{} asks you to sign in again.", client.name));
    } else if request.max_age.is_some_and(|max| now - signed_in_at > max) {
        again = Some(format!("{} asks for a recent sign-in.", client.name));
    } else if request.acr_values.iter().any(|a| a == ACR_MFA) && session.mfa_method.is_none() {
        if fresh {
            return Err(OAuthError::unmet_authentication_requirements(
                "the user has no second factor to sign in with",
            ));
        }
        again = Some(format!(
            "{} asks for a sign-in with a second factor.",
            client.name
        ));
    }
    if let Some(why) = again {
        return if none {
            Err(OAuthError::login_required(why))
        } else {
            Ok(Step::SignIn {
                reauthenticate: Some(why),
            })
        };
    }
    let covered =
        consented.is_some_and(|granted| request.scopes.iter().all(|s| granted.contains(s)));
    if client.consent_required && (request.prompts("consent") || !covered) {
        return if none {
            Err(OAuthError::consent_required(
                "the user has not allowed this application yet",
            ))
        } else {
            Ok(Step::Consent)
        };
    }
    Ok(Step::Issue)
}

fn subject_of(session: &Session) -> String {
    claims::subject(&session.account_id, session.user_id.as_deref())
}

/// Issues the code: a new grant, audited. Returns where the browser goes.
fn issue(
    provider: &Provider,
    client: &Client,
    request: &Request,
    session: &Session,
    meta: &RequestMeta,
) -> Result<Url, OAuthError> {
    let ctx = &provider.ctx;
    let now = ctx.clock.now_naive();
    let offline = request.scopes.iter().any(|s| s == "offline_access");
    let (amr, acr) = authentication_methods(session.mfa_method.as_deref());
    let grant = Grant {
        id: grants::new_grant_id(ctx.random.as_ref()),
        client_id: client.client_id.clone(),
        account_id: client.account_id.clone(),
        user_id: session.user_id.clone(),
        subject: subject_of(session),
        scope: request.scopes.join(" "),
        nonce: request.nonce.clone(),
        auth_time: session.created_at,
        amr: serde_json::Value::from(amr.clone()).to_string(),
        acr: acr.to_string(),
        session_hash: (!offline).then(|| session.id_hash.clone()),
        created_at: now,
        expires_at: if offline {
            now + OFFLINE_GRANT_LIFETIME
        } else {
            session.expires_at
        },
        revoked_at: None,
    };
    let code = grants::new_token(ctx.random.as_ref());
    ctx.store.write(|conn| {
        grants::issue_code(
            conn,
            &grant,
            &code,
            &request.redirect_uri,
            request.code_challenge.as_deref(),
            now + provider.code_lifetime,
        )
    })?;
    let event = AuditEvent::new(EventSource::Oidc, "Authorize")
        .account(&client.account_id)
        .parameters(json!({
            "clientId": client.client_id,
            "subject": grant.subject,
            "scope": grant.scope,
            "amr": amr,
        }));
    provider.audit.push(now, meta, event);
    let mut uri = Url::parse(&request.redirect_uri).map_err(OAuthError::server_error)?;
    {
        let mut q = uri.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(state) = &request.state {
            q.append_pair("state", state);
        }
        q.append_pair("iss", provider.issuer());
    }
    Ok(uri)
}

fn seal(provider: &Provider, request: &Request) -> Result<String, OAuthError> {
    let text = serde_json::to_vec(request).map_err(OAuthError::server_error)?;
    provider
        .ctx
        .master_key
        .seal(SEAL_PURPOSE, &text, provider.ctx.random.as_ref())
        .map_err(OAuthError::server_error)
}

fn unseal(provider: &Provider, req: &HttpRequest) -> Option<Request> {
    unseal_with(&provider.ctx, provider.portal.secure, req)
}

fn unseal_with(
    ctx: &crate::context::ServiceContext,
    secure: bool,
    req: &HttpRequest,
) -> Option<Request> {
    use secrecy::ExposeSecret;
    let value = req.cookie(pending_cookie_name(secure))?;
    let bytes = ctx.master_key.open(SEAL_PURPOSE, value.value()).ok()?;
    let request: Request = serde_json::from_slice(bytes.expose_secret()).ok()?;
    let age = ctx.clock.now().timestamp() - request.created_at;
    (0..=PENDING_LIFETIME).contains(&age).then_some(request)
}

fn with_pending(
    provider: &Provider,
    mut response: HttpResponse,
    request: &Request,
) -> HttpResponse {
    let portal = &provider.portal;
    match seal(provider, request) {
        Ok(sealed) => {
            let mut c = cookie(portal, pending_cookie_name(portal.secure), sealed);
            c.set_max_age(actix_web::cookie::time::Duration::seconds(PENDING_LIFETIME));
            let _ = response.add_cookie(&c);
            response
        }
        Err(e) => e.response(),
    }
}

fn without_pending(provider: &Provider, mut response: HttpResponse) -> HttpResponse {
    let portal = &provider.portal;
    let _ = response.add_removal_cookie(&removal(portal, pending_cookie_name(portal.secure)));
    response
}

/// The account's sign-in page, with the user name the client suggested.
fn signin_path(client: &Client, request: &Request) -> String {
    let mut to = format!("/signin/{}", client.account_id);
    if let Some(hint) = &request.login_hint {
        to.push_str("?login_hint=");
        to.extend(url::form_urlencoded::byte_serialize(hint.as_bytes()));
    }
    to
}

/// Moves a valid request on: to the sign-in, the consent page, or the client with a code.
async fn proceed(
    req: &HttpRequest,
    provider: &web::Data<Provider>,
    client: Client,
    request: Request,
) -> HttpResponse {
    let portal = &provider.portal;
    let session = match portal_http::current(portal, req).await {
        Ok(s) => s.filter(|s| s.stage == Stage::Active),
        Err(response) => return response,
    };
    let p = provider.clone();
    let (c, r, s) = (client.clone(), request.clone(), session.clone());
    let meta = crate::http::request_meta(req);
    let decided = web::block(move || {
        let consented = match &s {
            Some(s) => p
                .ctx
                .store
                .read(|conn| grants::consented(conn, &subject_of(s), &c.client_id))?,
            None => None,
        };
        let now = p.ctx.clock.now().timestamp();
        let next = step(&c, &r, s.as_ref(), consented.as_deref(), now)?;
        match (&next, &s) {
            (Step::Issue, Some(session)) => {
                issue(&p, &c, &r, session, &meta).map(|uri| (next, Some(uri)))
            }
            _ => Ok((next, None)),
        }
    })
    .await
    .map_err(OAuthError::from)
    .and_then(|r| r);
    let back = || Url::parse(&request.redirect_uri).ok();
    match decided {
        Ok((Step::Issue, Some(uri))) => {
            without_pending(provider, portal_http::see_other(uri.as_str()).finish())
        }
        Ok((Step::Issue, None)) => {
            without_pending(provider, OAuthError::server_error("no session").response())
        }
        Ok((
            Step::SignIn {
                reauthenticate: None,
            },
            _,
        )) => with_pending(
            provider,
            portal_http::see_other(&signin_path(&client, &request)).finish(),
            &request,
        ),
        Ok((
            Step::SignIn {
                reauthenticate: Some(why),
            },
            _,
        )) => {
            let Some(session) = session else {
                return OAuthError::server_error("no session").response();
            };
            let page = ConfirmPage {
                signed_in: None,
                title: "Sign in again".into(),
                message: format!("{why} Continuing signs you out of Keyward first."),
                action: "/oauth2/authorize/reauthenticate".into(),
                csrf: portal_http::session_token(portal, &session),
                fields: Vec::new(),
                button: "Sign out and continue".into(),
            };
            with_pending(
                provider,
                portal_http::render(StatusCode::OK, &page),
                &request,
            )
        }
        Ok((Step::Consent, _)) => {
            let Some(session) = session else {
                return OAuthError::server_error("no session").response();
            };
            let p = provider.clone();
            let (account, user) = (session.account_id.clone(), session.user_id.clone());
            let name = web::block(move || {
                p.ctx
                    .store
                    .read(|conn| claims::profile(conn, &account, user.as_deref()))
            })
            .await
            .ok()
            .and_then(|r| r.ok())
            .flatten()
            .map_or_else(|| "root".to_string(), |p| p.user_name);
            let page = ConsentPage {
                signed_in: None,
                csrf: portal_http::session_token(portal, &session),
                client_name: client.name.clone(),
                user_name: name,
                account_id: session.account_id.clone(),
                scopes: request.scopes.iter().map(|s| describe_scope(s)).collect(),
                request: request.digest(),
            };
            let page = portal_http::render(StatusCode::OK, &page);
            let page = match back() {
                Some(target) => allow_form_target(page, &target),
                None => page,
            };
            with_pending(provider, page, &request)
        }
        Err(e) if e.code == "server_error" => without_pending(provider, e.response()),
        Err(e) => match back() {
            Some(uri) => without_pending(
                provider,
                error_redirect(provider, uri, request.state.as_deref(), &e),
            ),
            None => without_pending(provider, e.response()),
        },
    }
}

/// `GET` or `POST /oauth2/authorize` (a form, as OpenID Connect allows).
pub async fn start(
    req: HttpRequest,
    provider: web::Data<Provider>,
    params: Params,
) -> HttpResponse {
    let p = provider.clone();
    let checked = web::block(move || validate(&p, &params)).await;
    match checked {
        Ok(Ok((client, request))) => proceed(&req, &provider, client, request).await,
        Ok(Err(failure)) => failure_response(&provider, failure),
        Err(e) => OAuthError::server_error(e).response(),
    }
}

/// The request waiting in the cookie, with its client, or the page that says it is gone.
async fn waiting(
    req: &HttpRequest,
    provider: &web::Data<Provider>,
) -> Result<(Client, Request), HttpResponse> {
    let gone = || {
        portal_http::message(
            StatusCode::BAD_REQUEST,
            "Sign-in request expired",
            "The application's sign-in request is no longer waiting. Go back to the application and start again.",
            "/console",
        )
    };
    let Some(request) = unseal(provider, req) else {
        return Err(without_pending(provider, gone()));
    };
    let p = provider.clone();
    let id = request.client_id.clone();
    match web::block(move || p.client(&id)).await {
        Ok(Ok(Some(client))) => Ok((client, request)),
        _ => Err(without_pending(provider, gone())),
    }
}

/// `GET /oauth2/authorize/continue`: after the sign-in.
pub async fn resume(req: HttpRequest, provider: web::Data<Provider>) -> HttpResponse {
    match waiting(&req, &provider).await {
        Ok((client, request)) => proceed(&req, &provider, client, request).await,
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    csrf_token: String,
    decision: String,
    /// The digest of the request the page showed ([`Request::digest`]).
    request: String,
}

/// `POST /oauth2/authorize/consent`.
pub async fn consent(
    req: HttpRequest,
    provider: web::Data<Provider>,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    let portal = &provider.portal;
    let session = match portal_http::current(portal, &req).await {
        Ok(Some(s)) if s.stage == Stage::Active => s,
        Ok(_) => return portal_http::see_other("/signin").finish(),
        Err(response) => return response,
    };
    if !portal_http::session_csrf_ok(portal, &session, &form.csrf_token) {
        return portal_http::csrf_refused();
    }
    let (client, request) = match waiting(&req, &provider).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    // An answer to another request's page (the browser started a new authorization since
    // it was shown) decides nothing: the waiting request's own page is shown instead.
    let shown = subtle::ConstantTimeEq::ct_eq(form.request.as_bytes(), request.digest().as_bytes());
    if session.account_id != client.account_id || !bool::from(shown) {
        return proceed(&req, &provider, client, request).await;
    }
    let Ok(back) = Url::parse(&request.redirect_uri) else {
        return without_pending(
            &provider,
            OAuthError::server_error("bad redirect URI").response(),
        );
    };
    let meta = crate::http::request_meta(&req);
    let subject = subject_of(&session);
    if form.decision != "allow" {
        let event = AuditEvent::new(EventSource::Oidc, "DenyConsent")
            .account(&client.account_id)
            .parameters(json!({ "clientId": client.client_id, "subject": subject }));
        provider
            .audit
            .push(provider.ctx.clock.now_naive(), &meta, event);
        let e = OAuthError::access_denied("the user did not allow the application");
        return without_pending(
            &provider,
            error_redirect(&provider, back, request.state.as_deref(), &e),
        );
    }
    let p = provider.clone();
    let (c, r) = (client.clone(), request.clone());
    let stored = web::block(move || {
        let now = p.ctx.clock.now_naive();
        // A consent given twice at once (two tabs) adds up instead of failing.
        p.ctx.store.write_again_on_conflict(|conn| {
            grants::consent(conn, &subject, &c.client_id, &c.account_id, &r.scopes, now)?;
            let event = AuditEvent::new(EventSource::Oidc, "GrantConsent")
                .account(&c.account_id)
                .parameters(json!({ "clientId": c.client_id, "subject": subject, "scope": r.scopes.join(" ") }));
            crate::audit::record(conn, now, p.ctx.random.as_ref(), &meta, event)
        })
    })
    .await;
    match stored {
        Ok(Ok(())) => {
            // The consent just given covers the request, whatever its prompt said.
            let mut request = request;
            request.prompt.retain(|p| p != "consent");
            proceed(&req, &provider, client, request).await
        }
        Ok(Err(e)) => without_pending(&provider, OAuthError::server_error(e).response()),
        Err(e) => without_pending(&provider, OAuthError::server_error(e).response()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf_token: String,
}

/// `POST /oauth2/authorize/reauthenticate`: ends the session so that the waiting request's
/// sign-in can happen.
pub async fn reauthenticate(
    req: HttpRequest,
    provider: web::Data<Provider>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let portal = &provider.portal;
    let session = match portal_http::current(portal, &req).await {
        Ok(Some(s)) => s,
        Ok(None) => return portal_http::see_other(CONTINUE_PATH).finish(),
        Err(response) => return response,
    };
    if !portal_http::session_csrf_ok(portal, &session, &form.csrf_token) {
        return portal_http::csrf_refused();
    }
    let (client, request) = match waiting(&req, &provider).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    if let Err(response) = super::logout::sign_out(&req, &provider, session).await {
        return response;
    }
    let mut response = portal_http::see_other(&signin_path(&client, &request)).finish();
    let _ = response.add_removal_cookie(&removal(portal, portal_http::session_cookie_name(portal)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn client(consent: bool) -> Client {
        let mut c = crate::oidc::clients::tests_support::client("111122223333");
        c.consent_required = consent;
        c
    }

    fn request(prompt: &[&str], created_at: i64) -> Request {
        Request {
            client_id: "c".into(),
            redirect_uri: "https://app.example/cb".into(),
            scopes: vec!["openid".into(), "email".into()],
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: prompt.iter().map(|s| s.to_string()).collect(),
            max_age: None,
            login_hint: None,
            acr_values: Vec::new(),
            created_at,
        }
    }

    fn session(account: &str, signed_in_at: i64, mfa: Option<&str>) -> Session {
        let at = DateTime::from_timestamp(signed_in_at, 0)
            .unwrap_or_default()
            .naive_utc();
        Session {
            id_hash: "h".into(),
            account_id: account.into(),
            user_id: Some("AIDA".into()),
            stage: Stage::Active,
            csrf_secret: String::new(),
            mfa_authenticated_at: mfa.map(|_| at),
            mfa_method: mfa.map(str::to_string),
            reauthenticated_at: at,
            role_session: None,
            created_at: at,
            expires_at: at,
        }
    }

    const T: i64 = 1_800_000_000;

    #[test]
    fn without_a_session_the_user_signs_in_unless_prompt_is_none() {
        let c = client(false);
        assert!(matches!(
            step(&c, &request(&[], T), None, None, T),
            Ok(Step::SignIn {
                reauthenticate: None
            })
        ));
        let e = step(&c, &request(&["none"], T), None, None, T).err();
        assert_eq!(e.map(|e| e.code), Some("login_required"));
    }

    #[test]
    fn prompt_login_and_max_age_want_a_sign_in_after_the_request() {
        let c = client(false);
        let old = session("111122223333", T - 100, None);
        assert!(matches!(
            step(&c, &request(&["login"], T), Some(&old), None, T),
            Ok(Step::SignIn {
                reauthenticate: Some(_)
            })
        ));
        let fresh = session("111122223333", T + 5, None);
        assert!(matches!(
            step(&c, &request(&["login"], T), Some(&fresh), None, T + 6),
            Ok(Step::Issue)
        ));
        let mut aged = request(&[], T);
        aged.max_age = Some(60);
        assert!(matches!(
            step(&c, &aged, Some(&old), None, T),
            Ok(Step::SignIn {
                reauthenticate: Some(_)
            })
        ));
        aged.max_age = Some(600);
        assert!(matches!(
            step(&c, &aged, Some(&old), None, T),
            Ok(Step::Issue)
        ));
    }

    #[test]
    fn a_session_of_another_account_must_sign_in_again() {
        let c = client(false);
        let other = session("444455556666", T, None);
        assert!(matches!(
            step(&c, &request(&[], T), Some(&other), None, T),
            Ok(Step::SignIn {
                reauthenticate: Some(_)
            })
        ));
    }

    #[test]
    fn the_mfa_acr_forces_a_second_factor() {
        let c = client(false);
        let mut r = request(&[], T);
        r.acr_values = vec![ACR_MFA.into()];
        let password_only = session("111122223333", T - 10, None);
        assert!(matches!(
            step(&c, &r, Some(&password_only), None, T),
            Ok(Step::SignIn {
                reauthenticate: Some(_)
            })
        ));
        let fresh_without_factor = session("111122223333", T + 1, None);
        let e = step(&c, &r, Some(&fresh_without_factor), None, T + 2).err();
        assert_eq!(e.map(|e| e.code), Some("unmet_authentication_requirements"));
        let with_factor = session("111122223333", T - 10, Some("totp"));
        assert!(matches!(
            step(&c, &r, Some(&with_factor), None, T),
            Ok(Step::Issue)
        ));
    }

    #[test]
    fn consent_is_asked_until_it_covers_the_scopes_and_again_with_prompt_consent() {
        let c = client(true);
        let s = session("111122223333", T, None);
        assert!(matches!(
            step(&c, &request(&[], T), Some(&s), None, T),
            Ok(Step::Consent)
        ));
        let partial = ["openid".to_string()];
        assert!(matches!(
            step(&c, &request(&[], T), Some(&s), Some(&partial), T),
            Ok(Step::Consent)
        ));
        let all = ["openid".to_string(), "email".to_string()];
        assert!(matches!(
            step(&c, &request(&[], T), Some(&s), Some(&all), T),
            Ok(Step::Issue)
        ));
        assert!(matches!(
            step(&c, &request(&["consent"], T), Some(&s), Some(&all), T),
            Ok(Step::Consent)
        ));
        let e = step(&c, &request(&["none"], T), Some(&s), None, T).err();
        assert_eq!(e.map(|e| e.code), Some("consent_required"));
    }
}
