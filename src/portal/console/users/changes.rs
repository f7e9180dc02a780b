//! The forms posted on a user's page: each change applied through the IAM API, the session's
//! own MFA device guarded by a recent password, a new access key shown once.

use super::{detail_page, NewKey};
use crate::authz::Caller;
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::portal::console::{change, field, iam, seg, show, Console, Posted};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

pub async fn change_user(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (name, op) = path.into_inner();
    if op == "create-key" {
        return create_key(&req, &api, c, name).await;
    }
    if op == "email" {
        return crate::portal::console::user_email::save(&req, &api, c, name, &form).await;
    }
    let (name2, name3) = (name.clone(), name.clone());
    change(
        &req,
        &api,
        c,
        move |api, c| apply(api, c, &name2, &op, &form),
        move |api, c| detail_page(api, c, &name3, None),
    )
    .await
}

fn apply(
    api: &AwsApi,
    c: &Console,
    name: &str,
    op: &str,
    form: &HashMap<String, String>,
) -> Result<String, AwsError> {
    let base = format!("/console/users/{}", seg(name));
    let user = ("UserName", name);
    let done = match op {
        "delete" => {
            iam(api, c, "DeleteUser", &[user])?;
            return Ok("/console/users?done=deleted".into());
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
            iam(api, c, "UpdateUser", &params)?;
            let shown = if new_name.is_empty() { name } else { new_name };
            return Ok(format!("/console/users/{}?done=updated", seg(shown)));
        }
        "add-to-group" => {
            iam(
                api,
                c,
                "AddUserToGroup",
                &[user, ("GroupName", field(form, "group"))],
            )?;
            "added"
        }
        "remove-from-group" => {
            iam(
                api,
                c,
                "RemoveUserFromGroup",
                &[user, ("GroupName", field(form, "group"))],
            )?;
            "removed"
        }
        "attach" => {
            iam(
                api,
                c,
                "AttachUserPolicy",
                &[user, ("PolicyArn", field(form, "arn"))],
            )?;
            "attached"
        }
        "detach" => {
            iam(
                api,
                c,
                "DetachUserPolicy",
                &[user, ("PolicyArn", field(form, "arn"))],
            )?;
            "detached"
        }
        "key-status" => {
            iam(
                api,
                c,
                "UpdateAccessKey",
                &[
                    user,
                    ("AccessKeyId", field(form, "key")),
                    ("Status", field(form, "status")),
                ],
            )?;
            "key-updated"
        }
        "delete-key" => {
            iam(
                api,
                c,
                "DeleteAccessKey",
                &[user, ("AccessKeyId", field(form, "key"))],
            )?;
            "key-deleted"
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
            )?;
            "password-set"
        }
        "delete-password" => {
            iam(api, c, "DeleteLoginProfile", &[user])?;
            "password-deleted"
        }
        "deactivate-mfa" => {
            own_device_may_go(api, c, name)?;
            iam(
                api,
                c,
                "DeactivateMFADevice",
                &[user, ("SerialNumber", field(form, "serial"))],
            )?;
            "mfa-deactivated"
        }
        _ => return Err(AwsError::invalid_action(op, "console")),
    };
    Ok(format!("{base}?done={done}"))
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

/// Creates an access key and shows its secret once, on the user's page (never in a URL).
async fn create_key(
    req: &HttpRequest,
    api: &web::Data<AwsApi>,
    c: Console,
    name: String,
) -> HttpResponse {
    show(req, api, c, move |api, c| {
        match iam(api, c, "CreateAccessKey", &[("UserName", &name)]) {
            Ok(reply) => {
                let key = NewKey {
                    id: reply.value("AccessKeyId").unwrap_or_default(),
                    secret: reply.value("SecretAccessKey").unwrap_or_default(),
                };
                detail_page(api, c, &name, Some(&key))
            }
            Err(e) => {
                let mut built = detail_page(api, c, &name, None);
                built.error = Some(crate::portal::console::explain(&e));
                built.status = actix_web::http::StatusCode::from_u16(e.status())
                    .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
                built
            }
        }
    })
    .await
}
