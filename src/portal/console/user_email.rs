//! A user's email address on the user's page: the Keyward extension that ID tokens take
//! `email` and `email_verified` from, read and set through the same authorization as its API
//! (`keyward:GetUserEmail`, `keyward:SetUserEmail` on the user). A refused address stays in
//! the field, with the reason next to it.

use super::view::{Field, Form, Section};
use super::{field, internal, seg, show, Console};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::aws_api::keyward::user_email::{perform, EmailChange, Op};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

/// What was typed into a refused form, and why it was refused.
pub struct Typed {
    pub email: String,
    pub verified: bool,
    pub error: String,
}

fn run(api: &AwsApi, c: &Console, op: Op) -> Result<serde_json::Value, AwsError> {
    perform(api, &c.acting.caller, &c.acting.facts, &c.acting.meta, op)
}

/// The "Email address" section of the user `name`'s page (`base` is the page's path).
pub fn section(
    api: &AwsApi,
    c: &Console,
    name: &str,
    base: &str,
    typed: Option<&Typed>,
) -> Section {
    let section = Section::new("email", "Email address").line(
        "Applications that sign users in through Keyward receive this address; a verified one may be trusted as the user's own.",
    );
    let current = match run(api, c, Op::Get(name.to_string())) {
        Ok(current) => current,
        Err(e) => return section.denied(super::explain(&e)),
    };
    let (email, verified, error) = match typed {
        Some(t) => (t.email.clone(), t.verified, t.error.as_str()),
        None => (
            current["email"].as_str().unwrap_or_default().to_string(),
            current["email_verified"] == true,
            "",
        ),
    };
    section.form(
        Form::post("set-email", &format!("{base}/email"), "Save email address")
            .field(
                Field::email("Email address", "email")
                    .value(&email)
                    .hint("Empty: the user has no address.")
                    .error(error),
            )
            .field(Field::checkbox(
                "Verified: I vouch that this address belongs to the user",
                "verified",
                verified,
            )),
    )
}

/// Saves the address posted for the user `name`: a redirect to the user's page, or the page
/// again with what was typed and the reason it was refused.
pub async fn save(
    req: &HttpRequest,
    api: &web::Data<AwsApi>,
    c: Console,
    name: String,
    form: &HashMap<String, String>,
) -> HttpResponse {
    let typed = Typed {
        email: field(form, "email").to_string(),
        verified: form.contains_key("verified"),
        error: String::new(),
    };
    let change = EmailChange {
        user_name: name.clone(),
        email: Some(typed.email.clone()).filter(|e| !e.is_empty()),
        email_verified: typed.verified,
    };
    let (api2, c2) = (api.clone(), c.clone());
    let error = match web::block(move || run(&api2, &c2, Op::Set(change))).await {
        Ok(Ok(_)) => {
            let done = super::Done::new(
                format!("/console/users/{}", seg(&name)),
                format!("Email address of {name} saved."),
            );
            return super::redirect(req, &c, done);
        }
        Ok(Err(e)) => e,
        Err(e) => return internal(req, &e),
    };
    let typed = Typed {
        error: super::explain(&error),
        ..typed
    };
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    show(req, api, c, move |api, c| {
        let mut built = super::users::detail_with(api, c, &name, Some(&typed));
        built.status = status;
        built
    })
    .await
}
