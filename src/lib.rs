//! Keyward: an identity provider with AWS-STS-style federation.
//!
//! The binary (`main.rs`) is a thin command line over this library; see `DESIGN.md` in the
//! project's shared notes for the module map. Calls go from the HTTP edges (`routes`, `http`)
//! to the services (`iam`, `audit`) to the pure core (`policy`, `auth`); nothing points back up.

pub mod app;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod aws_api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod http;
pub mod iam;
pub mod oidc;
pub mod policy;
pub mod portal;
pub mod routes;
pub mod secrets;
pub mod storage;
pub mod sts;
pub mod sweep;
