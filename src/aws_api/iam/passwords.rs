//! Login profiles, the account password policy and ChangePassword.

use super::{empty, req, response, write};
use crate::auth::password_policy::PasswordPolicy;
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::XmlResponse;
use crate::iam::passwords;
use crate::secrets::SecretString;

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    Some(match action {
        "CreateLoginProfile" => create(env),
        "GetLoginProfile" => get(env),
        "UpdateLoginProfile" => update(env),
        "DeleteLoginProfile" => delete(env),
        "ChangePassword" => change(env),
        "GetAccountPasswordPolicy" => get_policy(env),
        "UpdateAccountPasswordPolicy" => update_policy(env),
        "DeleteAccountPasswordPolicy" => delete_policy(env),
        _ => return None,
    })
}

fn secret(env: &Env<'_>, name: &str) -> Result<SecretString, AwsError> {
    Ok(SecretString::from(req(env, name)?))
}

fn create(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = req(env, "UserName")?;
    env.authorize(
        "iam:CreateLoginProfile",
        &super::users::resource(env, &user),
    )?;
    let reset = env.params.bool("PasswordResetRequired")?.unwrap_or(false);
    let profile = passwords::create_profile(
        env.ctx(),
        &env.call,
        &user,
        &secret(env, "Password")?,
        reset,
    )?;
    let mut r = response("CreateLoginProfile");
    r.body().element("LoginProfile", |b| {
        b.text("UserName", &profile.user_name)
            .time("CreateDate", write::utc(profile.created_at))
            .bool("PasswordResetRequired", profile.password_reset_required);
    });
    Ok(r)
}

fn get(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = req(env, "UserName")?;
    env.authorize("iam:GetLoginProfile", &super::users::resource(env, &user))?;
    let profile = passwords::get_profile(env.ctx(), env.account(), &user)?;
    let mut r = response("GetLoginProfile");
    r.body().element("LoginProfile", |b| {
        b.text("UserName", &profile.user_name)
            .time("CreateDate", write::utc(profile.created_at))
            .bool("PasswordResetRequired", profile.password_reset_required);
    });
    Ok(r)
}

fn update(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = req(env, "UserName")?;
    env.authorize(
        "iam:UpdateLoginProfile",
        &super::users::resource(env, &user),
    )?;
    let new = env
        .params
        .get("Password")
        .map(|p| SecretString::from(p.to_string()));
    let reset = env.params.bool("PasswordResetRequired")?;
    passwords::update_profile(env.ctx(), &env.call, &user, new.as_ref(), reset)?;
    Ok(empty("UpdateLoginProfile"))
}

fn delete(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = req(env, "UserName")?;
    env.authorize(
        "iam:DeleteLoginProfile",
        &super::users::resource(env, &user),
    )?;
    passwords::delete_profile(env.ctx(), &env.call, &user)?;
    Ok(empty("DeleteLoginProfile"))
}

/// IAM: any user may change its own password when the account policy allows users to;
/// otherwise it needs `iam:ChangePassword` on itself. The root user has no such call.
fn change(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let Some((user_id, _)) = env.caller.iam_user() else {
        return Err(AwsError::sender(
            "InvalidUserType",
            400,
            "Only IAM users can change their password with this call.",
        ));
    };
    if !passwords::users_may_change(env.ctx(), env.account())? {
        env.authorize("iam:ChangePassword", &env.caller.arn())?;
    }
    let old = secret(env, "OldPassword")?;
    let new = secret(env, "NewPassword")?;
    passwords::change_own(env.ctx(), &env.call, user_id, &old, &new, None)?;
    Ok(empty("ChangePassword"))
}

fn get_policy(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:GetAccountPasswordPolicy", "*")?;
    let p = passwords::get_policy(env.ctx(), env.account())?;
    let mut r = response("GetAccountPasswordPolicy");
    r.body().element("PasswordPolicy", |b| {
        b.int("MinimumPasswordLength", i64::from(p.minimum_length))
            .bool("RequireSymbols", p.require_symbols)
            .bool("RequireNumbers", p.require_numbers)
            .bool("RequireUppercaseCharacters", p.require_uppercase)
            .bool("RequireLowercaseCharacters", p.require_lowercase)
            .bool("AllowUsersToChangePassword", p.allow_users_to_change)
            .bool("ExpirePasswords", p.max_age_days.is_some())
            .opt_int("MaxPasswordAge", p.max_age_days.map(i64::from))
            .opt_int("PasswordReusePrevention", p.reuse_prevention.map(i64::from))
            .bool("HardExpiry", p.hard_expiry);
    });
    Ok(r)
}

fn update_policy(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:UpdateAccountPasswordPolicy", "*")?;
    let flag = |name: &str| env.params.bool(name).map(|b| b.unwrap_or(false));
    let number = |name: &str| -> Result<Option<u32>, AwsError> {
        Ok(env
            .params
            .int(name, 0, i64::from(u32::MAX))?
            .and_then(|v| u32::try_from(v).ok()))
    };
    let policy = PasswordPolicy {
        minimum_length: number("MinimumPasswordLength")?.unwrap_or(8),
        require_symbols: flag("RequireSymbols")?,
        require_numbers: flag("RequireNumbers")?,
        require_uppercase: flag("RequireUppercaseCharacters")?,
        require_lowercase: flag("RequireLowercaseCharacters")?,
        allow_users_to_change: flag("AllowUsersToChangePassword")?,
        max_age_days: number("MaxPasswordAge")?,
        reuse_prevention: number("PasswordReusePrevention")?,
        hard_expiry: flag("HardExpiry")?,
    };
    passwords::update_policy(env.ctx(), &env.call, &policy)?;
    Ok(empty("UpdateAccountPasswordPolicy"))
}

fn delete_policy(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:DeleteAccountPasswordPolicy", "*")?;
    passwords::delete_policy(env.ctx(), &env.call)?;
    Ok(empty("DeleteAccountPasswordPolicy"))
}
