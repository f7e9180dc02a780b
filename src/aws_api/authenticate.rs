//! Who is calling: a signed request's key looked up (long-term keys from a cache valid until
//! the next IAM change, temporary ones from their session token alone), its signature
//! checked, and the key's last use written at most once a minute.

use super::endpoint::AwsApi;
use super::error::AwsError;
use super::sigv4::{self, RequestParts};
use crate::authz::Caller;
use crate::credentials::TemporaryAccessKeyId;
use crate::iam::{access_keys, users};
use crate::secrets::ExposeSecret;
use crate::storage::ids::AccessKeyId;
use crate::storage::StorageError;
use crate::sts::TokenError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The access keys already looked up, and when each credential's use was last written.
#[derive(Default)]
pub(super) struct KeyCache {
    /// Access keys with their secret and owner, valid until the next IAM change (the same
    /// epoch that invalidates cached policies: a key deactivated, deleted or its user renamed
    /// is read again).
    keys: Mutex<HashMap<String, (u64, Arc<KnownKey>)>>,
    /// When each access key's (and role's) use was last written, so a busy one writes at most
    /// once a minute.
    last_use_written: Mutex<HashMap<String, chrono::NaiveDateTime>>,
}

/// An access key as authentication needs it.
pub(super) struct KnownKey {
    secret: crate::secrets::SecretString,
    active: bool,
    caller: Caller,
}

/// Bound on cached access keys; past it the cache starts over.
const KEY_CACHE_CAPACITY: usize = 100_000;

/// Finds the key, checks the signature and says who is calling.
pub(super) fn authenticate(
    api: &AwsApi,
    parts: &RequestParts<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Caller, AwsError> {
    authenticate_parsed(api, parts, &sigv4::parse(parts)?, now)
}

/// [`authenticate`] with the signature already parsed.
pub(super) fn authenticate_parsed(
    api: &AwsApi,
    parts: &RequestParts<'_>,
    parsed: &sigv4::ParsedSignature,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Caller, AwsError> {
    if let Some(token) = &parsed.security_token {
        return authenticate_session(api, parts, parsed, token.expose_secret(), now);
    }
    let key =
        known_key(api, &parsed.access_key_id)?.ok_or_else(AwsError::invalid_client_token_id)?;
    sigv4::verify(
        parsed,
        parts,
        &key.secret,
        now,
        &parsed.scope.service,
        &api.signing_keys,
    )?;
    if !key.active {
        return Err(AwsError::invalid_client_token_id());
    }
    record_use(
        api,
        &parsed.access_key_id,
        &parsed.scope.service,
        &parsed.scope.region,
    );
    Ok(key.caller.clone())
}

/// A temporary credential: the session token alone says who is calling and holds the secret
/// to check the signature with; the store is not read.
fn authenticate_session(
    api: &AwsApi,
    parts: &RequestParts<'_>,
    parsed: &sigv4::ParsedSignature,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Caller, AwsError> {
    if !TemporaryAccessKeyId::is_well_formed(&parsed.access_key_id) {
        return Err(AwsError::invalid_client_token_id());
    }
    let claims = api
        .ctx
        .sessions
        .open(&parsed.access_key_id, token, now.timestamp())
        .map_err(|e| match e {
            TokenError::Expired => AwsError::expired_token(),
            TokenError::Invalid => AwsError::invalid_client_token_id(),
        })?;
    let secret = crate::secrets::SecretString::from(claims.secret.clone());
    sigv4::verify(
        parsed,
        parts,
        &secret,
        now,
        &parsed.scope.service,
        &api.signing_keys,
    )?;
    Ok(Caller::Session {
        access_key_id: parsed.access_key_id.clone(),
        claims: Arc::new(claims),
    })
}

/// The key with this id, from the cache while no IAM change happened since it was read.
pub(super) fn known_key(api: &AwsApi, id: &str) -> Result<Option<Arc<KnownKey>>, AwsError> {
    let ctx = &api.ctx;
    let epoch = ctx.epoch();
    if let Some((at, key)) = api
        .keys
        .keys
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(id)
    {
        if *at == epoch {
            return Ok(Some(key.clone()));
        }
    }
    let found = ctx
        .store
        .read(|conn| access_keys::lookup(conn, id))
        .map_err(|e: StorageError| {
            if e.is_deferred() {
                AwsError::service_failure()
            } else {
                internal(&e)
            }
        })?;
    let Some((key, _)) = found else {
        return Ok(None);
    };
    let key_id = AccessKeyId::from_stored(key.id.clone());
    let secret = access_keys::unseal(&ctx.master_key, &key_id, &key.sealed_secret)
        .map_err(|e| internal(&e))?;
    let caller = match key.user_id {
        None => Caller::Root {
            account_id: key.account_id,
        },
        Some(user_id) => Caller::of_user(users::get_by_id(ctx, &user_id).map_err(AwsError::from)?),
    };
    let known = Arc::new(KnownKey {
        secret,
        active: key.status == "Active",
        caller,
    });
    let mut cache = api.keys.keys.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= KEY_CACHE_CAPACITY {
        cache.clear();
    }
    cache.insert(id.to_string(), (epoch, known.clone()));
    Ok(Some(known))
}

fn internal(error: &dyn std::fmt::Display) -> AwsError {
    tracing::error!(error = %error, "AWS API internal error");
    AwsError::service_failure()
}

/// Writes the last use of `what` (a key or role id) with `write`, at most once a minute each,
/// so that busy credentials do not write on every request.
pub(super) fn record_use_with(
    api: &AwsApi,
    what: &str,
    write: impl FnOnce(chrono::NaiveDateTime) -> Result<(), StorageError>,
) {
    let now = api.ctx.clock.now_naive();
    let recent = api
        .keys
        .last_use_written
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(what)
        .is_some_and(|at| now - *at < chrono::Duration::seconds(60));
    if recent {
        return;
    }
    match write(now) {
        // Marked only once written: a write deferred to the blocking pool is made there.
        Ok(()) => {
            let mut written = api
                .keys
                .last_use_written
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if written.len() > 100_000 {
                written.clear();
            }
            written.insert(what.to_string(), now);
        }
        Err(e) if e.is_deferred() => {}
        Err(e) => tracing::warn!(error = %e, what, "cannot record the last use"),
    }
}

/// Writes a key's last use (see [`record_use_with`]).
fn record_use(api: &AwsApi, key_id: &str, service: &str, region: &str) {
    record_use_with(api, key_id, |now| {
        api.ctx
            .store
            .write(|conn| access_keys::record_use(conn, key_id, now, service, region))
    });
}
