//! "Security credentials": a user's own MFA devices. Listing and renaming need an active
//! session; adding or removing a factor also needs the password (or a factor) entered within
//! the last few minutes, so a browser left signed in can neither be given someone else's key
//! nor be stripped of its owner's. Renaming only changes a label the owner sees, and stays
//! without the password.

use super::pages::{DeviceRow, MfaDevicesPage, TotpEnrolPage};
use super::signed_in::{
    base_caller, refusal_status, refusal_text, who, with_own_credentials, TokenForm,
};
use super::Portal;
use crate::auth::totp;
use crate::aws_api::endpoint::AwsApi;
use crate::browser::flash::{self, Flash};
use crate::browser::{csrf_refused, internal, message, meta, render, see_other, session_csrf_ok};
use crate::iam::{self, Call, IamError};
use crate::portal::console::Posted;
use crate::secrets::{ExposeSecret, SecretString};
use crate::signin::flow as signin;
use crate::signin::sessions::{self, Session};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use serde::Deserialize;

/// The signed-in principal as the actor of its own changes.
pub(super) fn call_for(req: &HttpRequest, session: &Session, arn: &str) -> Call {
    Call {
        account_id: session.account_id.clone(),
        actor_arn: arn.to_string(),
        meta: meta(req),
    }
}

