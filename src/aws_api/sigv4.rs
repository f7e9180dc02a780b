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

use super::query::percent_decode;
use crate::secrets::{ExposeSecret, SecretString};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use data_encoding::HEXLOWER;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

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

// ---------------------------------------------------------------------------------------------
// Phase 1: parse
// ---------------------------------------------------------------------------------------------

/// Reads the signature from the `Authorization` header or the presigned query parameters.
pub fn parse(request: &RequestParts<'_>) -> Result<ParsedSignature, SigV4Error> {
    let authorization = request.single_header("authorization").map_err(|()| {
        SigV4Error::IncompleteSignature("Only one Authorization header is allowed.".to_owned())
    })?;
    let presigned = presigned_params(request.query)?;
    match (authorization, presigned.contains_key("X-Amz-Algorithm")) {
        (Some(_), true) => Err(SigV4Error::IncompleteSignature(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".to_owned(),
        )),
        (Some(header), false) => parse_header(request, header),
        (None, true) => parse_presigned(&presigned),
        (None, false) => Err(SigV4Error::MissingAuthenticationToken),
    }
}

/// The decoded `X-Amz-*` parameters of the query string (each at most once).
fn presigned_params(query: &str) -> Result<HashMap<String, String>, SigV4Error> {
    let mut found = HashMap::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let (raw_name, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
        if !raw_name.starts_with("X-Amz-") {
            continue;
        }
        let decode = |raw: &str| {
            percent_decode(raw)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    SigV4Error::MalformedQueryString(format!("Invalid encoding in '{segment}'"))
                })
        };
        let (name, value) = (decode(raw_name)?, decode(raw_value)?);
        if found.insert(name.clone(), value).is_some() {
            return Err(SigV4Error::IncompleteSignature(format!(
                "Query parameter {name} appears more than once."
            )));
        }
    }
    Ok(found)
}

fn parse_header(request: &RequestParts<'_>, header: &str) -> Result<ParsedSignature, SigV4Error> {
    let header = header.trim();
    let (algorithm, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "Authorization header requires each component to be of the form key=value. Authorization={header}"
            ))
        })?;
        if fields.insert(name.trim(), value.trim()).is_some() {
            return Err(SigV4Error::IncompleteSignature(format!(
                "Authorization header has a repeated '{}' component. Authorization={header}",
                name.trim()
            )));
        }
    }
    let time = header_time(request)?;
    let missing = missing_components(&fields, time.is_some());
    let (Some(credential), Some(signed), Some(signature), Some((request_time, time_source))) = (
        fields.get("Credential"),
        fields.get("SignedHeaders"),
        fields.get("Signature"),
        time,
    ) else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "{missing}Authorization={header}"
        )));
    };
    let (access_key_id, scope) = parse_credential(credential)?;
    let security_token = request
        .single_header("x-amz-security-token")
        .map_err(|()| {
            SigV4Error::IncompleteSignature(
                "Only one X-Amz-Security-Token header is allowed.".to_owned(),
            )
        })?
        .map(|t| SecretString::from(t.trim().to_owned()));
    Ok(ParsedSignature {
        algorithm: algorithm.to_owned(),
        access_key_id,
        scope,
        request_time,
        time_source,
        signed_headers: parse_signed_headers(signed)?,
        signature: (*signature).to_owned(),
        security_token,
        location: SignatureLocation::Header,
    })
}

/// AWS's "Authorization header requires ..." sentences for the missing components.
fn missing_components(fields: &HashMap<&str, &str>, has_time: bool) -> String {
    let mut missing = String::new();
    for name in ["Credential", "Signature", "SignedHeaders"] {
        if !fields.contains_key(name) {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_time {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    missing
}

/// `X-Amz-Date` header, else `Date` (RFC 1123). `Ok(None)` if neither is present.
fn header_time(
    request: &RequestParts<'_>,
) -> Result<Option<(DateTime<Utc>, TimeSource)>, SigV4Error> {
    let repeated =
        |name: &str| SigV4Error::IncompleteSignature(format!("Only one {name} header is allowed."));
    if let Some(value) = request
        .single_header("x-amz-date")
        .map_err(|()| repeated("X-Amz-Date"))?
    {
        return parse_amz_date(value.trim()).map(|t| Some((t, TimeSource::AmzDate)));
    }
    match request
        .single_header("date")
        .map_err(|()| repeated("Date"))?
    {
        Some(value) => DateTime::parse_from_rfc2822(value.trim())
            .map(|t| Some((t.with_timezone(&Utc), TimeSource::Date)))
            .map_err(|_| {
                SigV4Error::IncompleteSignature(format!(
                    "Date must be in RFC 1123 format. Got '{value}'"
                ))
            }),
        None => Ok(None),
    }
}

/// `20261123T150405Z`, strictly (16 characters, digits where digits belong).
fn parse_amz_date(value: &str) -> Result<DateTime<Utc>, SigV4Error> {
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 16
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 => *b == b'T',
            15 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| chrono::NaiveDateTime::parse_from_str(value, AMZ_DATE_FORMAT).ok())
        .flatten()
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ))
        })
}

