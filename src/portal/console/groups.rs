//! Groups: the list, creating one, and a group's page: members, attached policies, deletion.

use super::users::attached_section;
use super::view::{Cell, Field, Form, Section, Table};
use super::{
    change, date, field, iam, policy_name, seg, show, Built, Console, Done, OnField, Posted,
    Refusal, HOME,
};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

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
    let (search, wanted) = super::search("/console/groups", query, "Find groups by name");
    let mut section = Section::new("groups", "User groups").form(search);
    if let Some(reply) = super::listing(
        api,
        c,
        "ListGroups",
        &[],
        "/console/groups",
        query,
        &mut section,
    ) {
        let mut table = Table::new(
            "group-list",
            &["Group name", "Path", "Created"],
            "No groups.",
        );
        for g in reply.items("member") {
            let name = g.value("GroupName").unwrap_or_default();
            if !super::found(&name, &wanted) {
                continue;
            }
            table.row(
                vec![
                    Cell::link(&name, format!("/console/groups/{}", seg(&name))),
                    Cell::text(g.value("Path").unwrap_or_default()),
                    Cell::text(date(&g.value("CreateDate").unwrap_or_default())),
                ],
                Vec::new(),
            );
        }
        section = section.table(table);
    }
    Built::new("User groups", &[HOME]).section(section).section(
        Section::new("create-group", "Create group").form(
            Form::post("create-group-form", "/console/groups", "Create group")
                .field(Field::text("Group name", "name").iam_name(128))
                .field(Field::text("Path", "path").value("/")),
        ),
    )
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
            let name = field(&form, "name");
            let path = field(&form, "path");
            let mut params = vec![("GroupName", name)];
            if !path.is_empty() {
                params.push(("Path", path));
            }
            iam(api, c, "CreateGroup", &params).on_field("name")?;
            Ok(Done::new(
                format!("/console/groups/{}", seg(name)),
                format!("Group {name} created."),
            ))
        },
        move |api, c| list_page(api, c, &HashMap::new()).keep("create-group-form", &typed),
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
    let base = format!("/console/groups/{}", seg(name));
    let crumbs = [HOME, ("User groups", "/console/groups")];
    let group = match iam(api, c, "GetGroup", &[("GroupName", name)]) {
        Ok(g) => g,
        Err(e) => return Built::new(name, &crumbs).failed(&e),
    };
    let header = group
        .items("Group")
        .into_iter()
        .next()
        .unwrap_or(group.clone());
    let summary = Section::new("summary", "Summary")
        .fact("ARN", header.value("Arn").unwrap_or_default())
        .fact(
            "Created",
            date(&header.value("CreateDate").unwrap_or_default()),
        );
    let mut members = Section::new("members", "Users in this group");
    let mut table = Table::new("group-members", &["User"], "No users.");
    let mut in_group = Vec::new();
    for u in group
        .items("Users")
        .into_iter()
        .flat_map(|users| users.items("member"))
    {
        let user = u.value("UserName").unwrap_or_default();
        let mut remove = Form::post("", &format!("{base}/remove-user"), "Remove").inline();
        remove.fields.push(Field::hidden("user", &user));
        table.row(
            vec![Cell::link(&user, format!("/console/users/{}", seg(&user)))],
            vec![remove],
        );
        in_group.push(user);
    }
    members = members.table(table);
    if let Ok(all) = iam(api, c, "ListUsers", &[("MaxItems", "1000")]) {
        let options: Vec<(String, String)> = all
            .values("UserName")
            .into_iter()
            .filter(|u| !in_group.contains(u))
            .map(|u| (u.clone(), u))
            .collect();
        if !options.is_empty() {
            members = members.form(
                Form::post("add-user", &format!("{base}/add-user"), "Add user")
                    .inline()
                    .field(Field::select("User", "user", options)),
            );
        }
    }
    Built::new(name, &crumbs)
        .section(summary)
        .section(members)
        .section(attached_section(api, c, "Group", name, &base))
        .section(
            Section::new("delete", "Delete group")
                .line("Remove the group's users and policies first.")
                .form(
                    Form::post("delete-group", &format!("{base}/delete"), "Delete group").confirm(
                        &format!("Delete group {name}?"),
                        name,
                        "The group goes; its members lose the permissions they had through it.",
                    ),
                ),
        )
}

pub async fn change_group(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (name, op) = path.into_inner();
    let name2 = name.clone();
    change(
        &req,
        &api,
        c,
        move |api, c| apply(api, c, &name, &op, &form),
        move |api, c| detail_page(api, c, &name2),
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
    let group = ("GroupName", name);
    let (user, arn) = (field(form, "user"), field(form, "arn"));
    let done = match op {
        "delete" => {
            iam(api, c, "DeleteGroup", &[group])?;
            return Ok(Done::new(
                "/console/groups",
                format!("Group {name} deleted."),
            ));
        }
        "add-user" => {
            iam(api, c, "AddUserToGroup", &[group, ("UserName", user)])?;
            format!("{user} added to {name}.")
        }
        "remove-user" => {
            iam(api, c, "RemoveUserFromGroup", &[group, ("UserName", user)])?;
            format!("{user} removed from {name}.")
        }
        "attach" => {
            iam(api, c, "AttachGroupPolicy", &[group, ("PolicyArn", arn)])?;
            format!("Policy {} attached to {name}.", policy_name(arn))
        }
        "detach" => {
            iam(api, c, "DetachGroupPolicy", &[group, ("PolicyArn", arn)])?;
            format!("Policy {} detached from {name}.", policy_name(arn))
        }
        _ => return Err(AwsError::invalid_action(op, "console").into()),
    };
    Ok(Done::new(format!("/console/groups/{}", seg(name)), done))
}
