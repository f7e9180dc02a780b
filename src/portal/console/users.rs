//! Users: the list (search, pages), creating one (with a console password), and a user's page:
//! email address, groups, attached policies, access keys, console password, MFA devices,
//! deletion.

use super::view::{Cell, Field, Form, Section, Table};
use super::{change, date, field, iam, read, seg, show, Built, Console, Posted, HOME};
use crate::authz::Caller;
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
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

fn new_key_section(name: &str, key: &NewKey) -> Section {
    let csv = format!(
        "Access key ID,Secret access key\n{},{}\n",
        key.id, key.secret
    );
    let href = format!(
        "data:text/csv;base64,{}",
        data_encoding::BASE64.encode(csv.as_bytes())
    );
    Section::new("new-key", "New access key")
        .line(
            "This is the only time the secret access key can be seen or downloaded. Keep it safe.",
        )
        .fact("Access key ID", &key.id)
        .fact("Secret access key", &key.secret)
        .link(&format!("Download {name}_accessKeys.csv"), href)
}

fn row_action(base: &str, op: &str, label: &str, fields: Vec<Field>, danger: bool) -> Form {
    let mut form = Form::post("", &format!("{base}/{op}"), label).inline();
    form.fields = fields;
    form.danger = danger;
    form
}

fn groups_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    let mut section = Section::new("groups", "Groups");
    let Some(reply) = read(
        api,
        c,
        "ListGroupsForUser",
        &[("UserName", name)],
        &mut section,
    ) else {
        return section;
    };
    let mut table = Table::new("user-groups", &["Group"], "Not in any group.");
    let mut member_of = Vec::new();
    for g in reply.items("member") {
        let group = g.value("GroupName").unwrap_or_default();
        table.row(
            vec![Cell::link(
                &group,
                format!("/console/groups/{}", seg(&group)),
            )],
            vec![row_action(
                base,
                "remove-from-group",
                "Remove",
                vec![Field::hidden("group", &group)],
                false,
            )],
        );
        member_of.push(group);
    }
    section = section.table(table);
    // Offer the groups the caller may list and the user is not in.
    if let Ok(all) = iam(api, c, "ListGroups", &[("MaxItems", "1000")]) {
        let options: Vec<(String, String)> = all
            .values("GroupName")
            .into_iter()
            .filter(|g| !member_of.contains(g))
            .map(|g| (g.clone(), g))
            .collect();
        if !options.is_empty() {
            section = section.form(
                Form::post(
                    "add-to-group",
                    &format!("{base}/add-to-group"),
                    "Add to group",
                )
                .inline()
                .field(Field::select("Group", "group", options)),
            );
        }
    }
    section
}

/// The customer managed and AWS managed policies the caller may list, for attach forms.
pub fn policy_options(api: &AwsApi, c: &Console, attached: &[String]) -> Vec<(String, String)> {
    let Ok(all) = iam(
        api,
        c,
        "ListPolicies",
        &[("MaxItems", "1000"), ("OnlyAttachable", "true")],
    ) else {
        return Vec::new();
    };
    all.items("member")
        .into_iter()
        .filter_map(|p| Some((p.value("Arn")?, p.value("PolicyName")?)))
        .filter(|(arn, _)| !attached.contains(arn))
        .collect()
}

/// The attached policies of a user, group or role (`kind`: User, Group, Role) with detach
/// actions and an attach form.
pub fn attached_section(api: &AwsApi, c: &Console, kind: &str, name: &str, base: &str) -> Section {
    let mut section = Section::new("policies", "Permissions policies");
    let key = format!("{kind}Name");
    let action = format!("ListAttached{kind}Policies");
    let Some(reply) = read(api, c, &action, &[(&key, name)], &mut section) else {
        return section;
    };
    let mut table = Table::new(
        "attached-policies",
        &["Policy", "ARN"],
        "No policy is attached.",
    );
    let mut arns = Vec::new();
    for p in reply.items("member") {
        let (policy, arn) = (
            p.value("PolicyName").unwrap_or_default(),
            p.value("PolicyArn").unwrap_or_default(),
        );
        table.row(
            vec![
                Cell::link(&policy, format!("/console/policies/view?arn={}", seg(&arn))),
                Cell::text(&arn),
            ],
            vec![row_action(
                base,
                "detach",
                "Detach",
                vec![Field::hidden("arn", &arn)],
                false,
            )],
        );
        arns.push(arn);
    }
    section = section.table(table);
    let options = policy_options(api, c, &arns);
    if !options.is_empty() {
        section = section.form(
            Form::post("attach", &format!("{base}/attach"), "Attach policy")
                .inline()
                .field(Field::select("Policy", "arn", options)),
        );
    }
    let inline_action = format!("List{kind}Policies");
    if let Ok(inline) = iam(api, c, &inline_action, &[(&key, name)]) {
        let names = inline.values("member");
        if !names.is_empty() {
            section = section.line(format!("Inline policies: {}", names.join(", ")));
        }
    }
    section
}

