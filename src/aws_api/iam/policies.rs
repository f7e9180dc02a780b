//! Managed policies and versions, attachments, inline policies and permissions boundaries.

use super::{arn_in, authorize_create, empty, opt, page, req, response, write};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::XmlResponse;
use crate::iam::entities::EntityKind;
use crate::iam::policies::{self, Scope};
use crate::iam::tags::Taggable;
use crate::iam::{boundaries, inline};

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    use EntityKind::{Group, Role, User};
    Some(match action {
        "CreatePolicy" => create(env),
        "GetPolicy" => get(env),
        "DeletePolicy" => delete(env),
        "ListPolicies" => list(env),
        "CreatePolicyVersion" => create_version(env),
        "GetPolicyVersion" => get_version(env),
        "ListPolicyVersions" => list_versions(env),
        "DeletePolicyVersion" => delete_version(env),
        "SetDefaultPolicyVersion" => set_default(env),
        "ListEntitiesForPolicy" => entities(env),
        "AttachUserPolicy" => attach(env, User, action),
        "AttachGroupPolicy" => attach(env, Group, action),
        "AttachRolePolicy" => attach(env, Role, action),
        "DetachUserPolicy" => detach(env, User, action),
        "DetachGroupPolicy" => detach(env, Group, action),
        "DetachRolePolicy" => detach(env, Role, action),
        "ListAttachedUserPolicies" => list_attached(env, User, action),
        "ListAttachedGroupPolicies" => list_attached(env, Group, action),
        "ListAttachedRolePolicies" => list_attached(env, Role, action),
        "PutUserPolicy" => put_inline(env, User, action),
        "PutGroupPolicy" => put_inline(env, Group, action),
        "PutRolePolicy" => put_inline(env, Role, action),
        "GetUserPolicy" => get_inline(env, User, action),
        "GetGroupPolicy" => get_inline(env, Group, action),
        "GetRolePolicy" => get_inline(env, Role, action),
        "DeleteUserPolicy" => delete_inline(env, User, action),
        "DeleteGroupPolicy" => delete_inline(env, Group, action),
        "DeleteRolePolicy" => delete_inline(env, Role, action),
        "ListUserPolicies" => list_inline(env, User, action),
        "ListGroupPolicies" => list_inline(env, Group, action),
        "ListRolePolicies" => list_inline(env, Role, action),
        "PutUserPermissionsBoundary" => boundary(env, User, action, true),
        "DeleteUserPermissionsBoundary" => boundary(env, User, action, false),
        "PutRolePermissionsBoundary" => boundary(env, Role, action, true),
        "DeleteRolePermissionsBoundary" => boundary(env, Role, action, false),
        _ => return None,
    })
}

/// The name parameter and the resource ARN of a user, group or role.
fn entity(env: &Env<'_>, kind: EntityKind) -> Result<(String, String), AwsError> {
    Ok(match kind {
        EntityKind::User => {
            let name = req(env, "UserName")?;
            let arn = super::users::resource(env, &name);
            (name, arn)
        }
        EntityKind::Group => {
            let name = req(env, "GroupName")?;
            let arn = super::groups::resource(env, &name);
            (name, arn)
        }
        EntityKind::Role => {
            let name = req(env, "RoleName")?;
            let arn = super::roles::resource(env, &name);
            (name, arn)
        }
    })
}

fn create(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "PolicyName")?;
    let path = opt(env, "Path");
    let arn = arn_in(env, "policy", path.as_deref().unwrap_or("/"), &name);
    let tags = authorize_create(env, "iam:CreatePolicy", Taggable::Policy, &arn)?;
    let view = policies::create(
        env.ctx(),
        &env.call,
        policies::CreatePolicy {
            name,
            path,
            document: req(env, "PolicyDocument")?,
            description: opt(env, "Description"),
            tags,
        },
    )?;
    let mut r = response("CreatePolicy");
    r.body()
        .element("Policy", |b| write::policy(b, &view, false));
    Ok(r)
}

fn get(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicyArn")?;
    env.authorize("iam:GetPolicy", &arn)?;
    let view = policies::get(env.ctx(), env.account(), &arn)?;
    let mut r = response("GetPolicy");
    r.body()
        .element("Policy", |b| write::policy(b, &view, true));
    Ok(r)
}

