//! The signed-in user's connected applications: the OpenID Connect clients they consented
//! to, in the consent page's words, and withdrawing a consent (which ends the client's access).

use super::view::{Cell, Field, Form, Section, Table};
use super::{change, date, field, show, Built, Console, Done, Posted, HOME};
use crate::audit::{AuditEvent, EventSource};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::oidc::pages::describe_scope;
use crate::oidc::{clients as oidc_clients, grants};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

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
