//! User actions.

use super::{arn_in, authorize_create, empty, opt, page, req, response, write};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::XmlResponse;
use crate::iam::tags::Taggable;
use crate::iam::users;

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    Some(match action {
        "CreateUser" => create(env),
        "GetUser" => get(env),
        "UpdateUser" => update(env),
        "DeleteUser" => delete(env),
        "ListUsers" => list(env),
        _ => return None,
    })
}

/// The ARN of the named user (with its path when it exists), for authorization.
pub fn resource(env: &Env<'_>, name: &str) -> String {
    match users::get(env.ctx(), env.account(), name) {
        Ok(u) => u.arn,
        Err(_) => arn_in(env, "user", "/", name),
    }
}

fn create(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "UserName")?;
    let path = opt(env, "Path");
    let arn = arn_in(env, "user", path.as_deref().unwrap_or("/"), &name);
    let tags = authorize_create(env, "iam:CreateUser", Taggable::User, &arn)?;
    let user = users::create(
        env.ctx(),
        &env.call,
        users::CreateUser {
            name,
            path,
            permissions_boundary: opt(env, "PermissionsBoundary"),
            tags,
        },
    )?;
    let mut r = response("CreateUser");
    r.body().element("User", |b| write::user(b, &user));
    Ok(r)
}

fn get(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = match (opt(env, "UserName"), env.caller.iam_user()) {
        (Some(name), _) => name,
        (None, Some((_, name))) => name.to_string(),
        (None, None) if !env.caller.is_root() => return Err(super::non_user_caller()),
        (None, None) => {
            let account_id = env.account();
            // The root user: IAM answers with the account's root identity.
            env.authorize("iam:GetUser", &env.caller.arn())?;
            let mut r = response("GetUser");
            r.body().element("User", |b| {
                b.text("UserId", account_id)
                    .text("Arn", &env.caller.arn())
                    .time("CreateDate", env.facts.now);
            });
            return Ok(r);
        }
    };
    // One read serves both the authorization (the user's ARN has its path) and the answer;
    // a missing user is still authorized first, so that existence is not revealed.
    let found = users::get(env.ctx(), env.account(), &name);
    let resource = match &found {
        Ok(user) => user.arn.clone(),
        Err(_) => arn_in(env, "user", "/", &name),
    };
    env.authorize("iam:GetUser", &resource)?;
    let user = found?;
    let mut r = response("GetUser");
    r.body().element("User", |b| write::user(b, &user));
    Ok(r)
}

/// Renames or moves a user. As in IAM, the caller needs `iam:UpdateUser` on the user as it is
/// and on the user as it will be (new name, new path), so that a delegate limited to a path
/// cannot move users out of it, or rename one to a name it does not manage.
fn update(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "UserName")?;
    let new_name = opt(env, "NewUserName");
    let new_path = opt(env, "NewPath");
    let (path, current) = match users::get(env.ctx(), env.account(), &name) {
        Ok(user) => (user.path, user.name),
        Err(_) => ("/".to_string(), name.clone()),
    };
    let source = arn_in(env, "user", &path, &current);
    env.authorize("iam:UpdateUser", &source)?;
    let target = arn_in(
        env,
        "user",
        new_path.as_deref().unwrap_or(&path),
        new_name.as_deref().unwrap_or(&current),
    );
    if target != source {
        env.authorize("iam:UpdateUser", &target)?;
    }
    users::update(env.ctx(), &env.call, &name, new_name, new_path)?;
    Ok(empty("UpdateUser"))
}

fn delete(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "UserName")?;
    env.authorize("iam:DeleteUser", &resource(env, &name))?;
    users::delete(env.ctx(), &env.call, &name)?;
    Ok(empty("DeleteUser"))
}

fn list(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:ListUsers", &arn_in(env, "user", "/", "*"))?;
    let page = users::list(
        env.ctx(),
        env.account(),
        env.params.get("PathPrefix"),
        &page(env)?,
    )?;
    let mut r = response("ListUsers");
    let mut b = r.body();
    b.list("Users", &page.items, write::user);
    write::truncation(&mut b, &page);
    Ok(r)
}
