//! Group actions.

use super::{arn_in, empty, opt, page, req, response, write};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::XmlResponse;
use crate::iam::groups;

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    Some(match action {
        "CreateGroup" => create(env),
        "GetGroup" => get(env),
        "UpdateGroup" => update(env),
        "DeleteGroup" => delete(env),
        "ListGroups" => list(env),
        "AddUserToGroup" => add_user(env),
        "RemoveUserFromGroup" => remove_user(env),
        "ListGroupsForUser" => for_user(env),
        _ => return None,
    })
}

pub fn resource(env: &Env<'_>, name: &str) -> String {
    let found = env
        .ctx()
        .store
        .read(|conn| groups::find(conn, env.account(), name));
    match found {
        Ok(g) => groups::group_arn(&g),
        Err(_) => arn_in(env, "group", "/", name),
    }
}

fn create(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "GroupName")?;
    let path = opt(env, "Path");
    env.authorize(
        "iam:CreateGroup",
        &arn_in(env, "group", path.as_deref().unwrap_or("/"), &name),
    )?;
    let group = groups::create(env.ctx(), &env.call, &name, path.as_deref())?;
    let mut r = response("CreateGroup");
    r.body().element("Group", |b| write::group(b, &group));
    Ok(r)
}

fn get(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "GroupName")?;
    env.authorize("iam:GetGroup", &resource(env, &name))?;
    let (group, members) = groups::get(env.ctx(), env.account(), &name, &page(env)?)?;
    let mut r = response("GetGroup");
    let mut b = r.body();
    b.element("Group", |b| write::group(b, &group));
    b.list("Users", &members.items, write::user);
    write::truncation(&mut b, &members);
    Ok(r)
}

/// Renames or moves a group; like UpdateUser, authorized on the group as it is and as it will
/// be (IAM checks both, so a path-limited delegate cannot move a group out of its path).
fn update(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "GroupName")?;
    let found = env
        .ctx()
        .store
        .read(|conn| groups::find(conn, env.account(), &name));
    let (path, current) = match found {
        Ok(group) => (group.path, group.name),
        Err(_) => ("/".to_string(), name.clone()),
    };
    let source = arn_in(env, "group", &path, &current);
    env.authorize("iam:UpdateGroup", &source)?;
    let target = arn_in(
        env,
        "group",
        env.params.get("NewPath").unwrap_or(&path),
        env.params.get("NewGroupName").unwrap_or(&current),
    );
    if target != source {
        env.authorize("iam:UpdateGroup", &target)?;
    }
    groups::update(
        env.ctx(),
        &env.call,
        &name,
        env.params.get("NewGroupName"),
        env.params.get("NewPath"),
    )?;
    Ok(empty("UpdateGroup"))
}

fn delete(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "GroupName")?;
    env.authorize("iam:DeleteGroup", &resource(env, &name))?;
    groups::delete(env.ctx(), &env.call, &name)?;
    Ok(empty("DeleteGroup"))
}

fn list(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:ListGroups", &arn_in(env, "group", "/", "*"))?;
    let page = groups::list(
        env.ctx(),
        env.account(),
        env.params.get("PathPrefix"),
        &page(env)?,
    )?;
    let mut r = response("ListGroups");
    let mut b = r.body();
    b.list("Groups", &page.items, write::group);
    write::truncation(&mut b, &page);
    Ok(r)
}

fn add_user(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let group = req(env, "GroupName")?;
    let user = req(env, "UserName")?;
    env.authorize("iam:AddUserToGroup", &resource(env, &group))?;
    groups::add_user(env.ctx(), &env.call, &group, &user)?;
    Ok(empty("AddUserToGroup"))
}

fn remove_user(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let group = req(env, "GroupName")?;
    let user = req(env, "UserName")?;
    env.authorize("iam:RemoveUserFromGroup", &resource(env, &group))?;
    groups::remove_user(env.ctx(), &env.call, &group, &user)?;
    Ok(empty("RemoveUserFromGroup"))
}

fn for_user(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = req(env, "UserName")?;
    env.authorize("iam:ListGroupsForUser", &super::users::resource(env, &user))?;
    let page = groups::list_for_user(env.ctx(), env.account(), &user, &page(env)?)?;
    let mut r = response("ListGroupsForUser");
    let mut b = r.body();
    b.list("Groups", &page.items, write::group);
    write::truncation(&mut b, &page);
    Ok(r)
}
