//! AWS Query protocol surface (IAM `2010-05-08`, STS `2011-06-15`): the pure building blocks the
//! action handlers stand on. No actix, no diesel: plain values in, plain values out.
//!
//! - [`sigv4`]: Signature Version 4 verification (parse, look the secret up, verify).
//! - `admission`: what the endpoint refuses from the headers, before any body is read.
//! - [`query`]: form-body / query-string parameters (`Foo.member.N`, tags, pagination).
//! - [`xml`]: `<{Action}Response>` and `<ErrorResponse>` bodies.
//! - [`error`]: [`error::AwsError`], the one mapping to AWS codes, messages and statuses.
//! - [`endpoint`]: the handler at `/` and the dispatch; `authenticate`: who is calling (the key
//!   cache); [`env`](mod@env): one call as the handlers see it; `auditing`: the events written here;
//!   [`unsigned`]: the actions served without a signature, routed by name, with no caller.
//! - [`iam`], [`sts`]: the action handlers; [`console`]: the same handlers for the console.
//! - [`keyward`]: Keyward's own JSON APIs (authorization for resource servers, users' email
//!   addresses) and the pieces they share with the OIDC provider's client API.
//! - [`rolesanywhere`]: IAM Roles Anywhere's administration API (REST-JSON): trust anchors,
//!   profiles, CRLs and their tags.
mod admission;
mod auditing;
mod authenticate;
pub mod console;
pub mod endpoint;
pub mod env;
pub mod error;
pub mod iam;
mod incoming;
pub mod keyward;
pub mod query;
pub mod rolesanywhere;
pub mod sigv4;
pub mod sts;
pub mod unsigned;
pub mod xml;
