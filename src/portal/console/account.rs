//! The account: its alias (the name in the sign-in URL) and its password policy.

use super::view::{Field, Form, Section};
use super::{change, field, iam, show, Built, Console, Done, OnField, Posted, Refusal, HOME};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

pub async fn page(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, build).await
}

fn build(api: &AwsApi, c: &Console) -> Built {
    let mut alias = Section::new("alias", "Account alias");
    match iam(api, c, "ListAccountAliases", &[]) {
        Ok(reply) => match reply.values("member").into_iter().next() {
            Some(name) => {
                alias = alias.fact("Alias", &name).form(
                    Form::post(
                        "delete-alias",
                        "/console/account/delete-alias",
                        "Remove alias",
                    )
                    .field(Field::hidden("alias", &name))
                    .danger(),
                );
            }
            None => {
                alias = alias
                    .line("The sign-in URL names the account by its id. An alias gives it a name.")
                    .form(
                        Form::post("create-alias", "/console/account/create-alias", "Set alias")
                            .field(Field::text("Alias", "alias").required().hint(
                                "3 to 63 lower case letters, digits and hyphens, not all digits.",
                            )),
                    );
            }
        },
        Err(e) => alias.denied = super::explain(&e),
    }
    let mut policy = Section::new("password-policy", "Password policy");
    let current = match iam(api, c, "GetAccountPasswordPolicy", &[]) {
        Ok(reply) => Some(reply),
        Err(e) if e.code() == "NoSuchEntity" => {
            policy = policy.line("No password policy is set: IAM's default rules apply (8 characters, three of four character classes).");
            None
        }
        Err(e) => {
            policy.denied = super::explain(&e);
            return Built::new("Account settings", &[HOME])
                .section(alias)
                .section(policy);
        }
    };
    let get = |tag: &str| {
        current
            .as_ref()
            .and_then(|r| r.value(tag))
            .unwrap_or_default()
    };
    let on = |tag: &str| get(tag) == "true";
    let min_length = match get("MinimumPasswordLength") {
        length if length.is_empty() => "8".to_string(),
        length => length,
    };
    let mut form = Form::post(
        "password-policy-form",
        "/console/account/password-policy",
        "Save password policy",
    )
    .field(Field::number("Minimum length", "min_length").value(&min_length))
    .field(Field::checkbox(
        "Require at least one uppercase letter",
        "upper",
        on("RequireUppercaseCharacters"),
    ))
    .field(Field::checkbox(
        "Require at least one lowercase letter",
        "lower",
        on("RequireLowercaseCharacters"),
    ))
    .field(Field::checkbox(
        "Require at least one number",
        "numbers",
        on("RequireNumbers"),
    ))
    .field(Field::checkbox(
        "Require at least one symbol",
        "symbols",
        on("RequireSymbols"),
    ))
    .field(Field::checkbox(
        "Allow users to change their own password",
        "allow_change",
        current.is_none() || on("AllowUsersToChangePassword"),
    ))
    .field(
        Field::number("Password expires after (days, empty: never)", "max_age")
            .value(&get("MaxPasswordAge")),
    )
    .field(
        Field::number(
            "Prevent reuse of the last N passwords (empty: no rule)",
            "reuse",
        )
        .value(&get("PasswordReusePrevention")),
    )
    .field(Field::checkbox(
        "Only an administrator can reset an expired password",
        "hard_expiry",
        on("HardExpiry"),
    ));
    form.id = "password-policy-form".into();
    policy = policy.form(form);
    if current.is_some() {
        policy = policy.form(
            Form::post(
                "delete-policy",
                "/console/account/delete-password-policy",
                "Remove password policy",
            )
            .danger(),
        );
    }
    Built::new("Account settings", &[HOME])
        .section(alias)
        .section(policy)
}

pub async fn change_account(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    op: web::Path<String>,
) -> HttpResponse {
    let op = op.into_inner();
    change(
        &req,
        &api,
        c,
        move |api, c| apply(api, c, &op, &form),
        build,
    )
    .await
}

fn apply(
    api: &AwsApi,
    c: &Console,
    op: &str,
    form: &HashMap<String, String>,
) -> Result<Done, Refusal> {
    let message = match op {
        "create-alias" => iam(
            api,
            c,
            "CreateAccountAlias",
            &[("AccountAlias", field(form, "alias"))],
        )
        .on_field("alias")
        .map(|_| format!("Account alias {} created.", field(form, "alias")))?,
        "delete-alias" => iam(
            api,
            c,
            "DeleteAccountAlias",
            &[("AccountAlias", field(form, "alias"))],
        )
        .map(|_| format!("Account alias {} deleted.", field(form, "alias")))?,
        "delete-password-policy" => iam(api, c, "DeleteAccountPasswordPolicy", &[])
            .map(|_| "Password policy removed: IAM's default rules apply.".to_string())?,
        "password-policy" => {
            let flag = |name: &str| {
                if form.contains_key(name) {
                    "true"
                } else {
                    "false"
                }
            };
            let mut params = vec![
                ("MinimumPasswordLength", field(form, "min_length")),
                ("RequireUppercaseCharacters", flag("upper")),
                ("RequireLowercaseCharacters", flag("lower")),
                ("RequireNumbers", flag("numbers")),
                ("RequireSymbols", flag("symbols")),
                ("AllowUsersToChangePassword", flag("allow_change")),
                ("HardExpiry", flag("hard_expiry")),
            ];
            for (param, name) in [
                ("MaxPasswordAge", "max_age"),
                ("PasswordReusePrevention", "reuse"),
            ] {
                if !field(form, name).is_empty() {
                    params.push((param, field(form, name)));
                }
            }
            iam(api, c, "UpdateAccountPasswordPolicy", &params)
                .map(|_| "Password policy saved.".to_string())?
        }
        _ => return Err(AwsError::invalid_action(op, "console").into()),
    };
    Ok(Done::new("/console/account", message))
}
