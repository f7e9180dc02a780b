//! The users table: each shown user's groups, MFA devices, last sign-in, console-password age
//! and oldest active access key, in four queries for the page.

use super::{matching, tally, Query, Sort};
use crate::context::ServiceContext;
use crate::iam::error::IamError;
use crate::storage::schema::{access_keys, group_members, login_profiles, mfa_devices, users};
use crate::storage::sql::lower;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// One user of the page and what the table says of it.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub path: String,
    pub created_at: NaiveDateTime,
    pub groups: usize,
    pub mfa_devices: usize,
    pub last_sign_in: Option<NaiveDateTime>,
    /// When the console password was set; `None`: the user has none.
    pub password_changed_at: Option<NaiveDateTime>,
    /// The oldest active access key's creation; `None`: no active key.
    pub oldest_active_key: Option<NaiveDateTime>,
}

/// One page of users and how many match in all; `without_mfa`: only users with a console
/// password and no MFA device.
pub fn page(
    ctx: &ServiceContext,
    account_id: &str,
    q: &Query,
    without_mfa: bool,
) -> Result<(Vec<Row>, i64), IamError> {
    ctx.store.read(|conn| {
        let filtered = || {
            let mut query = matching!(
                users::table
                    .filter(users::account_id.eq(account_id))
                    .into_boxed(),
                users,
                q
            );
            if without_mfa {
                let has_password = login_profiles::table
                    .filter(login_profiles::user_id.eq(users::id))
                    .select(login_profiles::user_id);
                let has_device = mfa_devices::table
                    .filter(mfa_devices::user_id.eq(users::id.nullable()))
                    .filter(mfa_devices::enabled.eq(true))
                    .select(mfa_devices::serial_number);
                query = query
                    .filter(diesel::dsl::exists(has_password))
                    .filter(diesel::dsl::not(diesel::dsl::exists(has_device)));
            }
            query
        };
        let total: i64 = filtered().count().get_result(conn)?;
        let mut query = filtered()
            .select((
                users::id,
                users::name,
                users::path,
                users::created_at,
                users::password_last_used_at,
            ))
            .offset(q.offset.max(0))
            .limit(q.limit);
        query = match (q.sort, q.descending) {
            (Sort::Name | Sort::Updated, false) => query.order(lower(users::name).asc()),
            (Sort::Name | Sort::Updated, true) => query.order(lower(users::name).desc()),
            (Sort::Created, false) => query.order((users::created_at.asc(), users::id.asc())),
            (Sort::Created, true) => query.order((users::created_at.desc(), users::id.asc())),
            (Sort::LastUsed, false) => {
                query.order((users::password_last_used_at.asc(), lower(users::name).asc()))
            }
            (Sort::LastUsed, true) => query.order((
                users::password_last_used_at.desc(),
                lower(users::name).asc(),
            )),
        };
        type Found = (String, String, String, NaiveDateTime, Option<NaiveDateTime>);
        let found: Vec<Found> = query.load(conn)?;
        let ids: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
        let groups = tally(
            group_members::table
                .filter(group_members::user_id.eq_any(&ids))
                .select(group_members::user_id)
                .load(conn)?,
        );
        let devices = tally(
            mfa_devices::table
                .filter(mfa_devices::user_id.eq_any(&ids))
                .filter(mfa_devices::enabled.eq(true))
                .select(mfa_devices::user_id.assume_not_null())
                .load(conn)?,
        );
        let passwords: HashMap<String, NaiveDateTime> = login_profiles::table
            .filter(login_profiles::user_id.eq_any(&ids))
            .select((login_profiles::user_id, login_profiles::password_changed_at))
            .load::<(String, NaiveDateTime)>(conn)?
            .into_iter()
            .collect();
        let mut oldest_key: HashMap<String, NaiveDateTime> = HashMap::new();
        let keys: Vec<(Option<String>, NaiveDateTime)> = access_keys::table
            .filter(access_keys::user_id.eq_any(&ids))
            .filter(access_keys::status.eq("Active"))
            .select((access_keys::user_id, access_keys::created_at))
            .load(conn)?;
        for (user, at) in keys {
            if let Some(user) = user {
                let oldest = oldest_key.entry(user).or_insert(at);
                *oldest = (*oldest).min(at);
            }
        }
        let rows = found
            .into_iter()
            .map(|(id, name, path, created_at, last_sign_in)| Row {
                groups: groups.get(&id).copied().unwrap_or(0),
                mfa_devices: devices.get(&id).copied().unwrap_or(0),
                password_changed_at: passwords.get(&id).copied(),
                oldest_active_key: oldest_key.get(&id).copied(),
                name,
                path,
                created_at,
                last_sign_in,
            })
            .collect();
        Ok((rows, total))
    })
}
