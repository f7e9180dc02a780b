//! The credential report: one CSV row per user (and the root user) with the state of its
//! password, MFA and access keys, in the columns AWS's report has.

use super::call::Call;
use super::IamError;
use crate::context::ServiceContext;
use crate::storage::models::{AccessKey, Account, RootUser, User};
use crate::storage::schema::{
    access_keys, account_password_policies, accounts, credential_reports, login_profiles,
    mfa_devices, root_users, users,
};
use crate::storage::{DbConnection, StorageError};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

/// AWS's report time format (`2026-11-23T15:04:05+00:00`).
fn time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn opt_time(t: Option<NaiveDateTime>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), time)
}

fn key_columns(keys: &[AccessKey], index: usize) -> [String; 5] {
    match keys.get(index) {
        Some(k) => [
            (k.status == "Active").to_string(),
            time(k.created_at),
            opt_time(k.last_used_at, "N/A"),
            k.last_used_region.clone().unwrap_or_else(|| "N/A".into()),
            k.last_used_service.clone().unwrap_or_else(|| "N/A".into()),
        ],
        None => [
            "false".into(),
            "N/A".into(),
            "N/A".into(),
            "N/A".into(),
            "N/A".into(),
        ],
    }
}

fn keys_of(
    conn: &mut DbConnection,
    account_id: &str,
    user_id: Option<&str>,
) -> Result<Vec<AccessKey>, StorageError> {
    let query = access_keys::table
        .filter(access_keys::account_id.eq(account_id))
        .order(access_keys::created_at.asc())
        .select(AccessKey::as_select())
        .into_boxed();
    Ok(match user_id {
        Some(id) => query
            .filter(access_keys::user_id.eq(id.to_string()))
            .load(conn)?,
        None => query.filter(access_keys::user_id.is_null()).load(conn)?,
    })
}

fn mfa_active(
    conn: &mut DbConnection,
    account_id: &str,
    user_id: Option<&str>,
) -> Result<bool, StorageError> {
    let query = mfa_devices::table
        .filter(mfa_devices::account_id.eq(account_id))
        .filter(mfa_devices::enabled.eq(true))
        .into_boxed();
    let n: i64 = match user_id {
        Some(id) => query
            .filter(mfa_devices::user_id.eq(id.to_string()))
            .count()
            .get_result(conn)?,
        None => query
            .filter(mfa_devices::user_id.is_null())
            .filter(mfa_devices::external_provider.is_null())
            .count()
            .get_result(conn)?,
    };
    Ok(n > 0)
}

fn row(first: [String; 8], keys: &[AccessKey]) -> Vec<String> {
    let mut out: Vec<String> = first.into();
    out.extend(key_columns(keys, 0));
    out.extend(key_columns(keys, 1));
    out.extend(["false", "N/A", "false", "N/A"].map(String::from));
    out
}

fn build(conn: &mut DbConnection, account_id: &str) -> Result<String, IamError> {
    let account: Account = accounts::table
        .find(account_id)
        .select(Account::as_select())
        .first(conn)?;
    let max_age: Option<i32> = account_password_policies::table
        .find(account_id)
        .select(account_password_policies::max_password_age)
        .first::<Option<i32>>(conn)
        .optional()?
        .flatten();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| IamError::Internal(e.to_string());
    writer.write_record(COLUMNS).map_err(csv_err)?;
    let root: Option<RootUser> = root_users::table
        .find(account_id)
        .select(RootUser::as_select())
        .first(conn)
        .optional()?;
    let root_keys = keys_of(conn, account_id, None)?;
    writer
        .write_record(row(
            [
                "<root_account>".into(),
                crate::iam::arn::root(account_id),
                time(account.created_at),
                "not_supported".into(),
                opt_time(root.and_then(|r| r.password_last_used_at), "no_information"),
                "not_supported".into(),
                "not_supported".into(),
                mfa_active(conn, account_id, None)?.to_string(),
            ],
            &root_keys,
        ))
        .map_err(csv_err)?;
    let all: Vec<User> = users::table
        .filter(users::account_id.eq(account_id))
        .order(users::name.asc())
        .select(User::as_select())
        .load(conn)?;
    for user in all {
        let profile: Option<NaiveDateTime> = login_profiles::table
            .find(&user.id)
            .select(login_profiles::password_changed_at)
            .first(conn)
            .optional()?;
        let next_rotation = match (profile, max_age) {
            (Some(changed), Some(days)) => time(changed + Duration::days(i64::from(days))),
            _ => "N/A".into(),
        };
        let keys = keys_of(conn, account_id, Some(&user.id))?;
        writer
            .write_record(row(
                [
                    user.name.clone(),
                    crate::iam::arn::user(account_id, &user.path, &user.name),
                    time(user.created_at),
                    profile.is_some().to_string(),
                    opt_time(
                        user.password_last_used_at,
                        if profile.is_some() {
                            "no_information"
                        } else {
                            "N/A"
                        },
                    ),
                    opt_time(profile, "N/A"),
                    next_rotation,
                    mfa_active(conn, account_id, Some(&user.id))?.to_string(),
                ],
                &keys,
            ))
            .map_err(csv_err)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| IamError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| IamError::Internal(e.to_string()))
}

/// Generates (or regenerates) the account's report; IAM answers `COMPLETE` when it is ready.
pub fn generate(ctx: &ServiceContext, call: &Call) -> Result<(), IamError> {
    let now = ctx.clock.now_naive();
    ctx.store.write(|conn| {
        let content = build(conn, &call.account_id)?;
        diesel::delete(credential_reports::table.find(&call.account_id)).execute(conn)?;
        diesel::insert_into(credential_reports::table)
            .values((
                credential_reports::account_id.eq(&call.account_id),
                credential_reports::generated_at.eq(now),
                credential_reports::content.eq(&content),
            ))
            .execute(conn)?;
        call.audit(ctx, conn, "GenerateCredentialReport", json!({}))?;
        Ok(())
    })
}

/// The last report and when it was made.
pub fn get(ctx: &ServiceContext, account_id: &str) -> Result<(String, NaiveDateTime), IamError> {
    ctx.store
        .read(|conn| {
            credential_reports::table
                .find(account_id)
                .select((credential_reports::content, credential_reports::generated_at))
                .first::<(String, NaiveDateTime)>(conn)
                .optional()
                .map_err(StorageError::from)
        })?
        .ok_or_else(|| {
            IamError::ReportNotPresent(
                "Credential report not present. Please generate a credential report with GenerateCredentialReport.".into(),
            )
        })
}
