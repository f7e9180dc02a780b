//! IAM domain services: accounts, users, groups, roles, policies, access keys and the rest.
//! They hold the business rules; the AWS API, the console and the CLI all call them.

pub mod access_keys;
pub mod arn;
pub mod aws_managed;
pub mod bootstrap;
pub mod error;
pub mod names;

pub use error::IamError;
