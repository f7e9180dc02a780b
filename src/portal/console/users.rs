//! Users: the list (search, pages), creating one (with a console password), and a user's page.
//! Its sections (email address, groups, attached policies, access keys, console password, MFA
//! devices) are in `users/sections.rs`, the changes posted from it in `users/changes.rs`.

mod changes;
mod sections;

pub use changes::change_user;
pub use sections::attached_section;
use sections::{groups_section, keys_section, mfa_section, password_section, policies_section};

use super::lists::List;
use super::view::{Cell, Field, Form, Section, Table};
use super::{
    change, date, field, iam, picked, seg, show, Built, Console, Done, OnField, Posted, Refusal,
    HOME,
};
use crate::aws_api::endpoint::AwsApi;
use crate::iam::tables::{self, Sort};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
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

/// The users list's sortable columns and the filters it keeps in its links.
const COLUMNS: &[(usize, &str, Sort)] = &[
    (0, "name", Sort::Name),
    (4, "signin", Sort::LastUsed),
    (7, "created", Sort::Created),
];
const FILTERS: &[&str] = &["search", "path", "mfa"];

fn list_page(api: &AwsApi, c: &Console, query: &HashMap<String, String>) -> Built {
    let list = List::new("/console/users", query, FILTERS, COLUMNS);
    let built = Built::new("Users", &[HOME]);
    let filters = list.filters(
        "user-filters",
        "Find users by name",
        vec![
            list.text("Path starts with", "path"),
            list.select(
                "MFA",
                "mfa",
                &[("", "Any MFA"), ("without", "Console users without MFA")],
            ),
        ],
    );
    let section = Section::new("users", "").form(filters);
    let without_mfa = list.get("mfa") == "without";
    let account = c.acting.caller.account_id();
    let read = list.read(api, c, ("ListUsers", &[]), "users", |q| {
        tables::users::page(&api.ctx, account, q, without_mfa)
    });
    let (rows, total) = match read {
        Ok(found) => found,
        Err(why) => return built.section(section.denied(why)),
    };
    let now = api.ctx.clock.now_naive();
    let mut table = list.sortable(Table::new(
        "user-list",
        &[
            "User name",
            "Path",
            "Groups",
            "MFA",
            "Last sign-in",
            "Password age",
            "Access key age",
            "Created",
        ],
        "No users match.",
    ));
    for row in &rows {
        table.row(
            vec![
                Cell::link(&row.name, format!("/console/users/{}", seg(&row.name))),
                Cell::text(&row.path),
                Cell::text(row.groups.to_string()),
                Cell::text(match row.mfa_devices {
                    0 => "None".to_string(),
                    n => format!("{n} device{}", if n == 1 { "" } else { "s" }),
                }),
                Cell::text(row.last_sign_in.map_or("never".into(), |t| ago(now, t))),
                Cell::text(
                    row.password_changed_at
                        .map_or("none".into(), |t| age(now, t)),
                ),
                Cell::text(row.oldest_active_key.map_or("none".into(), |t| age(now, t))),
                Cell::text(row.created_at.format("%Y-%m-%d").to_string()),
            ],
            Vec::new(),
        );
    }
    let section = list.paged(section, table, rows.len(), total);
    built.section(section.link("Create user", "/console/create/user"))
}

/// How long ago, for a time in the past: "today", "3 days".
pub(super) fn age(now: NaiveDateTime, then: NaiveDateTime) -> String {
    match (now - then).num_days() {
        d if d < 1 => "today".into(),
        1 => "1 day".into(),
        d => format!("{d} days"),
    }
}

/// When something last happened: "today", "3 days ago".
pub(super) fn ago(now: NaiveDateTime, then: NaiveDateTime) -> String {
    match age(now, then).as_str() {
        "today" => "today".into(),
        days => format!("{days} ago"),
    }
}

/// The page that creates a user: name, path, console password, groups and policies, all
/// written in one transaction when the form is posted.
pub async fn new_user(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, create_page).await
}

