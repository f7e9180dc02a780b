//! Groups: the list, creating one, and a group's page: members, attached policies, deletion.

use super::lists::List;
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

pub async fn list(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let query = query.into_inner();
    show(&req, &api, c, move |api, c| list_page(api, c, &query)).await
}

/// The groups list's sortable columns and the filters it keeps in its links.
const COLUMNS: &[(usize, &str, Sort)] = &[(0, "name", Sort::Name), (4, "created", Sort::Created)];
const FILTERS: &[&str] = &["search", "path"];

fn list_page(api: &AwsApi, c: &Console, query: &HashMap<String, String>) -> Built {
    let list = List::new("/console/groups", query, FILTERS, COLUMNS);
    let filters = list.filters(
        "group-filters",
        "Find groups by name",
        vec![list.text("Path starts with", "path")],
    );
    let mut section = Section::new("groups", "User groups").form(filters);
    let account = c.acting.caller.account_id();
    let read = list.read(api, c, ("ListGroups", &[]), "groups", |q| {
        tables::groups::page(&api.ctx, account, q)
    });
    match read {
        Err(why) => section = section.denied(why),
        Ok((rows, total)) => {
            let mut table = list.sortable(Table::new(
                "group-list",
                &["Group name", "Path", "Users", "Policies", "Created"],
                "No groups match.",
            ));
            for g in &rows {
                table.row(
                    vec![
                        Cell::link(&g.name, format!("/console/groups/{}", seg(&g.name))),
                        Cell::text(&g.path),
                        Cell::text(g.users.to_string()),
                        Cell::text(g.policies.to_string()),
                        Cell::text(g.created_at.format("%Y-%m-%d").to_string()),
                    ],
                    Vec::new(),
                );
            }
            section = list.paged(section, table, rows.len(), total);
        }
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
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let name = name.into_inner();
    let find = field(&query, "find").to_string();
    show(&req, &api, c, move |api, c| {
        detail_page(api, c, &name, &find)
    })
    .await
}

/// Users offered by the "add users" picker at once; a search narrows a longer list.
const USERS_OFFERED: usize = 100;

/// The group's page; `find` narrows the users offered for adding.
fn detail_page(api: &AwsApi, c: &Console, name: &str, find: &str) -> Built {
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
        let remove = Form::post("", &format!("{base}/remove-user"), "Remove")
            .inline()
            .field(Field::hidden("user", &user))
            .confirm(
                &format!("Remove {user} from {name}?"),
                &user,
                &format!("{user} loses the permissions granted through {name}."),
            )
            .labelled(format!("Remove {user} from {name}"));
        table.row(
            vec![Cell::link(&user, format!("/console/users/{}", seg(&user)))],
            vec![remove],
        );
        in_group.push(user);
    }
    members = members.table(table);
    if let Ok(all) = iam(api, c, "ListUsers", &[("MaxItems", "1000")]) {
        let wanted = find.to_lowercase();
        let candidates: Vec<String> = all
            .values("UserName")
            .into_iter()
            .filter(|u| !in_group.contains(u) && super::found(u, &wanted))
            .collect();
        let more = candidates.len() > USERS_OFFERED;
        let options: Vec<(String, String)> = candidates
            .into_iter()
            .take(USERS_OFFERED)
            .map(|u| (u.clone(), u))
            .collect();
        members = members.form(
            Form::get("find-users", &base, "Find")
                .inline()
                .field(Field::text("Find users to add", "find").value(find)),
        );
        if !options.is_empty() {
            let hint = if more {
                format!("The first {USERS_OFFERED} users are listed: find narrows the list.")
            } else {
                String::new()
            };
            members = members.form(
                Form::post("add-user", &format!("{base}/add-user"), "Add users")
                    .field(Field::checklist("Users to add", "user", options).hint(&hint)),
            );
        }
    }
    Built::new(name, &crumbs)
        .section(summary)
        .section(members)
        .section(attached_section(api, c, "Group", name, &base))
        .section(Section::new("delete", "Delete group").form(
            Form::post("delete-group", &format!("{base}/delete"), "Delete group").confirm(
                &format!("Delete group {name}?"),
                name,
                super::cascade::GROUP_LOSS,
            ),
        ))
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
        move |api, c| detail_page(api, c, &name2, ""),
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
            super::cascade::delete_group(api, c, name)?;
            return Ok(Done::new(
                "/console/groups",
                format!("Group {name} deleted."),
            ));
        }
        "add-user" => {
            let users = chosen(form, "user", "user")?;
            for user in &users {
                iam(api, c, "AddUserToGroup", &[group, ("UserName", user)]).on_field("user")?;
            }
            format!("{} added to {name}.", users.join(", "))
        }
        "remove-user" => {
            iam(api, c, "RemoveUserFromGroup", &[group, ("UserName", user)])?;
            format!("{user} removed from {name}.")
        }
        "attach" => {
            let arns = chosen(form, "arn", "policy")?;
            for arn in &arns {
                iam(api, c, "AttachGroupPolicy", &[group, ("PolicyArn", arn)]).on_field("arn")?;
            }
            attached_message(&arns, name)
        }
        "detach" => {
            iam(api, c, "DetachGroupPolicy", &[group, ("PolicyArn", arn)])?;
            format!("Policy {} detached from {name}.", policy_name(arn))
        }
        _ => return Err(AwsError::invalid_action(op, "console").into()),
    };
    Ok(Done::new(format!("/console/groups/{}", seg(name)), done))
}
