//! IAM domain services: accounts, users, groups, roles, policies, access keys and the rest.
//! They hold the business rules; the AWS API, the console and the CLI all call them.

pub mod access_keys;
pub mod account;
pub mod arn;
pub mod aws_managed;
pub mod bootstrap;
pub mod boundaries;
pub mod call;
pub mod details;
pub mod directories;
pub mod entities;
pub mod error;
pub mod groups;
pub mod inline;
pub mod instance_profiles;
pub mod mfa;
pub mod names;
pub mod oidc_providers;
pub mod page;
pub mod passwords;
pub mod policies;
pub mod reports;
pub mod roles;
pub mod roles_anywhere;
pub mod signin_providers;
pub mod tables;
pub mod tags;
pub mod trust_principals;
pub mod user_email;
pub mod users;

pub use crate::config::limits::Limits;
pub use call::Call;
pub use error::IamError;
