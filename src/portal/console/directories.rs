//! Directories in the console: the account's Active Directory and LDAP servers, registered,
//! edited and removed with IAM's authorization (`keyward:CreateDirectory`, `GetDirectory`,
//! `ListDirectories`, `UpdateDirectory`, `DeleteDirectory` on the directory's ARN,
//! `arn:aws:iam::<account>:directory/<name>`), each change audited by `iam::directories`. A
//! directory's page also lists its people's Keyward MFA devices, each person's reset with
//! `keyward:ResetDirectoryUserMFA` (a lost phone: they enrol again at their next sign-in).

use super::view::{Cell, Field, Form, Section, Table};
use super::{change, field, seg, show, Built, Console, Done, OnField, Posted, Refusal, HOME};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::iam::directories::{self, Directory, Registration};
use crate::iam::Call;
use crate::secrets::SecretString;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::{BTreeMap, HashMap};

const LIST: &str = "/console/directories";
const CRUMB: (&str, &str) = ("Directories", LIST);

/// `keyward:<action>` allowed for the acting caller on the directory `name` (`*` for none).
fn authorized(
    api: &AwsApi,
    c: &Console,
    action: &str,
    name: Option<&str>,
) -> Result<Call, AwsError> {
    let account = c.acting.caller.account_id();
    let resource = name.map_or_else(|| "*".to_string(), |n| directories::arn(account, n));
    super::keyward_action(api, c, action, &resource)
}

pub async fn list(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, list_page).await
}

fn options(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect()
}

