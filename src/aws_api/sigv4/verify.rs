//! Phase 2 of SigV4: a parsed signature checked against the request and the credential's
//! secret (algorithm, scope, time window, signed headers, payload hash, then the signature in
//! constant time), and the part of it that needs neither the body nor the secret.

use super::canonical::{canonical_request, string_to_sign, trim_variants};
use super::TimeSource;
use super::{amz, ParsedSignature, RequestParts, SigV4Error, SignatureLocation, SigningKeyCache};
use super::{ALGORITHM, MAX_CLOCK_SKEW, MAX_PRESIGNED_EXPIRES, UNSIGNED_PAYLOAD};
use crate::secrets::SecretString;
use chrono::{DateTime, Duration, Utc};
use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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
