//! The console's tables of users, groups, roles and policies, as AWS's console shows them:
//! searched, filtered, sorted and counted in the store, one page at a time, with what each
//! shown row's columns need read in a few queries for the page (never a few per row), so the
//! tables stay fast with tens of thousands of entities. The caller decides who may see a
//! table (the console first runs the matching `iam:List*` action as its principal).

pub mod groups;
pub mod policies;
pub mod roles;
pub mod users;

use std::collections::HashMap;

/// The column a page is sorted by; a table that has no such column sorts by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Created,
    /// Users: the last sign-in with a password; roles: the last use.
    LastUsed,
    /// Policies: the last new default version.
    Updated,
}

/// Which rows, in what order, which page.
#[derive(Debug, Clone)]
pub struct Query {
    /// Part of the name, any case ("" for all).
    pub search: String,
    /// Only entities whose path starts with this ("" for all).
    pub path_prefix: String,
    pub sort: Sort,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

impl Query {
    /// The LIKE pattern of the search (lower case; `\` escapes).
    fn name_pattern(&self) -> String {
        format!(
            "%{}%",
            super::users::escape_like(&self.search.to_lowercase())
        )
    }

    /// The LIKE pattern of the path prefix (`\` escapes).
    fn path_pattern(&self) -> String {
        format!("{}%", super::users::escape_like(&self.path_prefix))
    }
}

/// Narrows a boxed query of `$table` (which has `name` and `path` columns) to the rows `$q`
/// searches for and filters by.
macro_rules! matching {
    ($query:expr, $table:ident, $q:expr) => {{
        let mut query = $query;
        if !$q.search.is_empty() {
            query = query.filter(
                crate::storage::sql::lower($table::name)
                    .like($q.name_pattern())
                    .escape('\\'),
            );
        }
        if !$q.path_prefix.is_empty() {
            query = query.filter($table::path.like($q.path_pattern()).escape('\\'));
        }
        query
    }};
}
pub(crate) use matching;

/// How many times each id occurs in `ids` (one row per membership, attachment, device...).
fn tally(ids: Vec<String>) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for id in ids {
        *counts.entry(id).or_default() += 1;
    }
    counts
}