fn delete(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicyArn")?;
    env.authorize("iam:DeletePolicy", &arn)?;
    policies::delete(env.ctx(), &env.call, &arn)?;
    Ok(empty("DeletePolicy"))
}

fn list(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:ListPolicies", &arn_in(env, "policy", "/", "*"))?;
    let scope = match env.params.get("Scope").unwrap_or("All") {
        "All" => Scope::All,
        "AWS" => Scope::Aws,
        "Local" => Scope::Local,
        other => {
            return Err(AwsError::validation_error(format!(
                "1 validation error detected: Value '{other}' at 'scope' failed to satisfy \
                 constraint: Member must satisfy enum value set: [All, AWS, Local]"
            )))
        }
    };
    let only_attached = env.params.bool("OnlyAttached")?.unwrap_or(false);
    let page = policies::list(
        env.ctx(),
        env.account(),
        scope,
        only_attached,
        env.params.get("PathPrefix"),
        &page(env)?,
    )?;
    let mut r = response("ListPolicies");
    let mut b = r.body();
    b.list("Policies", &page.items, |b, v| write::policy(b, v, false));
    write::truncation(&mut b, &page);
    Ok(r)
}

fn create_version(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicyArn")?;
    env.authorize("iam:CreatePolicyVersion", &arn)?;
    let set_default = env.params.bool("SetAsDefault")?.unwrap_or(false);
    let version = policies::create_version(
        env.ctx(),
        &env.call,
        &arn,
        &req(env, "PolicyDocument")?,
        set_default,
    )?;
    let mut r = response("CreatePolicyVersion");
    r.body().element("PolicyVersion", |b| {
        write::policy_version(b, &version, set_default, false)
    });
    Ok(r)
}

fn get_version(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicyArn")?;
    env.authorize("iam:GetPolicyVersion", &arn)?;
    let (version, is_default) =
        policies::get_version(env.ctx(), env.account(), &arn, &req(env, "VersionId")?)?;
    let mut r = response("GetPolicyVersion");
    r.body().element("PolicyVersion", |b| {
        write::policy_version(b, &version, is_default, true)
    });
    Ok(r)
}

fn list_versions(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicyArn")?;
    env.authorize("iam:ListPolicyVersions", &arn)?;
    let (versions, default) = policies::list_versions(env.ctx(), env.account(), &arn)?;
    let mut r = response("ListPolicyVersions");
    let mut b = r.body();
    b.list("Versions", &versions, |b, v| {
        write::policy_version(b, v, v.version_id == default, false)
    });
    b.bool("IsTruncated", false);
    Ok(r)
}

fn delete_version(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicyArn")?;
    env.authorize("iam:DeletePolicyVersion", &arn)?;
    policies::delete_version(env.ctx(), &env.call, &arn, &req(env, "VersionId")?)?;
    Ok(empty("DeletePolicyVersion"))
}

fn set_default(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicyArn")?;
    env.authorize("iam:SetDefaultPolicyVersion", &arn)?;
    policies::set_default_version(env.ctx(), &env.call, &arn, &req(env, "VersionId")?)?;
    Ok(empty("SetDefaultPolicyVersion"))
}

fn entities(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicyArn")?;
    env.authorize("iam:ListEntitiesForPolicy", &arn)?;
    let filter = env.params.get("EntityFilter");
    let all = policies::list_entities(env.ctx(), env.account(), &arn)?;
    let wanted = |kind: EntityKind, word: &str| {
        filter.is_none_or(|f| f == word)
            && !all.is_empty()
            && all.iter().any(|(k, _, _)| *k == kind)
    };
    let of = |kind: EntityKind| all.iter().filter(move |(k, _, _)| *k == kind);
    let mut r = response("ListEntitiesForPolicy");
    let mut b = r.body();
    let (groups, users, roles) = (
        wanted(EntityKind::Group, "Group"),
        wanted(EntityKind::User, "User"),
        wanted(EntityKind::Role, "Role"),
    );
    b.list(
        "PolicyGroups",
        of(EntityKind::Group).filter(|_| groups),
        |b, (_, n, i)| {
            b.text("GroupName", n).text("GroupId", i);
        },
    );
    b.list(
        "PolicyUsers",
        of(EntityKind::User).filter(|_| users),
        |b, (_, n, i)| {
            b.text("UserName", n).text("UserId", i);
        },
    );
    b.list(
        "PolicyRoles",
        of(EntityKind::Role).filter(|_| roles),
        |b, (_, n, i)| {
            b.text("RoleName", n).text("RoleId", i);
        },
    );
    b.bool("IsTruncated", false);
    Ok(r)
}

