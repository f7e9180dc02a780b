//! An inline policy of a user, group or role: read, edited (`Put*Policy`) or deleted, at
//! `/console/inline/{users|groups|roles}/{owner}/{policy}`. The document is shown as its
//! author wrote it; the engine's warnings stay on the page after saving.

use super::view::{Field, Form, Section};
use super::{change, iam, seg, show, Built, Console, Done, OnField, Posted, Refusal, HOME};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use actix_web::{web, HttpRequest, HttpResponse};

/// IAM's name for the owner kind in a path: `User`, `Group` or `Role`.
fn kind_of(path_kind: &str) -> Option<&'static str> {
    match path_kind {
        "users" => Some("User"),
        "groups" => Some("Group"),
        "roles" => Some("Role"),
        _ => None,
    }
}

const FORM: &str = "inline-policy-form";

pub async fn page(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (kind, owner, policy) = path.into_inner();
    show(&req, &api, c, move |api, c| {
        build(api, c, &kind, &owner, &policy)
    })
    .await
}

fn build(api: &AwsApi, c: &Console, path_kind: &str, owner: &str, policy: &str) -> Built {
    let owner_page = format!("/console/{path_kind}/{}", seg(owner));
    let crumbs = [HOME, (owner, owner_page.as_str())];
    let title = format!("Inline policy {policy}");
    let Some(kind) = kind_of(path_kind) else {
        return Built::new(title, &crumbs).failed(&AwsError::invalid_action(path_kind, "console"));
    };
    let key = format!("{kind}Name");
    let reply = match iam(
        api,
        c,
        &format!("Get{kind}Policy"),
        &[(&key, owner), ("PolicyName", policy)],
    ) {
        Ok(reply) => reply,
        Err(e) => return Built::new(title, &crumbs).failed(&e),
    };
    let document = reply
        .value("PolicyDocument")
        .map(|d| {
            percent_encoding::percent_decode_str(&d)
                .decode_utf8_lossy()
                .to_string()
        })
        .unwrap_or_default();
    let base = format!("/console/inline/{path_kind}/{}/{}", seg(owner), seg(policy));
    let mut section = Section::new("document", "Policy document")
        .fact("Belongs to", format!("{kind} {owner}"))
        .form(
            Form::post(FORM, &format!("{base}/save"), "Save policy").field(
                Field::textarea("Policy document", "document")
                    .value(&document)
                    .required(),
            ),
        );
    for line in super::policies::findings(&document).0 {
        section = section.line(line);
    }
    let delete = Section::new("delete", "Delete inline policy").form(
        Form::post("delete-inline", &format!("{base}/delete"), "Delete policy").confirm(
            &format!("Delete inline policy {policy}?"),
            policy,
            &format!("{kind} {owner} loses the permissions this policy grants."),
        ),
    );
    Built::new(title, &crumbs).section(section).section(delete)
}

pub async fn change_inline(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String, String, String)>,
) -> HttpResponse {
    let (path_kind, owner, policy, op) = path.into_inner();
    let typed = form.clone();
    let (k2, o2, p2) = (path_kind.clone(), owner.clone(), policy.clone());
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let kind = kind_of(&path_kind)
                .ok_or_else(|| AwsError::invalid_action(&path_kind, "console"))?;
            let key = format!("{kind}Name");
            let who = (key.as_str(), owner.as_str());
            let owner_page = format!("/console/{path_kind}/{}", seg(&owner));
            match op.as_str() {
                "save" => {
                    let document = form.get("document").map_or("", String::as_str);
                    iam(
                        api,
                        c,
                        &format!("Put{kind}Policy"),
                        &[who, ("PolicyName", &policy), ("PolicyDocument", document)],
                    )
                    .on_field("document")?;
                    let here = format!(
                        "/console/inline/{path_kind}/{}/{}",
                        seg(&owner),
                        seg(&policy)
                    );
                    Ok(Done::new(here, format!("Inline policy {policy} saved.")))
                }
                "delete" => {
                    iam(
                        api,
                        c,
                        &format!("Delete{kind}Policy"),
                        &[who, ("PolicyName", &policy)],
                    )?;
                    Ok(Done::new(
                        owner_page,
                        format!("Inline policy {policy} deleted."),
                    ))
                }
                _ => Err(Refusal::from(AwsError::invalid_action(&op, "console"))),
            }
        },
        move |api, c| build(api, c, &k2, &o2, &p2).keep(FORM, &typed),
    )
    .await
}
