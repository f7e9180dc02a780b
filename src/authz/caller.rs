//! The authenticated caller of a request.

use crate::policy::Principal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The account's root user (long-term root access key or console session).
    Root { account_id: String },
    /// An IAM user.
    User {
        account_id: String,
        user_id: String,
        name: String,
        path: String,
    },
}

impl Caller {
    pub fn account_id(&self) -> &str {
        match self {
            Self::Root { account_id } | Self::User { account_id, .. } => account_id,
        }
    }

    pub fn arn(&self) -> String {
        match self {
            Self::Root { account_id } => crate::iam::arn::root(account_id),
            Self::User {
                account_id,
                name,
                path,
                ..
            } => crate::iam::arn::user(account_id, path, name),
        }
    }

    /// `aws:userid`: the user's unique id, or the account id for the root user.
    pub fn user_id(&self) -> &str {
        match self {
            Self::Root { account_id } => account_id,
            Self::User { user_id, .. } => user_id,
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self, Self::Root { .. })
    }

    /// The principal as the policy engine sees it (tags are added by the authorizer).
    pub fn principal(&self) -> Principal {
        match self {
            Self::Root { account_id } => Principal::root(account_id),
            Self::User {
                account_id,
                user_id,
                name,
                path,
            } => Principal::user(account_id, path, name, user_id),
        }
    }

    pub(super) fn cache_key(&self) -> String {
        match self {
            Self::Root { account_id } => format!("root:{account_id}"),
            Self::User { user_id, .. } => format!("user:{user_id}"),
        }
    }
}
