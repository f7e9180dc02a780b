//! Sign-in providers in the console: the external OpenID Connect providers the account's
//! people sign in through ("Sign in with Corp"), registered, edited and removed with IAM's
//! authorization (`keyward:CreateSigninProvider`, `GetSigninProvider`, `ListSigninProviders`,
//! `UpdateSigninProvider`, `DeleteSigninProvider` on
//! `arn:aws:keyward::<account>:signin-provider/<name>`), each change audited by
//! `iam::signin_providers`.

use super::view::{Cell, Field, Form, Section, Table};
use super::{change, field, seg, show, Built, Console, Done, OnField, Posted, Refusal, HOME};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::federation::rules::RoleRule;
use crate::iam::signin_providers::{self, Registration, SigninProvider};
use crate::iam::Call;
use crate::secrets::SecretString;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

const LIST: &str = "/console/signin-providers";
const CRUMB: (&str, &str) = ("Sign-in providers", LIST);

/// `keyward:<action>` allowed for the acting caller on the provider `name` (`*` for none).
fn authorized(
    api: &AwsApi,
    c: &Console,
    action: &str,
    name: Option<&str>,
) -> Result<Call, AwsError> {
    let account = c.acting.caller.account_id();
    let resource = name.map_or_else(
        || "*".to_string(),
        |n| format!("arn:aws:keyward::{account}:signin-provider/{n}"),
    );
    super::keyward_action(api, c, action, &resource)
}

pub async fn list(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, list_page).await
}

/// The form's fields, filled from `provider` when editing.
fn registration_fields(mut form: Form, provider: Option<&SigninProvider>) -> Form {
    let text = |get: fn(&SigninProvider) -> String, default: &str| {
        provider.map_or_else(|| default.to_string(), get)
    };
    form = form
        .field(
            Field::text("Issuer", "issuer")
                .value(&text(|p| p.issuer.clone(), ""))
                .required()
                .maxlength(1024)
                .hint("As its ID tokens name it. An IAM OpenID Connect provider of this account must have this issuer."),
        )
        .field(
            Field::text("Client ID", "client_id")
                .value(&text(|p| p.client_id.clone(), ""))
                .required()
                .maxlength(255),
        );
    let secret = Field::password("Client secret", "client_secret").maxlength(1024);
    form = form.field(match provider {
        None => secret.required(),
        Some(_) => secret.hint("Leave empty to keep the current secret."),
    });
    form.field(
        Field::text("Scopes", "scopes")
            .value(&text(|p| p.scopes.join(" "), signin_providers::DEFAULT_SCOPES))
            .required()
            .maxlength(512)
            .hint("Separated by spaces; openid is required."),
    )
    .field(
        Field::text("User name claim", "username_claim")
            .value(&text(
                |p| p.username_claim.clone(),
                signin_providers::DEFAULT_USERNAME_CLAIM,
            ))
            .required()
            .maxlength(256)
            .hint("The claim that names the person: their role session's name."),
    )
    .field(
        Field::textarea("Role rules", "rules")
            .value(&text(SigninProvider::rules_text, ""))
            .maxlength(20_000)
            .hint("One per line: CLAIM contains VALUE => ROLE, or CLAIM equals VALUE => ROLE. The role's trust policy must also trust the IAM provider."),
    )
    .field(Field::checkbox(
        "Trust the provider's MFA (amr contains mfa)",
        "trusted_for_mfa",
        provider.is_some_and(|p| p.trusted_for_mfa),
    ))
}

fn list_page(api: &AwsApi, c: &Console) -> Built {
    let mut section = Section::new("signin-providers", "Sign-in providers").line(
        "People sign in to this account's console through these OpenID Connect providers and \
         pick among the roles the rules give them.",
    );
    let account = c.acting.caller.account_id().to_string();
    match authorized(api, c, "ListSigninProviders", None)
        .and_then(|_| signin_providers::list(&api.ctx, &account).map_err(AwsError::from))
    {
        Ok(all) => {
            let mut table = Table::new(
                "signin-provider-list",
                &["Name", "Issuer", "Client ID", "Rules", "MFA trusted"],
                "No sign-in provider is registered.",
            );
            for p in &all {
                table.row(
                    vec![
                        Cell::link(&p.name, format!("{LIST}/{}", seg(&p.name))),
                        Cell::text(&p.issuer),
                        Cell::text(&p.client_id),
                        Cell::text(p.rules.len().to_string()),
                        Cell::text(if p.trusted_for_mfa { "Yes" } else { "No" }),
                    ],
                    Vec::new(),
                );
            }
            section = section.table(table).line(format!(
                "At the provider, register Keyward's address followed by \
                 {} as the redirect URI. People sign in at /signin/{account}.",
                crate::signin::external::CALLBACK_PATH
            ));
        }
        Err(e) => section.denied = super::explain(&e),
    }
    let create = Section::new("create", "Register a sign-in provider").form(registration_fields(
        Form::post("create-signin-provider-form", LIST, "Register provider").field(
            Field::text("Name", "name")
                .required()
                .maxlength(64)
                .pattern("[A-Za-z0-9._\\-]{1,64}", "letters, digits, '.', '_' or '-'")
                .hint("Shown on the sign-in page: Sign in with NAME."),
        ),
        None,
    ));
    Built::new("Sign-in providers", &[HOME])
        .section(section)
        .section(create)
}

