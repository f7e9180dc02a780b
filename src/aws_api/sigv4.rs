//! AWS Signature Version 4 verification for the Query protocol (IAM, STS).
//!
//! Two phases, so the caller can look the secret up in between:
//! ```text
//! parse(request) ──> ParsedSignature { access_key_id, scope, request_time, signed_headers, .. }
//!        │ caller: access key id -> secret (unknown key: SigV4Error::invalid_client_token_id())
//!        v
//! verify(parsed, request, secret, now, service, cache) ──> Ok(()) | SigV4Error
//! ```
//! [`check_headers`] is the first part of [`verify`], the part that needs neither the body nor
//! the secret: the endpoint runs it before it reads a body, to refuse early what `verify` would
//! refuse anyway.
//! Specification: "Create a signed AWS API request" (AWS IAM User Guide, Signature Version 4):
//! canonical request = method, canonical URI, canonical query, canonical headers, signed headers,
//! payload hash; string to sign = algorithm, request time, scope, SHA-256(canonical request);
//! signing key = HMAC chain over date, region, service, `aws4_request`.
//!
//! Library choice: the key derivation and the signature are `aws-sigv4`'s own
//! (`sign::v4::generate_signing_key` / `calculate_signature`), AWS's maintained Rust signer. Its
//! canonical-request builder is private and its `sign` chooses the signed headers itself, adds
//! `x-amz-date` and derives the key on every call, so it cannot check an arbitrary client's
//! signed-header list nor use [`SigningKeyCache`]. `scratchstack-aws-signature` 0.11 exposes
//! canonicalisation helpers only behind its `unstable` feature, verifies through an async tower
//! service, and folds form bodies into the canonical query (which botocore does not). So the
//! canonical request is written here, to the letter of the specification and of botocore's
//! `SigV4Auth.canonical_request` (path: remove dot segments and empty segments, then URI-encode
//! the raw path again; query: decode, URI-encode each key and value, sort by key then value;
//! headers: names as listed in `SignedHeaders`, values trimmed with inner whitespace collapsed,
//! repeated headers joined with `,`). It is tested against independent signers (the `aws-sigv4`
//! crate's `sign` and botocore), never only against itself.
//!
//! Pure: no clock, no I/O; `now` is an argument.

use crate::secrets::SecretString;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

mod canonical;
mod key_cache;
mod parse;
mod verify;

pub use key_cache::{SigningKeyCache, DEFAULT_SIGNING_KEY_CACHE_SIZE};
pub use parse::parse;
pub use verify::{check_headers, verify};

/// The only algorithm accepted (SigV4a, `AWS4-ECDSA-P256-SHA256`, is not supported).
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Last element of every credential scope.
const TERMINATOR: &str = "aws4_request";
/// Largest clock difference for a header-signed request, as AWS allows. Larger: replays of a
/// captured request stay valid longer; smaller: clients with slightly wrong clocks are refused.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);
/// Longest `X-Amz-Expires` of a presigned request: 7 days, as AWS allows (a signing key is
/// scoped to one day, and AWS bounds presigned URLs at a week).
pub const MAX_PRESIGNED_EXPIRES: u64 = 604_800;
/// Payload hash of a presigned request that does not sign its (empty) body.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The compact ISO 8601 form of `X-Amz-Date`.
const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// RFC 3986 unreserved characters stay; every other byte is `%XX` (upper-case), as SigV4 says.
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// The same, keeping `/` (canonical URI).
const URI_ENCODE_PATH: &AsciiSet = &URI_ENCODE.remove(b'/');

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// The parts of an HTTP request that SigV4 covers, as received (nothing decoded).
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// Raw path, still percent-encoded, without the query (`/`).
    pub path: &'a str,
    /// Raw query string without `?`, still percent-encoded (empty if none).
    pub query: &'a str,
    /// Headers in arrival order; names in any case; a repeated header appears repeatedly.
    pub headers: &'a [(String, String)],
    /// The body bytes.
    pub body: &'a [u8],
    /// The body's SHA-256 (hex) or `UNSIGNED-PAYLOAD`, when the body itself is not at hand: a
    /// resource server asking Keyward to check a request it received passes the hash it
    /// computed. `None`: hash `body`.
    pub payload_hash: Option<&'a str>,
}

