//! The sign-in pages: the form (with its pre-sign-in cookie), the password step in its three
//! phases, and sign-out (here, or everywhere).

use super::pages::SigninPage;
use super::signed_in::{
    for_pending, home_of, refusal_status, refusal_text, signed, with_device, TokenForm,
};
use super::Portal;
use crate::audit::RequestMeta;
use crate::auth::hash_pool::PoolError;
use crate::browser::cookies::{device_cookie_name, session_cookie_name, signin_cookie_name};
use crate::browser::csrf::{signin_binding, signin_csrf_ok, signin_token};
use crate::browser::flash::{self, Flash};
use crate::browser::{
    busy, cookie, csrf_refused, current, internal, meta, removal, render, see_other,
    session_csrf_ok,
};
use crate::secrets::SecretString;
use crate::signin::flow::{self as signin, Attempt, Outcome, Refusal, SigninError};
use crate::signin::principals::resolve_account;
use crate::signin::sessions;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SigninQuery {
    account: Option<String>,
    /// The user name an application suggested (OpenID Connect's `login_hint`).
    login_hint: Option<String>,
}

pub(super) async fn signin_page(
    req: HttpRequest,
    portal: web::Data<Portal>,
    query: web::Query<SigninQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    show_signin(
        &req,
        &portal,
        query.account.unwrap_or_default(),
        query.login_hint.unwrap_or_default(),
    )
    .await
}

pub(super) async fn signin_page_for(
    req: HttpRequest,
    portal: web::Data<Portal>,
    account: web::Path<String>,
    query: web::Query<SigninQuery>,
) -> HttpResponse {
    let hint = query.into_inner().login_hint.unwrap_or_default();
    show_signin(&req, &portal, account.into_inner(), hint).await
}

async fn show_signin(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    account: String,
    user_name: String,
) -> HttpResponse {
    match current(&portal.signin, req).await {
        Ok(Some(session)) => return see_other(&home_of(req, portal, session.stage)).finish(),
        Ok(None) => {}
        Err(response) => return response,
    }
    let user_name: String = user_name.chars().take(128).collect();
    let providers = signin_providers(portal, &account).await;
    let page = Typed {
        account,
        user_name,
        error: None,
    };
    signin_form_with(req, portal, StatusCode::OK, page, providers)
}

