//! Long-term access keys: `AKIA` + 16 characters, a 40-character secret shown once at
//! creation and kept sealed under the master key (SigV4 verification needs it in clear). The
//! key's format (id, secret, sealing) is in [`crate::credentials::access_key`]; here are IAM's
//! rules: owners, quota, status, last use.

pub use crate::credentials::access_key::{
    mint, seal_purpose, unseal, NewAccessKey, SECRET_ALPHABET, SECRET_LEN,
};

/// At most this many access keys per user (IAM's quota).
pub const MAX_KEYS_PER_USER: usize = 2;

use super::call::Call;
use super::{users, IamError};
use crate::context::ServiceContext;
use crate::secrets::SecretString;
use crate::storage::models::AccessKey;
use crate::storage::schema::access_keys as keys;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// A key as IAM lists it (never with its secret).
#[derive(Debug, Clone)]
pub struct KeyMetadata {
    pub id: String,
    pub user_name: Option<String>,
    pub status: String,
    pub created_at: NaiveDateTime,
}

/// A key as created: the secret is in it this once.
pub struct CreatedKey {
    pub metadata: KeyMetadata,
    pub secret: SecretString,
}

/// Whose keys a call concerns: an IAM user by name, or the caller itself when it is the root.
#[derive(Debug, Clone)]
pub enum KeyOwner {
    User(String),
    Root,
}

fn owner_id(
    conn: &mut DbConnection,
    account_id: &str,
    owner: &KeyOwner,
) -> Result<Option<String>, IamError> {
    match owner {
        KeyOwner::User(name) => Ok(Some(users::find(conn, account_id, name)?.id)),
        KeyOwner::Root => Ok(None),
    }
}

fn owner_filter(
    owner_id: &Option<String>,
) -> Box<
    dyn BoxableExpression<
        keys::table,
        crate::storage::connection::MultiBackend,
        SqlType = diesel::sql_types::Bool,
    >,
> {
    match owner_id {
        Some(id) => Box::new(keys::user_id.eq(id.clone()).assume_not_null()),
        None => Box::new(keys::user_id.is_null()),
    }
}

pub fn create(ctx: &ServiceContext, call: &Call, owner: &KeyOwner) -> Result<CreatedKey, IamError> {
    let minted = mint(&ctx.master_key, ctx.random.as_ref())
        .map_err(|e| IamError::Internal(e.to_string()))?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let user_id = owner_id(conn, &call.account_id, owner)?;
        let existing: i64 = keys::table
            .filter(keys::account_id.eq(&call.account_id))
            .filter(owner_filter(&user_id))
            .count()
            .get_result(conn)?;
        if existing >= ctx.limits.access_keys_per_user {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {}",
                ctx.limits.access_keys_per_user
            )));
        }
        diesel::insert_into(keys::table)
            .values(&AccessKey {
                id: minted.id.as_str().to_string(),
                account_id: call.account_id.clone(),
                user_id,
                sealed_secret: minted.sealed_secret.clone(),
                status: "Active".into(),
                created_at: now,
                last_used_at: None,
                last_used_service: None,
                last_used_region: None,
            })
            .execute(conn)?;
        let user_name = match owner {
            KeyOwner::User(n) => Some(n.clone()),
            KeyOwner::Root => None,
        };
        call.audit(
            ctx,
            conn,
            "CreateAccessKey",
            json!({ "userName": user_name, "accessKeyId": minted.id.as_str() }),
        )?;
        Ok(CreatedKey {
            metadata: KeyMetadata {
                id: minted.id.as_str().to_string(),
                user_name,
                status: "Active".into(),
                created_at: now,
            },
            secret: minted.secret,
        })
    })
}

fn key_not_found(id: &str) -> IamError {
    IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
}

fn find_key(
    conn: &mut DbConnection,
    account_id: &str,
    owner: &KeyOwner,
    id: &str,
) -> Result<AccessKey, IamError> {
    let user_id = owner_id(conn, account_id, owner)?;
    keys::table
        .filter(keys::id.eq(id))
        .filter(keys::account_id.eq(account_id))
        .filter(owner_filter(&user_id))
        .select(AccessKey::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| key_not_found(id))
}

pub fn update_status(
    ctx: &ServiceContext,
    call: &Call,
    owner: &KeyOwner,
    id: &str,
    status: &str,
) -> Result<(), IamError> {
    if !matches!(status, "Active" | "Inactive") {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: \
             Member must satisfy enum value set: [Active, Inactive]"
        )));
    }
    ctx.change(|conn| {
        let key = find_key(conn, &call.account_id, owner, id)?;
        diesel::update(keys::table.find(&key.id))
            .set(keys::status.eq(status))
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "UpdateAccessKey",
            json!({ "accessKeyId": id, "status": status }),
        )?;
        Ok(())
    })
}

pub fn delete(
    ctx: &ServiceContext,
    call: &Call,
    owner: &KeyOwner,
    id: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let key = find_key(conn, &call.account_id, owner, id)?;
        diesel::delete(keys::table.find(&key.id)).execute(conn)?;
        call.audit(ctx, conn, "DeleteAccessKey", json!({ "accessKeyId": id }))?;
        Ok(())
    })
}

pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    owner: &KeyOwner,
) -> Result<Vec<KeyMetadata>, IamError> {
    ctx.store.read(|conn| {
        let user_id = owner_id(conn, account_id, owner)?;
        let rows: Vec<AccessKey> = keys::table
            .filter(keys::account_id.eq(account_id))
            .filter(owner_filter(&user_id))
            .order(keys::created_at.asc())
            .select(AccessKey::as_select())
            .load(conn)?;
        let user_name = match owner {
            KeyOwner::User(n) => Some(n.clone()),
            KeyOwner::Root => None,
        };
        Ok(rows
            .into_iter()
            .map(|k| KeyMetadata {
                id: k.id,
                user_name: user_name.clone(),
                status: k.status,
                created_at: k.created_at,
            })
            .collect())
    })
}

/// A stored key with its owner's name, for GetAccessKeyLastUsed and authentication.
pub fn lookup(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<(AccessKey, Option<String>)>, StorageError> {
    let Some(key) = keys::table
        .find(id)
        .select(AccessKey::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let user_name = match &key.user_id {
        Some(uid) => Some(
            crate::storage::schema::users::table
                .find(uid)
                .select(crate::storage::schema::users::name)
                .first::<String>(conn)?,
        ),
        None => None,
    };
    Ok(Some((key, user_name)))
}

/// Records that a key was used (IAM's GetAccessKeyLastUsed), at most once a minute per key.
pub fn record_use(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
    service: &str,
    region: &str,
) -> Result<(), StorageError> {
    let stale = now - chrono::Duration::seconds(60);
    diesel::update(
        keys::table.find(id).filter(
            keys::last_used_at
                .is_null()
                .or(keys::last_used_at.lt(stale)),
        ),
    )
    .set((
        keys::last_used_at.eq(now),
        keys::last_used_service.eq(service),
        keys::last_used_region.eq(region),
    ))
    .execute(conn)?;
    Ok(())
}
