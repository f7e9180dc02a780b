//! OpenID Connect in the console: the account's clients (relying parties), registered, edited,
//! given a new secret and deleted through the same authorization as the client API
//! (`keyward:*OidcClient`). The signed-in user's own connected applications are in
//! `connected.rs`.

use super::view::{Cell, Field, Form, Section, Table};
use super::{change, date, field, seg, show, Built, Console, Done, Posted, Refusal, HOME};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::oidc::clients_api::{perform, Op};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::collections::HashMap;

const LIST: &str = "/console/oidc-clients";
const CRUMB: (&str, &str) = ("Applications", LIST);

fn run(api: &AwsApi, c: &Console, op: Op) -> Result<Value, AwsError> {
    perform(api, &c.acting.caller, &c.acting.facts, &c.acting.meta, op).map(|(_, v)| v)
}

fn strings(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

pub async fn list(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, list_page).await
}

const GRANTS: [(&str, &str); 3] = [
    ("authorization_code", "Authorization code (users sign in)"),
    ("refresh_token", "Refresh tokens"),
    (
        "client_credentials",
        "Client credentials (a service acting for itself)",
    ),
];
const LIFETIMES: [(&str, &str); 3] = [
    ("access_token_lifetime", "Access token lifetime (seconds)"),
    ("id_token_lifetime", "ID token lifetime (seconds)"),
    ("refresh_token_lifetime", "Refresh token lifetime (seconds)"),
];
/// How long a replaced secret may keep working, as the rotation form offers it.
const GRACE: [(&str, &str); 5] = [
    ("0", "None: the old secret stops now"),
    ("3600", "1 hour"),
    ("86400", "1 day"),
    ("604800", "7 days"),
    ("2592000", "30 days"),
];

fn options(items: &[&str]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect()
}

/// The registration's fields, filled from `client` (registration metadata as the API shows
/// it; a new client's defaults when registering).
fn registration_fields(mut form: Form, client: &Value) -> Form {
    let text = |name: &str| client[name].as_str().unwrap_or_default().to_string();
    let joined = |name: &str| {
        client[name]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    };
    form = form
        .field(
            Field::text("Name (shown on the consent page)", "name")
                .required()
                .maxlength(128)
                .value(&text("client_name")),
        )
        .field(
            Field::textarea("Redirect URIs (one per line)", "redirect_uris")
                .hint("Exact match at sign-in: https, or http to localhost for development.")
                .value(&joined("redirect_uris")),
        )
        .field(
            Field::textarea(
                "Sign-out redirect URIs (one per line)",
                "post_logout_redirect_uris",
            )
            .value(&joined("post_logout_redirect_uris")),
        );
    if client.get("client_id").is_none() {
        form = form.field(
            Field::select(
                "Client authentication",
                "auth_method",
                options(&["client_secret_basic", "client_secret_post", "none"]),
            )
            .hint("none: a browser or mobile app without a secret; it must use PKCE."),
        );
    }
    let grants = joined("grant_types");
    for (grant, label) in GRANTS {
        form = form.field(Field::checkbox(
            label,
            &format!("grant_{grant}"),
            grants.split('\n').any(|g| g == grant),
        ));
    }
    form = form
        .field(
            Field::text(
                "Scopes (space-separated; empty: the OpenID Connect ones)",
                "scope",
            )
            .value(&text("scope")),
        )
        .field(
            Field::select(
                "Token signing algorithm",
                "alg",
                options(&["RS256", "ES256", "EdDSA"]),
            )
            .value(&text("id_token_signed_response_alg")),
        );
    for (name, label) in LIFETIMES {
        form = form.field(
            Field::number(label, name)
                .required()
                .value(&client[name].as_i64().unwrap_or_default().to_string()),
        );
    }
    form.field(Field::checkbox(
        "Ask users for consent",
        "consent",
        client["consent_required"] != false,
    ))
}

fn create_form() -> Form {
    // The registration defaults, as a new client gets them.
    let defaults = json!({
        "grant_types": ["authorization_code", "refresh_token"],
        "id_token_signed_response_alg": "RS256",
        "access_token_lifetime": 3600,
        "id_token_lifetime": 3600,
        "refresh_token_lifetime": 30 * 86_400,
        "consent_required": true,
    });
    registration_fields(
        Form::post("create-client-form", LIST, "Register application"),
        &defaults,
    )
}

