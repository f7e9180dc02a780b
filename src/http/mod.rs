//! Cross-cutting HTTP pieces: request ids, metrics, access logs, the health endpoints and the
//! security headers of pages.

pub mod health;
pub mod metrics;
pub mod request_id;
pub mod security_headers;
