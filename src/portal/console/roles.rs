//! Roles: the list, creating one with its trust policy, and a role's page: the trust policy
//! editor, attached policies, switching to it, deletion.

use super::lists::List;
use super::users::ago;
use super::users::attached_section;
use super::view::{Cell, Field, Form, Section, Table};
use super::{
    attached_message, change, chosen, date, field, iam, policy_name, seg, show, Built, Console,
    Done, OnField, Posted, Refusal, HOME,
};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::iam::tables::{self, Sort};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

/// A trust policy letting principals of this account (allowed by their own policies) assume
/// the role: the console's starting point, as AWS's "AWS account: this account".
fn default_trust(account: &str) -> String {
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \
         \"Principal\": {{ \"AWS\": \"arn:aws:iam::{account}:root\" }},\n      \
         \"Action\": \"sts:AssumeRole\"\n    }}\n  ]\n}}"
    )
}

/// The roles list's sortable columns and the filters it keeps in its links.
const COLUMNS: &[(usize, &str, Sort)] = &[
    (0, "name", Sort::Name),
    (3, "used", Sort::LastUsed),
    (4, "created", Sort::Created),
];
const FILTERS: &[&str] = &["search", "path"];

/// Whom a trust policy lets assume the role, in the words of AWS's roles list: "Account
/// 111122223333", "AWS service: ec2", "Identity provider: ...", "Anyone" (from the policy's
/// Allow statements; its conditions are on the role's page).
fn trusted(document: &str, own_account: &str) -> String {
    let Ok(policy) = serde_json::from_str::<serde_json::Value>(document) else {
        return String::new();
    };
    let statements = match &policy["Statement"] {
        serde_json::Value::Array(all) => all.clone(),
        one => vec![one.clone()],
    };
    let mut named: Vec<String> = Vec::new();
    let values = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        }
    };
    for statement in statements.iter().filter(|s| s["Effect"] == "Allow") {
        let principal = &statement["Principal"];
        if principal == "*" {
            named.push("Anyone".into());
            continue;
        }
        for aws in values(&principal["AWS"]) {
            let account = aws
                .strip_prefix("arn:aws:iam::")
                .and_then(|rest| rest.strip_suffix(":root"))
                .or_else(|| {
                    aws.chars()
                        .all(|c| c.is_ascii_digit())
                        .then_some(aws.as_str())
                });
            named.push(match account {
                Some(a) if a == own_account => "This account".into(),
                Some(a) => format!("Account {a}"),
                None if aws == "*" => "Anyone".into(),
                None => aws.clone(),
            });
        }
        for service in values(&principal["Service"]) {
            let short = service.strip_suffix(".amazonaws.com").unwrap_or(&service);
            named.push(format!("AWS service: {short}"));
        }
        for provider in values(&principal["Federated"]) {
            named.push(format!("Identity provider: {provider}"));
        }
    }
    named.dedup();
    named.join(", ")
}

pub async fn list(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let query = query.into_inner();
    show(&req, &api, c, move |api, c| list_page(api, c, None, &query)).await
}

fn list_page(
    api: &AwsApi,
    c: &Console,
    form: Option<&HashMap<String, String>>,
    query: &HashMap<String, String>,
) -> Built {
    let list = List::new("/console/roles", query, FILTERS, COLUMNS);
    let filters = list.filters(
        "role-filters",
        "Find roles by name",
        vec![list.text("Path starts with", "path")],
    );
    let mut section = Section::new("roles", "Roles").form(filters);
    let account = c.acting.caller.account_id();
    let read = list.read(api, c, ("ListRoles", &[]), "roles", |q| {
        tables::roles::page(&api.ctx, account, q)
    });
    match read {
        Err(why) => section = section.denied(why),
        Ok((rows, total)) => {
            let now = api.ctx.clock.now_naive();
            let mut table = list.sortable(Table::new(
                "role-list",
                &[
                    "Role name",
                    "Trusted entities",
                    "Description",
                    "Last activity",
                    "Created",
                ],
                "No roles match.",
            ));
            for r in &rows {
                table.row(
                    vec![
                        Cell::link(&r.name, format!("/console/roles/{}", seg(&r.name))),
                        Cell::text(trusted(&r.trust_policy, account)),
                        Cell::text(r.description.as_deref().unwrap_or_default()),
                        Cell::text(r.last_used_at.map_or("never".into(), |t| ago(now, t))),
                        Cell::text(r.created_at.format("%Y-%m-%d").to_string()),
                    ],
                    Vec::new(),
                );
            }
            section = list.paged(section, table, rows.len(), total);
        }
    }
    let value = |name: &str| form.map_or("", |f| field(f, name)).to_string();
    let trust = form
        .map(|f| f.get("trust").cloned().unwrap_or_default())
        .unwrap_or_else(|| default_trust(c.acting.caller.account_id()));
    let max_session = match value("max_session") {
        v if v.is_empty() => "3600".to_string(),
        v => v,
    };
    let create = Section::new("create-role", "Create role").form(
        Form::post("create-role-form", "/console/roles", "Create role")
            .field(
                Field::text("Role name", "name")
                    .value(&value("name"))
                    .iam_name(64),
            )
            .field(Field::text("Description", "description").value(&value("description")))
            .field(
                Field::number("Maximum session duration (seconds)", "max_session")
                    .value(&max_session),
            )
            .field(
                Field::textarea("Trust policy", "trust")
                    .value(&trust)
                    .required()
                    .hint("Who may assume the role (sts:AssumeRole), as an IAM policy document."),
            ),
    );
    Built::new("Roles", &[HOME])
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
            let trust = form.get("trust").map_or("", String::as_str);
            let mut params = vec![("RoleName", name), ("AssumeRolePolicyDocument", trust)];
            for (param, key) in [
                ("Description", "description"),
                ("MaxSessionDuration", "max_session"),
            ] {
                if !field(&form, key).is_empty() {
                    params.push((param, field(&form, key)));
                }
            }
            iam(api, c, "CreateRole", &params)?;
            Ok(Done::new(
                format!("/console/roles/{}", seg(name)),
                format!("Role {name} created."),
            ))
        },
        move |api, c| list_page(api, c, Some(&form2), &HashMap::new()),
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

