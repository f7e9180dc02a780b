//! What the AWS endpoint decides from a request's headers alone, before it reads one byte of
//! the body: whether the body may be read at all, and how much of it.
//!
//! ```text
//!  headers ─> signed? (Authorization header or X-Amz-Algorithm parameter)
//!     │ no:  body limit 128 KiB (unsigned actions, as AssumeRoleWithWebIdentity will be,
//!     │      name themselves in their body, so it is read, within the limit)
//!     │ yes: body limit 1 MiB
//!     ├─ declared Content-Length over the limit ─────────────> 413 RequestEntityTooLargeException
//!     ├─ signed, and the signature cannot be parsed ─────────> IncompleteSignature, ...
//!     ├─ session token that does not open, or has expired ───> InvalidClientTokenId, ExpiredToken
//!     ├─ access key id not in the key store ─────────────────> InvalidClientTokenId
//!     ├─ algorithm, scope, time, signed headers wrong ───────> SignatureDoesNotMatch, ...
//!     └─ otherwise: read the body, streamed, stopping at the limit (413 past it), then serve
//! ```
//!
//! Every refusal here is the answer the endpoint gives anyway once it has the body: the same
//! checks in the same order as `authenticate::authenticate` and `sigv4::verify` (whose header part
//! is [`sigv4::check_headers`]), stopped where the body would be needed (the payload hash, the
//! signature itself, an inactive key's status, which is told only to a correct signature). So
//! a flood of megabyte bodies with a made-up key, a stale date or no signature costs a header
//! parse and a key lookup each, not a megabyte read and buffered.
//!
//! What a refusal here does not have is the body: its audit event names the action given in the
//! query string, or `Unknown`. The action of an unauthenticated request is the sender's claim
//! anyway, and reading it would mean waiting for the body.

use super::auditing::audit_failure;
use super::authenticate::known_key;
use super::endpoint::{AwsApi, Incoming};
use super::error::AwsError;
use super::incoming::action_hint;
use super::sigv4::{self, SigV4Error};
use super::xml;
use crate::storage::connection::without_store;
use crate::sts::TokenError;
use actix_web::web;
use std::sync::Arc;

/// Largest body of a signed request. IAM's largest parameter, a policy document of up to
/// 131,072 characters (botocore's `iam` model), fits even percent-encoded throughout (three
/// bytes a character). Smaller: such documents are refused; larger: each request signed with
/// a known key makes the server buffer more before the signature is checked.
pub(super) const SIGNED_BODY_LIMIT: usize = 1 << 20;

/// Largest body of an unsigned request. Unsigned Query actions carry a signed token in their
/// body: AssumeRoleWithSAML's assertion is at most 100,000 characters and
/// AssumeRoleWithWebIdentity's token at most 20,000 (botocore's `sts` model), with a session
/// policy of at most 2,048. A base64 assertion percent-encodes its `+`, `/` and `=` only (about
/// one character in 32, three bytes each): about 106,000 bytes, plus at most 6,144 for the
/// policy. Larger: anyone, unauthenticated, makes the server buffer more per request; smaller:
/// the largest assertions no longer fit.
pub(super) const UNSIGNED_BODY_LIMIT: usize = 128 << 10;

/// A request whose body may be read.
#[derive(Debug)]
pub(super) struct Admitted {
    /// At most this many bytes of body.
    pub limit: usize,
    /// The credential scope's service (empty when unsigned).
    pub service: String,
}

/// A request refused from its headers.
#[derive(Debug)]
pub(super) struct Refused {
    pub service: String,
    pub error: AwsError,
}