fn policies_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    attached_section(api, c, "User", name, base)
}

fn keys_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    let mut section = Section::new("access-keys", "Access keys");
    let Some(reply) = read(
        api,
        c,
        "ListAccessKeys",
        &[("UserName", name)],
        &mut section,
    ) else {
        return section;
    };
    let mut table = Table::new(
        "keys",
        &["Access key ID", "Status", "Created", "Last used"],
        "No access keys.",
    );
    for k in reply.items("member") {
        let id = k.value("AccessKeyId").unwrap_or_default();
        let status = k.value("Status").unwrap_or_default();
        let last = iam(api, c, "GetAccessKeyLastUsed", &[("AccessKeyId", &id)])
            .ok()
            .and_then(|r| r.value("LastUsedDate"))
            .map_or("never".into(), |d| date(&d));
        let flip = if status == "Active" {
            "Inactive"
        } else {
            "Active"
        };
        let flip_label = if status == "Active" {
            "Deactivate"
        } else {
            "Activate"
        };
        table.row(
            vec![
                Cell::text(&id),
                Cell::text(&status),
                Cell::text(date(&k.value("CreateDate").unwrap_or_default())),
                Cell::text(last),
            ],
            vec![
                row_action(
                    base,
                    "key-status",
                    flip_label,
                    vec![Field::hidden("key", &id), Field::hidden("status", flip)],
                    false,
                ),
                row_action(
                    base,
                    "delete-key",
                    "Delete",
                    vec![Field::hidden("key", &id)],
                    true,
                ),
            ],
        );
    }
    section.table(table).form(Form::post(
        "create-key",
        &format!("{base}/create-key"),
        "Create access key",
    ))
}

fn password_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    let section = Section::new("console-password", "Console password");
    let form = Form::post(
        "set-password",
        &format!("{base}/set-password"),
        "Set password",
    )
    .field(Field::password("New password", "password").required())
    .field(Field::checkbox(
        "The user must create a new password at the next sign-in",
        "reset",
        true,
    ));
    match iam(api, c, "GetLoginProfile", &[("UserName", name)]) {
        Ok(profile) => section
            .fact("Status", "Enabled")
            .fact(
                "Created",
                date(&profile.value("CreateDate").unwrap_or_default()),
            )
            .fact(
                "Must change at next sign-in",
                profile.value("PasswordResetRequired").unwrap_or_default(),
            )
            .form(form)
            .form(
                Form::post(
                    "delete-password",
                    &format!("{base}/delete-password"),
                    "Remove console password",
                )
                .danger(),
            ),
        Err(e) if e.code() == "NoSuchEntity" => section.fact("Status", "Disabled").form(form),
        Err(e) => section.denied(super::explain(&e)),
    }
}

fn mfa_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    let mut section = Section::new("mfa", "MFA devices");
    let Some(reply) = read(
        api,
        c,
        "ListMFADevices",
        &[("UserName", name)],
        &mut section,
    ) else {
        return section;
    };
    let mut table = Table::new("user-mfa", &["Serial number", "Enabled"], "No MFA device.");
    for d in reply.items("member") {
        let serial = d.value("SerialNumber").unwrap_or_default();
        table.row(
            vec![
                Cell::text(&serial),
                Cell::text(date(&d.value("EnableDate").unwrap_or_default())),
            ],
            vec![row_action(
                base,
                "deactivate-mfa",
                "Deactivate",
                vec![Field::hidden("serial", &serial)],
                true,
            )],
        );
    }
    section.table(table)
}

pub async fn change_user(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (name, op) = path.into_inner();
    if op == "create-key" {
        return create_key(&req, &api, c, name).await;
    }
    if op == "email" {
        return super::user_email::save(&req, &api, c, name, &form).await;
    }
    let (name2, name3) = (name.clone(), name.clone());
    change(
        &req,
        &api,
        c,
        move |api, c| apply(api, c, &name2, &op, &form),
        move |api, c| detail_page(api, c, &name3, None),
    )
    .await
}

