//! Managed policies: the list (customer managed or AWS managed), the editor (the policy
//! engine's findings shown as the document is saved), a policy's page with its versions and
//! attachments, new versions, deletion.

use super::lists::List;
use super::view::{Cell, Field, Form, Section, Table};
use super::{
    change, field, iam, policy_name, read, seg, show, Built, Console, Done, OnField, Posted, HOME,
};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::iam::policies::Scope;
use crate::iam::tables::{self, Sort};
use crate::policy::{self, PolicyKind, Severity, ValidationLimit};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

const STARTER: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \
     \"Effect\": \"Allow\",\n      \"Action\": \"iam:Get*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";

/// The policy engine's findings on a document, one line each (the simulator and inline
/// policies show them too).
pub(super) fn findings(document: &str) -> (Vec<String>, bool) {
    let found = policy::validate(document, PolicyKind::Identity, ValidationLimit::Managed);
    let blocking = found.iter().any(|f| f.severity == Severity::Error);
    let lines = found
        .iter()
        .map(|f| {
            let level = if f.severity == Severity::Error {
                "Error"
            } else {
                "Warning"
            };
            match (f.statement, &f.sid) {
                (_, Some(sid)) => format!("{level} in statement {sid}: {}", f.message),
                (Some(i), None) => format!("{level} in statement {}: {}", i + 1, f.message),
                (None, None) => format!("{level}: {}", f.message),
            }
        })
        .collect();
    (lines, blocking)
}

/// The policies list's sortable columns and the filters it keeps in its links.
const COLUMNS: &[(usize, &str, Sort)] = &[(0, "name", Sort::Name), (4, "updated", Sort::Updated)];
const FILTERS: &[&str] = &["search", "scope"];

pub async fn list(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let scope = match field(&query, "scope") {
        "AWS" => "AWS",
        "All" => "All",
        _ => "Local",
    };
    let query = query.into_inner();
    show(&req, &api, c, move |api, c| {
        list_page(api, c, scope, None, &query)
    })
    .await
}

fn list_page(
    api: &AwsApi,
    c: &Console,
    scope: &str,
    form: Option<&HashMap<String, String>>,
    query: &HashMap<String, String>,
) -> Built {
    let list = List::new("/console/policies", query, FILTERS, COLUMNS);
    let filters = list.filters(
        "scope",
        "Find policies by name",
        vec![list
            .select(
                "Policies",
                "scope",
                &[
                    ("Local", "Customer managed"),
                    ("AWS", "AWS managed"),
                    ("All", "All"),
                ],
            )
            .value(scope)],
    );
    let mut section = Section::new("policies", "Policies").form(filters);
    let account = c.acting.caller.account_id();
    let owned = match scope {
        "AWS" => Scope::Aws,
        "All" => Scope::All,
        _ => Scope::Local,
    };
    let read = list.read(
        api,
        c,
        ("ListPolicies", &[("Scope", scope)]),
        "policies",
        |q| tables::policies::page(&api.ctx, account, owned, q),
    );
    match read {
        Err(why) => section = section.denied(why),
        Ok((rows, total)) => {
            let mut table = list.sortable(Table::new(
                "policy-list",
                &[
                    "Policy name",
                    "Type",
                    "Attached to",
                    "Description",
                    "Updated",
                ],
                "No policies match.",
            ));
            for p in &rows {
                table.row(
                    vec![
                        Cell::link(
                            &p.name,
                            format!("/console/policies/view?arn={}", seg(&p.arn)),
                        ),
                        Cell::text(if p.aws_managed {
                            "AWS managed"
                        } else {
                            "Customer managed"
                        }),
                        Cell::text(p.attachments.to_string()),
                        Cell::text(p.description.as_deref().unwrap_or_default()),
                        Cell::text(p.updated_at.format("%Y-%m-%d").to_string()),
                    ],
                    Vec::new(),
                );
            }
            section = list.paged(section, table, rows.len(), total);
        }
    }
    let value = |name: &str| form.and_then(|f| f.get(name)).cloned().unwrap_or_default();
    // A document from the policy generator opens here, with the engine's findings.
    let generated = query.get("document").filter(|d| !d.trim().is_empty());
    let document = match (form, generated) {
        (Some(_), _) => value("document"),
        (None, Some(d)) => d.clone(),
        (None, None) => STARTER.to_string(),
    };
    let mut create = Section::new("create-policy", "Create policy")
        .link("Generate a policy", "/console/policies/generate");
    if form.is_some() || generated.is_some() {
        create.lines = findings(&document).0;
    }
    create = create.form(
        Form::post("create-policy-form", "/console/policies", "Create policy")
            .field(
                Field::text("Policy name", "name")
                    .value(&value("name"))
                    .iam_name(128),
            )
            .field(Field::text("Description", "description").value(&value("description")))
            .field(
                Field::textarea("Policy document", "document")
                    .value(&document)
                    .required(),
            ),
    );
    Built::new("Policies", &[HOME])
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
            let document = form.get("document").map_or("", String::as_str);
            let (lines, blocking) = findings(document);
            if blocking {
                return Err(AwsError::malformed_policy_document(lines.join(" ")))
                    .on_field("document");
            }
            let mut params = vec![
                ("PolicyName", field(&form, "name")),
                ("PolicyDocument", document),
            ];
            if !field(&form, "description").is_empty() {
                params.push(("Description", field(&form, "description")));
            }
            let reply = iam(api, c, "CreatePolicy", &params)?;
            let arn = reply.value("Arn").unwrap_or_default();
            Ok(Done::new(
                format!("/console/policies/view?arn={}", seg(&arn)),
                format!("Policy {} created.", field(&form, "name")),
            ))
        },
        move |api, c| list_page(api, c, "Local", Some(&form2), &HashMap::new()),
    )
    .await
}

