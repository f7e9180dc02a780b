//! Security keys and passkeys (WebAuthn credentials) as MFA devices: stored once registered,
//! found by owner or by credential id, and their use recorded.

use super::{check_quota, device_label, Owner};
use crate::context::ServiceContext;
use crate::iam::call::Call;
use crate::iam::IamError;
use crate::storage::schema::mfa_devices;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// A WebAuthn credential to store for a user.
#[derive(Debug, Clone)]
pub struct NewSecurityKey<'a> {
    pub owner: &'a Owner,
    pub name: &'a str,
    /// A discoverable credential that signs in on its own.
    pub passkey: bool,
    /// The credential id, base64url.
    pub credential_id: &'a str,
    /// The credential as webauthn-rs serialises it.
    pub credential: &'a str,
}

/// Stores a registered security key or passkey, enabled at once (the registration ceremony
/// proved possession). Its serial number is a `u2f` ARN, as IAM names security keys.
pub fn add_security_key(
    ctx: &ServiceContext,
    call: &Call,
    key: &NewSecurityKey<'_>,
) -> Result<String, IamError> {
    let name = device_label(key.name)?;
    let now = ctx.clock.now_naive();
    let mut suffix = [0u8; 8];
    ctx.random.fill(&mut suffix);
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let owner_name = key.owner.name(conn)?;
        check_quota(ctx, conn, key.owner)?;
        let suffix = data_encoding::BASE32_NOPAD.encode(&suffix);
        let serial = match key.owner {
            Owner::User(_) => format!(
                "arn:aws:iam::{}:u2f/user/{owner_name}/{suffix}",
                call.account_id
            ),
            Owner::Root(_) => format!("arn:aws:iam::{}:u2f/root/{suffix}", call.account_id),
            Owner::External { .. } => {
                format!("arn:aws:iam::{}:u2f/external/{suffix}", call.account_id)
            }
        };
        let (external_provider, external_subject) = key.owner.external();
        diesel::insert_into(mfa_devices::table)
            .values((
                mfa_devices::serial_number.eq(&serial),
                mfa_devices::account_id.eq(&call.account_id),
                mfa_devices::user_id.eq(key.owner.user_id()),
                mfa_devices::external_provider.eq(external_provider),
                mfa_devices::external_subject.eq(external_subject),
                mfa_devices::kind.eq("webauthn"),
                mfa_devices::name.eq(name),
                mfa_devices::webauthn_credential.eq(key.credential),
                mfa_devices::webauthn_credential_id.eq(key.credential_id),
                mfa_devices::passkey.eq(key.passkey),
                mfa_devices::enabled.eq(true),
                mfa_devices::enabled_at.eq(now),
                mfa_devices::created_at.eq(now),
            ))
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => {
                    IamError::EntityAlreadyExists("This security key is already registered.".into())
                }
                other => other.into(),
            })?;
        call.audit(
            ctx,
            conn,
            "EnableMFADevice",
            json!({ "userName": owner_name, "serialNumber": serial, "passkey": key.passkey }),
        )?;
        Ok(serial)
    })
}

/// A stored WebAuthn credential: serial number, owner and the credential itself.
#[derive(Debug, Clone)]
pub struct StoredSecurityKey {
    pub serial_number: String,
    pub account_id: String,
    pub owner: Owner,
    pub passkey: bool,
    pub credential: String,
}

type KeyRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
);

fn stored_key(row: KeyRow) -> Option<StoredSecurityKey> {
    let (serial_number, account_id, user_id, provider, subject, passkey, credential) = row;
    Some(StoredSecurityKey {
        serial_number,
        owner: match (user_id, provider, subject) {
            (Some(id), _, _) => Owner::User(id),
            (None, Some(provider), Some(subject)) => Owner::External {
                account_id: account_id.clone(),
                provider,
                subject,
            },
            (None, None, _) => Owner::Root(account_id.clone()),
            // A device with half an external owner is nobody's.
            (None, Some(_), None) => return None,
        },
        account_id,
        passkey,
        credential: credential?,
    })
}

const KEY_COLUMNS: (
    mfa_devices::serial_number,
    mfa_devices::account_id,
    mfa_devices::user_id,
    mfa_devices::external_provider,
    mfa_devices::external_subject,
    mfa_devices::passkey,
    mfa_devices::webauthn_credential,
) = (
    mfa_devices::serial_number,
    mfa_devices::account_id,
    mfa_devices::user_id,
    mfa_devices::external_provider,
    mfa_devices::external_subject,
    mfa_devices::passkey,
    mfa_devices::webauthn_credential,
);

/// An owner's enabled security keys and passkeys.
pub fn security_keys(
    conn: &mut DbConnection,
    owner: &Owner,
) -> Result<Vec<StoredSecurityKey>, StorageError> {
    let serials = owner.serials(conn)?;
    let rows: Vec<KeyRow> = mfa_devices::table
        .filter(mfa_devices::serial_number.eq_any(serials))
        .filter(mfa_devices::kind.eq("webauthn"))
        .select(KEY_COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().filter_map(stored_key).collect())
}

/// The enabled key with this credential id (base64url), whoever owns it.
pub fn security_key_by_credential(
    conn: &mut DbConnection,
    credential_id: &str,
) -> Result<Option<StoredSecurityKey>, StorageError> {
    let row: Option<KeyRow> = mfa_devices::table
        .filter(mfa_devices::webauthn_credential_id.eq(credential_id))
        .filter(mfa_devices::enabled.eq(true))
        .select(KEY_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(row.and_then(stored_key))
}

/// Records a use of a key, with its updated credential (signature counter, backup state).
pub fn security_key_used(
    conn: &mut DbConnection,
    serial: &str,
    credential: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(mfa_devices::table.find(serial))
        .set(mfa_devices::last_used_at.eq(now))
        .execute(conn)?;
    if let Some(credential) = credential {
        diesel::update(mfa_devices::table.find(serial))
            .set(mfa_devices::webauthn_credential.eq(credential))
            .execute(conn)?;
    }
    Ok(())
}