fn apply(
    api: &AwsApi,
    c: &Console,
    name: &str,
    op: &str,
    form: &HashMap<String, String>,
) -> Result<String, AwsError> {
    let base = format!("/console/users/{}", seg(name));
    let user = ("UserName", name);
    let done = match op {
        "delete" => {
            iam(api, c, "DeleteUser", &[user])?;
            return Ok("/console/users?done=deleted".into());
        }
        "rename" => {
            let (new_name, new_path) = (field(form, "new_name"), field(form, "new_path"));
            let mut params = vec![user];
            if !new_name.is_empty() && new_name != name {
                params.push(("NewUserName", new_name));
            }
            if !new_path.is_empty() {
                params.push(("NewPath", new_path));
            }
            iam(api, c, "UpdateUser", &params)?;
            let shown = if new_name.is_empty() { name } else { new_name };
            return Ok(format!("/console/users/{}?done=updated", seg(shown)));
        }
        "add-to-group" => {
            iam(
                api,
                c,
                "AddUserToGroup",
                &[user, ("GroupName", field(form, "group"))],
            )?;
            "added"
        }
        "remove-from-group" => {
            iam(
                api,
                c,
                "RemoveUserFromGroup",
                &[user, ("GroupName", field(form, "group"))],
            )?;
            "removed"
        }
        "attach" => {
            iam(
                api,
                c,
                "AttachUserPolicy",
                &[user, ("PolicyArn", field(form, "arn"))],
            )?;
            "attached"
        }
        "detach" => {
            iam(
                api,
                c,
                "DetachUserPolicy",
                &[user, ("PolicyArn", field(form, "arn"))],
            )?;
            "detached"
        }
        "key-status" => {
            iam(
                api,
                c,
                "UpdateAccessKey",
                &[
                    user,
                    ("AccessKeyId", field(form, "key")),
                    ("Status", field(form, "status")),
                ],
            )?;
            "key-updated"
        }
        "delete-key" => {
            iam(
                api,
                c,
                "DeleteAccessKey",
                &[user, ("AccessKeyId", field(form, "key"))],
            )?;
            "key-deleted"
        }
        "set-password" => {
            let password = form.get("password").map_or("", String::as_str);
            let reset = if form.contains_key("reset") {
                "true"
            } else {
                "false"
            };
            let exists = iam(api, c, "GetLoginProfile", &[user]).is_ok();
            let action = if exists {
                "UpdateLoginProfile"
            } else {
                "CreateLoginProfile"
            };
            iam(
                api,
                c,
                action,
                &[
                    user,
                    ("Password", password),
                    ("PasswordResetRequired", reset),
                ],
            )?;
            "password-set"
        }
        "delete-password" => {
            iam(api, c, "DeleteLoginProfile", &[user])?;
            "password-deleted"
        }
        "deactivate-mfa" => {
            own_device_may_go(api, c, name)?;
            iam(
                api,
                c,
                "DeactivateMFADevice",
                &[user, ("SerialNumber", field(form, "serial"))],
            )?;
            "mfa-deactivated"
        }
        _ => return Err(AwsError::invalid_action(op, "console")),
    };
    Ok(format!("{base}?done={done}"))
}

/// The session's own device goes only after the password was entered in the last few minutes,
/// as under "Security credentials": a browser left signed in cannot strip its owner's MFA
/// here either. (Another user's device is administration, decided by IAM policy alone.)
fn own_device_may_go(api: &AwsApi, c: &Console, name: &str) -> Result<(), AwsError> {
    let own = matches!(&c.base, Caller::User { name: mine, .. } if mine.eq_ignore_ascii_case(name));
    if own && !c.session.recently_authenticated(api.ctx.clock.now_naive()) {
        return Err(AwsError::access_denied(
            "Enter your password again under Security credentials to deactivate your own device.",
        ));
    }
    Ok(())
}

/// Creates an access key and shows its secret once, on the user's page (never in a URL).
async fn create_key(
    req: &HttpRequest,
    api: &web::Data<AwsApi>,
    c: Console,
    name: String,
) -> HttpResponse {
    show(req, api, c, move |api, c| {
        match iam(api, c, "CreateAccessKey", &[("UserName", &name)]) {
            Ok(reply) => {
                let key = NewKey {
                    id: reply.value("AccessKeyId").unwrap_or_default(),
                    secret: reply.value("SecretAccessKey").unwrap_or_default(),
                };
                detail_page(api, c, &name, Some(&key))
            }
            Err(e) => {
                let mut built = detail_page(api, c, &name, None);
                built.error = Some(super::explain(&e));
                built.status = actix_web::http::StatusCode::from_u16(e.status())
                    .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
                built
            }
        }
    })
    .await
}