/// The account's sign-in providers and directories as links ("Sign in with Corp", "Sign in
/// with your directory account (corp)"), when `account` names one
/// (by id or alias). A failure to read them leaves the password form alone.
async fn signin_providers(portal: &web::Data<Portal>, account: &str) -> Vec<(String, String)> {
    if account.is_empty() || account.len() > 64 {
        return Vec::new();
    }
    let (p, account) = (portal.clone(), account.to_string());
    let found = web::block(move || {
        let ctx = &p.ctx;
        let Some(id) = ctx.store.read(|conn| resolve_account(conn, &account))? else {
            return Ok(Vec::new());
        };
        let mut links: Vec<(String, String)> = crate::iam::signin_providers::list(ctx, &id)?
            .into_iter()
            .map(|provider| {
                let href = format!("/signin/external/{id}/{}", provider.name);
                (provider.name, href)
            })
            .collect();
        for directory in crate::iam::directories::list(ctx, &id)? {
            let href = format!("/signin/directory/{id}/{}", directory.name);
            links.push((format!("your directory account ({})", directory.name), href));
        }
        Ok(links)
    })
    .await;
    match found {
        Ok(Ok(links)) => links,
        Ok(Err::<_, crate::iam::IamError>(e)) => {
            tracing::warn!(error = %e, "cannot list the account's sign-in providers");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

/// What was typed into the sign-in form, shown again, and why it was refused.
pub(super) struct Typed {
    account: String,
    user_name: String,
    error: Option<String>,
}

/// The sign-in form, with a fresh pre-sign-in cookie when the browser has none.
pub(super) fn signin_form(
    req: &HttpRequest,
    portal: &Portal,
    status: StatusCode,
    account: String,
    user_name: String,
    error: Option<String>,
) -> HttpResponse {
    let typed = Typed {
        account,
        user_name,
        error,
    };
    signin_form_with(req, portal, status, typed, Vec::new())
}

/// [`signin_form`] with links to the account's sign-in providers, (name, href).
fn signin_form_with(
    req: &HttpRequest,
    portal: &Portal,
    status: StatusCode,
    Typed {
        account,
        user_name,
        error,
    }: Typed,
    providers: Vec<(String, String)>,
) -> HttpResponse {
    let existing = Some(signin_binding(portal, req)).filter(|v| v.len() >= 16);
    let binding = existing
        .clone()
        .unwrap_or_else(|| sessions::new_id(portal.ctx.random.as_ref()));
    let page = SigninPage {
        signed_in: None,
        csrf: signin_token(portal, &binding),
        account,
        user_name,
        error,
        notice: flash::take(portal, req, "").map(|f| f.message),
        app: crate::browser::continuation::app_name(portal, req),
        providers,
    };
    let mut response = for_pending(req, portal, render(status, &page));
    flash::clear(portal, req, &mut response);
    if existing.is_none() {
        let _ = response.add_cookie(&cookie(
            portal.secure,
            signin_cookie_name(portal.secure),
            binding,
        ));
    }
    response
}

/// The longest user name that can sign in: IAM's limit on user names (`CreateUser`'s
/// `UserName`, 1 to 64 characters); the root login is shorter. A longer typed name is nobody's,
/// so it is refused before any store work, and no throttle key or audit event ever holds more
/// than this many characters of it. Raising it above IAM's limit changes no answer, only how
/// much typed text is kept; lowering it would lock users with long names out.
const MAX_SIGNIN_USER_NAME: usize = 64;

/// The longest account field that can name an account: an alias (IAM's `CreateAccountAlias`,
/// 3 to 63 characters); an account id is 12 digits. Same reasoning as [`MAX_SIGNIN_USER_NAME`].
const MAX_SIGNIN_ACCOUNT: usize = 63;

#[derive(Deserialize)]
pub struct SigninForm {
    csrf_token: String,
    account: String,
    username: String,
    password: String,
}

pub(super) async fn signin_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<SigninForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !signin_csrf_ok(&portal, &req, &form.csrf_token) {
        return csrf_refused();
    }
    if form.username.chars().count() > MAX_SIGNIN_USER_NAME
        || form.account.chars().count() > MAX_SIGNIN_ACCOUNT
    {
        // Nobody's name: refused as any wrong sign-in is, without echoing the typed text. The
        // quick answer tells only what the rule above says, nothing about who exists.
        let refusal = Refusal::Incorrect;
        let text = refusal_text(&refusal, portal.ctx.clock.now_naive());
        let status = refusal_status(&refusal);
        return signin_form(
            &req,
            &portal,
            status,
            String::new(),
            String::new(),
            Some(text),
        );
    }
    let attempt = Attempt {
        account: form.account.clone(),
        user_name: form.username.clone(),
        password: SecretString::from(form.password),
        device: req
            .cookie(device_cookie_name(portal.secure))
            .map(|c| c.value().to_string()),
    };
    let outcome = password_signin(&portal, attempt, meta(&req)).await;
    match outcome {
        Ok(Ok((Outcome::Session { cookie, stage }, device))) => {
            with_device(&portal, signed(&req, &portal, cookie, stage), device)
        }
        Ok(Ok((Outcome::Refused(refusal), _))) => signin_form(
            &req,
            &portal,
            refusal_status(&refusal),
            form.account,
            form.username,
            Some(refusal_text(&refusal, portal.ctx.clock.now_naive())),
        ),
        Ok(Err(e)) => internal(&req, &e),
        Err(PoolError::Busy) => busy(),
        Err(e) => internal(&req, &e),
    }
}

/// The password step in its three phases: the store read on the blocking pool, argon2id on
/// the password pool (low priority, bounded), the store write on the blocking pool again, so
/// no niced thread ever holds the store's write lock.
/// With a session, the known-device token to give the browser.
async fn password_signin(
    portal: &web::Data<Portal>,
    attempt: Attempt,
    request: RequestMeta,
) -> Result<Result<(Outcome, Option<String>), SigninError>, PoolError> {
    let attempt = std::sync::Arc::new(attempt);
    let (p, a, r) = (portal.clone(), attempt.clone(), request.clone());
    let step = match web::block(move || signin::prepare_password(&p, &a, &r)).await {
        Ok(Ok(step)) => step,
        Ok(Err(e)) => return Ok(Err(e)),
        Err(_) => return Err(PoolError::Stopped),
    };
    let check = match step {
        signin::PasswordStep::Decided(outcome) => return Ok(Ok((outcome, None))),
        signin::PasswordStep::Check(check) => std::sync::Arc::new(check),
    };
    let (c, a, random) = (check.clone(), attempt.clone(), portal.ctx.random.clone());
    let verified = match portal
        .hashing
        .run(move || signin::verify_password(&c, &a.password, random.as_ref()))
        .await?
    {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let p = portal.clone();
    let check = std::sync::Arc::try_unwrap(check).map_err(|_| PoolError::Stopped)?;
    let device = check.device_token(portal);
    let finished =
        web::block(move || signin::finish_password(&p, &attempt, check, verified, &request))
            .await
            .map_err(|_| PoolError::Stopped)?;
    Ok(finished.map(|outcome| match outcome {
        Outcome::Session { .. } => (outcome, device),
        refused => (refused, None),
    }))
}

// ---- sign-out ------------------------------------------------------------------------------

async fn end_sessions(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<TokenForm>,
    everywhere: bool,
) -> HttpResponse {
    let session = match current(&portal.signin, &req).await {
        Ok(Some(s)) => s,
        Ok(None) => return see_other("/signin").finish(),
        Err(response) => return response,
    };
    if !session_csrf_ok(&portal, &session, &form.csrf_token) {
        return csrf_refused();
    }
    let request = meta(&req);
    let p = portal.clone();
    let ended = web::block(move || signin::sign_out(&p, &session, everywhere, &request)).await;
    match ended {
        Ok(Ok(())) => {
            let mut response = see_other("/signin").finish();
            let _ = response
                .add_removal_cookie(&removal(portal.secure, session_cookie_name(portal.secure)));
            let said = if everywhere {
                "You have signed out everywhere: every session of yours has ended."
            } else {
                "You have signed out."
            };
            flash::set(&portal, &mut response, "", Flash::new(said));
            response
        }
        Ok(Err(e)) => internal(&req, &e),
        Err(e) => internal(&req, &e),
    }
}

pub(super) async fn signout(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    end_sessions(req, portal, form, false).await
}

pub(super) async fn signout_everywhere(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    end_sessions(req, portal, form, true).await
}