/// `AKID/20261123/us-east-1/iam/aws4_request`.
fn parse_credential(credential: &str) -> Result<(String, CredentialScope), SigV4Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = parts.as_slice() else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    if key.is_empty() || region.is_empty() || service.is_empty() {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential has an empty element: '{credential}'"
        )));
    }
    if *terminator != TERMINATOR {
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'."
        )));
    }
    let date = (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()))
        .then(|| NaiveDate::parse_from_str(date, "%Y%m%d").ok())
        .flatten()
        .ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "Date in Credential scope must be in the form YYYYMMDD. Got '{date}'"
            ))
        })?;
    let scope = CredentialScope {
        date,
        region: (*region).to_owned(),
        service: (*service).to_owned(),
    };
    Ok(((*key).to_owned(), scope))
}

/// `content-type;host;x-amz-date` -> names, lower-cased and trimmed, order kept.
fn parse_signed_headers(signed: &str) -> Result<Vec<String>, SigV4Error> {
    let names: Vec<String> = signed
        .split(';')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    if names.iter().any(String::is_empty) {
        return Err(SigV4Error::IncompleteSignature(format!(
            "SignedHeaders has an empty header name: '{signed}'"
        )));
    }
    Ok(names)
}

fn parse_presigned(params: &HashMap<String, String>) -> Result<ParsedSignature, SigV4Error> {
    let get = |name: &str| {
        params.get(name).map(String::as_str).ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "AWS query-string parameters must include '{name}'. Re-examine the query-string parameters."
            ))
        })
    };
    let algorithm = get("X-Amz-Algorithm")?;
    let (access_key_id, scope) = parse_credential(get("X-Amz-Credential")?)?;
    let request_time = parse_amz_date(get("X-Amz-Date")?)?;
    let expires_raw = get("X-Amz-Expires")?;
    let expires = expires_raw
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| expires_raw.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "X-Amz-Expires should be a number, got '{expires_raw}'"
            ))
        })?;
    Ok(ParsedSignature {
        algorithm: algorithm.to_owned(),
        access_key_id,
        scope,
        request_time,
        time_source: TimeSource::AmzDate,
        signed_headers: parse_signed_headers(get("X-Amz-SignedHeaders")?)?,
        signature: get("X-Amz-Signature")?.to_owned(),
        security_token: params
            .get("X-Amz-Security-Token")
            .map(|t| SecretString::from(t.clone())),
        location: SignatureLocation::Query { expires },
    })
}

// ---------------------------------------------------------------------------------------------
// Phase 2: verify
// ---------------------------------------------------------------------------------------------

/// Checks a parsed signature against the request and the credential's secret.
///
/// Order: algorithm, scope (service, date), time window, required signed headers, payload hash,
/// then the signature itself (constant-time).
pub fn verify(
    parsed: &ParsedSignature,
    request: &RequestParts<'_>,
    secret: &SecretString,
    now: DateTime<Utc>,
    expected_service: &str,
    cache: &SigningKeyCache,
) -> Result<(), SigV4Error> {
    check_headers(parsed, request, now, expected_service)?;
    let payload_hashes = payload_hashes(parsed, request)?;
    let key = cache.signing_key(&parsed.access_key_id, secret, &parsed.scope);
    let provided = parsed.signature.to_ascii_lowercase();
    let mut matched = subtle::Choice::from(0u8);
    for trim in trim_variants(parsed, request) {
        for payload_hash in &payload_hashes {
            let canonical = canonical_request(parsed, request, payload_hash, trim)?;
            let to_sign = string_to_sign(parsed, &canonical);
            let expected = aws_sigv4::sign::v4::calculate_signature(key, to_sign.as_bytes());
            matched |= expected.as_bytes().ct_eq(provided.as_bytes());
        }
    }
    if bool::from(matched) {
        Ok(())
    } else {
        Err(SigV4Error::mismatch())
    }
}

