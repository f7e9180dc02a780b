//! Sign-ins waiting for their person's next step (the role picker after a directory
//! sign-in): what was proved, sealed under the master key, in the store behind the SHA-256 of a
//! random id that only the browser's cookie holds, until it expires. Unlike a sealed cookie it
//! has no size limit (a directory user's groups can be many), and it is used once.

use super::sessions::{hash_id, new_id};
use crate::context::ServiceContext;
use crate::secrets::ExposeSecret;
use crate::storage::schema::pending_signins as table;
use crate::storage::{DbConnection, StorageError};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn purpose(id_hash: &str) -> String {
    format!("pending-signin:{id_hash}")
}

/// Keeps `value` for `lifetime`; returns the id for the browser's cookie.
pub fn put<T: Serialize>(
    ctx: &ServiceContext,
    value: &T,
    lifetime: Duration,
) -> Result<String, StorageError> {
    let id = new_id(ctx.random.as_ref());
    let id_hash = hash_id(&id);
    let text = serde_json::to_vec(value).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let sealed = ctx
        .master_key
        .seal(&purpose(&id_hash), &text, ctx.random.as_ref())
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let expires_at = ctx.clock.now_naive() + lifetime;
    ctx.store.write(|conn| {
        diesel::insert_into(table::table)
            .values((
                table::id_hash.eq(&id_hash),
                table::sealed.eq(&sealed),
                table::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok::<_, StorageError>(())
    })?;
    Ok(id)
}

/// The value kept behind `id`, while it lives; `None` when there is none (or it does not open).
pub fn get<T: DeserializeOwned>(ctx: &ServiceContext, id: &str) -> Result<Option<T>, StorageError> {
    let id_hash = hash_id(id);
    let now = ctx.clock.now_naive();
    let found: Option<String> = ctx.store.read(|conn| {
        Ok::<_, StorageError>(
            table::table
                .find(&id_hash)
                .filter(table::expires_at.gt(now))
                .select(table::sealed)
                .first(conn)
                .optional()?,
        )
    })?;
    Ok(found.and_then(|sealed| {
        let opened = ctx.master_key.open(&purpose(&id_hash), &sealed).ok()?;
        serde_json::from_slice(opened.expose_secret()).ok()
    }))
}

/// Ends the wait behind `id`; whether it was there (a second use finds nothing).
pub fn take(ctx: &ServiceContext, id: &str) -> Result<bool, StorageError> {
    let id_hash = hash_id(id);
    ctx.store.write(|conn| {
        Ok::<_, StorageError>(diesel::delete(table::table.find(&id_hash)).execute(conn)? == 1)
    })
}

/// Forgets the waits that have expired (the sweep).
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(diesel::delete(table::table.filter(table::expires_at.le(now))).execute(conn)?)
}
