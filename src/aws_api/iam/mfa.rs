//! Virtual MFA device actions.

use super::{arn_in, authorize_create, empty, opt, req, response, write};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::{XmlBody, XmlResponse};
use crate::iam::mfa::{self, Assignment};
use crate::iam::tags::Taggable;
use data_encoding::BASE64;

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    Some(match action {
        "CreateVirtualMFADevice" => create(env),
        "EnableMFADevice" => enable(env),
        "DeactivateMFADevice" => deactivate(env),
        "ResyncMFADevice" => resync(env),
        "DeleteVirtualMFADevice" => delete(env),
        "ListMFADevices" => list(env),
        "ListVirtualMFADevices" => list_virtual(env),
        "GetMFADevice" => get(env),
        _ => return None,
    })
}

/// `UserName`, or the calling user when it is omitted.
fn user_name(env: &Env<'_>) -> Result<String, AwsError> {
    match (opt(env, "UserName"), env.caller.iam_user()) {
        (Some(name), _) => Ok(name),
        (None, Some((_, name))) => Ok(name.to_string()),
        (None, None) => req(env, "UserName"),
    }
}

fn create(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "VirtualMFADeviceName")?;
    let path = env.params.get("Path");
    let tags = authorize_create(
        env,
        "iam:CreateVirtualMFADevice",
        Taggable::Mfa,
        &arn_in(env, "mfa", path.unwrap_or("/"), &name),
    )?;
    let device = mfa::create_virtual(env.ctx(), &env.call, &name, path, &tags)?;
    let mut r = response("CreateVirtualMFADevice");
    r.body().element("VirtualMFADevice", |b| {
        b.text("SerialNumber", &device.serial_number)
            .text(
                "Base32StringSeed",
                &BASE64.encode(device.base32_seed.as_bytes()),
            )
            .text("QRCodePNG", &BASE64.encode(&device.qr_png));
    });
    Ok(r)
}

fn enable(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = req(env, "UserName")?;
    env.authorize("iam:EnableMFADevice", &super::users::resource(env, &user))?;
    mfa::enable(
        env.ctx(),
        &env.call,
        &user,
        &req(env, "SerialNumber")?,
        &req(env, "AuthenticationCode1")?,
        &req(env, "AuthenticationCode2")?,
    )?;
    Ok(empty("EnableMFADevice"))
}

fn deactivate(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = user_name(env)?;
    env.authorize(
        "iam:DeactivateMFADevice",
        &super::users::resource(env, &user),
    )?;
    mfa::deactivate(env.ctx(), &env.call, &user, &req(env, "SerialNumber")?)?;
    Ok(empty("DeactivateMFADevice"))
}

fn resync(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = req(env, "UserName")?;
    env.authorize("iam:ResyncMFADevice", &super::users::resource(env, &user))?;
    mfa::resync(
        env.ctx(),
        &env.call,
        &user,
        &req(env, "SerialNumber")?,
        &req(env, "AuthenticationCode1")?,
        &req(env, "AuthenticationCode2")?,
    )?;
    Ok(empty("ResyncMFADevice"))
}

fn delete(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let serial = req(env, "SerialNumber")?;
    env.authorize("iam:DeleteVirtualMFADevice", &serial)?;
    mfa::delete_virtual(env.ctx(), &env.call, &serial)?;
    Ok(empty("DeleteVirtualMFADevice"))
}

fn write_assignment(b: &mut XmlBody<'_>, a: &Assignment, with_user: bool) {
    if !with_user {
        if let Some(user) = &a.user {
            b.text("UserName", &user.name);
        }
    }
    b.text("SerialNumber", &a.serial_number);
    if with_user {
        if let Some(user) = &a.user {
            b.element("User", |b| write::user(b, user));
        }
    }
    b.opt_time("EnableDate", a.enabled_at.map(write::utc));
}

fn list(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let user = user_name(env)?;
    env.authorize("iam:ListMFADevices", &super::users::resource(env, &user))?;
    let devices = mfa::list_for_user(env.ctx(), env.account(), &user)?;
    let mut r = response("ListMFADevices");
    let mut b = r.body();
    b.list("MFADevices", &devices, |b, a| write_assignment(b, a, false));
    b.bool("IsTruncated", false);
    Ok(r)
}

fn list_virtual(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:ListVirtualMFADevices", "*")?;
    let status = env.params.get("AssignmentStatus").unwrap_or("Any");
    if !matches!(status, "Assigned" | "Unassigned" | "Any") {
        return Err(AwsError::validation_error(format!(
            "1 validation error detected: Value '{status}' at 'assignmentStatus' failed to satisfy \
             constraint: Member must satisfy enum value set: [Assigned, Unassigned, Any]"
        )));
    }
    let devices = mfa::list_virtual(env.ctx(), env.account(), status)?;
    let mut r = response("ListVirtualMFADevices");
    let mut b = r.body();
    b.list("VirtualMFADevices", &devices, |b, a| {
        write_assignment(b, a, true)
    });
    b.bool("IsTruncated", false);
    Ok(r)
}

fn get(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let serial = req(env, "SerialNumber")?;
    env.authorize("iam:GetMFADevice", &serial)?;
    let device = mfa::get(env.ctx(), env.account(), &serial)?;
    let mut r = response("GetMFADevice");
    write_assignment(&mut r.body(), &device, false);
    Ok(r)
}
