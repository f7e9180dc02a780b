//! Identity providers: the account's IAM OpenID Connect providers, listed as IAM has them.
//! Trusting them (web identity, console sign-in through them) comes with external federation.

use super::view::{Cell, Section, Table};
use super::{read, show, Built, Console, HOME};
use crate::aws_api::endpoint::AwsApi;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn list(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, list_page).await
}

fn list_page(api: &AwsApi, c: &Console) -> Built {
    let mut section = Section::new("providers", "OpenID Connect providers");
    if let Some(reply) = read(api, c, "ListOpenIDConnectProviders", &[], &mut section) {
        let mut table = Table::new(
            "provider-list",
            &["Provider", "ARN"],
            "No OpenID Connect provider is registered.",
        );
        for arn in reply.values("Arn") {
            let host = arn.split_once(":oidc-provider/").map_or("", |(_, h)| h);
            table.row(vec![Cell::text(host), Cell::text(&arn)], Vec::new());
        }
        section = section.table(table);
    }
    Built::new("Identity providers", &[HOME]).section(section.line(
        "Register a provider with the AWS CLI: aws iam create-open-id-connect-provider --url \
         https://issuer.example.com --client-id-list my-app --endpoint-url <Keyward URL>.",
    ))
}
