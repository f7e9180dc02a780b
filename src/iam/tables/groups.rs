//! The groups table: each shown group's members and policies (attached and inline), in three
//! queries for the page.

use super::{matching, tally, Query, Sort};
use crate::context::ServiceContext;
use crate::iam::error::IamError;
use crate::storage::schema::{
    group_inline_policies, group_members, group_policy_attachments, groups,
};
use crate::storage::sql::lower;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One group of the page and what the table says of it.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub path: String,
    pub created_at: NaiveDateTime,
    pub users: usize,
    /// Managed policies attached and inline policies.
    pub policies: usize,
}

/// One page of groups and how many match in all.
pub fn page(
    ctx: &ServiceContext,
    account_id: &str,
    q: &Query,
) -> Result<(Vec<Row>, i64), IamError> {
    ctx.store.read(|conn| {
        let filtered = || {
            matching!(
                groups::table
                    .filter(groups::account_id.eq(account_id))
                    .into_boxed(),
                groups,
                q
            )
        };
        let total: i64 = filtered().count().get_result(conn)?;
        let mut query = filtered()
            .select((groups::id, groups::name, groups::path, groups::created_at))
            .offset(q.offset.max(0))
            .limit(q.limit);
        query = match (q.sort, q.descending) {
            (Sort::Created, false) => query.order((groups::created_at.asc(), groups::id.asc())),
            (Sort::Created, true) => query.order((groups::created_at.desc(), groups::id.asc())),
            (_, false) => query.order(lower(groups::name).asc()),
            (_, true) => query.order(lower(groups::name).desc()),
        };
        let found: Vec<(String, String, String, NaiveDateTime)> = query.load(conn)?;
        let ids: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
        let users = tally(
            group_members::table
                .filter(group_members::group_id.eq_any(&ids))
                .select(group_members::group_id)
                .load(conn)?,
        );
        let mut policies = tally(
            group_policy_attachments::table
                .filter(group_policy_attachments::group_id.eq_any(&ids))
                .select(group_policy_attachments::group_id)
                .load(conn)?,
        );
        let inline: Vec<String> = group_inline_policies::table
            .filter(group_inline_policies::group_id.eq_any(&ids))
            .select(group_inline_policies::group_id)
            .load(conn)?;
        for id in inline {
            *policies.entry(id).or_default() += 1;
        }
        let rows = found
            .into_iter()
            .map(|(id, name, path, created_at)| Row {
                users: users.get(&id).copied().unwrap_or(0),
                policies: policies.get(&id).copied().unwrap_or(0),
                name,
                path,
                created_at,
            })
            .collect();
        Ok((rows, total))
    })
}
