//! The roles table: each shown role's description, trust policy (whom it trusts) and last use,
//! in one query for the page.

use super::{matching, Query, Sort};
use crate::context::ServiceContext;
use crate::iam::error::IamError;
use crate::storage::schema::roles;
use crate::storage::sql::lower;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One role of the page and what the table says of it.
#[derive(Debug, Clone, Queryable)]
pub struct Row {
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    /// The trust policy, as stored.
    pub trust_policy: String,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// One page of roles and how many match in all.
pub fn page(
    ctx: &ServiceContext,
    account_id: &str,
    q: &Query,
) -> Result<(Vec<Row>, i64), IamError> {
    ctx.store.read(|conn| {
        let filtered = || {
            matching!(
                roles::table
                    .filter(roles::account_id.eq(account_id))
                    .into_boxed(),
                roles,
                q
            )
        };
        let total: i64 = filtered().count().get_result(conn)?;
        let mut query = filtered()
            .select((
                roles::name,
                roles::path,
                roles::description,
                roles::assume_role_policy,
                roles::last_used_at,
                roles::created_at,
            ))
            .offset(q.offset.max(0))
            .limit(q.limit);
        query = match (q.sort, q.descending) {
            (Sort::Created, false) => query.order((roles::created_at.asc(), roles::id.asc())),
            (Sort::Created, true) => query.order((roles::created_at.desc(), roles::id.asc())),
            (Sort::LastUsed, false) => {
                query.order((roles::last_used_at.asc(), lower(roles::name).asc()))
            }
            (Sort::LastUsed, true) => {
                query.order((roles::last_used_at.desc(), lower(roles::name).asc()))
            }
            (_, false) => query.order(lower(roles::name).asc()),
            (_, true) => query.order(lower(roles::name).desc()),
        };
        Ok((query.load::<Row>(conn)?, total))
    })
}
