//! Keyward: an identity provider with AWS-STS-style federation.
//!
//! The binary (`main.rs`) is a thin command line over this library. `docs/ARCHITECTURE.md`
//! holds the module map and the layering rule (each module imports only deeper layers), which
//! `tests/integration/layering.rs` checks, and the flow of an AssumeRole and a code exchange.

pub mod app;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod aws_api;
pub mod browser;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod credentials;
pub mod directory;
pub mod federation;
pub mod http;
pub mod iam;
pub mod oidc;
pub mod outbound;
pub mod policy;
pub mod portal;
pub mod routes;
pub mod secrets;
pub mod signin;
pub mod storage;
pub mod sts;
pub mod sweep;
