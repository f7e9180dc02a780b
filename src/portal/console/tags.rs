//! Tags of users, roles and policies, read and edited on their pages through IAM's own tag
//! actions (`List*Tags`, `Tag*`, `Untag*`). A user's `name` and `email` tags are called out:
//! they feed the OpenID Connect claims of the same names.

use super::view::{Cell, Field, Form, Section, Table};
use super::{change, field, iam, read, seg, Built, Console, Done, OnField, Posted, HOME};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use actix_web::{web, HttpRequest, HttpResponse};

/// What a kind of taggable thing is called in IAM's actions, and its parameter.
fn kind_of(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "users" => Some(("User", "UserName")),
        "roles" => Some(("Role", "RoleName")),
        "policies" => Some(("Policy", "PolicyArn")),
        _ => None,
    }
}

/// The page that shows `owner` (a user or role name, a policy ARN).
fn page_of(kind: &str, owner: &str) -> String {
    match kind {
        "policies" => format!("/console/policies/view?arn={}", seg(owner)),
        _ => format!("/console/{kind}/{}", seg(owner)),
    }
}

/// The tags section of the page of `owner` (`kind`: users, roles or policies).
pub fn section(api: &AwsApi, c: &Console, kind: &str, owner: &str) -> Section {
    let mut section = Section::new("tags", "Tags");
    let Some((what, param)) = kind_of(kind) else {
        return section;
    };
    if kind == "users" {
        section = section.line(
            "The tags name and email are the user's name and email address in the OpenID \
             Connect claims that applications receive.",
        );
    }
    let Some(reply) = read(
        api,
        c,
        &format!("List{what}Tags"),
        &[(param, owner)],
        &mut section,
    ) else {
        return section;
    };
    let action = |op: &str| format!("/console/tags/{kind}/{op}");
    let mut table = Table::new("tag-list", &["Key", "Value"], "No tags.");
    for tag in reply.items("member") {
        let (key, value) = (
            tag.value("Key").unwrap_or_default(),
            tag.value("Value").unwrap_or_default(),
        );
        let remove = Form::post("", &action("untag"), "Remove")
            .inline()
            .field(Field::hidden("owner", owner))
            .field(Field::hidden("key", &key))
            .confirm(
                &format!("Remove the tag {key}?"),
                &key,
                "Policies that test this tag stop matching it.",
            )
            .labelled(format!("Remove tag {key}"));
        table.row(vec![Cell::text(&key), Cell::text(&value)], vec![remove]);
    }
    section.table(table).form(
        Form::post(FORM, &action("tag"), "Add or change tag")
            .field(Field::hidden("owner", owner))
            .field(Field::text("Key", "key").required().maxlength(128))
            .field(Field::text("Value", "value").maxlength(256)),
    )
}

const FORM: &str = "tag-form";

pub async fn change_tags(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (kind, op) = path.into_inner();
    let owner = field(&form, "owner").to_string();
    let (kind2, owner2, typed) = (kind.clone(), owner.clone(), form.clone());
    change(
        &req,
        &api,
        c,
        move |api, c| {
            let (what, param) =
                kind_of(&kind).ok_or_else(|| AwsError::invalid_action(&kind, "console"))?;
            let key = field(&form, "key");
            let message = match op.as_str() {
                "tag" => {
                    iam(
                        api,
                        c,
                        &format!("Tag{what}"),
                        &[
                            (param, &owner),
                            ("Tags.member.1.Key", key),
                            ("Tags.member.1.Value", field(&form, "value")),
                        ],
                    )
                    .on_field("key")?;
                    format!("Tag {key} saved.")
                }
                "untag" => {
                    iam(
                        api,
                        c,
                        &format!("Untag{what}"),
                        &[(param, &owner), ("TagKeys.member.1", key)],
                    )?;
                    format!("Tag {key} removed.")
                }
                _ => return Err(AwsError::invalid_action(&op, "console").into()),
            };
            Ok(Done::new(page_of(&kind, &owner), message))
        },
        move |api, c| {
            let mut built = Built::new("Tags", &[HOME, ("Back", &page_of(&kind2, &owner2))])
                .section(section(api, c, &kind2, &owner2));
            built = built.keep(FORM, &typed);
            built
        },
    )
    .await
}
