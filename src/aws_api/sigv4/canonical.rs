//! What a SigV4 signature signs: the canonical request (method, canonical URI, canonical
//! query, canonical headers, signed headers, payload hash) and the string to sign, written to
//! the letter of the specification and of botocore's `SigV4Auth.canonical_request`.

use super::super::query::percent_decode;
use super::{amz, ParsedSignature, RequestParts, SigV4Error, SignatureLocation};
use super::{ALGORITHM, URI_ENCODE, URI_ENCODE_PATH};
use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

/// The canonical request (SigV4 "Create a canonical request").
pub(super) fn canonical_request(
    parsed: &ParsedSignature,
    request: &RequestParts<'_>,
    payload_hash: &str,
    trim: Trim,
) -> Result<String, SigV4Error> {
    let presigned = matches!(parsed.location, SignatureLocation::Query { .. });
    let mut out = String::with_capacity(256);
    out.push_str(&request.method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(&canonical_uri(request.path));
    out.push('\n');
    out.push_str(&canonical_query(request.query, presigned)?);
    out.push('\n');
    for name in &parsed.signed_headers {
        let values: Vec<String> = request.header_values(name).map(|v| trim.apply(v)).collect();
        if values.is_empty() {
            // A header that was signed but is not here: the signature cannot match.
            return Err(SigV4Error::mismatch());
        }
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&parsed.signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Ok(out)
}

/// The spec's Trimall ("remove excess white space before and after values, and convert
/// sequential spaces to a single space") is read two ways by the reference signers: `aws-sigv4`
/// (and the Java and Go SDKs) touch only spaces, botocore collapses every whitespace character.
/// They agree unless a signed header value holds a tab or another non-space whitespace; only then
/// is the second reading tried as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trim {
    Spaces,
    AllWhitespace,
}

impl Trim {
    fn apply(self, value: &str) -> String {
        match self {
            Self::Spaces => value
                .split(' ')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            Self::AllWhitespace => value.split_ascii_whitespace().collect::<Vec<_>>().join(" "),
        }
    }
}

pub(super) fn trim_variants(parsed: &ParsedSignature, request: &RequestParts<'_>) -> Vec<Trim> {
    let other_whitespace = parsed.signed_headers.iter().any(|name| {
        request
            .header_values(name)
            .any(|v| v.bytes().any(|b| b.is_ascii_whitespace() && b != b' '))
    });
    if other_whitespace {
        vec![Trim::Spaces, Trim::AllWhitespace]
    } else {
        vec![Trim::Spaces]
    }
}

/// Canonical URI of a non-S3 service: dot segments and empty segments removed (botocore's
/// `remove_dot_segments`), then the raw path URI-encoded once more (so `%2F` becomes `%252F`).
pub(super) fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = String::from("/");
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    percent_encoding::utf8_percent_encode(&normalized, URI_ENCODE_PATH).to_string()
}

/// Canonical query string: each key and value decoded then URI-encoded, sorted by key then
/// value; `X-Amz-Signature` left out of a presigned request.
pub(super) fn canonical_query(query: &str, presigned: bool) -> Result<String, SigV4Error> {
    let mut pairs = Vec::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
        let encode = |raw: &str| {
            percent_decode(raw)
                .map(|bytes| percent_encoding::percent_encode(&bytes, URI_ENCODE).to_string())
                .ok_or_else(|| {
                    SigV4Error::MalformedQueryString(format!(
                        "Invalid percent-encoding in '{segment}'"
                    ))
                })
        };
        let name = encode(name)?;
        if presigned && name == "X-Amz-Signature" {
            continue;
        }
        pairs.push((name, encode(value)?));
    }
    pairs.sort();
    Ok(pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&"))
}

/// String to sign: algorithm, request time, scope, hex SHA-256 of the canonical request.
pub(super) fn string_to_sign(parsed: &ParsedSignature, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        amz(parsed.request_time),
        parsed.scope.to_scope_string(),
        HEXLOWER.encode(Sha256::digest(canonical_request.as_bytes()).as_slice())
    )
}
