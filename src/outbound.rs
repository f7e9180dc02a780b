//! Keyward's calls to systems outside it: an external OpenID Connect provider's discovery
//! document, keys and token endpoint. Every such call is bounded, since the other end may be slow, large or
//! hostile: a short connect and total timeout, a size limit on the answer, no redirect, and
//! https only (plain http only to a loopback address, and only when a test setting allows it).
//!
//! Whom the TLS connection trusts follows AWS's rule for IAM OIDC providers
//! ([`thumbprints`]): a server certificate that the system's roots (Mozilla's, from
//! `webpki-roots`) vouch for, or else a chain that holds a certificate whose SHA-1 thumbprint
//! the provider lists.

pub mod thumbprints;

use openidconnect::reqwest;
use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;
use url::Url;

/// How long a connection may take to open, and a whole request to finish.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read (a JWKS of a few keys is a few KiB).
pub const MAX_BODY: u64 = 256 * 1024;

/// Why a fetch failed, in words for the provider's administrator (never a secret: the URL and
/// the failure).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0} is not an https URL")]
    NotHttps(String),
    /// The server's certificate is not one the roots or the thumbprints vouch for.
    #[error("{url}: the server's certificate is not trusted: {reason}")]
    Untrusted { url: String, reason: String },
    #[error("{url}: {reason}")]
    Failed { url: String, reason: String },
}

/// An answer: its body and how long it may be cached, if the server says.
#[derive(Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` (seconds), unless the server forbids caching (`no-store`,
    /// `no-cache`: then zero).
    pub max_age: Option<u64>,
}

/// Whether `url` may be fetched: https, or http to a loopback address when allowed.
pub fn allowed(url: &Url, allow_http_loopback: bool) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => allow_http_loopback && is_loopback(url),
        _ => false,
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// GETs `url` (JSON expected), trusting the system roots or a certificate with one of
/// `thumbprints` (lower-case hex SHA-1). Blocking: call it from a blocking thread.
pub fn get(
    url: &Url,
    thumbprints: &[String],
    allow_http_loopback: bool,
) -> Result<Fetched, FetchError> {
    let client = client(url, thumbprints, allow_http_loopback)?;
    let request = client
        .get(url.as_str())
        .header("accept", "application/json");
    let (status, headers, body) = exchange(url, request)?;
    if !status.is_success() {
        return Err(failed(url, format!("answered HTTP {}", status.as_u16())));
    }
    let max_age = headers
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .and_then(cache_max_age);
    Ok(Fetched { body, max_age })
}

/// Sends `request` with the same bounds as [`get`] and answers whatever the server answered
/// (an error status included): the HTTP client that `openidconnect` is given for discovery,
/// the token exchange and keys, as a closure over the provider's thumbprints.
pub fn send(
    request: openidconnect::HttpRequest,
    thumbprints: &[String],
    allow_http_loopback: bool,
) -> Result<openidconnect::HttpResponse, FetchError> {
    let url = Url::parse(&request.uri().to_string())
        .map_err(|_| FetchError::NotHttps(request.uri().to_string()))?;
    let client = client(&url, thumbprints, allow_http_loopback)?;
    let (parts, body) = request.into_parts();
    let outgoing = client
        .request(parts.method, url.as_str())
        .headers(parts.headers)
        .body(body);
    let (status, headers, body) = exchange(&url, outgoing)?;
    let mut response = openidconnect::HttpResponse::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

fn failed(url: &Url, reason: String) -> FetchError {
    FetchError::Failed {
        url: url.to_string(),
        reason,
    }
}

/// A client for one call to `url`: https (or loopback http when allowed), TLS trusted by the
/// roots or `thumbprints`, timeouts, no redirects.
fn client(
    url: &Url,
    thumbprints: &[String],
    allow_http_loopback: bool,
) -> Result<reqwest::blocking::Client, FetchError> {
    if !allowed(url, allow_http_loopback) {
        return Err(FetchError::NotHttps(url.to_string()));
    }
    let tls = thumbprints::client_config(thumbprints)
        .map_err(|e| failed(url, format!("cannot configure TLS: {e}")))?;
    reqwest::blocking::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .https_only(url.scheme() == "https")
        .build()
        .map_err(|e| failed(url, format!("cannot make an HTTP client: {e}")))
}

/// Sends a request and reads at most [`MAX_BODY`] of the answer.
fn exchange(
    url: &Url,
    request: reqwest::blocking::RequestBuilder,
) -> Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>), FetchError> {
    let response = request.send().map_err(|e| {
        // rustls's refusal reaches here only in words, through the connector's causes
        // ("invalid peer certificate: ..."); tests/e2e/test_web_identity.py pins them.
        let text = describe(&e);
        if text.contains("invalid peer certificate") {
            FetchError::Untrusted {
                url: url.to_string(),
                reason: text,
            }
        } else {
            failed(url, text)
        }
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    response
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| failed(url, format!("cannot read the answer: {e}")))?;
    if body.len() as u64 > MAX_BODY {
        return Err(failed(url, format!("the answer is over {MAX_BODY} bytes")));
    }
    Ok((status, headers, body))
}

/// A request error in words, with its causes (a TLS refusal is several levels down).
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// The seconds of `Cache-Control: max-age=N`; zero for `no-store` or `no-cache`.
pub fn cache_max_age(header: &str) -> Option<u64> {
    let mut max_age = None;
    for directive in header.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(0);
        }
        if let Some(value) = lower.strip_prefix("max-age=") {
            max_age = value.trim_matches('"').parse().ok();
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_allowed_loopback_http_are_fetched() {
        let url = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert!(allowed(&url("https://idp.example.com/x"), false));
        assert!(!allowed(&url("http://idp.example.com/x"), true));
        assert!(!allowed(&url("http://127.0.0.1:8080/x"), false));
        assert!(allowed(&url("http://127.0.0.1:8080/x"), true));
        assert!(allowed(&url("http://[::1]:8080/x"), true));
        assert!(allowed(&url("http://localhost/x"), true));
        assert!(!allowed(&url("http://10.0.0.1/x"), true));
        assert!(!allowed(&url("file:///etc/passwd"), true));
    }

    #[test]
    fn cache_control_gives_the_max_age() {
        assert_eq!(cache_max_age("public, max-age=300"), Some(300));
        assert_eq!(cache_max_age("max-age=\"60\", must-revalidate"), Some(60));
        assert_eq!(cache_max_age("no-store"), Some(0));
        assert_eq!(cache_max_age("private"), None);
        assert_eq!(cache_max_age("max-age=soon"), None);
    }
}
