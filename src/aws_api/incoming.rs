//! An AWS request as the surfaces need it: method, path, query, headers, body, who sent it
//! (through trusted proxies) and whether over https; and what may be read of it before its
//! caller is known.

use super::endpoint::AwsApi;
use super::sigv4::RequestParts;
use crate::audit::RequestMeta;
use crate::authz::RequestFacts;
use actix_web::{web, HttpRequest};

/// An HTTP request as the AWS surfaces need it, and its request id.
pub struct Incoming {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: web::Bytes,
    pub meta: RequestMeta,
    pub secure: bool,
}

impl Incoming {
    pub fn read(req: &HttpRequest, body: web::Bytes) -> (Self, String) {
        let meta = crate::http::request_meta(req);
        let request_id = meta.request_id.clone().unwrap_or_default();
        let incoming = Incoming {
            method: req.method().as_str().to_string(),
            path: req.path().to_string(),
            query: req.query_string().to_string(),
            headers: req
                .headers()
                .iter()
                .filter_map(|(k, v)| {
                    v.to_str()
                        .ok()
                        .map(|v| (k.as_str().to_string(), v.to_string()))
                })
                .collect(),
            body,
            meta,
            // From the connection and trusted proxies only, never from a client's own headers.
            secure: crate::http::client_address::of_request(req).is_some_and(|c| c.https),
        };
        (incoming, request_id)
    }

    pub(super) fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
            payload_hash: None,
        }
    }

    /// Whether the request's credential scope names `service` (a cheap look at the
    /// `Authorization` header or the presigned `X-Amz-Credential`, before any parsing).
    pub(super) fn signed_for(&self, service: &str) -> bool {
        let scope = format!("/{service}/aws4_request");
        let encoded = format!("%2F{service}%2Faws4_request");
        self.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("authorization") && v.contains(&scope))
            || self.query.contains(&encoded)
            || self.query.contains(&scope)
    }

    /// Whether the request carries no signature at all (neither header nor presigned query).
    pub(super) fn unsigned(&self) -> bool {
        !self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            && !self.query.contains("X-Amz-Signature=")
    }

    /// The facts of this request that become `aws:*` keys.
    pub fn facts(&self, api: &AwsApi, now: chrono::DateTime<chrono::Utc>) -> RequestFacts {
        RequestFacts {
            now,
            source_ip: self
                .meta
                .source_ip
                .as_deref()
                .and_then(|ip| ip.parse().ok()),
            user_agent: self.meta.user_agent.clone(),
            secure_transport: self.secure,
            region: api.region.clone(),
            console: None,
        }
    }
}

/// How much of a body is looked at for the action of a request refused before it was
/// authenticated (for its audit event). Parsing the whole of a large body for a caller who
/// proved nothing would let anyone spend the server's CPU on megabytes of form decoding.
const UNAUTHENTICATED_PEEK: usize = 4096;

/// The action a request names, read from its query and the first [`UNAUTHENTICATED_PEEK`]
/// bytes of its body (up to the last whole parameter there).
pub(super) fn action_hint(incoming: &Incoming) -> String {
    let head = incoming
        .body
        .get(..UNAUTHENTICATED_PEEK)
        .unwrap_or(&incoming.body);
    let head = match head.iter().rposition(|&b| b == b'&') {
        Some(end) if head.len() < incoming.body.len() => &head[..end],
        _ => head,
    };
    // Decoded lazily, up to the `Action` parameter (usually the first): a hint costs little
    // however long the rest is (a web identity token, a policy).
    let action = |bytes: &[u8]| {
        url::form_urlencoded::parse(bytes)
            .find(|(name, _)| name == "Action")
            .map(|(_, value)| value.into_owned())
    };
    action(incoming.query.as_bytes())
        .or_else(|| (incoming.method == "POST").then(|| action(head)).flatten())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: String) -> Incoming {
        Incoming {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers: Vec::new(),
            body: web::Bytes::from(body),
            meta: RequestMeta::default(),
            secure: false,
        }
    }

    #[test]
    fn a_refused_requests_action_is_read_from_the_start_of_its_body_only() {
        let small = post("Action=ListUsers&Version=2010-05-08".into());
        assert_eq!(action_hint(&small), "ListUsers");
        let padded = format!(
            "Action=GetUser&Pad={}&Version=2010-05-08",
            "x".repeat(1 << 20)
        );
        assert_eq!(action_hint(&post(padded)), "GetUser");
        // Past the first 4 KiB nothing is decoded, however the body ends.
        let late = format!("Pad={}&Action=GetUser", "x".repeat(1 << 20));
        assert_eq!(action_hint(&post(late)), "");
        let cut = format!("Action=ListRoles&Pad=%4{}", "%".repeat(8000));
        assert_eq!(action_hint(&post(cut)), "ListRoles");
    }
}