impl<'a> RequestParts<'a> {
    /// Every value of a header, case-insensitively, in arrival order.
    pub fn header_values(&self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The only value of a header; `Err(())` when it is repeated.
    fn single_header(&self, name: &'a str) -> Result<Option<&'a str>, ()> {
        let mut values = self.header_values(name);
        let first = values.next();
        match values.next() {
            Some(_) => Err(()),
            None => Ok(first),
        }
    }
}

/// `date/region/service/aws4_request` of the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub date: NaiveDate,
    pub region: String,
    pub service: String,
}

impl CredentialScope {
    fn to_scope_string(&self) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            self.date.format("%Y%m%d"),
            self.region,
            self.service
        )
    }
}

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`.
    Header,
    /// Presigned: `X-Amz-*` query parameters; `expires` is `X-Amz-Expires` (unchecked yet).
    Query { expires: u64 },
}

/// Which header gave the request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    AmzDate,
    Date,
}

/// A signature read from a request, NOT yet verified: nothing in it may be trusted before
/// [`verify`] returns `Ok`.
#[derive(Debug)]
pub struct ParsedSignature {
    /// As given; only [`ALGORITHM`] passes [`verify`].
    pub algorithm: String,
    /// The access key id of the credential (`AKIA..` long-term, `ASIA..` temporary).
    pub access_key_id: String,
    pub scope: CredentialScope,
    /// `X-Amz-Date` (header or presigned parameter), else the `Date` header.
    pub request_time: DateTime<Utc>,
    pub time_source: TimeSource,
    /// Lower-case header names from `SignedHeaders`, in the order given.
    pub signed_headers: Vec<String>,
    /// Hex signature as given.
    pub signature: String,
    /// `X-Amz-Security-Token` (header or presigned parameter): the session token of temporary
    /// credentials, to be checked by the caller.
    pub security_token: Option<SecretString>,
    pub location: SignatureLocation,
}

/// Why a request's signature was refused, with AWS's code, message and status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header and no `X-Amz-Algorithm` parameter.
    #[error("MissingAuthenticationToken: Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// The signature is malformed or incomplete (400).
    #[error("IncompleteSignature: {0}")]
    IncompleteSignature(String),
    /// The signature, scope or time does not check out (403).
    #[error("SignatureDoesNotMatch: {0}")]
    SignatureDoesNotMatch(String),
    /// Unknown access key id: returned by the caller after [`parse`].
    #[error("InvalidClientTokenId: The security token included in the request is invalid.")]
    InvalidClientTokenId,
    /// The query string cannot be decoded.
    #[error("MalformedQueryString: {0}")]
    MalformedQueryString(String),
}

impl SigV4Error {
    /// What the caller returns when the access key id is unknown or inactive.
    pub fn invalid_client_token_id() -> Self {
        Self::InvalidClientTokenId
    }

    fn mismatch() -> Self {
        Self::SignatureDoesNotMatch(SIGNATURE_MISMATCH.to_owned())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::MalformedQueryString(_) => "MalformedQueryString",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::MissingAuthenticationToken => "Request is missing Authentication Token",
            Self::InvalidClientTokenId => super::error::INVALID_CLIENT_TOKEN_ID_MESSAGE,
            Self::IncompleteSignature(m)
            | Self::SignatureDoesNotMatch(m)
            | Self::MalformedQueryString(m) => m,
        }
    }

    /// HTTP status, as AWS's common-errors table gives it.
    pub fn status(&self) -> u16 {
        match self {
            Self::IncompleteSignature(_) => 400,
            Self::MalformedQueryString(_) => 404,
            Self::MissingAuthenticationToken
            | Self::SignatureDoesNotMatch(_)
            | Self::InvalidClientTokenId => 403,
        }
    }
}

/// A time as `X-Amz-Date` writes it.
fn amz(time: DateTime<Utc>) -> String {
    time.format(AMZ_DATE_FORMAT).to_string()
}

#[cfg(test)]
mod tests;