fn create_page(api: &AwsApi, c: &Console) -> Built {
    let mut form = Form::post(CREATE_FORM, "/console/users", "Create user")
        .field(Field::text("User name", "name").iam_name(64))
        .field(
            Field::text("Path", "path")
                .value("/")
                .maxlength(512)
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
        ))
        .field(Field::checkbox(
            "Create an access key for the AWS CLI and SDKs (its secret is shown once)",
            "access_key",
            false,
        ));
    let groups = group_options(api, c, &[]);
    if !groups.is_empty() {
        form = form.field(
            Field::checklist("Add to groups", "group", groups)
                .hint("Optional: the user gets each group's permissions."),
        );
    }
    let policies = sections::policy_options(api, c, &[]);
    if !policies.is_empty() {
        form = form.field(
            Field::checklist("Attach policies directly", "policy", policies)
                .hint("Optional: AWS recommends granting through groups instead."),
        );
    }
    Built::new("Create user", &users_crumbs()).section(Section::new("create-user", "").form(form))
}

const CREATE_FORM: &str = "create-user-form";

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
        // One transaction (see `change`): a refused password, group or policy leaves no user.
        move |api, c| {
            let name = field(&form, "name");
            let path = field(&form, "path");
            let mut params = vec![("UserName", name)];
            if !path.is_empty() {
                params.push(("Path", path));
            }
            let field_of = |e: &crate::aws_api::error::AwsError| {
                if e.message().contains("path") {
                    "path"
                } else {
                    "name"
                }
            };
            if let Err(error) = iam(api, c, "CreateUser", &params) {
                let field = Some(field_of(&error).to_string());
                return Err(Refusal { error, field });
            }
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
                )
                .on_field("password")?;
            }
            for group in picked(&form, "group") {
                iam(
                    api,
                    c,
                    "AddUserToGroup",
                    &[("UserName", name), ("GroupName", group)],
                )
                .on_field("group")?;
            }
            for arn in picked(&form, "policy") {
                iam(
                    api,
                    c,
                    "AttachUserPolicy",
                    &[("UserName", name), ("PolicyArn", arn)],
                )
                .on_field("policy")?;
            }
            let done = Done::new(
                format!("/console/users/{}", seg(name)),
                format!("User {name} created."),
            );
            if !form.contains_key("access_key") {
                return Ok(done);
            }
            let key = iam(api, c, "CreateAccessKey", &[("UserName", name)])?;
            let id = key.value("AccessKeyId").unwrap_or_default();
            Ok(done
                .secret("Access key ID", id)
                .secret(
                    "Secret access key",
                    key.value("SecretAccessKey").unwrap_or_default(),
                )
                .download(format!("{name}_accessKeys.csv")))
        },
        move |api, c| create_page(api, c).keep(CREATE_FORM, &typed),
    )
    .await
}

/// The groups the caller may list, but for `except`, as picker options.
pub fn group_options(api: &AwsApi, c: &Console, except: &[String]) -> Vec<(String, String)> {
    let Ok(all) = iam(api, c, "ListGroups", &[("MaxItems", "1000")]) else {
        return Vec::new();
    };
    all.values("GroupName")
        .into_iter()
        .filter(|g| !except.contains(g))
        .map(|g| (g.clone(), g))
        .collect()
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
    detail_with(api, c, name, None)
}

/// The user's page; `email` is a refused email form to show again.
pub(super) fn detail_with(
    api: &AwsApi,
    c: &Console,
    name: &str,
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
    let boundary = user.value("PermissionsBoundaryArn");
    if let Some(boundary) = &boundary {
        summary = summary.fact("Permissions boundary", boundary);
    }
    Built::new(name, &crumbs)
        .section(summary)
        .section(super::user_email::section(api, c, name, &base, email))
        .section(super::permissions::section(
            api,
            c,
            "User",
            name,
            boundary.as_deref(),
        ))
        .section(super::tags::section(api, c, "users", name))
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
        .section(Section::new("delete", "Delete user").form(
            Form::post("delete-user", &format!("{base}/delete"), "Delete user").confirm(
                &format!("Delete user {name}?"),
                name,
                super::cascade::USER_LOSS,
            ),
        ))
}
