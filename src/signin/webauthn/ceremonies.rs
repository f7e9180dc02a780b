//! Where the state of a WebAuthn ceremony waits for the browser's answer: a row per ceremony,
//! keyed by the hash of the cookie it is bound to, its purpose and its challenge, taken (and so
//! ended) by the answer that signed that challenge, and swept once expired.

use super::{WebauthnFlowError, CEREMONY_TIMEOUT};
use crate::storage::schema::webauthn_ceremonies;
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use data_encoding::BASE64URL_NOPAD;
use diesel::prelude::*;
use webauthn_rs_proto::CollectedClientData;

/// Ceremonies of one purpose that one cookie may have under way at once (one per open page);
/// starting another drops the oldest.
const CEREMONIES_PER_PURPOSE: i64 = 8;

/// Deletes the ceremonies that expired at or before `now`; returns how many.
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(
        diesel::delete(webauthn_ceremonies::table.filter(webauthn_ceremonies::expires_at.le(now)))
            .execute(conn)?,
    )
}

/// Keeps a ceremony's state until its answer comes or it expires. A browser may have several
/// under way at once (two sign-in tabs, say): each is its own row, found by its challenge.
pub(super) fn keep(
    conn: &mut DbConnection,
    binding_hash: &str,
    purpose: &str,
    challenge: &[u8],
    state: &impl serde::Serialize,
    now: NaiveDateTime,
) -> Result<(), WebauthnFlowError> {
    let text = serde_json::to_string(state)?;
    sweep(conn, now)?;
    let oldest: Vec<String> = webauthn_ceremonies::table
        .filter(webauthn_ceremonies::binding_hash.eq(binding_hash))
        .filter(webauthn_ceremonies::purpose.eq(purpose))
        .order(webauthn_ceremonies::expires_at.desc())
        .offset(CEREMONIES_PER_PURPOSE - 1)
        .select(webauthn_ceremonies::challenge)
        .load(conn)?;
    if !oldest.is_empty() {
        diesel::delete(
            webauthn_ceremonies::table
                .filter(webauthn_ceremonies::binding_hash.eq(binding_hash))
                .filter(webauthn_ceremonies::purpose.eq(purpose))
                .filter(webauthn_ceremonies::challenge.eq_any(oldest)),
        )
        .execute(conn)?;
    }
    diesel::insert_into(webauthn_ceremonies::table)
        .values((
            webauthn_ceremonies::binding_hash.eq(binding_hash),
            webauthn_ceremonies::purpose.eq(purpose),
            webauthn_ceremonies::challenge.eq(BASE64URL_NOPAD.encode(challenge)),
            webauthn_ceremonies::state.eq(text),
            webauthn_ceremonies::expires_at.eq(now + CEREMONY_TIMEOUT),
        ))
        .execute(conn)?;
    Ok(())
}

/// The challenge an answer signed, read from its client data. The ceremony is found by it;
/// webauthn-rs then checks the whole answer against that ceremony's state.
fn answered_challenge(client_data_json: &[u8]) -> Option<Vec<u8>> {
    serde_json::from_slice::<CollectedClientData>(client_data_json)
        .ok()
        .map(|data| data.challenge)
}

/// Takes (and so ends) the ceremony that an answer with this client data belongs to, if it
/// has not expired.
pub(super) fn take<T: serde::de::DeserializeOwned>(
    conn: &mut DbConnection,
    binding_hash: &str,
    purpose: &str,
    client_data_json: &[u8],
    now: NaiveDateTime,
) -> Result<T, WebauthnFlowError> {
    let challenge = answered_challenge(client_data_json).ok_or(WebauthnFlowError::NoCeremony)?;
    let challenge = BASE64URL_NOPAD.encode(&challenge);
    let key = (binding_hash, purpose, challenge.as_str());
    let found: Option<(String, NaiveDateTime)> = webauthn_ceremonies::table
        .find(key)
        .select((webauthn_ceremonies::state, webauthn_ceremonies::expires_at))
        .first(conn)
        .optional()?;
    let taken = diesel::delete(webauthn_ceremonies::table.find(key)).execute(conn)?;
    match found {
        Some((state, expires)) if taken == 1 && expires > now => Ok(serde_json::from_str(&state)?),
        _ => Err(WebauthnFlowError::NoCeremony),
    }
}
