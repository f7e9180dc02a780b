//! Switch role: the console assumes a role (in this account or another) with STS's
//! AssumeRole, checked against the role's trust policy like any caller, and then acts with
//! the role session's permissions, shown in the header with a coloured label, until the user
//! switches back or the role session expires (one hour).
//!
//! The role session's credentials are kept in the console session, sealed under the master
//! key for that session's principal and sign-in; every page opens them and checks the token as a signed API call
//! would (expiry included).

use super::view::{Field, Form, Section};
use super::{field, show, Built, Console, Posted, HOME};
use crate::authz::Caller;
use crate::aws_api::console::{self as acting_api, Acting};
use crate::aws_api::endpoint::AwsApi;
use crate::browser::cookies::session_cookie_name;
use crate::browser::flash::{self, Flash};
use crate::browser::{cookie, internal, see_other};
use crate::credentials::Principal;
use crate::portal::pages::RoleBadge;
use crate::portal::Portal;
use crate::signin::acting_role::{self, ActingRole};
use crate::signin::sessions::{self, Session};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

/// Colours a role label may have (as the AWS console offers); `static/keyward.css` has a
/// `role-<colour>` class for each.
const COLOURS: &[&str] = &["red", "orange", "yellow", "green", "blue", "purple"];

/// Why a session from a sign-in provider does not switch.
const FEDERATED_SWITCH: &str = "You signed in through your organisation's provider and act as \
     the role you chose then. To act as another role, sign out and sign in again.";

/// The role session a console session acts as, if it switched and the session is still
/// valid: the caller, and the header's badge. A session signed in through an external
/// provider has no switched role: its role session is its own identity.
pub fn role_caller(portal: &Portal, session: &Session) -> Option<(Caller, RoleBadge)> {
    if matches!(session.principal, Principal::Federated { .. }) {
        return None;
    }
    let (caller, role) = acting_role::caller(&portal.ctx, session)?;
    let colour = COLOURS
        .iter()
        .find(|c| **c == role.colour)
        .unwrap_or(&"blue");
    Some((
        caller,
        RoleBadge {
            label: role.label,
            colour_class: format!("role-{colour}"),
        },
    ))
}

pub async fn page(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let query = query.into_inner();
    show(&req, &api, c, move |_, c| build(c, &query)).await
}

fn build(c: &Console, form: &HashMap<String, String>) -> Built {
    let value = |name: &str| form.get(name).cloned().unwrap_or_default();
    let account = if value("account").is_empty() {
        c.acting.caller.account_id().to_string()
    } else {
        value("account")
    };
    if matches!(c.session.principal, Principal::Federated { .. }) {
        return Built::new("Switch role", &[HOME])
            .section(Section::new("switch", "Switch role").line(FEDERATED_SWITCH));
    }
    let colours = COLOURS
        .iter()
        .map(|c| (c.to_string(), c.to_string()))
        .collect();
    Built::new("Switch role", &[HOME]).section(
        Section::new("switch", "Switch role")
            .line("Act with a role's permissions in this or another account. The role's trust policy must allow you to assume it.")
            .form(
                Form::post("switch-form", "/console/switch-role", "Switch role")
                    .field(Field::text("Account", "account").value(&account).required())
                    .field(Field::text("Role", "role").value(&value("role")).required())
                    .field(Field::text("Display name", "label").value(&value("label")))
                    .field(Field::select("Colour", "colour", colours).value(&value("colour"))),
            ),
    )
}

/// The session's own identity (a switch always starts from it, as on AWS).
fn own(c: &Console) -> Acting {
    Acting {
        caller: c.base.clone(),
        ..c.acting.clone()
    }
}

pub async fn switch(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    Posted(c, form): Posted,
) -> HttpResponse {
    if matches!(c.session.principal, Principal::Federated { .. }) {
        // Its role session is the session's identity: a switch would replace it.
        return show(&req, &api, c, move |_, c| {
            let mut built = build(c, &form);
            built.error = Some(FEDERATED_SWITCH.to_string());
            built.status = actix_web::http::StatusCode::BAD_REQUEST;
            built
        })
        .await;
    }
    let acting = own(&c);
    let account = field(&form, "account").to_string();
    let role = field(&form, "role").to_string();
    let label = match field(&form, "label") {
        "" => format!("{role} @ {account}"),
        l => l.chars().take(64).collect(),
    };
    let colour = field(&form, "colour").to_string();
    let session_name = c.signed_in.display.chars().take(64).collect::<String>();
    let (api2, portal2, session) = (api.clone(), portal.clone(), c.session.clone());
    let now_as = format!("You are now {role} in {account}.");
    let switched = web::block(move || {
        let reply = acting_api::sts(
            &api2,
            &acting,
            "AssumeRole",
            &[
                ("RoleArn", &format!("arn:aws:iam::{account}:role/{role}")),
                ("RoleSessionName", &session_name),
            ],
        )?;
        let kept = ActingRole {
            access_key_id: reply.value("AccessKeyId").unwrap_or_default(),
            session_token: reply.value("SessionToken").unwrap_or_default(),
            label,
            colour,
        };
        let ctx = &portal2.ctx;
        let sealed = acting_role::seal(
            ctx,
            &session.account_id,
            &session.principal,
            session.created_at,
            &kept,
        )
        .map_err(|_| crate::aws_api::error::AwsError::service_failure())?;
        let now = ctx.clock.now_naive();
        ctx.store
            .write(|conn| {
                sessions::switch_role(conn, ctx.random.as_ref(), now, &session, Some(sealed))
            })
            .map_err(|_| crate::aws_api::error::AwsError::service_failure())
    })
    .await;
    match switched {
        Ok(Ok(new_cookie)) => {
            let mut response = see_other("/console").finish();
            let flash = Flash::new(now_as);
            flash::set(&portal, &mut response, &flash::binding(&c.session), flash);
            let _ = response.add_cookie(&cookie(
                portal.secure,
                session_cookie_name(portal.secure),
                new_cookie,
            ));
            response
        }
        Ok(Err(e)) => {
            let message = super::explain(&e);
            let status = actix_web::http::StatusCode::from_u16(e.status())
                .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
            show(&req, &api, c, move |_, c| {
                let mut built = build(c, &form);
                built.error = Some(message);
                built.status = status;
                built
            })
            .await
        }
        Err(e) => internal(&req, &e),
    }
}

pub async fn back(
    req: HttpRequest,
    portal: web::Data<Portal>,
    Posted(c, _): Posted,
) -> HttpResponse {
    if matches!(c.session.principal, Principal::Federated { .. }) {
        // Its role is its own identity: there is nothing to go back to.
        return see_other("/console").finish();
    }
    let (portal2, session) = (portal.clone(), c.session.clone());
    let cleared = web::block(move || {
        let ctx = &portal2.ctx;
        let now = ctx.clock.now_naive();
        ctx.store
            .write(|conn| sessions::switch_role(conn, ctx.random.as_ref(), now, &session, None))
    })
    .await;
    match cleared {
        Ok(Ok(new_cookie)) => {
            let mut response = see_other("/console").finish();
            let flash = Flash::new("You are back in your own identity.");
            flash::set(&portal, &mut response, &flash::binding(&c.session), flash);
            let _ = response.add_cookie(&cookie(
                portal.secure,
                session_cookie_name(portal.secure),
                new_cookie,
            ));
            response
        }
        Ok(Err(e)) => internal(&req, &e),
        Err(e) => internal(&req, &e),
    }
}