fn detail_page(api: &AwsApi, c: &Console, name: &str, edited: Option<&str>) -> Built {
    let base = format!("/console/roles/{}", seg(name));
    let crumbs = [HOME, ("Roles", "/console/roles")];
    let role = match iam(api, c, "GetRole", &[("RoleName", name)]) {
        Ok(r) => r,
        Err(e) => return Built::new(name, &crumbs).failed(&e),
    };
    let arn = role.value("Arn").unwrap_or_default();
    let account = arn.split(':').nth(4).unwrap_or_default().to_string();
    let summary = Section::new("summary", "Summary")
        .fact("ARN", &arn)
        .fact("Description", role.value("Description").unwrap_or_default())
        .fact(
            "Maximum session",
            format!(
                "{} seconds",
                role.value("MaxSessionDuration").unwrap_or_default()
            ),
        )
        .fact(
            "Created",
            date(&role.value("CreateDate").unwrap_or_default()),
        )
        .fact(
            "Last used",
            role.value("LastUsedDate")
                .map_or("never".into(), |d| date(&d)),
        )
        .link(
            "Switch to this role",
            format!("/console/switch-role?account={account}&role={}", seg(name)),
        );
    let document = role
        .value("AssumeRolePolicyDocument")
        .map(|d| {
            percent_encoding::percent_decode_str(&d)
                .decode_utf8_lossy()
                .to_string()
        })
        .unwrap_or_default();
    let trust = Section::new("trust", "Trust policy").form(
        Form::post("trust-form", &format!("{base}/trust"), "Save trust policy").field(
            Field::textarea("Trust policy document", "document")
                .value(edited.unwrap_or(&document))
                .required(),
        ),
    );
    let settings = Section::new("settings", "Description and session length").form(
        Form::post("role-settings", &format!("{base}/settings"), "Save")
            .field(
                Field::text("Description", "description")
                    .value(&role.value("Description").unwrap_or_default())
                    .maxlength(1000),
            )
            .field(
                Field::number("Maximum session duration (seconds)", "max_session")
                    .value(&role.value("MaxSessionDuration").unwrap_or_default())
                    .required()
                    .hint("3600 (one hour) to 43200 (12 hours)."),
            ),
    );
    let boundary = role.value("PermissionsBoundaryArn");
    Built::new(name, &crumbs)
        .section(summary)
        .section(super::permissions::section(
            api,
            c,
            "Role",
            name,
            boundary.as_deref(),
        ))
        .section(trust)
        .section(settings)
        .section(super::tags::section(api, c, "roles", name))
        .section(attached_section(api, c, "Role", name, &base))
        .section(Section::new("delete", "Delete role").form(
            Form::post("delete-role", &format!("{base}/delete"), "Delete role").confirm(
                &format!("Delete role {name}?"),
                name,
                super::cascade::ROLE_LOSS,
            ),
        ))
}

pub async fn change_role(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (name, op) = path.into_inner();
    let (name2, edited) = (name.clone(), form.get("document").cloned());
    let kept = match op.as_str() {
        "trust" => "trust-form",
        "settings" => "role-settings",
        _ => "attach",
    };
    let typed = form.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| apply(api, c, &name, &op, &form),
        move |api, c| detail_page(api, c, &name2, edited.as_deref()).keep(kept, &typed),
    )
    .await
}

fn apply(
    api: &AwsApi,
    c: &Console,
    name: &str,
    op: &str,
    form: &HashMap<String, String>,
) -> Result<Done, Refusal> {
    let role = ("RoleName", name);
    let arn = field(form, "arn");
    let done = match op {
        "delete" => {
            super::cascade::delete_role(api, c, name)?;
            return Ok(Done::new("/console/roles", format!("Role {name} deleted.")));
        }
        "trust" => {
            let document = form.get("document").map_or("", String::as_str);
            iam(
                api,
                c,
                "UpdateAssumeRolePolicy",
                &[role, ("PolicyDocument", document)],
            )
            .on_field("document")?;
            format!("Trust policy of {name} saved.")
        }
        "settings" => {
            iam(
                api,
                c,
                "UpdateRole",
                &[
                    role,
                    ("Description", field(form, "description")),
                    ("MaxSessionDuration", field(form, "max_session")),
                ],
            )
            .on_field("max_session")?;
            format!("Role {name} saved.")
        }
        "attach" => {
            let arns = chosen(form, "arn", "policy")?;
            for arn in &arns {
                iam(api, c, "AttachRolePolicy", &[role, ("PolicyArn", arn)]).on_field("arn")?;
            }
            attached_message(&arns, name)
        }
        "detach" => {
            iam(api, c, "DetachRolePolicy", &[role, ("PolicyArn", arn)])?;
            format!("Policy {} detached from {name}.", policy_name(arn))
        }
        _ => return Err(AwsError::invalid_action(op, "console").into()),
    };
    Ok(Done::new(format!("/console/roles/{}", seg(name)), done))
}
