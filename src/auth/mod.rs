//! Authentication primitives, pure where possible: password hashing and generation, TOTP,
//! throttling of guessing.

pub mod hash_pool;
pub mod password;
pub mod password_policy;
pub mod throttle;
pub mod totp;