/// What the form asks for: the fields of a registration (an empty secret keeps the stored one).
fn registration_of(form: &HashMap<String, String>) -> Result<Registration, Refusal> {
    let rules = RoleRule::parse_lines(field(form, "rules"))
        .map_err(|e| AwsError::validation_error(e.to_string()))
        .on_field("rules")?;
    let secret = field(form, "client_secret");
    Ok(Registration {
        issuer: Some(field(form, "issuer").to_string()),
        client_id: Some(field(form, "client_id").trim().to_string()),
        client_secret: (!secret.is_empty()).then(|| SecretString::from(secret.to_string())),
        scopes: Some(field(form, "scopes").to_string()),
        username_claim: Some(field(form, "username_claim").trim().to_string()),
        rules: Some(rules),
        trusted_for_mfa: Some(field(form, "trusted_for_mfa") == "true"),
    })
}

/// The field a registration's refusal is about, from its words.
fn refused(error: crate::iam::IamError) -> Refusal {
    let error = AwsError::from(error);
    let message = error.message().to_lowercase();
    let field = [
        ("issuer", "issuer"),
        ("client id", "client_id"),
        ("client secret", "client_secret"),
        ("scopes", "scopes"),
        ("user name claim", "username_claim"),
        ("rules", "rules"),
        ("name", "name"),
    ]
    .iter()
    .find(|(words, _)| message.contains(words))
    .map(|(_, field)| field.to_string());
    Refusal { error, field }
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
            let name = field(&form, "name").trim().to_string();
            let call = authorized(api, c, "CreateSigninProvider", Some(&name))?;
            let registration = registration_of(&form)?;
            signin_providers::create(&api.ctx, &call, &name, &registration).map_err(refused)?;
            Ok(Done::new(
                format!("{LIST}/{}", seg(&name)),
                format!("Sign-in provider {name} registered."),
            ))
        },
        move |api, c| {
            let mut typed = typed;
            typed.remove("client_secret");
            list_page(api, c).keep("create-signin-provider-form", &typed)
        },
    )
    .await
}

pub async fn detail(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    name: web::Path<String>,
) -> HttpResponse {
    let name = name.into_inner();
    show(&req, &api, c, move |api, c| detail_page(api, c, &name)).await
}

fn detail_page(api: &AwsApi, c: &Console, name: &str) -> Built {
    let crumbs = [HOME, CRUMB];
    let account = c.acting.caller.account_id().to_string();
    let provider = match authorized(api, c, "GetSigninProvider", Some(name))
        .and_then(|_| signin_providers::get(&api.ctx, &account, name).map_err(AwsError::from))
    {
        Ok(provider) => provider,
        Err(e) => return Built::new(name, &crumbs).failed(&e),
    };
    let base = format!("{LIST}/{}", seg(name));
    let summary = Section::new("summary", "Provider")
        .fact("Sign-in link", format!("/signin/external/{account}/{name}"))
        .fact("Issuer", &provider.issuer)
        .fact("Client ID", &provider.client_id)
        .fact("Rules", provider.rules.len().to_string())
        .fact(
            "Created",
            super::date(&provider.created_at.and_utc().to_rfc3339()),
        );
    let edit = Section::new("edit", "Edit provider")
        .line("Changes apply from the next sign-in; console sessions already open keep their role until it ends.")
        .form(registration_fields(
            Form::post("edit-signin-provider-form", &format!("{base}/edit"), "Save changes"),
            Some(&provider),
        ));
    Built::new(name, &crumbs)
        .section(summary)
        .section(edit)
        .section(
            Section::new("delete", "Delete provider").form(
                Form::post(
                    "delete-signin-provider",
                    &format!("{base}/delete"),
                    "Delete provider",
                )
                .confirm(
                    &format!("Delete sign-in provider {name}?"),
                    name,
                    "Nobody can sign in through it any more; sessions already open keep \
                         their role until it ends.",
                ),
            ),
        )
}

pub async fn edit(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    name: web::Path<String>,
) -> HttpResponse {
    let name = name.into_inner();
    let again = name.clone();
    let typed = form.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let call = authorized(api, c, "UpdateSigninProvider", Some(&name))?;
            let registration = registration_of(&form)?;
            signin_providers::update(&api.ctx, &call, &name, &registration).map_err(refused)?;
            Ok(Done::new(
                format!("{LIST}/{}", seg(&name)),
                format!("Sign-in provider {name} saved."),
            ))
        },
        move |api, c| {
            let mut typed = typed;
            typed.remove("client_secret");
            detail_page(api, c, &again).keep("edit-signin-provider-form", &typed)
        },
    )
    .await
}

pub async fn delete(
    req: HttpRequest,
    Posted(c, _): Posted,
    api: web::Data<AwsApi>,
    name: web::Path<String>,
) -> HttpResponse {
    let name = name.into_inner();
    let again = name.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let call = authorized(api, c, "DeleteSigninProvider", Some(&name))?;
            signin_providers::delete(&api.ctx, &call, &name).map_err(refused)?;
            Ok(Done::new(LIST, format!("Sign-in provider {name} deleted.")))
        },
        move |api, c| detail_page(api, c, &again),
    )
    .await
}