/// The registration as posted, in the client API's names; a lifetime that is not a number
/// is refused at its field, an empty one is left out.
fn registration_of(form: &HashMap<String, String>) -> Result<Value, Refusal> {
    let grants: Vec<&str> = GRANTS
        .iter()
        .map(|(g, _)| *g)
        .filter(|g| form.contains_key(&format!("grant_{g}")))
        .collect();
    let chosen = |name: &str| Some(field(form, name)).filter(|v| !v.is_empty());
    let mut registration = json!({
        "client_name": field(form, "name"),
        "redirect_uris": lines(field(form, "redirect_uris")),
        "post_logout_redirect_uris": lines(field(form, "post_logout_redirect_uris")),
        "grant_types": grants,
        "scope": field(form, "scope"),
        "id_token_signed_response_alg": chosen("alg"),
        "consent_required": form.contains_key("consent"),
    });
    if let Some(method) = chosen("auth_method") {
        registration["token_endpoint_auth_method"] = method.into();
    }
    for (name, label) in LIFETIMES {
        // Left empty: the default at registration, unchanged in an edit.
        let Some(typed) = chosen(name) else {
            continue;
        };
        let seconds = typed.parse::<i64>().map_err(|_| Refusal {
            error: AwsError::validation_error(format!("{label}: enter a whole number of seconds.")),
            field: Some(name.to_string()),
        })?;
        registration[name] = seconds.into();
    }
    Ok(registration)
}

/// A refusal of the client API, at the field it is about.
fn refused(error: AwsError, form: &HashMap<String, String>) -> Refusal {
    Refusal {
        field: field_of(error.message(), form).map(String::from),
        error,
    }
}

fn list_page(api: &AwsApi, c: &Console) -> Built {
    let mut section = Section::new("clients", "Applications (OpenID Connect clients)");
    match run(api, c, Op::List) {
        Ok(reply) => {
            let mut table = Table::new(
                "client-list",
                &[
                    "Name",
                    "Client ID",
                    "Authentication",
                    "Grant types",
                    "Created",
                ],
                "No applications.",
            );
            for client in reply["clients"].as_array().into_iter().flatten() {
                let id = client["client_id"].as_str().unwrap_or_default();
                table.row(
                    vec![
                        Cell::link(
                            client["client_name"].as_str().unwrap_or_default(),
                            format!("{LIST}/{}", seg(id)),
                        ),
                        Cell::text(id),
                        Cell::text(
                            client["token_endpoint_auth_method"]
                                .as_str()
                                .unwrap_or_default(),
                        ),
                        Cell::text(strings(&client["grant_types"])),
                        Cell::text(date(client["created_at"].as_str().unwrap_or_default())),
                    ],
                    Vec::new(),
                );
            }
            section = section.table(table);
        }
        Err(e) => section.denied = super::explain(&e),
    }
    Built::new("Applications", &[HOME])
        .section(
            section
                .line("Keyward is their OpenID Connect provider; clients configure themselves from its discovery document.")
                .link("Discovery document", "/.well-known/openid-configuration"),
        )
        .section(Section::new("create-client", "Register an application").form(create_form()))
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

pub async fn create(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
) -> HttpResponse {
    let typed = form.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let registration = registration_of(&form)?;
            // The registration validates everything before it writes anything.
            let created = run(api, c, Op::Create(registration.to_string().into_bytes()))
                .map_err(|error| refused(error, &form))?;
            let text = |name: &str| created[name].as_str().unwrap_or_default().to_string();
            let id = text("client_id");
            let done = Done::new(
                format!("{LIST}/{}", seg(&id)),
                format!("Application {} registered.", text("client_name")),
            );
            // Shown once, on the page the browser is sent to; never in a URL.
            Ok(match created["client_secret"].as_str() {
                Some(secret) => done
                    .secret("Client ID", &id)
                    .secret("Client secret", secret),
                None => done,
            })
        },
        // A refusal: the list again, the form as it was typed.
        move |api, c| list_page(api, c).keep("create-client-form", &typed),
    )
    .await
}

/// The form field a registration's refusal is about, found from what it names: one of the
/// typed URIs, the name, the scopes, the lifetimes. `None`: about the form as a whole.
fn field_of(message: &str, form: &HashMap<String, String>) -> Option<&'static str> {
    let names = |name: &str| {
        lines(field(form, name))
            .iter()
            .any(|u| message.contains(u.as_str()))
    };
    if names("post_logout_redirect_uris") && !names("redirect_uris") {
        Some("post_logout_redirect_uris")
    } else if names("redirect_uris") || message.contains("redirect URI") {
        Some("redirect_uris")
    } else if message.contains("client name") {
        Some("name")
    } else if message.contains("scope") {
        Some("scope")
    } else {
        LIFETIMES
            .iter()
            .map(|(name, _)| *name)
            .find(|name| message.contains(name))
    }
}

pub async fn detail(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    show(&req, &api, c, move |api, c| detail_page(api, c, &id)).await
}

