//! The IAM console: users, groups, roles, policies, the account, the policy simulator,
//! switching roles, and OpenID Connect applications (their routes are in the portal's table,
//! `portal::routes`). Every read and every change is an IAM (or STS) action run through
//! [`crate::aws_api::console`] as the signed-in principal, so a page shows and changes only
//! what that principal's policies allow, audited like the API, and a refusal shows AWS's
//! reason.
//!
//! Pages are built on the blocking pool (the actions read the store) from the pieces in
//! [`view`]; every successful POST answers with a redirect (303) to the page to show next,
//! with `?done=<what>` naming a fixed message.

pub(super) mod account;
pub(super) mod applications;
pub(super) mod groups;
pub(super) mod policies;
pub(super) mod roles;
pub(super) mod simulator;
pub(super) mod switch;
mod user_email;
pub(super) mod users;
pub mod view;

use super::pages::SignedIn;
use super::signed_in::{acting_as, active, base_caller, facts};
use super::Portal;
use crate::authz::Caller;
use crate::aws_api::console::{self as acting_api, Acting, Reply};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::browser::{csrf_refused, internal, meta, render, see_other, session_csrf_ok};
use crate::signin::sessions::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;
use view::{ConsolePage, Section};

pub use switch::role_caller;

/// One console request: the session, who it acts as, and the header's view of it.
#[derive(Clone)]
pub struct Console {
    pub session: Session,
    pub signed_in: SignedIn,
    pub acting: Acting,
    /// The session's own identity (the same as the acting one unless it switched roles).
    pub base: Caller,
}

/// The active session behind the request, as the principal it acts as (the assumed role
/// after a switch), or the response that sends the browser where it must go first.
pub async fn enter(req: &HttpRequest, portal: &web::Data<Portal>) -> Result<Console, HttpResponse> {
    let session = active(req, portal).await?;
    let base = base_caller(portal, &session)
        .await
        .map_err(|e| internal(req, &e))?;
    let (caller, signed_in) = acting_as(portal, &session, base.clone());
    let facts = facts(req, portal, &session);
    Ok(Console {
        acting: Acting {
            caller,
            facts,
            meta: meta(req),
        },
        session,
        signed_in,
        base,
    })
}

type Extracted<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, actix_web::Error>>>>;

/// The response a request gets instead of its page (a redirect to sign in, a refused form).
fn instead(response: HttpResponse) -> actix_web::Error {
    actix_web::error::InternalError::from_response("", response).into()
}

fn portal_of(req: &HttpRequest) -> Result<web::Data<Portal>, actix_web::Error> {
    req.app_data::<web::Data<Portal>>()
        .cloned()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("the portal is not set up"))
}

/// A console page's request: an active session, as [`enter`] finds it.
impl actix_web::FromRequest for Console {
    type Error = actix_web::Error;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let portal = portal_of(&req)?;
            enter(&req, &portal).await.map_err(instead)
        })
    }
}

/// A POSTed console form: an active session and the form's fields, its CSRF token checked.
pub struct Posted(pub Console, pub HashMap<String, String>);

impl actix_web::FromRequest for Posted {
    type Error = actix_web::Error;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        let form = <web::Form<HashMap<String, String>> as actix_web::FromRequest>::from_request(
            &req, payload,
        );
        Box::pin(async move {
            let form = form.await?;
            let portal = portal_of(&req)?;
            posted(&req, &portal, form)
                .await
                .map(|(c, fields)| Posted(c, fields))
                .map_err(instead)
        })
    }
}

/// Runs an IAM action as the console's principal.
pub fn iam(
    api: &AwsApi,
    c: &Console,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Reply, AwsError> {
    acting_api::iam(api, &c.acting, action, params)
}

/// What a refused action says on the page.
pub fn explain(e: &AwsError) -> String {
    e.message().to_string()
}

/// A read for a section: its reply, or the section marked with AWS's reason.
pub fn read(
    api: &AwsApi,
    c: &Console,
    action: &str,
    params: &[(&str, &str)],
    section: &mut Section,
) -> Option<Reply> {
    match iam(api, c, action, params) {
        Ok(reply) => Some(reply),
        Err(e) => {
            section.denied = explain(&e);
            None
        }
    }
}

/// A built page, or an error to show in place of it.
pub struct Built {
    pub title: String,
    pub crumbs: Vec<(String, String)>,
    pub sections: Vec<Section>,
    pub error: Option<String>,
    pub status: StatusCode,
}

impl Built {
    pub fn new(title: impl Into<String>, crumbs: &[(&str, &str)]) -> Self {
        Self {
            title: title.into(),
            crumbs: crumbs
                .iter()
                .map(|(t, h)| (t.to_string(), h.to_string()))
                .collect(),
            sections: Vec::new(),
            error: None,
            status: StatusCode::OK,
        }
    }

    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }

    /// The page of something that could not be read at all.
    pub fn failed(mut self, e: &AwsError) -> Self {
        self.error = Some(explain(e));
        self.status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        self
    }
}

