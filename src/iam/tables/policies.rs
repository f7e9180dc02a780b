//! The policies table: customer-managed, AWS-managed or both, with each shown policy's
//! attachments in the caller's account (never another account's), in three queries for the
//! page.

use super::{matching, tally, Query, Sort};
use crate::context::ServiceContext;
use crate::iam::error::IamError;
use crate::iam::policies::{attachments_in, Scope};
use crate::storage::ids::AccountId;
use crate::storage::schema::managed_policies;
use crate::storage::sql::lower;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One policy of the page and what the table says of it.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub arn: String,
    pub aws_managed: bool,
    pub description: Option<String>,
    /// Users, groups and roles of the account it is attached to.
    pub attachments: usize,
    pub updated_at: NaiveDateTime,
}

/// One page of the `scope`'s policies and how many match in all.
pub fn page(
    ctx: &ServiceContext,
    account_id: &str,
    scope: Scope,
    q: &Query,
) -> Result<(Vec<Row>, i64), IamError> {
    ctx.store.read(|conn| {
        let filtered = || {
            let owned = managed_policies::table.into_boxed();
            let owned = match scope {
                Scope::All => owned.filter(
                    managed_policies::account_id
                        .eq(account_id)
                        .or(managed_policies::account_id.eq(AccountId::AWS)),
                ),
                Scope::Aws => owned.filter(managed_policies::account_id.eq(AccountId::AWS)),
                Scope::Local => owned.filter(managed_policies::account_id.eq(account_id)),
            };
            matching!(owned, managed_policies, q)
        };
        let total: i64 = filtered().count().get_result(conn)?;
        let mut query = filtered()
            .select((
                managed_policies::id,
                managed_policies::name,
                managed_policies::arn,
                managed_policies::account_id,
                managed_policies::description,
                managed_policies::updated_at,
            ))
            .offset(q.offset.max(0))
            .limit(q.limit);
        query = match (q.sort, q.descending) {
            (Sort::Created, false) => query.order((
                managed_policies::created_at.asc(),
                managed_policies::arn.asc(),
            )),
            (Sort::Created, true) => query.order((
                managed_policies::created_at.desc(),
                managed_policies::arn.asc(),
            )),
            (Sort::Updated, false) => query.order((
                managed_policies::updated_at.asc(),
                managed_policies::arn.asc(),
            )),
            (Sort::Updated, true) => query.order((
                managed_policies::updated_at.desc(),
                managed_policies::arn.asc(),
            )),
            (_, false) => query.order((
                lower(managed_policies::name).asc(),
                managed_policies::arn.asc(),
            )),
            (_, true) => query.order((
                lower(managed_policies::name).desc(),
                managed_policies::arn.asc(),
            )),
        };
        type Found = (
            String,
            String,
            String,
            String,
            Option<String>,
            NaiveDateTime,
        );
        let found: Vec<Found> = query.load(conn)?;
        let ids: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
        let attached = attachments_in(conn, account_id, &ids)?;
        let attachments = tally(attached);
        let rows = found
            .into_iter()
            .map(|(id, name, arn, owner, description, updated_at)| Row {
                attachments: attachments.get(&id).copied().unwrap_or(0),
                aws_managed: owner == AccountId::AWS,
                name,
                arn,
                description,
                updated_at,
            })
            .collect();
        Ok((rows, total))
    })
}
