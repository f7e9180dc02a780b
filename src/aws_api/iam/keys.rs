//! Access key actions.

use super::{empty, opt, req, response, write};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::XmlResponse;
use crate::iam::access_keys::{self, KeyOwner};
use crate::secrets::ExposeSecret;

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    Some(match action {
        "CreateAccessKey" => create(env),
        "UpdateAccessKey" => update(env),
        "DeleteAccessKey" => delete(env),
        "ListAccessKeys" => list(env),
        "GetAccessKeyLastUsed" => last_used(env),
        _ => return None,
    })
}

/// The user a key call concerns: `UserName`, or else the caller itself (IAM's rule), and the
/// resource ARN to authorize against.
fn owner(env: &Env<'_>) -> Result<(KeyOwner, String), AwsError> {
    if let Some(name) = opt(env, "UserName") {
        let arn = super::users::resource(env, &name);
        return Ok((KeyOwner::User(name), arn));
    }
    match env.caller.iam_user() {
        Some((_, name)) => {
            let arn = super::users::resource(env, name);
            Ok((KeyOwner::User(name.to_string()), arn))
        }
        None if env.caller.is_root() => Ok((KeyOwner::Root, env.caller.arn())),
        None => Err(super::non_user_caller()),
    }
}

fn create(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let (owner, resource) = owner(env)?;
    env.authorize("iam:CreateAccessKey", &resource)?;
    let key = access_keys::create(env.ctx(), &env.call, &owner)?;
    let mut r = response("CreateAccessKey");
    r.body().element("AccessKey", |b| {
        b.opt_text("UserName", key.metadata.user_name.as_deref())
            .text("AccessKeyId", &key.metadata.id)
            .text("Status", &key.metadata.status)
            .text("SecretAccessKey", key.secret.expose_secret())
            .time("CreateDate", write::utc(key.metadata.created_at));
    });
    Ok(r)
}

fn update(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let (owner, resource) = owner(env)?;
    env.authorize("iam:UpdateAccessKey", &resource)?;
    access_keys::update_status(
        env.ctx(),
        &env.call,
        &owner,
        &req(env, "AccessKeyId")?,
        &req(env, "Status")?,
    )?;
    Ok(empty("UpdateAccessKey"))
}

fn delete(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let (owner, resource) = owner(env)?;
    env.authorize("iam:DeleteAccessKey", &resource)?;
    access_keys::delete(env.ctx(), &env.call, &owner, &req(env, "AccessKeyId")?)?;
    Ok(empty("DeleteAccessKey"))
}

fn list(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let (owner, resource) = owner(env)?;
    env.authorize("iam:ListAccessKeys", &resource)?;
    let keys = access_keys::list(env.ctx(), env.account(), &owner)?;
    let mut r = response("ListAccessKeys");
    let mut b = r.body();
    b.list("AccessKeyMetadata", &keys, |b, k| {
        b.opt_text("UserName", k.user_name.as_deref())
            .text("AccessKeyId", &k.id)
            .text("Status", &k.status)
            .time("CreateDate", write::utc(k.created_at));
    });
    b.bool("IsTruncated", false);
    if let KeyOwner::User(name) = &owner {
        b.text("UserName", name);
    }
    Ok(r)
}

fn last_used(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let id = req(env, "AccessKeyId")?;
    let found = env
        .ctx()
        .store
        .read(|conn| access_keys::lookup(conn, &id))
        .map_err(|e| AwsError::from(crate::iam::IamError::Storage(e)))?
        .filter(|(key, _)| key.account_id == env.account());
    let Some((key, user_name)) = found else {
        return Err(AwsError::no_such_entity(format!(
            "The Access Key with id {id} cannot be found."
        )));
    };
    let resource = match &user_name {
        Some(name) => super::users::resource(env, name),
        None => env.caller.arn(),
    };
    env.authorize("iam:GetAccessKeyLastUsed", &resource)?;
    let mut r = response("GetAccessKeyLastUsed");
    let mut b = r.body();
    b.opt_text("UserName", user_name.as_deref());
    b.element("AccessKeyLastUsed", |b| {
        b.opt_time("LastUsedDate", key.last_used_at.map(write::utc))
            .text(
                "ServiceName",
                key.last_used_service.as_deref().unwrap_or("N/A"),
            )
            .text("Region", key.last_used_region.as_deref().unwrap_or("N/A"));
    });
    Ok(r)
}
