//! The forms posted on a user's page: each change applied through the IAM API, the session's
//! own MFA device guarded by a recent password, a new access key shown once.

use super::detail_page;
use crate::authz::Caller;
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::portal::console::{
    attached_message, change, chosen, field, iam, policy_name, seg, Console, Done, OnField, Posted,
    Refusal,
};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

pub async fn change_user(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (name, op) = path.into_inner();
    if op == "email" {
        return crate::portal::console::user_email::save(&req, &api, c, name, &form).await;
    }
    let (name2, name3) = (name.clone(), name.clone());
    change(
        &req,
        &api,
        c,
        move |api, c| apply(api, c, &name2, &op, &form),
        move |api, c| detail_page(api, c, &name3),
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
    let base = format!("/console/users/{}", seg(name));
    let user = ("UserName", name);
    let (group, arn, key) = (field(form, "group"), field(form, "arn"), field(form, "key"));
    let done = match op {
        "delete" => {
            crate::portal::console::cascade::delete_user(api, c, name)?;
            return Ok(Done::new("/console/users", format!("User {name} deleted.")));
        }
        "rename" => {
            let (new_name, new_path) = (field(form, "new_name"), field(form, "new_path"));
            let mut params = vec![user];
            if !new_name.is_empty() && new_name != name {
                params.push(("NewUserName", new_name));
            }
            if !new_path.is_empty() {
                params.push(("NewPath", new_path));
            }
            iam(api, c, "UpdateUser", &params).on_field("new_name")?;
            let shown = if new_name.is_empty() { name } else { new_name };
            return Ok(Done::new(
                format!("/console/users/{}", seg(shown)),
                format!("User {shown} saved."),
            ));
        }
        "add-to-group" => {
            let groups = chosen(form, "group", "group")?;
            for group in &groups {
                iam(api, c, "AddUserToGroup", &[user, ("GroupName", group)]).on_field("group")?;
            }
            format!("{name} added to {}.", groups.join(", "))
        }
        "remove-from-group" => {
            iam(api, c, "RemoveUserFromGroup", &[user, ("GroupName", group)])?;
            format!("{name} removed from {group}.")
        }
        "attach" => {
            let arns = chosen(form, "arn", "policy")?;
            for arn in &arns {
                iam(api, c, "AttachUserPolicy", &[user, ("PolicyArn", arn)]).on_field("arn")?;
            }
            attached_message(&arns, name)
        }
        "detach" => {
            iam(api, c, "DetachUserPolicy", &[user, ("PolicyArn", arn)])?;
            format!("Policy {} detached from {name}.", policy_name(arn))
        }
        "key-status" => {
            iam(
                api,
                c,
                "UpdateAccessKey",
                &[
                    user,
                    ("AccessKeyId", key),
                    ("Status", field(form, "status")),
                ],
            )?;
            format!(
                "Access key {key} is now {}.",
                field(form, "status").to_lowercase()
            )
        }
        "delete-key" => {
            iam(api, c, "DeleteAccessKey", &[user, ("AccessKeyId", key)])?;
            format!("Access key {key} deleted.")
        }
        "set-password" => {
            let password = form.get("password").map_or("", String::as_str);
            let reset = if form.contains_key("reset") {
                "true"
            } else {
                "false"
            };
            let exists = iam(api, c, "GetLoginProfile", &[user]).is_ok();
            let action = if exists {
                "UpdateLoginProfile"
            } else {
                "CreateLoginProfile"
            };
            iam(
                api,
                c,
                action,
                &[
                    user,
                    ("Password", password),
                    ("PasswordResetRequired", reset),
                ],
            )
            .on_field("password")?;
            format!("Console password of {name} set.")
        }
        "create-key" => {
            let reply = iam(api, c, "CreateAccessKey", &[user])?;
            let id = reply.value("AccessKeyId").unwrap_or_default();
            return Ok(
                Done::new(base, format!("Access key {id} created for {name}."))
                    .secret("Access key ID", id)
                    .secret(
                        "Secret access key",
                        reply.value("SecretAccessKey").unwrap_or_default(),
                    )
                    .download(format!("{name}_accessKeys.csv")),
            );
        }
        "unlock" => {
            let user_arn = iam(api, c, "GetUser", &[user])?
                .value("Arn")
                .unwrap_or_default();
            crate::portal::console::lockout::unlock(api, c, name, &user_arn)?;
            format!("Sign-in of {name} unlocked.")
        }
        "delete-password" => {
            iam(api, c, "DeleteLoginProfile", &[user])?;
            format!("Console password of {name} removed.")
        }
        "deactivate-mfa" => {
            own_device_may_go(api, c, name)?;
            iam(
                api,
                c,
                "DeactivateMFADevice",
                &[user, ("SerialNumber", field(form, "serial"))],
            )?;
            format!("MFA device {} deactivated.", field(form, "serial"))
        }
        _ => return Err(AwsError::invalid_action(op, "console").into()),
    };
    Ok(Done::new(base, done))
}

/// The session's own device goes only after the password was entered in the last few minutes,
/// as under "Security credentials": a browser left signed in cannot strip its owner's MFA
/// here either. (Another user's device is administration, decided by IAM policy alone.)
fn own_device_may_go(api: &AwsApi, c: &Console, name: &str) -> Result<(), AwsError> {
    let own = matches!(&c.base, Caller::User { name: mine, .. } if mine.eq_ignore_ascii_case(name));
    if own && !c.session.recently_authenticated(api.ctx.clock.now_naive()) {
        return Err(AwsError::access_denied(
            "Enter your password again under Security credentials to deactivate your own device.",
        ));
    }
    Ok(())
}