fn detail_page(api: &AwsApi, c: &Console, id: &str) -> Built {
    let crumbs = [HOME, CRUMB];
    let client = match run(api, c, Op::Get(id.to_string())) {
        Ok(client) => client,
        Err(e) => return Built::new(id, &crumbs).failed(&e),
    };
    let text = |name: &str| client[name].as_str().unwrap_or_default().to_string();
    let name = text("client_name");
    let method = text("token_endpoint_auth_method");
    let has_secret = matches!(
        method.as_str(),
        "client_secret_basic" | "client_secret_post"
    );
    let base = format!("{LIST}/{}", seg(id));
    let mut summary = Section::new("summary", "Registration")
        .fact("Client ID", id)
        .fact("Client authentication", &method)
        .fact("Created", date(&text("created_at")));
    if let Some(until) = client["previous_secret_expires_at"].as_str() {
        summary = summary.fact("Previous secret", format!("accepted until {}", date(until)));
    }
    let edit = Section::new("edit", "Edit registration")
        .line("Changes apply from the application's next request; its users' consents and tokens stay.")
        .form(registration_fields(
            Form::post("edit-client-form", &format!("{base}/edit"), "Save changes"),
            &client,
        ));
    let mut built = Built::new(&name, &crumbs).section(summary).section(edit);
    if has_secret {
        built = built.section(
            Section::new("secret", "Client secret")
                .line("A new secret is shown once. Until the grace period ends the old secret works too, so that the application can be given the new one without an outage.")
                .form(
                    Form::post(
                        "rotate-secret-form",
                        &format!("{base}/secret"),
                        "Rotate secret",
                    )
                    .field(
                        Field::select(
                            "Keep the old secret working for",
                            "grace",
                            GRACE
                                .iter()
                                .map(|(v, t)| (v.to_string(), t.to_string()))
                                .collect(),
                        )
                        .value("86400"),
                    )
                    .confirm(
                        &format!("Rotate the secret of application {name}?"),
                        &name,
                        "The application's current secret stops working when the grace period \
                         you chose ends (at once if you chose none); a secret replaced earlier \
                         stops now.",
                    ),
                ),
        );
    }
    built.section(
        Section::new("delete", "Delete application")
            .line("Its users' consents and every token it holds stop working.")
            .form(
                Form::post(
                    "delete-client",
                    &format!("{base}/delete"),
                    "Delete application",
                )
                .confirm(
                    &format!("Delete application {name}?"),
                    &name,
                    "Its users' consents, and every code and token issued to it, stop working; \
                     its client ID and secret are refused from then on.",
                ),
            ),
    )
}

pub async fn edit(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    let again = id.clone();
    let typed = form.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let changes = registration_of(&form)?;
            let saved = run(
                api,
                c,
                Op::Update(id.clone(), changes.to_string().into_bytes()),
            )
            .map_err(|error| refused(error, &form))?;
            Ok(Done::new(
                format!("{LIST}/{}", seg(&id)),
                format!(
                    "Application {} saved.",
                    saved["client_name"].as_str().unwrap_or_default()
                ),
            ))
        },
        move |api, c| detail_page(api, c, &again).keep("edit-client-form", &typed),
    )
    .await
}

pub async fn rotate_secret(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    let again = id.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let grace: i64 = field(&form, "grace").parse().map_err(|_| Refusal {
                error: AwsError::validation_error("Choose how long the old secret keeps working."),
                field: Some("grace".into()),
            })?;
            let body = json!({ "grace_period_seconds": grace });
            let rotated = run(
                api,
                c,
                Op::RotateSecret(id.clone(), body.to_string().into_bytes()),
            )?;
            let name = rotated["client_name"].as_str().unwrap_or_default();
            let old = match rotated["previous_secret_expires_at"].as_str() {
                Some(until) => format!("The old secret works until {} UTC.", date(until)),
                None => "The old secret no longer works.".to_string(),
            };
            let secret = rotated["client_secret"].as_str().unwrap_or_default();
            // Shown once, on the page the browser is sent to; never in a URL.
            Ok(Done::new(
                format!("{LIST}/{}", seg(&id)),
                format!("Application {name} has a new secret. {old}"),
            )
            .secret("Client ID", &id)
            .secret("Client secret", secret))
        },
        move |api, c| detail_page(api, c, &again),
    )
    .await
}

pub async fn delete(
    req: HttpRequest,
    Posted(c, _): Posted,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    let again = id.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| {
            run(api, c, Op::Delete(id.clone()))?;
            Ok(Done::new(LIST, format!("Application {id} deleted.")))
        },
        move |api, c| detail_page(api, c, &again),
    )
    .await
}