/// The checks of [`verify`] that need neither the body nor the secret, in [`verify`]'s order:
/// algorithm, scope (service, date), time window, required signed headers. A request that
/// fails them fails [`verify`] with the same error, so it can be refused before its body is
/// read (`request.body` is not looked at).
pub fn check_headers(
    parsed: &ParsedSignature,
    request: &RequestParts<'_>,
    now: DateTime<Utc>,
    expected_service: &str,
) -> Result<(), SigV4Error> {
    if parsed.algorithm != ALGORITHM {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{}'. Only '{ALGORITHM}' is supported.",
            parsed.algorithm
        )));
    }
    check_scope(parsed, expected_service)?;
    check_time(parsed, now)?;
    check_signed_headers(parsed, request)
}

fn check_scope(parsed: &ParsedSignature, expected_service: &str) -> Result<(), SigV4Error> {
    if parsed.scope.service != expected_service {
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Credential should be scoped to correct service: '{expected_service}'. "
        )));
    }
    let request_date = parsed.request_time.date_naive();
    if parsed.scope.date != request_date {
        let source = match parsed.time_source {
            TimeSource::AmzDate => "X-Amz-Date",
            TimeSource::Date => "Date",
        };
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{source}'.",
            parsed.scope.date.format("%Y%m%d"),
            request_date.format("%Y%m%d")
        )));
    }
    Ok(())
}

fn amz(time: DateTime<Utc>) -> String {
    time.format(AMZ_DATE_FORMAT).to_string()
}

/// Header-signed: within [`MAX_CLOCK_SKEW`] of `now`. Presigned: `X-Amz-Expires` in
/// 1..=[`MAX_PRESIGNED_EXPIRES`], not expired, and not dated more than the skew ahead.
fn check_time(parsed: &ParsedSignature, now: DateTime<Utc>) -> Result<(), SigV4Error> {
    let t = parsed.request_time;
    if t > now + MAX_CLOCK_SKEW {
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            amz(t),
            amz(now + MAX_CLOCK_SKEW),
            amz(now)
        )));
    }
    match parsed.location {
        SignatureLocation::Header if t < now - MAX_CLOCK_SKEW => {
            Err(SigV4Error::SignatureDoesNotMatch(format!(
                "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                amz(t),
                amz(now - MAX_CLOCK_SKEW),
                amz(now)
            )))
        }
        SignatureLocation::Header => Ok(()),
        SignatureLocation::Query { expires } => {
            if !(1..=MAX_PRESIGNED_EXPIRES).contains(&expires) {
                return Err(SigV4Error::IncompleteSignature(format!(
                    "X-Amz-Expires must be between 1 and {MAX_PRESIGNED_EXPIRES} seconds, got {expires}"
                )));
            }
            // `expires` <= 604800 fits in i64 and in chrono's Duration.
            let lifetime = Duration::seconds(i64::try_from(expires).unwrap_or(0));
            if t + lifetime < now {
                return Err(SigV4Error::SignatureDoesNotMatch(format!(
                    "Signature expired: {} is now earlier than {} ({} - {expires} sec.)",
                    amz(t),
                    amz(now - lifetime),
                    amz(now)
                )));
            }
            Ok(())
        }
    }
}

