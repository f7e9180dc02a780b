//! Authentication primitives, pure where possible: password hashing and generation.

pub mod password;
pub mod password_policy;
pub mod totp;
