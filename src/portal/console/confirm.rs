//! Destructive forms ask first, as AWS's console does: a form built with
//! [`super::view::Form::confirm`] carries its question, the object's name and what will be
//! lost; its POST, until the name is typed in `confirmation`, answers with a page that says so
//! and posts the same fields again with the typed name. The change runs only on that second
//! POST, so no single click (nor a script replaying the first form) deletes anything.

use super::view::{Field, Form, Section};
use super::Console;
use crate::browser::render;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::HashMap;

/// The hidden fields of a form that asks first.
pub const QUESTION: &str = "confirm_question";
pub const NAME: &str = "confirm_name";
pub const LOSS: &str = "confirm_loss";
/// What the person typed on the confirmation page.
pub const TYPED: &str = "confirmation";

/// The confirmation page when `form` asks first and its name was not typed (exactly); `None`
/// when the change may run.
pub fn unconfirmed(
    req: &HttpRequest,
    c: &Console,
    form: &HashMap<String, String>,
) -> Option<HttpResponse> {
    let name = form.get(NAME)?;
    let typed = form.get(TYPED).map(|t| t.trim());
    if typed == Some(name.as_str()) {
        return None;
    }
    let question = form.get(QUESTION).map_or("Are you sure?", String::as_str);
    let loss = form.get(LOSS).map_or("", String::as_str);
    let mut again = Form::post("confirm-form", req.path(), question.trim_end_matches('?'));
    again.danger = true;
    let mut keys: Vec<&String> = form
        .keys()
        .filter(|k| !matches!(k.as_str(), "csrf_token" | TYPED))
        .collect();
    keys.sort();
    for key in keys {
        again = again.field(Field::hidden(key, &form[key]));
    }
    let mut field = Field::text(&format!("To confirm, type {name}"), TYPED).required();
    if let Some(wrong) = typed {
        field = field
            .value(wrong)
            .error(&format!("Type {name} exactly as shown to confirm."));
    }
    let again = again.field(field);
    let mut section = Section::new("confirm", "");
    if !loss.is_empty() {
        section = section.line(loss);
    }
    let section = section
        .line("This cannot be undone.")
        .form(again)
        .link("Cancel", back(req));
    let status = if typed.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Some(render(
        status,
        &super::view::ConsolePage::plain(c.signed_in.clone(), question, vec![section]),
    ))
}

/// Where "Cancel" goes: the page the form was on (its `Referer`, when it is this site's
/// console), else the console's home.
fn back(req: &HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|u| u.path().starts_with("/console"))
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .unwrap_or_else(|| "/console".to_string())
}
