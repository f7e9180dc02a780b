//! OpenID Connect in the console: the account's clients (relying parties), managed through
//! the same authorization as the client API (`keyward:*OidcClient`), and the signed-in user's
//! connected applications, whose consent the user can withdraw.

use super::view::{Cell, Field, Form, Section, Table};
use super::{change, date, field, seg, show, Built, Console, Done, Posted, Refusal, HOME};
use crate::audit::{AuditEvent, EventSource};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::oidc::clients_api::{perform, Op};
use crate::oidc::pages::describe_scope;
use crate::oidc::{clients as oidc_clients, grants};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

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

fn create_form() -> Form {
    let options = |items: &[&str]| {
        items
            .iter()
            .map(|s| (s.to_string(), s.to_string()))
            .collect()
    };
    Form::post("create-client-form", LIST, "Register application")
        .field(Field::text("Name (shown on the consent page)", "name").required())
        .field(
            Field::textarea("Redirect URIs (one per line)", "redirect_uris")
                .hint("Exact match at sign-in: https, or http to localhost for development."),
        )
        .field(Field::textarea(
            "Sign-out redirect URIs (one per line)",
            "post_logout_redirect_uris",
        ))
        .field(
            Field::select(
                "Client authentication",
                "auth_method",
                options(&["client_secret_basic", "client_secret_post", "none"]),
            )
            .hint("none: a browser or mobile app without a secret; it must use PKCE."),
        )
        .field(Field::checkbox(
            "Authorization code (users sign in)",
            "grant_authorization_code",
            true,
        ))
        .field(Field::checkbox(
            "Refresh tokens",
            "grant_refresh_token",
            true,
        ))
        .field(Field::checkbox(
            "Client credentials (a service acting for itself)",
            "grant_client_credentials",
            false,
        ))
        .field(Field::text(
            "Scopes (space-separated; empty: the OpenID Connect ones)",
            "scope",
        ))
        .field(Field::select(
            "Token signing algorithm",
            "alg",
            options(&["RS256", "ES256", "EdDSA"]),
        ))
        .field(Field::checkbox("Ask users for consent", "consent", true))
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
            let grants: Vec<&str> = ["authorization_code", "refresh_token", "client_credentials"]
                .into_iter()
                .filter(|g| form.contains_key(&format!("grant_{g}")))
                .collect();
            let chosen = |name: &str| Some(field(&form, name)).filter(|v| !v.is_empty());
            let registration = json!({
                "client_name": field(&form, "name"),
                "redirect_uris": lines(field(&form, "redirect_uris")),
                "post_logout_redirect_uris": lines(field(&form, "post_logout_redirect_uris")),
                "token_endpoint_auth_method": chosen("auth_method"),
                "grant_types": grants,
                "scope": field(&form, "scope"),
                "id_token_signed_response_alg": chosen("alg"),
                "consent_required": form.contains_key("consent"),
            });
            // The registration validates everything before it writes anything.
            let created = run(api, c, Op::Create(registration.to_string().into_bytes())).map_err(
                |error| Refusal {
                    field: field_of(error.message(), &form).map(String::from),
                    error,
                },
            )?;
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
fn field_of(
    message: &str,
    form: &std::collections::HashMap<String, String>,
) -> Option<&'static str> {
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
        None
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
    let built = Built::new(&name, &crumbs);
    let summary = Section::new("summary", "Registration")
        .fact("Client ID", id)
        .fact("Client authentication", text("token_endpoint_auth_method"))
        .fact("Grant types", strings(&client["grant_types"]))
        .fact("Redirect URIs", strings(&client["redirect_uris"]))
        .fact(
            "Sign-out redirect URIs",
            strings(&client["post_logout_redirect_uris"]),
        )
        .fact("Scopes", text("scope"))
        .fact("Signing algorithm", text("id_token_signed_response_alg"))
        .fact(
            "Access token lifetime",
            format!("{} s", client["access_token_lifetime"]),
        )
        .fact(
            "Consent",
            if client["consent_required"] == true {
                "asked"
            } else {
                "not asked"
            },
        )
        .fact("Created", date(&text("created_at")));
    built.section(summary).section(
        Section::new("delete", "Delete application")
            .line("Its users' consents and every token it holds stop working.")
            .form(
                Form::post(
                    "delete-client",
                    &format!("{LIST}/{}/delete", seg(id)),
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

// ---- connected applications (the user's own consents) ---------------------------------------

const CONNECTED: &str = "/console/applications";

pub async fn connected(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, connected_page).await
}

fn connected_page(api: &AwsApi, c: &Console) -> Built {
    let subject = c.session.principal.subject(&c.session.account_id);
    let mut section = Section::new("connected", "Applications you allowed")
        .line("They can sign you in and see what is listed. Withdrawing ends their access too.");
    let found = api
        .ctx
        .store
        .read(|conn| grants::consents_of(conn, &subject));
    match found {
        Ok(consents) => {
            let mut table = Table::new(
                "consent-list",
                &["Application", "Can see", "Allowed"],
                "No applications.",
            );
            for consent in consents {
                let name = oidc_clients::find(&api.ctx, &consent.client_id)
                    .ok()
                    .flatten()
                    .map_or_else(|| consent.client_id.clone(), |client| client.name);
                let withdraw = Form::post("", &format!("{CONNECTED}/withdraw"), "Withdraw")
                    .field(Field::hidden("client_id", &consent.client_id))
                    .inline()
                    .danger();
                table.row(
                    vec![
                        Cell::text(name),
                        // The words the consent page used when the user agreed.
                        Cell::text(
                            consent
                                .scopes
                                .iter()
                                .map(|s| describe_scope(s))
                                .collect::<Vec<_>>()
                                .join("; "),
                        ),
                        Cell::text(date(&consent.granted_at.and_utc().to_rfc3339())),
                    ],
                    vec![withdraw],
                );
            }
            section = section.table(table);
        }
        Err(e) => section.denied = e.to_string(),
    }
    Built::new("Connected applications", &[HOME]).section(section)
}

pub async fn withdraw(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
) -> HttpResponse {
    let client_id = field(&form, "client_id").to_string();
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let subject = c.session.principal.subject(&c.session.account_id);
            let ctx = &api.ctx;
            let now = ctx.clock.now_naive();
            let meta = c.acting.meta.clone();
            ctx.store
                .write(|conn| {
                    if grants::withdraw(conn, &subject, &client_id, now)? {
                        let event = AuditEvent::new(EventSource::Oidc, "WithdrawConsent")
                            .account(&c.session.account_id)
                            .actor(c.base.arn())
                            .parameters(json!({ "clientId": client_id, "subject": subject }));
                        crate::audit::record(conn, now, ctx.random.as_ref(), &meta, event)?;
                    }
                    Ok::<_, crate::storage::StorageError>(())
                })
                .map_err(|e| {
                    tracing::error!(error = %e, "cannot withdraw a consent");
                    AwsError::service_failure()
                })?;
            Ok(Done::new(
                CONNECTED,
                format!("Access withdrawn from application {client_id}."),
            ))
        },
        connected_page,
    )
    .await
}
