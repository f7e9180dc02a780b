//! Authentication primitives, pure where possible: password hashing and generation, TOTP,
//! throttling of guessing, a cap on ceremonies started per network source.

pub mod hash_pool;
pub mod password;
pub mod password_policy;
pub mod start_limit;
pub mod throttle;
pub mod totp;
