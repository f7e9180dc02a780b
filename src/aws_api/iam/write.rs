//! XML shapes shared by several IAM actions (botocore's `User`, `Group`, `Role`, `Policy`, ...).

use super::super::xml::XmlBody;
use crate::iam::groups::group_arn;
use crate::iam::page::Page;
use crate::iam::policies::PolicyView;
use crate::iam::roles::RoleView;
use crate::iam::tags::Tag;
use crate::iam::users::UserView;
use crate::storage::models::{Group, PolicyVersion};
use chrono::{NaiveDateTime, TimeZone, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What stays unescaped when IAM URL-encodes a policy document in a response (RFC 3986's
/// unreserved characters); botocore URL-decodes the document back.
const DOCUMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode_document(json: &str) -> String {
    utf8_percent_encode(json, DOCUMENT).to_string()
}

pub fn utc(t: NaiveDateTime) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&t)
}

pub fn tags(b: &mut XmlBody<'_>, name: &str, tags: &[Tag]) {
    b.list(name, tags, |b, t| {
        b.text("Key", &t.key).text("Value", &t.value);
    });
}

fn boundary(b: &mut XmlBody<'_>, arn: Option<&str>) {
    if let Some(arn) = arn {
        b.element("PermissionsBoundary", |b| {
            b.text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .text("PermissionsBoundaryArn", arn);
        });
    }
}

pub fn user(b: &mut XmlBody<'_>, u: &UserView) {
    b.text("Path", &u.path)
        .text("UserName", &u.name)
        .text("UserId", &u.id)
        .text("Arn", &u.arn)
        .time("CreateDate", utc(u.created_at))
        .opt_time("PasswordLastUsed", u.password_last_used_at.map(utc));
    boundary(b, u.permissions_boundary_arn.as_deref());
    if !u.tags.is_empty() {
        tags(b, "Tags", &u.tags);
    }
}

pub fn group(b: &mut XmlBody<'_>, g: &Group) {
    b.text("Path", &g.path)
        .text("GroupName", &g.name)
        .text("GroupId", &g.id)
        .text("Arn", &group_arn(g))
        .time("CreateDate", utc(g.created_at));
}

pub fn role(b: &mut XmlBody<'_>, r: &RoleView, full: bool) {
    let role = &r.role;
    b.text("Path", &role.path)
        .text("RoleName", &role.name)
        .text("RoleId", &role.id)
        .text("Arn", &r.arn)
        .time("CreateDate", utc(role.created_at))
        .text(
            "AssumeRolePolicyDocument",
            &encode_document(&role.assume_role_policy),
        )
        .opt_text("Description", role.description.as_deref())
        .int("MaxSessionDuration", i64::from(role.max_session_duration));
    if full {
        boundary(b, r.permissions_boundary_arn.as_deref());
        if !r.tags.is_empty() {
            tags(b, "Tags", &r.tags);
        }
        b.element("RoleLastUsed", |b| {
            b.opt_time("LastUsedDate", role.last_used_at.map(utc))
                .opt_text("Region", role.last_used_region.as_deref());
        });
    }
}

pub fn policy(b: &mut XmlBody<'_>, v: &PolicyView, full: bool) {
    let p = &v.policy;
    b.text("PolicyName", &p.name)
        .text("PolicyId", &p.id)
        .text("Arn", &p.arn)
        .text("Path", &p.path)
        .text("DefaultVersionId", &p.default_version_id)
        .int("AttachmentCount", v.attachment_count)
        .int("PermissionsBoundaryUsageCount", v.boundary_usage_count)
        .bool("IsAttachable", p.is_attachable);
    if full {
        b.opt_text("Description", p.description.as_deref());
    }
    b.time("CreateDate", utc(p.created_at))
        .time("UpdateDate", utc(p.updated_at));
    if full && !v.tags.is_empty() {
        tags(b, "Tags", &v.tags);
    }
}

pub fn policy_version(
    b: &mut XmlBody<'_>,
    v: &PolicyVersion,
    is_default: bool,
    with_document: bool,
) {
    if with_document {
        b.text("Document", &encode_document(&v.document));
    }
    b.text("VersionId", &v.version_id)
        .bool("IsDefaultVersion", is_default)
        .time("CreateDate", utc(v.created_at));
}

/// `IsTruncated` and, when more follow, `Marker`.
pub fn truncation<T>(b: &mut XmlBody<'_>, page: &Page<T>) {
    b.bool("IsTruncated", page.is_truncated())
        .opt_text("Marker", page.marker.as_deref());
}
