//! Cross-cutting HTTP pieces: request ids, metrics, access logs and the health endpoints.

pub mod health;
pub mod metrics;
pub mod request_id;
