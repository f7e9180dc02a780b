//! The account: its alias (the name in the sign-in URL) and its password policy. The policy's
//! form shows the rules in force (IAM's default when none is set), and saving rules weaker
//! than those asks first.

use super::view::{Field, Form, Section};
use super::{change, field, iam, show, Built, Console, Done, OnField, Posted, Refusal, HOME};
use crate::auth::password_policy::{self, Applicable, PasswordPolicy};
use crate::aws_api::console::Reply;
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

const POLICY_FORM: &str = "password-policy-form";
/// The box that saves a policy weaker than the one in force.
const WEAKER_OK: &str = "weaker_ok";

pub async fn page(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, |api, c| build(api, c, false)).await
}

/// The page; `weaker` adds the box that confirms a weaker policy to the policy's form.
fn build(api: &AwsApi, c: &Console, weaker: bool) -> Built {
    let built = Built::new("Account settings", &[HOME]).section(alias_section(api, c));
    let (in_force, mut policy) = match read_policy(api, c) {
        Ok(in_force) => (in_force, Section::new("password-policy", "Password policy")),
        Err(e) => {
            let section = Section::new("password-policy", "Password policy").denied(e.message());
            return built.section(section);
        }
    };
    policy = policy.line(format!(
        "In force now: {}",
        password_policy::describe(&in_force)
    ));
    let shown = match &in_force {
        Applicable::Account(p) => p.clone(),
        Applicable::Default => {
            policy = policy.line(
                "No password policy is set, so IAM's default applies. A saved policy names the \
                 character classes it requires: the form starts from three of them, which is \
                 at least as strict as the default.",
            );
            default_as_policy()
        }
    };
    let mut form = policy_form(&shown);
    if weaker {
        form = form.field(Field::checkbox(
            "Save this policy although it is weaker than the rules in force",
            WEAKER_OK,
            false,
        ));
    }
    policy = policy.form(form);
    if matches!(in_force, Applicable::Account(_)) {
        policy = policy.form(
            Form::post(
                "delete-policy",
                "/console/account/delete-password-policy",
                "Remove password policy",
            )
            .confirm(
                "Remove the password policy?",
                "password policy",
                "IAM's default rules apply instead: at least 8 characters with three of the \
                 four character classes; no expiry and no reuse rule.",
            ),
        );
    }
    built.section(policy)
}

fn alias_section(api: &AwsApi, c: &Console) -> Section {
    let alias = Section::new("alias", "Account alias");
    match iam(api, c, "ListAccountAliases", &[]) {
        Ok(reply) => match reply.values("member").into_iter().next() {
            Some(name) => alias.fact("Alias", &name).form(
                Form::post(
                    "delete-alias",
                    "/console/account/delete-alias",
                    "Remove alias",
                )
                .field(Field::hidden("alias", &name))
                .confirm(
                    &format!("Remove the alias {name}?"),
                    &name,
                    "The sign-in URL that names the account by this alias stops working; \
                     the one with the account id keeps working.",
                ),
            ),
            None => alias
                .line("The sign-in URL names the account by its id. An alias gives it a name.")
                .form(
                    Form::post("create-alias", "/console/account/create-alias", "Set alias").field(
                        Field::text("Alias", "alias")
                            .required()
                            .maxlength(63)
                            .pattern(
                                "[a-z0-9]([a-z0-9\\-]*[a-z0-9])?",
                                "lower case letters, digits and hyphens",
                            )
                            .hint(
                                "3 to 63 lower case letters, digits and hyphens, not all digits.",
                            ),
                    ),
                ),
        },
        Err(e) => alias.denied(super::explain(&e)),
    }
}

/// The rules in force: the account's policy, or IAM's default when it has none.
fn read_policy(api: &AwsApi, c: &Console) -> Result<Applicable, AwsError> {
    match iam(api, c, "GetAccountPasswordPolicy", &[]) {
        Ok(reply) => Ok(Applicable::Account(from_reply(&reply))),
        Err(e) if e.code() == "NoSuchEntity" => Ok(Applicable::Default),
        Err(e) => Err(e),
    }
}

fn from_reply(reply: &Reply) -> PasswordPolicy {
    let on = |tag: &str| reply.value(tag).as_deref() == Some("true");
    let number = |tag: &str| reply.value(tag).and_then(|v| v.parse().ok());
    PasswordPolicy {
        minimum_length: number("MinimumPasswordLength").unwrap_or(8),
        require_symbols: on("RequireSymbols"),
        require_numbers: on("RequireNumbers"),
        require_uppercase: on("RequireUppercaseCharacters"),
        require_lowercase: on("RequireLowercaseCharacters"),
        allow_users_to_change: on("AllowUsersToChangePassword"),
        max_age_days: number("MaxPasswordAge"),
        reuse_prevention: number("PasswordReusePrevention"),
        hard_expiry: on("HardExpiry"),
    }
}