fn attributes_text(d: &Directory) -> String {
    d.attributes
        .iter()
        .map(|(k, a)| format!("{k}={a}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The form's fields, filled from `directory` when editing.
fn fields(mut form: Form, directory: Option<&Directory>) -> Form {
    let text = |get: fn(&Directory) -> String, default: &str| {
        directory.map_or_else(|| default.to_string(), get)
    };
    form = form
        .field(
            Field::text("URL", "url")
                .value(&text(|d| d.url.clone(), ""))
                .required()
                .maxlength(512)
                .hint("ldaps://dc.example.com, or ldap://ldap.example.com with StartTLS."),
        )
        .field(
            Field::select(
                "Security",
                "tls",
                options(&[
                    ("", "From the URL (ldaps: TLS; ldap: StartTLS)"),
                    ("ldaps", "LDAPS"),
                    ("starttls", "StartTLS"),
                    ("none", "None (test setting only)"),
                ]),
            )
            .value(&text(|d| d.tls_mode.name().to_string(), "")),
        )
        .field(
            Field::textarea("CA certificate (PEM)", "ca_certificate")
                .value(&text(|d| d.ca_certificate.clone(), ""))
                .maxlength(20_000)
                .hint("Empty: the system's roots."),
        )
        .field(
            Field::text("Service account", "bind_dn")
                .value(&text(|d| d.bind_dn.clone(), ""))
                .required()
                .maxlength(1024)
                .hint("The DN (or user@domain on Active Directory) that searches."),
        );
    let password = Field::password("Service account password", "bind_password").maxlength(1024);
    form = form.field(match directory {
        None => password.required(),
        Some(_) => password.hint("Leave empty to keep the current password."),
    });
    form.field(
        Field::text("Base DN", "base_dn")
            .value(&text(|d| d.base_dn.clone(), ""))
            .required()
            .maxlength(1024),
    )
    .field(
        Field::text("User name attribute", "user_attribute")
            .value(&text(|d| d.user_attribute.clone(), directories::DEFAULT_USER_ATTRIBUTE))
            .required()
            .maxlength(64)
            .hint("sAMAccountName or userPrincipalName on Active Directory, uid on OpenLDAP."),
    )
    .field(
        Field::text("User filter", "user_filter")
            .value(&text(|d| d.user_filter.clone(), directories::DEFAULT_USER_FILTER))
            .required()
            .maxlength(1024),
    )
    .field(
        Field::select(
            "Groups",
            "groups",
            options(&[
                ("nested", "Nested (Active Directory's in-chain membership)"),
                ("member", "By member (OpenLDAP groupOfNames)"),
            ]),
        )
        .value(&text(|d| d.group_mode.name().to_string(), "nested")),
    )
    .field(
        Field::textarea("Mapped attributes", "attributes")
            .value(&text(attributes_text, ""))
            .maxlength(4000)
            .hint("One per line, KEY=attribute (email=mail): the trust key ldap:KEY and a session tag."),
    )
    .field(
        Field::number("Timeout (seconds)", "timeout_seconds")
            .value(&text(|d| d.timeout_seconds.to_string(), "5")),
    )
    .field(Field::checkbox(
        "Require Keyward MFA on top of the directory password",
        "require_mfa",
        directory.is_some_and(|d| d.require_mfa),
    ))
}

fn list_page(api: &AwsApi, c: &Console) -> Built {
    let mut section = Section::new("directories", "Directories").line(
        "People of these directories sign in with their directory password and get role \
         credentials from their groups; trust policies name a directory by its ARN.",
    );
    let account = c.acting.caller.account_id().to_string();
    match authorized(api, c, "ListDirectories", None)
        .and_then(|_| directories::list(&api.ctx, &account).map_err(AwsError::from))
    {
        Ok(all) => {
            let mut table = Table::new(
                "directory-list",
                &["Name", "URL", "Groups", "ARN"],
                "No directory is registered.",
            );
            for d in &all {
                table.row(
                    vec![
                        Cell::link(&d.name, format!("{LIST}/{}", seg(&d.name))),
                        Cell::text(&d.url),
                        Cell::text(d.group_mode.name()),
                        Cell::text(d.arn()),
                    ],
                    Vec::new(),
                );
            }
            section = section.table(table);
        }
        Err(e) => section.denied = super::explain(&e),
    }
    let create = Section::new("create", "Register a directory").form(fields(
        Form::post("create-directory-form", LIST, "Register directory").field(
            Field::text("Name", "name")
                .required()
                .maxlength(64)
                .pattern("[A-Za-z0-9._\\-]{1,64}", "letters, digits, '.', '_' or '-'"),
        ),
        None,
    ));
    Built::new("Directories", &[HOME])
        .section(section)
        .section(create)
}

fn opt(form: &HashMap<String, String>, name: &str) -> Option<String> {
    Some(field(form, name).trim().to_string()).filter(|v| !v.is_empty())
}

/// What the form asks for (an empty password keeps the stored one).
fn registration_of(form: &HashMap<String, String>) -> Result<Registration, Refusal> {
    let mut attributes = BTreeMap::new();
    for line in field(form, "attributes")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let (key, attribute) = line
            .split_once('=')
            .ok_or_else(|| AwsError::validation_error(format!("{line}: write KEY=attribute")))
            .on_field("attributes")?;
        attributes.insert(key.trim().to_string(), attribute.trim().to_string());
    }
    let timeout = field(form, "timeout_seconds")
        .trim()
        .parse::<i32>()
        .map_err(|_| AwsError::validation_error("The timeout must be a number of seconds."))
        .on_field("timeout_seconds")?;
    Ok(Registration {
        url: Some(field(form, "url").to_string()),
        tls_mode: opt(form, "tls"),
        ca_certificate: Some(field(form, "ca_certificate").to_string()),
        bind_dn: Some(field(form, "bind_dn").to_string()),
        bind_password: opt(form, "bind_password").map(SecretString::from),
        base_dn: Some(field(form, "base_dn").to_string()),
        user_attribute: Some(field(form, "user_attribute").trim().to_string()),
        user_filter: Some(field(form, "user_filter").to_string()),
        group_mode: Some(field(form, "groups").to_string()),
        attributes: Some(attributes),
        require_mfa: Some(field(form, "require_mfa") == "true"),
        timeout_seconds: Some(timeout),
    })
}

/// The field a refusal is about, from its words.
fn refused(error: crate::iam::IamError) -> Refusal {
    let error = AwsError::from(error);
    let message = error.message().to_lowercase();
    let field = [
        ("url", "url"),
        ("tls mode", "tls"),
        ("ca certificate", "ca_certificate"),
        ("bind dn", "bind_dn"),
        ("bind password", "bind_password"),
        ("base dn", "base_dn"),
        ("user attribute", "user_attribute"),
        ("user filter", "user_filter"),
        ("group mode", "groups"),
        ("attributes", "attributes"),
        ("timeout", "timeout_seconds"),
        ("directory name", "name"),
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
            let call = authorized(api, c, "CreateDirectory", Some(&name))?;
            let registration = registration_of(&form)?;
            directories::create(&api.ctx, &call, &name, &registration).map_err(refused)?;
            Ok(Done::new(
                format!("{LIST}/{}", seg(&name)),
                format!("Directory {name} registered."),
            ))
        },
        move |api, c| {
            let mut typed = typed;
            typed.remove("bind_password");
            list_page(api, c).keep("create-directory-form", &typed)
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
    let directory = match authorized(api, c, "GetDirectory", Some(name))
        .and_then(|_| directories::get(&api.ctx, &account, name).map_err(AwsError::from))
    {
        Ok(d) => d,
        Err(e) => return Built::new(name, &crumbs).failed(&e),
    };
    let base = format!("{LIST}/{}", seg(name));
    let summary = Section::new("summary", "Directory")
        .fact("ARN", directory.arn())
        .fact(
            "URL",
            format!("{} ({})", directory.url, directory.tls_mode.name()),
        )
        .fact("Base DN", &directory.base_dn)
        .fact(
            "Created",
            super::date(&directory.created_at.and_utc().to_rfc3339()),
        );
    let edit = Section::new("edit", "Edit directory").form(fields(
        Form::post(
            "edit-directory-form",
            &format!("{base}/edit"),
            "Save changes",
        ),
        Some(&directory),
    ));
    Built::new(name, &crumbs)
        .section(summary)
        .section(edit)
        .section(devices_section(api, &directory, &base))
        .section(
            Section::new("delete", "Delete directory").form(
                Form::post(
                    "delete-directory",
                    &format!("{base}/delete"),
                    "Delete directory",
                )
                .confirm(
                    &format!("Delete directory {name}?"),
                    name,
                    "Nobody can sign in with it any more; sessions and credentials it gave keep \
                 working until they end.",
                ),
            ),
        )
}

/// The Keyward MFA devices of the directory's people, each person with a reset.
fn devices_section(api: &AwsApi, directory: &Directory, base: &str) -> Section {
    let section = Section::new("mfa-devices", "Keyward MFA devices of its people");
    let devices = match crate::iam::mfa::external_devices(
        &api.ctx,
        &directory.account_id,
        &directory.arn(),
    ) {
        Ok(devices) => devices,
        Err(e) => return section.denied(e.to_string()),
    };
    let mut table = Table::new(
        "mfa-device-list",
        &["Person", "Device", "Added", "Last used"],
        "Nobody has enrolled a device.",
    );
    for (i, d) in devices.iter().enumerate() {
        // One reset per person, on their first row.
        let first = i == 0 || devices[i - 1].subject != d.subject;
        let reset = Form::post("", &format!("{base}/reset-mfa"), "Reset")
            .field(Field::hidden("user_dn", &d.subject))
            .inline()
            .danger();
        let when = |t: Option<chrono::NaiveDateTime>| {
            t.map_or_else(
                || "never".to_string(),
                |t| super::date(&t.and_utc().to_rfc3339()),
            )
        };
        let kind = if d.device.kind == "totp" {
            "authenticator app"
        } else {
            "security key"
        };
        table.row(
            vec![
                Cell::text(&d.subject),
                Cell::text(format!("{} ({kind})", d.device.name)),
                Cell::text(when(d.device.enabled_at)),
                Cell::text(when(d.device.last_used_at)),
            ],
            if first { vec![reset] } else { Vec::new() },
        );
    }
    section
        .line(if directory.require_mfa {
            "This directory requires Keyward MFA: its people enrol a device at their first \
             sign-in. A reset removes a person's devices; they enrol again at their next."
        } else {
            "This directory does not require Keyward MFA now: these devices are not asked for."
        })
        .table(table)
}

/// `POST /console/directories/{name}/reset-mfa` (user_dn)
pub async fn reset_mfa(
    req: HttpRequest,
    Posted(c, form): Posted,
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
            let call = authorized(api, c, "ResetDirectoryUserMFA", Some(&name))?;
            let dn = field(&form, "user_dn");
            directories::reset_mfa(&api.ctx, &call, &name, dn).map_err(refused)?;
            Ok(Done::new(
                format!("{LIST}/{}", seg(&name)),
                format!("The MFA devices of {dn} were removed."),
            ))
        },
        move |api, c| detail_page(api, c, &again),
    )
    .await
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
            let call = authorized(api, c, "UpdateDirectory", Some(&name))?;
            let registration = registration_of(&form)?;
            directories::update(&api.ctx, &call, &name, &registration).map_err(refused)?;
            Ok(Done::new(
                format!("{LIST}/{}", seg(&name)),
                format!("Directory {name} saved."),
            ))
        },
        move |api, c| {
            let mut typed = typed;
            typed.remove("bind_password");
            detail_page(api, c, &again).keep("edit-directory-form", &typed)
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
            let call = authorized(api, c, "DeleteDirectory", Some(&name))?;
            directories::delete(&api.ctx, &call, &name).map_err(refused)?;
            Ok(Done::new(LIST, format!("Directory {name} deleted.")))
        },
        move |api, c| detail_page(api, c, &again),
    )
    .await
}