fn when(t: Option<chrono::NaiveDateTime>) -> String {
    t.map_or_else(
        || "never".to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// What a failed self-service change says on the page.
fn refusal(e: &IamError) -> Option<String> {
    match e {
        IamError::InvalidInput(m)
        | IamError::LimitExceeded(m)
        | IamError::EntityAlreadyExists(m)
        | IamError::NoSuchEntity(m)
        | IamError::InvalidAuthenticationCode(m)
        | IamError::Throttled(m) => Some(m.clone()),
        _ => None,
    }
}

pub(super) async fn devices_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    let session = match with_own_credentials(&req, &portal).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    // A change just made: its message, and recovery codes made with it, shown this once.
    let flashed = flash::take(&portal, &req, &flash::binding(&session));
    let (notice, codes) = match flashed {
        Some(f) => (
            Some(f.message),
            f.secrets.into_iter().map(|(_, code)| code).collect(),
        ),
        None => (None, Vec::new()),
    };
    let mut response =
        show_devices_with(&req, &portal, &session, StatusCode::OK, notice, None, codes).await;
    flash::clear(&portal, &req, &mut response);
    response
}

/// How a device is named in messages: "Passkey 'Laptop'".
pub(super) fn device_label(kind: &str, passkey: bool, name: &str) -> String {
    let what = match (kind, passkey) {
        ("totp", _) => "Authenticator app",
        (_, true) => "Passkey",
        _ => "Security key",
    };
    format!("{what} '{name}'")
}

/// The label of the owner's device `serial` (see [`device_label`]), if it has one.
pub(super) fn label_of(
    ctx: &crate::context::ServiceContext,
    owner: &iam::mfa::Owner,
    serial: &str,
) -> Option<String> {
    iam::mfa::devices_of(ctx, owner)
        .ok()?
        .into_iter()
        .find(|d| d.serial_number == serial)
        .map(|d| device_label(&d.kind, d.passkey, &d.name))
}

/// The answer to a change of the security credentials: back to their page, where `message`
/// (and any recovery `codes`, numbered) is shown once.
pub(super) fn done(
    portal: &Portal,
    session: &Session,
    message: String,
    codes: Vec<String>,
) -> HttpResponse {
    let mut response = see_other("/console/mfa").finish();
    let mut said = Flash::new(message);
    for (n, code) in codes.into_iter().enumerate() {
        said = said.secret(format!("Recovery code {}", n + 1), code);
    }
    flash::set(portal, &mut response, &flash::binding(session), said);
    response
}

async fn show_devices(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    session: &Session,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    show_devices_with(req, portal, session, status, notice, error, Vec::new()).await
}

/// The credentials page; `new_codes` are recovery codes just made, shown this once.
async fn show_devices_with(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    session: &Session,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    new_codes: Vec<String>,
) -> HttpResponse {
    let (_, signed_in) = match who(portal, session).await {
        Ok(w) => w,
        Err(e) => return internal(req, &e),
    };
    let Some(owner) = session.owner() else {
        return internal(req, &"a federated principal has no factors here");
    };
    let p = portal.clone();
    let devices = match web::block(move || iam::mfa::devices_of(&p.ctx, &owner)).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return internal(req, &e),
        Err(e) => return internal(req, &e),
    };
    let rows: Vec<DeviceRow> = devices
        .into_iter()
        .map(|d| DeviceRow {
            kind: match (d.kind.as_str(), d.passkey) {
                ("totp", _) => "Authenticator app",
                (_, true) => "Passkey",
                _ => "Security key",
            },
            name: d.name,
            serial: d.serial_number,
            added: when(d.enabled_at),
            last_used: when(d.last_used_at),
        })
        .collect();
    let now = portal.ctx.clock.now_naive();
    // The root user's recovery codes: how many are left (None for IAM users).
    let codes_left = if session.principal.is_root() {
        let (p, account) = (portal.clone(), session.account_id.clone());
        match web::block(move || {
            p.ctx
                .store
                .read(|conn| crate::signin::recovery::left(conn, &account))
        })
        .await
        {
            Ok(Ok(n)) => Some(n),
            Ok(Err(e)) => return internal(req, &e),
            Err(e) => return internal(req, &e),
        }
    } else {
        None
    };
    let has_devices = !rows.is_empty();
    render(
        status,
        &MfaDevicesPage {
            csrf: signed_in.csrf.clone(),
            signed_in: Some(signed_in),
            devices: rows,
            recently_authenticated: session.recently_authenticated(now),
            root: session.principal.is_root(),
            codes_left: codes_left.unwrap_or(0),
            offer_codes: codes_left == Some(0) && has_devices,
            new_codes,
            notice,
            error,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct PasswordOnly {
    csrf_token: String,
    password: String,
}

/// The active session behind a POST of this page whose CSRF token is right, or the answer.
async fn posted(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    token: &str,
) -> Result<Session, HttpResponse> {
    let session = with_own_credentials(req, portal).await?;
    if !session_csrf_ok(portal, &session, token) {
        return Err(csrf_refused());
    }
    Ok(session)
}

/// `POST /console/reauthenticate`: the password again, before adding or removing a factor.
pub(super) async fn reauthenticate(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<PasswordOnly>,
) -> HttpResponse {
    let form = form.into_inner();
    let session = match posted(&req, &portal, &form.csrf_token).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let (p, s, request) = (portal.clone(), session.clone(), meta(&req));
    let password = SecretString::from(form.password);
    let checked = portal
        .hashing
        .run(move || signin::reauthenticate(&p, &s, &password, &request))
        .await;
    match checked {
        Ok(Ok(None)) => see_other("/console/mfa").finish(),
        Ok(Ok(Some(refusal))) => {
            show_devices(
                &req,
                &portal,
                &session,
                refusal_status(&refusal),
                None,
                Some(refusal_text(&refusal, portal.ctx.clock.now_naive())),
            )
            .await
        }
        Ok(Err(e)) => internal(&req, &e),
        Err(e) => internal(&req, &e),
    }
}

#[derive(Deserialize)]
pub(super) struct DeviceForm {
    csrf_token: String,
    serial: String,
    name: Option<String>,
}

/// Renames (`name`) or removes the device `serial` of the session's own principal.
async fn change_device(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    session: Session,
    serial: String,
    name: String,
    remove: bool,
) -> HttpResponse {
    if remove && !session.recently_authenticated(portal.ctx.clock.now_naive()) {
        let why = "Enter your password again to remove a device.";
        let status = StatusCode::FORBIDDEN;
        return show_devices(&req, &portal, &session, status, None, Some(why.into())).await;
    }
    let Some(owner) = session.owner() else {
        return internal(&req, &"a federated principal has no factors here");
    };
    // The session's own identity, even after a switch of role: these are its own devices.
    let caller = match base_caller(&portal, &session).await {
        Ok(c) => c,
        Err(e) => return internal(&req, &e),
    };
    let call = call_for(&req, &session, &caller.arn());
    let (p, api) = (portal.clone(), api.clone());
    let changed = web::block(move || {
        let label = label_of(&p.ctx, &owner, &serial).unwrap_or_else(|| "The device".into());
        if remove {
            let keep_one = api.authorizer.requires_mfa(&p.ctx, &caller)?;
            iam::mfa::remove_own(&p.ctx, &call, &owner, &serial, keep_one)?;
            Ok(format!("{label} removed."))
        } else {
            iam::mfa::rename_own(&p.ctx, &call, &owner, &serial, &name)?;
            Ok(format!("{label} renamed to '{}'.", name.trim()))
        }
    })
    .await;
    match changed {
        Ok(Ok(message)) => done(&portal, &session, message, Vec::new()),
        Ok(Err(e)) => match refusal(&e) {
            Some(text) => {
                show_devices(
                    &req,
                    &portal,
                    &session,
                    StatusCode::BAD_REQUEST,
                    None,
                    Some(text),
                )
                .await
            }
            None => internal(&req, &e),
        },
        Err(e) => internal(&req, &e),
    }
}

pub(super) async fn rename_device(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    form: web::Form<DeviceForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let session = match posted(&req, &portal, &form.csrf_token).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let name = form.name.unwrap_or_default();
    change_device(req, portal, api, session, form.serial, name, false).await
}

/// Removal asks first, as every destructive console form does (`console::confirm`): the
/// device's name must be typed.
pub(super) async fn remove_device(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    Posted(c, form): Posted,
) -> HttpResponse {
    let serial = form.get("serial").cloned().unwrap_or_default();
    change_device(req, portal, api, c.session, serial, String::new(), true).await
}

/// The seed of an enrolment in progress travels in the form, sealed to this session: the
/// server stores nothing until the codes prove the app has it.
fn seal_purpose(session: &Session) -> String {
    format!("portal-totp-enrolment:{}", session.id_hash)
}

/// A session allowed to add a factor, or the page that says what is missing.
async fn may_add_factor(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<(Session, String), HttpResponse> {
    let session = with_own_credentials(req, portal).await?;
    let now = portal.ctx.clock.now_naive();
    if !session.recently_authenticated(now) {
        return Err(see_other("/console/mfa").finish());
    }
    // The actor of the change is the session's own identity, even after a switch of role.
    let caller = base_caller(portal, &session)
        .await
        .map_err(|e| internal(req, &e))?;
    Ok((session, caller.arn()))
}

pub(super) async fn totp_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    let (session, _) = match may_add_factor(&req, &portal).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let mut raw = [0u8; totp::SEED_LEN];
    portal.ctx.random.fill(&mut raw);
    show_totp(
        &req,
        &portal,
        &session,
        &raw,
        "Authenticator app",
        StatusCode::OK,
        None,
    )
    .await
}

async fn show_totp(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    session: &Session,
    raw: &[u8],
    name: &str,
    status: StatusCode,
    error: Option<String>,
) -> HttpResponse {
    let (_, signed_in) = match who(portal, session).await {
        Ok(w) => w,
        Err(e) => return internal(req, &e),
    };
    let label = format!("{}@{}", signed_in.display, session.account_id);
    let qr = totp::otpauth_uri(raw, "Keyward", &label).and_then(|uri| totp::qr_svg(&uri));
    let sealed =
        portal
            .ctx
            .master_key
            .seal(&seal_purpose(session), raw, portal.ctx.random.as_ref());
    let (Some(qr_svg), Ok(sealed)) = (qr, sealed) else {
        return internal(req, &"cannot prepare the enrolment");
    };
    render(
        status,
        &TotpEnrolPage {
            csrf: signed_in.csrf.clone(),
            signed_in: Some(signed_in),
            qr_svg,
            secret: BASE32_NOPAD.encode(raw),
            enrolment: BASE64URL_NOPAD.encode(sealed.as_bytes()),
            name: name.to_string(),
            error,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct TotpForm {
    csrf_token: String,
    enrolment: String,
    name: String,
    code1: String,
    code2: String,
}

pub(super) async fn totp_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<TotpForm>,
) -> HttpResponse {
    let (session, arn) = match may_add_factor(&req, &portal).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let form = form.into_inner();
    if !session_csrf_ok(&portal, &session, &form.csrf_token) {
        return csrf_refused();
    }
    let raw = BASE64URL_NOPAD
        .decode(form.enrolment.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|sealed| {
            portal
                .ctx
                .master_key
                .open(&seal_purpose(&session), &sealed)
                .ok()
        });
    let Some(raw) = raw.map(|r| r.expose_secret().to_vec()) else {
        return message(
            StatusCode::BAD_REQUEST,
            "Enrolment expired",
            "This enrolment belongs to another session. Start again.",
            "/console/mfa",
        );
    };
    let call = call_for(&req, &session, &arn);
    let Some(owner) = session.owner() else {
        return internal(&req, &"a federated principal has no factors here");
    };
    let (p, seed) = (portal.clone(), raw.clone());
    let (name, c1, c2) = (form.name.clone(), form.code1, form.code2);
    let assigned = web::block(move || {
        iam::mfa::assign_new_virtual(&p.ctx, &call, &owner, &name, &seed, c1.trim(), c2.trim())
    })
    .await;
    match assigned {
        Ok(Ok(_)) => {
            let codes = match first_recovery_codes(&req, &portal, &session).await {
                Ok(codes) => codes,
                Err(response) => return response,
            };
            let label = device_label("totp", false, form.name.trim());
            done(&portal, &session, format!("{label} added."), codes)
        }
        Ok(Err(e)) => match refusal(&e) {
            Some(text) => {
                show_totp(
                    &req,
                    &portal,
                    &session,
                    &raw,
                    &form.name,
                    StatusCode::BAD_REQUEST,
                    Some(text),
                )
                .await
            }
            None => internal(&req, &e),
        },
        Err(e) => internal(&req, &e),
    }
}

/// Whether the cookie's session may still add factors (for the JSON ceremony handlers).
pub(super) fn may_register(portal: &Portal, session: &Session) -> bool {
    session.stage == sessions::Stage::Active
        && session.recently_authenticated(portal.ctx.clock.now_naive())
}

/// The root user's first recovery codes, made when it has a factor and no codes yet (empty
/// for IAM users, or when it has codes already).
async fn first_recovery_codes(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    session: &Session,
) -> Result<Vec<String>, HttpResponse> {
    if !session.principal.is_root() {
        return Ok(Vec::new());
    }
    let (p, account) = (portal.clone(), session.account_id.clone());
    let made = web::block(move || {
        let ctx = &p.ctx;
        let now = ctx.clock.now_naive();
        ctx.store.write(|conn| {
            if crate::signin::recovery::exist(conn, &account)? {
                return Ok(Vec::new());
            }
            crate::signin::recovery::issue(conn, ctx.random.as_ref(), &account, now)
        })
    })
    .await;
    match made {
        Ok(Ok(codes)) => Ok(codes),
        Ok(Err(e)) => Err(internal(req, &e)),
        Err(e) => Err(internal(req, &e)),
    }
}

/// `POST /console/mfa/recovery-codes`: the root user replaces its recovery codes (after
/// entering its password again); the new ones are shown once.
pub(super) async fn new_recovery_codes(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let (session, _) = match may_add_factor(&req, &portal).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    if !session_csrf_ok(&portal, &session, &form.csrf_token) || !session.principal.is_root() {
        return csrf_refused();
    }
    let (p, account) = (portal.clone(), session.account_id.clone());
    let made = web::block(move || {
        let ctx = &p.ctx;
        let now = ctx.clock.now_naive();
        ctx.store
            .write(|conn| crate::signin::recovery::issue(conn, ctx.random.as_ref(), &account, now))
    })
    .await;
    match made {
        Ok(Ok(codes)) => done(
            &portal,
            &session,
            "New recovery codes made: the old ones no longer work.".into(),
            codes,
        ),
        Ok(Err(e)) => internal(&req, &e),
        Err(e) => internal(&req, &e),
    }
}