/// The fixed messages a `?done=` may name.
fn done_message(what: &str) -> Option<&'static str> {
    Some(match what {
        "created" => "Created.",
        "deleted" => "Deleted.",
        "updated" => "Saved.",
        "attached" => "The policy was attached.",
        "detached" => "The policy was detached.",
        "added" => "Added to the group.",
        "removed" => "Removed from the group.",
        "key-updated" => "The access key was updated.",
        "key-deleted" => "The access key was deleted.",
        "password-set" => "The console password was set.",
        "password-deleted" => "The console password was removed.",
        "mfa-deactivated" => "The MFA device was deactivated.",
        "email-set" => "The email address was saved.",
        "switched-back" => "You are back in your own identity.",
        "withdrawn" => "The application's access was withdrawn.",
        _ => return None,
    })
}

/// Builds a page on the blocking pool and renders it.
pub async fn show(
    req: &HttpRequest,
    api: &web::Data<AwsApi>,
    c: Console,
    build: impl FnOnce(&AwsApi, &Console) -> Built + Send + 'static,
) -> HttpResponse {
    let done = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("done").and_then(|d| done_message(d)))
        .map(str::to_string);
    let api = api.clone();
    let csrf = c.signed_in.csrf.clone();
    let signed_in = c.signed_in.clone();
    let built = match web::block(move || build(&api, &c)).await {
        Ok(built) => built,
        Err(e) => return internal(req, &e),
    };
    render(
        built.status,
        &ConsolePage {
            signed_in: Some(signed_in),
            csrf,
            title: built.title,
            crumbs: built.crumbs,
            notice: done,
            error: built.error,
            sections: built.sections,
        },
    )
}

/// A POSTed console form: its CSRF token checked, its fields.
pub async fn posted(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    form: web::Form<HashMap<String, String>>,
) -> Result<(Console, HashMap<String, String>), HttpResponse> {
    let c = enter(req, portal).await?;
    let form = form.into_inner();
    let token = form
        .get("csrf_token")
        .map(String::as_str)
        .unwrap_or_default();
    if !session_csrf_ok(portal, &c.session, token) {
        return Err(csrf_refused());
    }
    Ok((c, form))
}

/// Runs a change on the blocking pool: on success, a redirect to `then`; on a refusal, the
/// page `on_error` builds with AWS's message.
pub async fn change(
    req: &HttpRequest,
    api: &web::Data<AwsApi>,
    c: Console,
    act: impl FnOnce(&AwsApi, &Console) -> Result<String, AwsError> + Send + 'static,
    on_error: impl FnOnce(&AwsApi, &Console) -> Built + Send + 'static,
) -> HttpResponse {
    let api2 = api.clone();
    let c2 = c.clone();
    match web::block(move || act(&api2, &c2)).await {
        Ok(Ok(then)) => see_other(&then).finish(),
        Ok(Err(e)) => {
            let message = explain(&e);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            show(req, api, c, move |api, c| {
                let mut built = on_error(api, c);
                built.error = Some(message);
                built.status = status;
                built
            })
            .await
        }
        Err(e) => internal(req, &e),
    }
}

/// The search form of a list page, and the lower-cased text searched for.
pub fn search(path: &str, query: &HashMap<String, String>, what: &str) -> (view::Form, String) {
    let text = field(query, "search").to_lowercase();
    let form = view::Form::get("search", path, "Search")
        .inline()
        .field(view::Field::text(what, "search").value(&text));
    (form, text)
}

/// Items per page of the console's lists.
pub const PAGE: &str = "50";

/// One page of a listing action: `MaxItems` 50 from the query's `marker`, with a "Next page"
/// link on `section` when there is more; while searching, every item up to 1,000.
pub fn listing(
    api: &AwsApi,
    c: &Console,
    action: &str,
    extra: &[(&str, &str)],
    path: &str,
    query: &HashMap<String, String>,
    section: &mut Section,
) -> Option<Reply> {
    let searching = !field(query, "search").is_empty();
    let marker = field(query, "marker");
    let mut params = extra.to_vec();
    if searching {
        params.push(("MaxItems", "1000"));
    } else {
        params.push(("MaxItems", PAGE));
        if !marker.is_empty() {
            params.push(("Marker", marker));
        }
    }
    let reply = read(api, c, action, &params, section)?;
    if !searching && reply.value("IsTruncated").as_deref() == Some("true") {
        if let Some(next) = reply.value("Marker") {
            let joiner = if path.contains('?') { '&' } else { '?' };
            section.links.push((
                "Next page".into(),
                format!("{path}{joiner}marker={}", seg(&next)),
            ));
        }
    }
    Some(reply)
}

/// Whether a name is one a search asks for ("" finds everything).
pub fn found(name: &str, search: &str) -> bool {
    search.is_empty() || name.to_lowercase().contains(search)
}

/// A form field's value, trimmed ("" when missing).
pub fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", |v| v.trim())
}

/// What a path segment or query value keeps unencoded: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `/console/...` path part or query value, percent-encoded.
pub fn seg(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

/// A compact date from an ISO 8601 timestamp as the API writes it.
pub fn date(iso: &str) -> String {
    iso.get(..16)
        .map_or_else(|| iso.to_string(), |d| d.replace('T', " "))
}

/// The pages' common crumbs.
pub const HOME: (&str, &str) = ("Dashboard", "/console");