fn attach(env: &Env<'_>, kind: EntityKind, action: &str) -> Result<XmlResponse, AwsError> {
    let (name, resource) = entity(env, kind)?;
    let policy = req(env, "PolicyArn")?;
    env.authorize(&format!("iam:{action}"), &resource)?;
    policies::attach(env.ctx(), &env.call, kind, &name, &policy)?;
    Ok(empty(action))
}

fn detach(env: &Env<'_>, kind: EntityKind, action: &str) -> Result<XmlResponse, AwsError> {
    let (name, resource) = entity(env, kind)?;
    let policy = req(env, "PolicyArn")?;
    env.authorize(&format!("iam:{action}"), &resource)?;
    policies::detach(env.ctx(), &env.call, kind, &name, &policy)?;
    Ok(empty(action))
}

fn list_attached(env: &Env<'_>, kind: EntityKind, action: &str) -> Result<XmlResponse, AwsError> {
    let (name, resource) = entity(env, kind)?;
    env.authorize(&format!("iam:{action}"), &resource)?;
    let page = policies::list_attached(
        env.ctx(),
        env.account(),
        kind,
        &name,
        env.params.get("PathPrefix"),
        &page(env)?,
    )?;
    let mut r = response(action);
    let mut b = r.body();
    b.list("AttachedPolicies", &page.items, |b, (n, a)| {
        b.text("PolicyName", n).text("PolicyArn", a);
    });
    write::truncation(&mut b, &page);
    Ok(r)
}

fn put_inline(env: &Env<'_>, kind: EntityKind, action: &str) -> Result<XmlResponse, AwsError> {
    let (name, resource) = entity(env, kind)?;
    env.authorize(&format!("iam:{action}"), &resource)?;
    inline::put(
        env.ctx(),
        &env.call,
        kind,
        &name,
        &req(env, "PolicyName")?,
        &req(env, "PolicyDocument")?,
    )?;
    Ok(empty(action))
}

fn get_inline(env: &Env<'_>, kind: EntityKind, action: &str) -> Result<XmlResponse, AwsError> {
    let (name, resource) = entity(env, kind)?;
    env.authorize(&format!("iam:{action}"), &resource)?;
    let (policy_name, document) = inline::get(
        env.ctx(),
        env.account(),
        kind,
        &name,
        &req(env, "PolicyName")?,
    )?;
    let mut r = response(action);
    let field = match kind {
        EntityKind::User => "UserName",
        EntityKind::Group => "GroupName",
        EntityKind::Role => "RoleName",
    };
    r.body()
        .text(field, &name)
        .text("PolicyName", &policy_name)
        .text("PolicyDocument", &write::encode_document(&document));
    Ok(r)
}

fn delete_inline(env: &Env<'_>, kind: EntityKind, action: &str) -> Result<XmlResponse, AwsError> {
    let (name, resource) = entity(env, kind)?;
    env.authorize(&format!("iam:{action}"), &resource)?;
    inline::delete(env.ctx(), &env.call, kind, &name, &req(env, "PolicyName")?)?;
    Ok(empty(action))
}

fn list_inline(env: &Env<'_>, kind: EntityKind, action: &str) -> Result<XmlResponse, AwsError> {
    let (name, resource) = entity(env, kind)?;
    env.authorize(&format!("iam:{action}"), &resource)?;
    let page = inline::list(env.ctx(), env.account(), kind, &name, &page(env)?)?;
    let mut r = response(action);
    let mut b = r.body();
    b.text_list("PolicyNames", &page.items);
    write::truncation(&mut b, &page);
    Ok(r)
}

fn boundary(
    env: &Env<'_>,
    kind: EntityKind,
    action: &str,
    put: bool,
) -> Result<XmlResponse, AwsError> {
    let (name, resource) = entity(env, kind)?;
    env.authorize(&format!("iam:{action}"), &resource)?;
    let policy = if put {
        Some(req(env, "PermissionsBoundary")?)
    } else {
        None
    };
    boundaries::set(env.ctx(), &env.call, kind, &name, policy.as_deref())?;
    Ok(empty(action))
}