/// Decides from the headers (the body of `incoming` is empty) whether the body may be read.
/// Reads the key store on a cache miss, so it is first run without the store (see
/// [`screen`]); it writes nothing and audits nothing, so running it twice leaves no trace.
pub(super) fn admit(
    api: &AwsApi,
    incoming: &Incoming,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Admitted, Refused> {
    let parts = incoming.parts();
    let signature = sigv4::parse(&parts);
    let signed = !matches!(signature, Err(SigV4Error::MissingAuthenticationToken));
    let limit = if signed {
        SIGNED_BODY_LIMIT
    } else {
        UNSIGNED_BODY_LIMIT
    };
    let service = signature
        .as_ref()
        .map(|p| p.scope.service.clone())
        .unwrap_or_default();
    let refuse = |error: AwsError| Refused {
        service: service.clone(),
        error,
    };
    if declared_length(incoming).is_some_and(|length| length > limit as u64) {
        return Err(refuse(too_large(limit)));
    }
    match signature {
        Ok(parsed) => screen_caller(api, incoming, &parsed, now).map_err(refuse)?,
        // No signature at all: an unsigned action may be named in the body.
        Err(SigV4Error::MissingAuthenticationToken) => {}
        Err(error) => return Err(refuse(error.into())),
    }
    Ok(Admitted { limit, service })
}

/// [`admit`] on this worker when the caches settle it, else again on the blocking pool. A
/// refusal is audited as an unauthenticated failure (sampled) and comes back with the
/// namespace of its answer.
pub(super) async fn screen(
    api: &Arc<AwsApi>,
    incoming: Incoming,
) -> Result<(Incoming, Admitted), (&'static str, AwsError)> {
    let now = api.ctx.clock.now();
    let (first, wants_store) = without_store(|| admit(api, &incoming, now));
    let (incoming, admission) = if wants_store {
        let api = api.clone();
        web::block(move || {
            let admission = admit(&api, &incoming, now);
            (incoming, admission)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "AWS API worker failed");
            (xml::IAM_NAMESPACE, AwsError::service_failure())
        })?
    } else {
        (incoming, first)
    };
    match admission {
        Ok(admitted) => Ok((incoming, admitted)),
        Err(Refused { service, error }) => {
            audit_failure(
                api,
                None,
                &incoming.meta,
                &service,
                &action_hint(&incoming),
                &error,
            );
            Err((xml::namespace(&service), error))
        }
    }
}

/// The body-free part of `authenticate::authenticate`, in its order.
fn screen_caller(
    api: &AwsApi,
    incoming: &Incoming,
    parsed: &sigv4::ParsedSignature,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AwsError> {
    use crate::credentials::TemporaryAccessKeyId;
    use crate::secrets::ExposeSecret;
    if let Some(token) = &parsed.security_token {
        if !TemporaryAccessKeyId::is_well_formed(&parsed.access_key_id) {
            return Err(AwsError::invalid_client_token_id());
        }
        api.ctx
            .sessions
            .open(
                &parsed.access_key_id,
                token.expose_secret(),
                now.timestamp(),
            )
            .map_err(|e| match e {
                TokenError::Expired => AwsError::expired_token(),
                TokenError::Invalid => AwsError::invalid_client_token_id(),
            })?;
    } else if known_key(api, &parsed.access_key_id)?.is_none() {
        return Err(AwsError::invalid_client_token_id());
    }
    sigv4::check_headers(parsed, &incoming.parts(), now, &parsed.scope.service)?;
    Ok(())
}

/// The `Content-Length` the client declared (none for a chunked body).
fn declared_length(incoming: &Incoming) -> Option<u64> {
    incoming
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
}

/// AWS's common error for a body over the limit (HTTP 413).
pub(super) fn too_large(limit: usize) -> AwsError {
    AwsError::sender(
        "RequestEntityTooLargeException",
        413,
        format!("The request body is larger than the {limit} bytes this request may send."),
    )
}

/// The body, read as it arrives and never buffered past the admitted limit. A body over it,
/// or one that cannot be read, is audited as an unauthenticated failure (its signature is not
/// checked yet) and comes back with the namespace of its answer.
pub(super) async fn read_body(
    api: &AwsApi,
    incoming: &Incoming,
    payload: web::Payload,
    admitted: &Admitted,
) -> Result<web::Bytes, (&'static str, AwsError)> {
    let error = match payload.to_bytes_limited(admitted.limit).await {
        Ok(Ok(body)) => return Ok(body),
        Err(_) => too_large(admitted.limit),
        // The connection broke or its framing is wrong: there may be nobody left to answer.
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "cannot read an AWS request body");
            AwsError::sender(
                "MalformedHttpRequestException",
                400,
                "The request body could not be read.",
            )
        }
    };
    let service = &admitted.service;
    audit_failure(
        api,
        None,
        &incoming.meta,
        service,
        &action_hint(incoming),
        &error,
    );
    Err((xml::namespace(service), error))
}
