//! Users: the list (search, pages), creating one (with a console password), and a user's page.
//! Its sections (email address, groups, attached policies, access keys, console password, MFA
//! devices) are in `users/sections.rs`, the changes posted from it in `users/changes.rs`.

mod changes;
mod sections;

pub use changes::change_user;
pub use sections::attached_section;
use sections::{
    groups_section, keys_section, mfa_section, new_key_section, password_section, policies_section,
};

use super::view::{Cell, Field, Form, Section, Table};
use super::{change, date, field, iam, seg, show, Built, Console, Posted, HOME};
use crate::aws_api::endpoint::AwsApi;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

fn users_crumbs() -> [(&'static str, &'static str); 2] {
    [HOME, ("Users", "/console/users")]
}

pub async fn list(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let query = query.into_inner();
    show(&req, &api, c, move |api, c| list_page(api, c, &query)).await
}

fn list_page(api: &AwsApi, c: &Console, query: &HashMap<String, String>) -> Built {
    let (search, wanted) = super::search("/console/users", query, "Find users by name");
    let mut section = Section::new("users", "Users").form(search);
    if let Some(reply) = super::listing(
        api,
        c,
        "ListUsers",
        &[],
        "/console/users",
        query,
        &mut section,
    ) {
        let mut table = Table::new("user-list", &["User name", "Path", "Created"], "No users.");
        for member in reply.items("member") {
            let name = member.value("UserName").unwrap_or_default();
            if !super::found(&name, &wanted) {
                continue;
            }
            table.row(
                vec![
                    Cell::link(&name, format!("/console/users/{}", seg(&name))),
                    Cell::text(member.value("Path").unwrap_or_default()),
                    Cell::text(date(&member.value("CreateDate").unwrap_or_default())),
                ],
                Vec::new(),
            );
        }
        section = section.table(table);
    }
    let create = Section::new("create-user", "Create user").form(
        Form::post("create-user-form", "/console/users", "Create user")
            .field(Field::text("User name", "name").required())
            .field(
                Field::text("Path", "path")
                    .value("/")
                    .hint("Optional, such as /engineering/"),
            )
            .field(
                Field::password("Console password", "password")
                    .hint("Optional: lets the user sign in to this console."),
            )
            .field(Field::checkbox(
                "The user must create a new password at the next sign-in",
                "reset",
                true,
            )),
    );
    Built::new("Users", &[HOME])
        .section(section)
        .section(create)
}

pub async fn create(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
) -> HttpResponse {
    let form2 = form.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let name = field(&form, "name");
            let path = field(&form, "path");
            let mut params = vec![("UserName", name)];
            if !path.is_empty() {
                params.push(("Path", path));
            }
            iam(api, c, "CreateUser", &params)?;
            let password = form.get("password").map_or("", String::as_str);
            if !password.is_empty() {
                let reset = if form.contains_key("reset") {
                    "true"
                } else {
                    "false"
                };
                iam(
                    api,
                    c,
                    "CreateLoginProfile",
                    &[
                        ("UserName", name),
                        ("Password", password),
                        ("PasswordResetRequired", reset),
                    ],
                )?;
            }
            Ok(format!("/console/users/{}?done=created", seg(name)))
        },
        move |api, c| list_page(api, c, &form2),
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
    show(&req, &api, c, move |api, c| {
        detail_page(api, c, &name, None)
    })
    .await
}

/// A new access key's secret, shown once on the page that follows its creation.
pub struct NewKey {
    pub id: String,
    pub secret: String,
}

fn detail_page(api: &AwsApi, c: &Console, name: &str, new_key: Option<&NewKey>) -> Built {
    detail_with(api, c, name, new_key, None)
}

/// The user's page; `email` is a refused email form to show again.
pub(super) fn detail_with(
    api: &AwsApi,
    c: &Console,
    name: &str,
    new_key: Option<&NewKey>,
    email: Option<&super::user_email::Typed>,
) -> Built {
    let base = format!("/console/users/{}", seg(name));
    let crumbs = users_crumbs();
    let user = match iam(api, c, "GetUser", &[("UserName", name)]) {
        Ok(u) => u,
        Err(e) => return Built::new(name, &crumbs).failed(&e),
    };
    let mut summary = Section::new("summary", "Summary")
        .fact("ARN", user.value("Arn").unwrap_or_default())
        .fact("Path", user.value("Path").unwrap_or_default())
        .fact(
            "Created",
            date(&user.value("CreateDate").unwrap_or_default()),
        )
        .fact(
            "Console password last used",
            user.value("PasswordLastUsed")
                .map_or("never".into(), |d| date(&d)),
        );
    if let Some(boundary) = user.value("PermissionsBoundaryArn") {
        summary = summary.fact("Permissions boundary", boundary);
    }
    let mut built = Built::new(name, &crumbs).section(summary);
    if let Some(key) = new_key {
        built = built.section(new_key_section(name, key));
    }
    built
        .section(super::user_email::section(api, c, name, &base, email))
        .section(groups_section(api, c, name, &base))
        .section(policies_section(api, c, name, &base))
        .section(keys_section(api, c, name, &base))
        .section(password_section(api, c, name, &base))
        .section(mfa_section(api, c, name, &base))
        .section(
            Section::new("rename", "Name and path").form(
                Form::post("rename-user", &format!("{base}/rename"), "Save")
                    .field(Field::text("User name", "new_name").value(name).required())
                    .field(
                        Field::text("Path", "new_path")
                            .value(&user.value("Path").unwrap_or_default()),
                    ),
            ),
        )
        .section(
            Section::new("delete", "Delete user")
                .line("Remove the user's keys, password, devices, groups and policies first.")
                .form(Form::post("delete-user", &format!("{base}/delete"), "Delete user").danger()),
        )
}