pub async fn detail(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let arn = field(&query, "arn").to_string();
    show(&req, &api, c, move |api, c| detail_page(api, c, &arn, None)).await
}

fn detail_page(api: &AwsApi, c: &Console, arn: &str, edited: Option<&str>) -> Built {
    let crumbs = [HOME, ("Policies", "/console/policies")];
    let policy = match iam(api, c, "GetPolicy", &[("PolicyArn", arn)]) {
        Ok(p) => p,
        Err(e) => return Built::new("Policy", &crumbs).failed(&e),
    };
    let name = policy.value("PolicyName").unwrap_or_default();
    let default_version = policy.value("DefaultVersionId").unwrap_or_default();
    let customer = !arn.starts_with("arn:aws:iam::aws:");
    let summary = Section::new("summary", "Summary")
        .fact("ARN", arn)
        .fact(
            "Description",
            policy.value("Description").unwrap_or_default(),
        )
        .fact("Default version", &default_version)
        .fact(
            "Attached to",
            policy.value("AttachmentCount").unwrap_or_default(),
        );
    let mut document = Section::new("document", "Policy document");
    if let Some(v) = read(
        api,
        c,
        "GetPolicyVersion",
        &[("PolicyArn", arn), ("VersionId", &default_version)],
        &mut document,
    ) {
        let text = v.value("Document").map(|d| {
            percent_encoding::percent_decode_str(&d)
                .decode_utf8_lossy()
                .to_string()
        });
        // Shown and edited as its author wrote it, as IAM keeps it.
        let text = text.unwrap_or_default();
        // What the checks say of the saved document (warnings: it was accepted), such as a
        // condition key its actions are never given.
        document.lines = findings(&text).0;
        document = document.code(text.clone());
        if customer {
            let body = edited.map_or(text, str::to_string);
            let mut edit = Section::new("edit", "Edit policy");
            if edited.is_some() {
                edit.lines = findings(&body).0;
            }
            let edit = edit.form(
                Form::post(
                    "new-version",
                    "/console/policies/change/version",
                    "Save as the new default version",
                )
                .field(Field::hidden("arn", arn))
                .field(
                    Field::textarea("Policy document", "document")
                        .value(&body)
                        .required(),
                ),
            );
            return finish(
                api,
                c,
                arn,
                &name,
                &crumbs,
                summary,
                document,
                Some(edit),
                customer,
            );
        }
    }
    finish(
        api, c, arn, &name, &crumbs, summary, document, None, customer,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    api: &AwsApi,
    c: &Console,
    arn: &str,
    name: &str,
    crumbs: &[(&str, &str)],
    summary: Section,
    document: Section,
    edit: Option<Section>,
    customer: bool,
) -> Built {
    let mut attached = Section::new("entities", "Attached to");
    if let Some(reply) = read(
        api,
        c,
        "ListEntitiesForPolicy",
        &[("PolicyArn", arn)],
        &mut attached,
    ) {
        let mut table = Table::new(
            "policy-entities",
            &["Kind", "Name"],
            "Not attached to anything.",
        );
        for (kind, tag, path) in [
            ("User", "UserName", "users"),
            ("Group", "GroupName", "groups"),
            ("Role", "RoleName", "roles"),
        ] {
            for entity in reply.values(tag) {
                table.row(
                    vec![
                        Cell::text(kind),
                        Cell::link(&entity, format!("/console/{path}/{}", seg(&entity))),
                    ],
                    Vec::new(),
                );
            }
        }
        attached = attached.table(table);
    }
    let mut built = Built::new(name, crumbs).section(summary).section(document);
    if let Some(edit) = edit {
        built = built.section(edit);
    }
    built = built.section(attached);
    if customer {
        built = built.section(versions_section(api, c, arn));
        built = built.section(super::tags::section(api, c, "policies", arn));
    }
    if customer {
        built = built.section(
            Section::new("delete", "Delete policy")
                .line("Detach it from every user, group and role first.")
                .form(
                    Form::post(
                        "delete-policy",
                        "/console/policies/change/delete",
                        "Delete policy",
                    )
                    .field(Field::hidden("arn", arn))
                    .confirm(
                        &format!("Delete policy {name}?"),
                        name,
                        "The policy and all of its versions are deleted.",
                    ),
                ),
        );
    }
    built
}

/// A customer managed policy's versions, newest first, each one viewable and any but the
/// default one made the default ("roll back" to an earlier document).
fn versions_section(api: &AwsApi, c: &Console, arn: &str) -> Section {
    let mut section = Section::new("versions", "Versions");
    let Some(reply) = read(
        api,
        c,
        "ListPolicyVersions",
        &[("PolicyArn", arn)],
        &mut section,
    ) else {
        return section;
    };
    let mut table = Table::new(
        "policy-versions",
        &["Version", "Default", "Created"],
        "No versions.",
    );
    for v in reply.items("member") {
        let id = v.value("VersionId").unwrap_or_default();
        let default = v.value("IsDefaultVersion").as_deref() == Some("true");
        let mut actions = Vec::new();
        if !default {
            actions.push(
                Form::post("", "/console/policies/change/default", "Make default")
                    .inline()
                    .field(Field::hidden("arn", arn))
                    .field(Field::hidden("version", &id))
                    .labelled(format!("Make version {id} the default")),
            );
        }
        table.row(
            vec![
                Cell::text(&id),
                Cell::text(if default { "Default" } else { "" }),
                Cell::text(super::date(&v.value("CreateDate").unwrap_or_default())),
            ],
            actions,
        );
    }
    section.table(table)
}

pub async fn change_policy(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    op: web::Path<String>,
) -> HttpResponse {
    let op = op.into_inner();
    let arn = field(&form, "arn").to_string();
    let edited = form.get("document").cloned();
    let arn2 = arn.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| match op.as_str() {
            "delete" => {
                // A policy's versions other than the default go first, as IAM asks.
                if let Ok(versions) = iam(api, c, "ListPolicyVersions", &[("PolicyArn", &arn)]) {
                    for v in versions.items("member") {
                        if v.value("IsDefaultVersion").as_deref() == Some("false") {
                            let id = v.value("VersionId").unwrap_or_default();
                            iam(
                                api,
                                c,
                                "DeletePolicyVersion",
                                &[("PolicyArn", &arn), ("VersionId", &id)],
                            )?;
                        }
                    }
                }
                iam(api, c, "DeletePolicy", &[("PolicyArn", &arn)])?;
                Ok(Done::new(
                    "/console/policies",
                    format!("Policy {} deleted.", policy_name(&arn)),
                ))
            }
            "version" => {
                let document = form.get("document").map_or("", String::as_str);
                let (lines, blocking) = findings(document);
                if blocking {
                    return Err(AwsError::malformed_policy_document(lines.join(" ")))
                        .on_field("document");
                }
                // IAM keeps five versions: the oldest non-default one makes room.
                if let Ok(versions) = iam(api, c, "ListPolicyVersions", &[("PolicyArn", &arn)]) {
                    let old: Vec<String> = versions
                        .items("member")
                        .into_iter()
                        .filter(|v| v.value("IsDefaultVersion").as_deref() == Some("false"))
                        .filter_map(|v| v.value("VersionId"))
                        .collect();
                    if old.len() >= 4 {
                        if let Some(oldest) = old.last() {
                            iam(
                                api,
                                c,
                                "DeletePolicyVersion",
                                &[("PolicyArn", &arn), ("VersionId", oldest)],
                            )?;
                        }
                    }
                }
                iam(
                    api,
                    c,
                    "CreatePolicyVersion",
                    &[
                        ("PolicyArn", &arn),
                        ("PolicyDocument", document),
                        ("SetAsDefault", "true"),
                    ],
                )?;
                Ok(Done::new(
                    format!("/console/policies/view?arn={}", seg(&arn)),
                    format!(
                        "Policy {} saved as a new default version.",
                        policy_name(&arn)
                    ),
                ))
            }
            "default" => {
                let version = field(&form, "version");
                iam(
                    api,
                    c,
                    "SetDefaultPolicyVersion",
                    &[("PolicyArn", &arn), ("VersionId", version)],
                )?;
                Ok(Done::new(
                    format!("/console/policies/view?arn={}", seg(&arn)),
                    format!(
                        "Version {version} is now the default of policy {}.",
                        policy_name(&arn)
                    ),
                ))
            }
            _ => Err(AwsError::invalid_action(&op, "console").into()),
        },
        move |api, c| detail_page(api, c, &arn2, edited.as_deref()),
    )
    .await
}
