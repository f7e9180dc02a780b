//! Row types, one per table that the services read or write. Columns mirror `schema.rs`.

use super::schema::*;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = installation)]
pub struct Installation {
    pub id: i32,
    pub default_account_id: String,
    pub bootstrapped_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: String,
    pub alias: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = root_users)]
pub struct RootUser {
    pub account_id: String,
    pub login: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub password_changed_at: NaiveDateTime,
    pub password_last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = managed_policies)]
pub struct ManagedPolicy {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: Option<String>,
    pub default_version_id: String,
    pub next_version_number: i32,
    pub is_attachable: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = policy_versions)]
pub struct PolicyVersion {
    pub policy_id: String,
    pub version_id: String,
    pub document: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub permissions_boundary_id: Option<String>,
    pub password_last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Set by an administrator (`keyward:SetUserEmail`); the `email` claim of ID tokens.
    pub email: Option<String>,
    /// Whether that administrator vouches for the address; the `email_verified` claim.
    pub email_verified: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = groups)]
pub struct Group {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_members)]
pub struct GroupMember {
    pub group_id: String,
    pub user_id: String,
    pub added_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_policy_attachments)]
pub struct GroupPolicyAttachment {
    pub group_id: String,
    pub policy_id: String,
    pub attached_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_keys)]
pub struct AccessKey {
    pub id: String,
    pub account_id: String,
    pub user_id: Option<String>,
    pub sealed_secret: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub last_used_service: Option<String>,
    pub last_used_region: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: String,
    pub event_time: NaiveDateTime,
    pub account_id: Option<String>,
    pub actor_arn: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub event_source: String,
    pub event_name: String,
    pub read_only: bool,
    pub request_parameters: Option<String>,
    pub response_elements: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub request_id: Option<String>,
}