/// `host` must be signed, and `x-amz-date` whenever the request carries that header.
fn check_signed_headers(
    parsed: &ParsedSignature,
    request: &RequestParts<'_>,
) -> Result<(), SigV4Error> {
    let signed = |name: &str| parsed.signed_headers.iter().any(|h| h == name);
    if !signed("host") {
        return Err(SigV4Error::SignatureDoesNotMatch(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    if request.header_values("x-amz-date").next().is_some() && !signed("x-amz-date") {
        return Err(SigV4Error::SignatureDoesNotMatch(
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    Ok(())
}

/// The payload hash(es) the client may have signed. `x-amz-content-sha256`, when sent, must be
/// the body's SHA-256 and is used as is. A presigned request with an empty body may also have
/// signed `UNSIGNED-PAYLOAD` (botocore does so over HTTPS when payload signing is off); nothing
/// unauthenticated can ride along with an empty body.
fn payload_hashes(
    parsed: &ParsedSignature,
    request: &RequestParts<'_>,
) -> Result<Vec<String>, SigV4Error> {
    if let Some(forwarded) = request.payload_hash {
        let claimed = request.single_header("x-amz-content-sha256").ok().flatten();
        if claimed.is_some_and(|c| !c.trim().eq_ignore_ascii_case(forwarded)) {
            return Err(SigV4Error::SignatureDoesNotMatch(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned(),
            ));
        }
        let hash = if forwarded.eq_ignore_ascii_case(UNSIGNED_PAYLOAD) {
            UNSIGNED_PAYLOAD.to_owned()
        } else {
            forwarded.to_ascii_lowercase()
        };
        return Ok(vec![hash]);
    }
    let body_hash = HEXLOWER.encode(Sha256::digest(request.body).as_slice());
    let claimed = request
        .single_header("x-amz-content-sha256")
        .map_err(|()| {
            SigV4Error::IncompleteSignature(
                "Only one X-Amz-Content-SHA256 header is allowed.".to_owned(),
            )
        })?;
    if let Some(claimed) = claimed {
        let claimed = claimed.trim();
        if !claimed.eq_ignore_ascii_case(&body_hash) {
            return Err(SigV4Error::SignatureDoesNotMatch(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned(),
            ));
        }
        return Ok(vec![claimed.to_owned()]);
    }
    let mut hashes = vec![body_hash];
    if matches!(parsed.location, SignatureLocation::Query { .. }) && request.body.is_empty() {
        hashes.push(UNSIGNED_PAYLOAD.to_owned());
    }
    Ok(hashes)
}

/// The canonical request (SigV4 "Create a canonical request").
fn canonical_request(
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
enum Trim {
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

fn trim_variants(parsed: &ParsedSignature, request: &RequestParts<'_>) -> Vec<Trim> {
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
fn canonical_uri(path: &str) -> String {
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
fn canonical_query(query: &str, presigned: bool) -> Result<String, SigV4Error> {
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
fn string_to_sign(parsed: &ParsedSignature, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        amz(parsed.request_time),
        parsed.scope.to_scope_string(),
        HEXLOWER.encode(Sha256::digest(canonical_request.as_bytes()).as_slice())
    )
}

// ---------------------------------------------------------------------------------------------
// Signing-key cache
// ---------------------------------------------------------------------------------------------

/// Default number of cached signing keys. Each is 32 bytes plus its key; a key is valid for one
/// day, region and service, so this covers thousands of active credentials.
pub const DEFAULT_SIGNING_KEY_CACHE_SIZE: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    access_key_id: String,
    /// SHA-256 of the secret: a rotated or different secret never hits an old entry.
    secret_fingerprint: [u8; 32],
    date: NaiveDate,
    region: String,
    service: String,
}

/// Derived SigV4 signing keys (four HMACs each), bounded, shared across threads.
///
/// The derived keys are as sensitive as the secrets for their day, region and service; they
/// live only in this process's memory.
pub struct SigningKeyCache {
    entries: Mutex<HashMap<CacheKey, [u8; 32]>>,
    capacity: usize,
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_SIGNING_KEY_CACHE_SIZE)
    }
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, [u8; 32]>> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still a
        // valid map of correct keys.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The signing key for this credential and scope, derived once and then reused.
    fn signing_key(
        &self,
        access_key_id: &str,
        secret: &SecretString,
        scope: &CredentialScope,
    ) -> [u8; 32] {
        let secret_fingerprint: [u8; 32] = Sha256::digest(secret.expose_secret().as_bytes()).into();
        let cache_key = CacheKey {
            access_key_id: access_key_id.to_owned(),
            secret_fingerprint,
            date: scope.date,
            region: scope.region.clone(),
            service: scope.service.clone(),
        };
        if let Some(key) = self.lock().get(&cache_key) {
            return *key;
        }
        let key = derive_signing_key(secret, scope);
        if self.capacity > 0 {
            let mut entries = self.lock();
            if entries.len() >= self.capacity && !entries.contains_key(&cache_key) {
                // Bounded: drop an arbitrary entry (a hot key is re-derived at most once).
                if let Some(victim) = entries.keys().next().cloned() {
                    entries.remove(&victim);
                }
            }
            entries.insert(cache_key, key);
        }
        key
    }
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
/// by `aws-sigv4`.
fn derive_signing_key(secret: &SecretString, scope: &CredentialScope) -> [u8; 32] {
    let midnight = Utc.from_utc_datetime(&scope.date.and_time(NaiveTime::MIN));
    let key = aws_sigv4::sign::v4::generate_signing_key(
        secret.expose_secret(),
        std::time::SystemTime::from(midnight),
        &scope.region,
        &scope.service,
    );
    let mut out = [0u8; 32];
    for (o, k) in out.iter_mut().zip(key.as_ref()) {
        *o = *k;
    }
    out
}

#[cfg(test)]
mod tests;
