//! The authenticated caller of a request.

use crate::credentials::{SessionClaims, SessionPrincipal};
use crate::policy::Principal;
use std::sync::Arc;

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
    /// A temporary credential (`ASIA...`) from STS: everything about it is in its sealed claims.
    Session {
        access_key_id: String,
        claims: Arc<SessionClaims>,
    },
}

impl Caller {
    /// An IAM user as the caller of its own access key or console session.
    pub fn of_user(user: crate::iam::users::UserView) -> Caller {
        Caller::User {
            account_id: user.account_id,
            user_id: user.id,
            name: user.name,
            path: user.path,
        }
    }

    pub fn account_id(&self) -> &str {
        match self {
            Self::Root { account_id } | Self::User { account_id, .. } => account_id,
            Self::Session { claims, .. } => &claims.account_id,
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
            Self::Session { claims, .. } => self.principal_of(claims).arn,
        }
    }

    /// `aws:userid`: the user's unique id, the account id for the root user, `ROLEID:session`
    /// for a role session, `ACCOUNT:name` for a federated user.
    pub fn user_id(&self) -> String {
        self.principal().user_id
    }

    /// The root user, with its long-term key or its own session.
    pub fn is_root(&self) -> bool {
        match self {
            Self::Root { .. } => true,
            Self::User { .. } => false,
            Self::Session { claims, .. } => claims.principal == SessionPrincipal::Root,
        }
    }

    /// The IAM user (id, name) acting, with its long-term key or its own session; `None` for
    /// the root user, role sessions and federated users.
    pub fn iam_user(&self) -> Option<(&str, &str)> {
        match self {
            Self::User { user_id, name, .. } => Some((user_id, name)),
            Self::Session { claims, .. } => match &claims.principal {
                SessionPrincipal::User { id, name, .. } => Some((id, name)),
                _ => None,
            },
            Self::Root { .. } => None,
        }
    }

    /// The session's claims, for temporary credentials.
    pub fn session(&self) -> Option<&SessionClaims> {
        match self {
            Self::Session { claims, .. } => Some(claims),
            _ => None,
        }
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
            Self::Session { claims, .. } => self.principal_of(claims),
        }
    }

    fn principal_of(&self, claims: &SessionClaims) -> Principal {
        let account = &claims.account_id;
        match &claims.principal {
            SessionPrincipal::Role {
                id,
                name,
                path,
                session,
            } => Principal::assumed_role(account, path, name, id, session),
            SessionPrincipal::User { id, name, path } => Principal::user(account, path, name, id),
            SessionPrincipal::Root => Principal::root(account),
            SessionPrincipal::Federated { name, .. } => Principal::federated_user(account, name),
        }
    }

    /// Whose policies apply: callers sharing a key share cached policies.
    pub(super) fn cache_key(&self) -> String {
        match self {
            Self::Root { account_id } => format!("root:{account_id}"),
            Self::User { user_id, .. } => format!("user:{user_id}"),
            Self::Session { claims, .. } => match &claims.principal {
                SessionPrincipal::Role { id, .. } => format!("role:{id}"),
                SessionPrincipal::User { id, .. } => format!("user:{id}"),
                SessionPrincipal::Federated { user_id, .. } => format!("user:{user_id}"),
                SessionPrincipal::Root => format!("root:{}", claims.account_id),
            },
        }
    }
}
