//! The three kinds of IAM identities that policies attach to, resolved by name.

use super::{groups, roles, users, IamError};
use crate::storage::DbConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Group,
    Role,
}

impl EntityKind {
    /// The word IAM's quota names use (`PoliciesPerUser`).
    pub fn quota_word(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
            Self::Role => "Role",
        }
    }

    pub fn parameter(self) -> &'static str {
        match self {
            Self::User => "userName",
            Self::Group => "groupName",
            Self::Role => "roleName",
        }
    }
}

/// The id of the named entity in the account.
pub fn resolve(
    conn: &mut DbConnection,
    account_id: &str,
    kind: EntityKind,
    name: &str,
) -> Result<String, IamError> {
    Ok(match kind {
        EntityKind::User => users::find(conn, account_id, name)?.id,
        EntityKind::Group => groups::find(conn, account_id, name)?.id,
        EntityKind::Role => roles::find(conn, account_id, name)?.id,
    })
}
