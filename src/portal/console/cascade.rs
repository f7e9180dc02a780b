//! Deleting a user, group or role as AWS's console does: what IAM's `Delete*` action refuses
//! to leave behind (keys, password, devices, memberships, attached and inline policies,
//! instance profiles) is removed first, each through its own IAM action, and then the entity.
//! The console runs it all in the form's one transaction, after the name was typed: either the
//! entity and everything it held go, or nothing does.

use super::{iam, Console, Refusal};
use crate::authz::ResourceRequest;
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;

/// What a deletion removes with the entity, in words, for the confirmation page.
pub const USER_LOSS: &str = "The user's access keys, console password, MFA devices, group \
     memberships and policies are removed with it. Programs using its keys stop working.";
pub const GROUP_LOSS: &str = "Its members are removed from it and its policies detached or \
     deleted: they lose the permissions they had through it.";
pub const ROLE_LOSS: &str = "Its policies are detached or deleted and it is removed from its \
     instance profiles. Sessions of the role stop working when they next ask for anything.";

/// Refuses at once, with AWS's message for the deletion itself, a principal that may not
/// delete the entity (its ARN read with `get`), rather than after removing the first part.
fn may_delete(
    api: &AwsApi,
    c: &Console,
    kind: &str,
    get: &str,
    params: &[(&str, &str)],
) -> Result<(), Refusal> {
    let arn = iam(api, c, get, params)?.value("Arn").unwrap_or_default();
    let action = format!("iam:Delete{kind}");
    let request = ResourceRequest::new(&action, &arn);
    api.authorizer
        .authorize(&api.ctx, &c.acting.caller, &c.acting.facts, &request)
        .map_err(AwsError::from)?;
    Ok(())
}

/// The values of `tag` in the reply of a read `action`.
fn each(
    api: &AwsApi,
    c: &Console,
    action: &str,
    params: &[(&str, &str)],
    tag: &str,
) -> Result<Vec<String>, Refusal> {
    Ok(iam(api, c, action, params)?.values(tag))
}

/// The managed and inline policies of a user, group or role (`kind`), removed.
fn policies(api: &AwsApi, c: &Console, kind: &str, name: &str) -> Result<(), Refusal> {
    let key = format!("{kind}Name");
    let me = (key.as_str(), name);
    for arn in each(
        api,
        c,
        &format!("ListAttached{kind}Policies"),
        &[me],
        "PolicyArn",
    )? {
        iam(
            api,
            c,
            &format!("Detach{kind}Policy"),
            &[me, ("PolicyArn", &arn)],
        )?;
    }
    let inline = iam(api, c, &format!("List{kind}Policies"), &[me])?;
    for policy in inline.values("member") {
        iam(
            api,
            c,
            &format!("Delete{kind}Policy"),
            &[me, ("PolicyName", &policy)],
        )?;
    }
    Ok(())
}

pub fn delete_user(api: &AwsApi, c: &Console, name: &str) -> Result<(), Refusal> {
    let user = ("UserName", name);
    may_delete(api, c, "User", "GetUser", &[user])?;
    for key in each(api, c, "ListAccessKeys", &[user], "AccessKeyId")? {
        iam(api, c, "DeleteAccessKey", &[user, ("AccessKeyId", &key)])?;
    }
    if iam(api, c, "GetLoginProfile", &[user]).is_ok() {
        iam(api, c, "DeleteLoginProfile", &[user])?;
    }
    for serial in each(api, c, "ListMFADevices", &[user], "SerialNumber")? {
        iam(
            api,
            c,
            "DeactivateMFADevice",
            &[user, ("SerialNumber", &serial)],
        )?;
    }
    for group in each(api, c, "ListGroupsForUser", &[user], "GroupName")? {
        iam(
            api,
            c,
            "RemoveUserFromGroup",
            &[user, ("GroupName", &group)],
        )?;
    }
    policies(api, c, "User", name)?;
    iam(api, c, "DeleteUser", &[user])?;
    Ok(())
}

pub fn delete_group(api: &AwsApi, c: &Console, name: &str) -> Result<(), Refusal> {
    let group = ("GroupName", name);
    may_delete(api, c, "Group", "GetGroup", &[group])?;
    for user in each(api, c, "GetGroup", &[group], "UserName")? {
        iam(api, c, "RemoveUserFromGroup", &[group, ("UserName", &user)])?;
    }
    policies(api, c, "Group", name)?;
    iam(api, c, "DeleteGroup", &[group])?;
    Ok(())
}

pub fn delete_role(api: &AwsApi, c: &Console, name: &str) -> Result<(), Refusal> {
    let role = ("RoleName", name);
    may_delete(api, c, "Role", "GetRole", &[role])?;
    let profiles = each(
        api,
        c,
        "ListInstanceProfilesForRole",
        &[role],
        "InstanceProfileName",
    )?;
    for profile in profiles {
        iam(
            api,
            c,
            "RemoveRoleFromInstanceProfile",
            &[role, ("InstanceProfileName", &profile)],
        )?;
    }
    policies(api, c, "Role", name)?;
    iam(api, c, "DeleteRole", &[role])?;
    Ok(())
}
