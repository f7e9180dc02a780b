//! Role actions.

use super::{arn_in, authorize_create, empty, opt, page, req, response, write};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::XmlResponse;
use crate::iam::roles;
use crate::iam::tags::Taggable;

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    Some(match action {
        "CreateRole" => create(env),
        "GetRole" => get(env),
        "UpdateRole" => update(env, "UpdateRole"),
        "UpdateRoleDescription" => update(env, "UpdateRoleDescription"),
        "UpdateAssumeRolePolicy" => update_trust(env),
        "DeleteRole" => delete(env),
        "ListRoles" => list(env),
        _ => return None,
    })
}

pub fn resource(env: &Env<'_>, name: &str) -> String {
    match roles::get(env.ctx(), env.account(), name) {
        Ok(r) => r.arn,
        Err(_) => arn_in(env, "role", "/", name),
    }
}

fn duration(env: &Env<'_>) -> Result<Option<i32>, AwsError> {
    Ok(env
        .params
        .int("MaxSessionDuration", 0, i64::from(i32::MAX))?
        .and_then(|d| i32::try_from(d).ok()))
}

fn create(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "RoleName")?;
    let path = opt(env, "Path");
    let arn = arn_in(env, "role", path.as_deref().unwrap_or("/"), &name);
    let tags = authorize_create(env, "iam:CreateRole", Taggable::Role, &arn)?;
    let role = roles::create(
        env.ctx(),
        &env.call,
        roles::CreateRole {
            name,
            path,
            assume_role_policy: req(env, "AssumeRolePolicyDocument")?,
            description: opt(env, "Description"),
            max_session_duration: duration(env)?,
            permissions_boundary: opt(env, "PermissionsBoundary"),
            tags,
        },
    )?;
    let mut r = response("CreateRole");
    r.body().element("Role", |b| write::role(b, &role, false));
    Ok(r)
}

fn get(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "RoleName")?;
    let found = roles::get(env.ctx(), env.account(), &name);
    let resource = match &found {
        Ok(role) => role.arn.clone(),
        Err(_) => arn_in(env, "role", "/", &name),
    };
    env.authorize("iam:GetRole", &resource)?;
    let role = found?;
    let mut r = response("GetRole");
    r.body().element("Role", |b| write::role(b, &role, true));
    Ok(r)
}

fn update(env: &Env<'_>, action: &'static str) -> Result<XmlResponse, AwsError> {
    let name = req(env, "RoleName")?;
    env.authorize(&format!("iam:{action}"), &resource(env, &name))?;
    let description = if action == "UpdateRoleDescription" {
        Some(req(env, "Description")?)
    } else {
        opt(env, "Description")
    };
    let role = roles::update(
        env.ctx(),
        &env.call,
        action,
        &name,
        description.as_deref(),
        duration(env)?,
    )?;
    if action == "UpdateRoleDescription" {
        let mut r = response(action);
        r.body().element("Role", |b| write::role(b, &role, true));
        return Ok(r);
    }
    Ok(response(action))
}

fn update_trust(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "RoleName")?;
    env.authorize("iam:UpdateAssumeRolePolicy", &resource(env, &name))?;
    roles::update_assume_role_policy(env.ctx(), &env.call, &name, &req(env, "PolicyDocument")?)?;
    Ok(empty("UpdateAssumeRolePolicy"))
}

fn delete(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "RoleName")?;
    env.authorize("iam:DeleteRole", &resource(env, &name))?;
    roles::delete(env.ctx(), &env.call, &name)?;
    Ok(empty("DeleteRole"))
}

fn list(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:ListRoles", &arn_in(env, "role", "/", "*"))?;
    let page = roles::list(
        env.ctx(),
        env.account(),
        env.params.get("PathPrefix"),
        &page(env)?,
    )?;
    let mut r = response("ListRoles");
    let mut b = r.body();
    b.list("Roles", &page.items, |b, role| write::role(b, role, false));
    write::truncation(&mut b, &page);
    Ok(r)
}
