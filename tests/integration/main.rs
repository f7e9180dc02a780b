//! Integration tests: the real `keyward` binary on a free port against a fresh database per
//! test, on both stores. One test binary with modules keeps link time down.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit_flood;
mod directories;
mod duplicate_keys;
mod external_signin;
mod guessing;
mod harness;
mod iam_api;
mod layering;
mod oidc;
mod policy_cli;
mod portal;
mod reauthentication;
mod sealing;
mod serve;
mod signer;
mod storage;
mod sts;
mod sweep;
mod tls;
mod trust_ids;
mod unread_bodies;
mod unsigned;
mod user_email;
mod web_identity;