/// What the form starts from while IAM's default applies: 8 characters and three classes.
fn default_as_policy() -> PasswordPolicy {
    PasswordPolicy {
        minimum_length: 8,
        require_symbols: false,
        require_numbers: true,
        require_uppercase: true,
        require_lowercase: true,
        allow_users_to_change: true,
        max_age_days: None,
        reuse_prevention: None,
        hard_expiry: false,
    }
}

/// The policy the form asks for; `None` when a number is not one (IAM then says why).
fn from_form(form: &HashMap<String, String>) -> Option<PasswordPolicy> {
    let optional = |name: &str| match field(form, name) {
        "" => Some(None),
        text => text.parse().ok().map(Some),
    };
    Some(PasswordPolicy {
        minimum_length: field(form, "min_length").parse().ok()?,
        require_symbols: form.contains_key("symbols"),
        require_numbers: form.contains_key("numbers"),
        require_uppercase: form.contains_key("upper"),
        require_lowercase: form.contains_key("lower"),
        allow_users_to_change: form.contains_key("allow_change"),
        max_age_days: optional("max_age")?,
        reuse_prevention: optional("reuse")?,
        hard_expiry: form.contains_key("hard_expiry"),
    })
}

fn policy_form(p: &PasswordPolicy) -> Form {
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    Form::post(
        POLICY_FORM,
        "/console/account/password-policy",
        "Save password policy",
    )
    .field(
        Field::number("Minimum length", "min_length")
            .value(&p.minimum_length.to_string())
            .required()
            .hint("6 to 128 characters."),
    )
    .field(Field::checkbox(
        "Require at least one uppercase letter",
        "upper",
        p.require_uppercase,
    ))
    .field(Field::checkbox(
        "Require at least one lowercase letter",
        "lower",
        p.require_lowercase,
    ))
    .field(Field::checkbox(
        "Require at least one number",
        "numbers",
        p.require_numbers,
    ))
    .field(Field::checkbox(
        "Require at least one symbol",
        "symbols",
        p.require_symbols,
    ))
    .field(Field::checkbox(
        "Allow users to change their own password",
        "allow_change",
        p.allow_users_to_change,
    ))
    .field(
        Field::number("Password expires after (days, empty: never)", "max_age")
            .value(&number(p.max_age_days))
            .hint("1 to 1095 days."),
    )
    .field(
        Field::number(
            "Prevent reuse of the last N passwords (empty: no rule)",
            "reuse",
        )
        .value(&number(p.reuse_prevention))
        .hint("1 to 24 passwords."),
    )
    .field(Field::checkbox(
        "Only an administrator can reset an expired password",
        "hard_expiry",
        p.hard_expiry,
    ))
}

pub async fn change_account(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    op: web::Path<String>,
) -> HttpResponse {
    let op = op.into_inner();
    let typed = form.clone();
    let kept = match op.as_str() {
        "create-alias" => "create-alias",
        _ => POLICY_FORM,
    };
    let policy = op == "password-policy";
    change(
        &req,
        &api,
        c,
        move |api, c| apply(api, c, &op, &form),
        move |api, c| {
            let weaker = policy && !weakened(api, c, &typed).is_empty();
            build(api, c, weaker).keep(kept, &typed)
        },
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
        "password-policy" => save_policy(api, c, form)?,
        _ => return Err(AwsError::invalid_action(op, "console").into()),
    };
    Ok(Done::new("/console/account", message))
}

/// How the posted policy would relax the rules in force (empty when it would not, or when the
/// form's numbers are not numbers and IAM will refuse it anyway).
fn weakened(api: &AwsApi, c: &Console, form: &HashMap<String, String>) -> Vec<String> {
    match (from_form(form), read_policy(api, c)) {
        (Some(new), Ok(in_force)) => password_policy::weakened(&in_force, &new),
        _ => Vec::new(),
    }
}

fn save_policy(
    api: &AwsApi,
    c: &Console,
    form: &HashMap<String, String>,
) -> Result<String, Refusal> {
    let weakened = weakened(api, c, form);
    if !weakened.is_empty() && !form.contains_key(WEAKER_OK) {
        return Err(AwsError::validation_error(format!(
            "This policy is weaker than the rules in force: {}. Nothing was saved; tick the box \
             below the form to save it anyway.",
            weakened.join("; ")
        ))
        .into());
    }
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
    iam(api, c, "UpdateAccountPasswordPolicy", &params)?;
    Ok("Password policy saved.".to_string())
}
