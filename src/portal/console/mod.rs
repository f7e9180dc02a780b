//! The IAM console: users, groups, roles, policies, the account, the policy simulator,
//! switching roles, and OpenID Connect applications (their routes are in the portal's table,
//! `portal::routes`). Every read and every change is an IAM (or STS) action run through
//! [`crate::aws_api::console`] as the signed-in principal, so a page shows and changes only
//! what that principal's policies allow, audited like the API, and a refusal shows AWS's
//! reason.
//!
//! Pages are built on the blocking pool (the actions read the store) from the pieces in
//! [`view`]. Every successful POST answers with a redirect (303) to the page to show next
//! ([`Done`]), which shows a one-time message naming what changed (`browser::flash`), and any
//! secret made by the change exactly once. A refused POST shows its form again with what was
//! typed and the reason next to the field it concerns ([`Refusal`], [`Built::keep`]). A form
//! that destroys something asks first ([`view::Form::confirm`]): its POST shows a page that
//! says what will be lost and wants the object's name typed before the change runs.

pub(super) mod account;
pub(super) mod applications;
mod cascade;
mod confirm;
pub(super) mod connected;
pub(super) mod directories;
pub(super) mod generator;
pub(super) mod groups;
pub(super) mod inline;
mod lists;
mod lockout;
mod permissions;
pub(super) mod policies;
pub(super) mod providers;
pub(super) mod roles;
pub(super) mod signin_providers;
pub(super) mod simulator;
pub(super) mod switch;
pub(super) mod tags;
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
use crate::browser::flash::{self, Flash};
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
    let (caller, mut signed_in) = acting_as(portal, &session, base.clone());
    signed_in.current = req.path().to_string();
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
    /// A refused form shown again with what was typed in it.
    pub typed: Option<Typed>,
}

