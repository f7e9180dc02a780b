//! AWS Query protocol surface (IAM `2010-05-08`, STS `2011-06-15`): the pure building blocks the
//! action handlers stand on. No actix, no diesel: plain values in, plain values out.
//!
//! - [`sigv4`]: Signature Version 4 verification (parse, look the secret up, verify).
//! - `admission`: what the endpoint refuses from the headers, before any body is read.
//! - [`query`]: form-body / query-string parameters (`Foo.member.N`, tags, pagination).
//! - [`xml`]: `<{Action}Response>` and `<ErrorResponse>` bodies.
//! - [`error`]: [`error::AwsError`], the one mapping to AWS codes, messages and statuses.
mod admission;
pub mod authorize;
pub mod console;
pub mod endpoint;
pub mod error;
pub mod iam;
mod incoming;
pub mod oidc_clients;
pub mod query;
pub mod sigv4;
pub mod sts;
pub mod user_email;
pub mod xml;