/// What was typed in a refused form (`form` is its id), and the reason next to a field.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub form: String,
    pub values: HashMap<String, String>,
    pub field_error: Option<(String, String)>,
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
            typed: None,
        }
    }

    /// Shows the form `form_id` with `values` (what was typed) in its fields.
    pub fn keep(mut self, form_id: &str, values: &HashMap<String, String>) -> Self {
        self.typed = Some(Typed {
            form: form_id.to_string(),
            values: values.clone(),
            field_error: None,
        });
        self
    }

    /// Fills the typed form's fields and puts the reason next to its field; the page-level
    /// message then only points at the form. Passwords are never shown again.
    fn apply_typed(&mut self) {
        let Some(typed) = self.typed.take() else {
            return;
        };
        let mut marked = false;
        for form in self.sections.iter_mut().flat_map(|s| s.forms.iter_mut()) {
            if form.id != typed.form {
                continue;
            }
            for f in &mut form.fields {
                match f.kind {
                    "password" | "hidden" => {}
                    "checkbox" => f.checked = typed.values.contains_key(&f.name),
                    "checklist" => f.value = picked(&typed.values, &f.name).join("\n"),
                    _ => {
                        if let Some(v) = typed.values.get(&f.name) {
                            f.value = v.clone();
                        }
                    }
                }
                if let Some((name, why)) = &typed.field_error {
                    if *name == f.name {
                        f.error = why.clone();
                        marked = true;
                    }
                }
            }
        }
        if marked {
            self.error = Some("Nothing was saved. See the field marked below.".into());
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

/// Builds a page on the blocking pool and renders it.
pub async fn show(
    req: &HttpRequest,
    api: &web::Data<AwsApi>,
    c: Console,
    build: impl FnOnce(&AwsApi, &Console) -> Built + Send + 'static,
) -> HttpResponse {
    let portal = match portal_of(req) {
        Ok(portal) => portal,
        Err(e) => return internal(req, &e),
    };
    let flashed = flash::take(&portal, req, &flash::binding(&c.session));
    let api = api.clone();
    let csrf = c.signed_in.csrf.clone();
    let signed_in = c.signed_in.clone();
    let mut built = match web::block(move || build(&api, &c)).await {
        Ok(built) => built,
        Err(e) => return internal(req, &e),
    };
    built.apply_typed();
    // A section named like the page needs no heading of its own (no duplicate headings).
    for section in &mut built.sections {
        if section.title == built.title {
            section.title.clear();
        }
    }
    let download = flashed.as_ref().and_then(Flash::csv);
    let (notice, secrets) = match flashed {
        Some(f) => (Some(f.message), f.secrets),
        None => (None, Vec::new()),
    };
    let mut response = render(
        built.status,
        &ConsolePage {
            signed_in: Some(signed_in),
            csrf,
            title: built.title,
            crumbs: built.crumbs,
            notice,
            secrets,
            download,
            error: built.error,
            sections: built.sections,
        },
    );
    flash::clear(&portal, req, &mut response);
    response
}

/// Where a successful change sends the browser, and the one-time message shown there.
pub struct Done {
    pub to: String,
    pub flash: Flash,
}

impl Done {
    /// Go to `to` and say `message` there once ("User alice created").
    pub fn new(to: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            flash: Flash::new(message),
        }
    }

    /// A secret made by the change, shown once on the next page and never again.
    pub fn secret(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.flash = self.flash.secret(label, value);
        self
    }

    /// Offers the secrets as a CSV file named `file` too.
    pub fn download(mut self, file: impl Into<String>) -> Self {
        self.flash = self.flash.download(file);
        self
    }
}

/// A refused change: AWS's error and, when it concerns one field of the form, that field.
#[derive(Debug)]
pub struct Refusal {
    pub error: AwsError,
    pub field: Option<String>,
}

impl From<AwsError> for Refusal {
    fn from(error: AwsError) -> Self {
        Self { error, field: None }
    }
}

/// The store failed (the transaction is rolled back): logged, and AWS's ServiceFailure shown.
impl From<crate::storage::StorageError> for Refusal {
    fn from(error: crate::storage::StorageError) -> Self {
        tracing::error!(error = %error, "a console change could not be stored");
        AwsError::service_failure().into()
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(error: diesel::result::Error) -> Self {
        crate::storage::StorageError::from(error).into()
    }
}

/// Marks a refusal as concerning one field of the form.
pub trait OnField<T> {
    fn on_field(self, field: &str) -> Result<T, Refusal>;
}

impl<T> OnField<T> for Result<T, AwsError> {
    fn on_field(self, field: &str) -> Result<T, Refusal> {
        self.map_err(|error| Refusal {
            error,
            field: Some(field.to_string()),
        })
    }
}

/// The answer to a successful change: the redirect, with its flash for this session.
pub fn redirect(req: &HttpRequest, c: &Console, done: Done) -> HttpResponse {
    let mut response = see_other(&done.to).finish();
    if let Ok(portal) = portal_of(req) {
        flash::set(
            &portal,
            &mut response,
            &flash::binding(&c.session),
            done.flash,
        );
    }
    response
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
    if let Some(ask) = confirm::unconfirmed(req, &c, &form) {
        return Err(ask);
    }
    Ok((c, form))
}

/// Runs a change on the blocking pool, all its IAM actions as one transaction: on success, a
/// redirect to where it says, with its message; on a refusal (nothing written), the page
/// `on_error` builds, with AWS's message.
pub async fn change(
    req: &HttpRequest,
    api: &web::Data<AwsApi>,
    c: Console,
    act: impl FnOnce(&AwsApi, &Console) -> Result<Done, Refusal> + Send + 'static,
    on_error: impl FnOnce(&AwsApi, &Console) -> Built + Send + 'static,
) -> HttpResponse {
    let api2 = api.clone();
    let c2 = c.clone();
    // All the actions of one form commit together or not at all.
    let run = move || api2.ctx.atomically(|| act(&api2, &c2));
    match web::block(run).await {
        Ok(Ok(done)) => redirect(req, &c, done),
        Ok(Err(refusal)) => {
            show(req, api, c, move |api, c| {
                refused(on_error(api, c), &refusal)
            })
            .await
        }
        Err(e) => internal(req, &e),
    }
}

/// `built` (the page of a refused form) with the refusal's reason: next to its field when
/// the form was kept and the refusal names one, else above the page.
pub fn refused(mut built: Built, refusal: &Refusal) -> Built {
    let message = explain(&refusal.error);
    built.status = StatusCode::from_u16(refusal.error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    // A refusal of the principal (AccessDenied) is about who acts, not about what was typed.
    let about_the_value = refusal.error.code() != "AccessDenied";
    match (&mut built.typed, &refusal.field) {
        (Some(typed), Some(field)) if about_the_value => {
            typed.field_error = Some((field.clone(), message))
        }
        _ => built.error = Some(message),
    }
    built
}

/// Whether a name is one a search asks for ("" finds everything).
pub fn found(name: &str, search: &str) -> bool {
    search.is_empty() || name.to_lowercase().contains(search)
}

/// The values ticked in the checklist `name` (see [`view::Field::checklist`]), sorted.
pub fn picked<'a>(form: &'a HashMap<String, String>, name: &str) -> Vec<&'a str> {
    let prefix = format!("{name}:");
    let mut values: Vec<&str> = form
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .filter(|v| !v.is_empty())
        .collect();
    values.sort_unstable();
    values
}

/// What a picker posted: its ticked values, or the single field `name` of a form posted
/// without the picker (a script's, say); a refusal at the field when nothing was chosen.
pub fn chosen<'a>(
    form: &'a HashMap<String, String>,
    name: &str,
    what: &str,
) -> Result<Vec<&'a str>, Refusal> {
    let mut values = picked(form, name);
    if values.is_empty() && !field(form, name).is_empty() {
        values.push(field(form, name));
    }
    if values.is_empty() {
        return Err(Refusal {
            error: AwsError::validation_error(format!("Choose at least one {what}.")),
            field: Some(name.to_string()),
        });
    }
    Ok(values)
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

/// "Policies A, B attached to alice."
pub fn attached_message(arns: &[&str], to: &str) -> String {
    let names: Vec<&str> = arns.iter().map(|a| policy_name(a)).collect();
    match names.as_slice() {
        [one] => format!("Policy {one} attached to {to}."),
        many => format!("Policies {} attached to {to}.", many.join(", ")),
    }
}

/// A managed policy's name, from its ARN.
pub fn policy_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The pages' common crumbs.
pub const HOME: (&str, &str) = ("Dashboard", "/console");

/// `keyward:<action>` on `resource` allowed for the acting caller (a refusal audited), and the
/// call its change is made as: Keyward's own entities managed in the console (sign-in
/// providers, directories) are authorized like the API's actions.
pub fn keyward_action(
    api: &AwsApi,
    c: &Console,
    action: &str,
    resource: &str,
) -> Result<crate::iam::Call, AwsError> {
    crate::aws_api::keyward::authorized(
        api,
        &c.acting.caller,
        &c.acting.facts,
        &c.acting.meta,
        action,
        resource,
    )
}
