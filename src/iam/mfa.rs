//! MFA devices of IAM users, of the root user and of external identities (a directory user
//! whose directory requires Keyward MFA): whose a device is ([`Owner`]), the devices a console
//! lists, renamed or removed by their owner. Virtual (TOTP) devices are in
//! `virtual_devices.rs`, security keys and passkeys (WebAuthn credentials) in `security_keys.rs`;
//! both are re-exported here, so every path stays `iam::mfa::...`.

mod security_keys;
mod virtual_devices;

pub use security_keys::{
    add_security_key, security_key_by_credential, security_key_used, security_keys, NewSecurityKey,
    StoredSecurityKey,
};
pub(crate) use virtual_devices::find_virtual;
pub use virtual_devices::{
    assign_new_virtual, create_virtual, deactivate, delete_virtual, enable, get, list_for_user,
    list_virtual, resync, totp_serials, verify_any_code, verify_code, verify_code_of, Assignment,
    NewDevice,
};

use super::call::Call;
use super::tags::{self, Taggable};
use super::{users, IamError};
use crate::context::ServiceContext;
use crate::storage::schema::mfa_devices;
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mfa_devices)]
pub struct Device {
    pub serial_number: String,
    pub account_id: String,
    pub user_id: Option<String>,
    pub sealed_seed: Option<String>,
    pub enabled: bool,
    pub enabled_at: Option<NaiveDateTime>,
    pub last_used_step: Option<i64>,
}

/// Whose devices: an IAM user's, the account's root user's (stored without a user id, and
/// enabled: a device without a user that is not enabled is an unassigned virtual device), or an
/// external identity's (no user id either, but an external provider and subject: no IAM
/// entity, never listed by IAM, never the root user's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(String),
    Root(String),
    External {
        account_id: String,
        /// The provider's ARN (a directory's).
        provider: String,
        /// The subject the provider vouches for (a directory user's DN).
        subject: String,
    },
}

impl Owner {
    /// The serial numbers of this owner's enabled devices.
    fn serials(&self, conn: &mut DbConnection) -> Result<Vec<String>, StorageError> {
        let enabled = mfa_devices::table.filter(mfa_devices::enabled.eq(true));
        Ok(match self {
            Owner::User(id) => enabled
                .filter(mfa_devices::user_id.eq(id))
                .select(mfa_devices::serial_number)
                .load(conn)?,
            Owner::Root(account) => enabled
                .filter(mfa_devices::user_id.is_null())
                .filter(mfa_devices::external_provider.is_null())
                .filter(mfa_devices::account_id.eq(account))
                .select(mfa_devices::serial_number)
                .load(conn)?,
            Owner::External {
                account_id,
                provider,
                subject,
            } => enabled
                .filter(mfa_devices::user_id.is_null())
                .filter(mfa_devices::account_id.eq(account_id))
                .filter(mfa_devices::external_provider.eq(provider))
                .filter(mfa_devices::external_subject.eq(subject))
                .select(mfa_devices::serial_number)
                .load(conn)?,
        })
    }

    /// Whether `serial` is one of this owner's enabled devices.
    pub fn owns(&self, conn: &mut DbConnection, serial: &str) -> Result<bool, StorageError> {
        Ok(self.serials(conn)?.iter().any(|s| s == serial))
    }

    fn user_id(&self) -> Option<&str> {
        match self {
            Owner::User(id) => Some(id),
            Owner::Root(_) | Owner::External { .. } => None,
        }
    }

    /// The external provider and subject that own the device, for an external identity.
    fn external(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Owner::External {
                provider, subject, ..
            } => (Some(provider), Some(subject)),
            Owner::User(_) | Owner::Root(_) => (None, None),
        }
    }

    /// The owner's name in serial numbers and audit events.
    fn name(&self, conn: &mut DbConnection) -> Result<String, IamError> {
        match self {
            Owner::User(id) => Ok(users::get_by_id_in(conn, id)?.name),
            Owner::Root(_) => Ok("root".to_string()),
            Owner::External { subject, .. } => Ok(subject.clone()),
        }
    }
}

fn not_found(serial: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "MFA Device with serial number {serial} does not exist."
    ))
}

/// One of a user's devices as the console lists them.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mfa_devices)]
pub struct DeviceSummary {
    pub serial_number: String,
    pub name: String,
    /// `totp` or `webauthn`.
    pub kind: String,
    pub passkey: bool,
    pub enabled_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

/// Every enabled device of an owner, virtual and WebAuthn, oldest first.
pub fn devices_of(ctx: &ServiceContext, owner: &Owner) -> Result<Vec<DeviceSummary>, IamError> {
    Ok(ctx.store.read(|conn| {
        let serials = owner.serials(conn)?;
        mfa_devices::table
            .filter(mfa_devices::serial_number.eq_any(serials))
            .order((
                mfa_devices::created_at.asc(),
                mfa_devices::serial_number.asc(),
            ))
            .select(DeviceSummary::as_select())
            .load(conn)
            .map_err(StorageError::from)
    })?)
}

/// A device's name as the console shows it: 1 to 64 printable characters.
fn device_label(name: &str) -> Result<&str, IamError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(IamError::InvalidInput(
            "A device name has 1 to 64 printable characters.".into(),
        ));
    }
    Ok(name)
}

/// Refuses another device past IAM's quota of devices per user, and any second device of an
/// external identity.
fn check_quota(
    ctx: &ServiceContext,
    conn: &mut DbConnection,
    owner: &Owner,
) -> Result<(), IamError> {
    let serials = owner.serials(conn)?;
    // An external identity enrols its first device at sign-in, with its password alone: a
    // second one would let whoever learns the password add their own.
    if matches!(owner, Owner::External { .. }) && !serials.is_empty() {
        return Err(IamError::EntityAlreadyExists(
            "An MFA device is already enrolled for this identity.".into(),
        ));
    }
    let count = i64::try_from(serials.len()).unwrap_or(i64::MAX);
    if count >= ctx.limits.mfa_devices_per_user {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for MFADevicesPerUser: {}",
            ctx.limits.mfa_devices_per_user
        )));
    }
    Ok(())
}

/// A user (or the root user) renames one of its own devices.
pub fn rename_own(
    ctx: &ServiceContext,
    call: &Call,
    owner: &Owner,
    serial: &str,
    name: &str,
) -> Result<(), IamError> {
    let name = device_label(name)?;
    ctx.change(|conn| {
        if !owner.owns(conn, serial)? {
            return Err(not_found(serial));
        }
        diesel::update(mfa_devices::table.find(serial))
            .set(mfa_devices::name.eq(name))
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "RenameMFADevice",
            json!({ "serialNumber": serial, "name": name }),
        )?;
        Ok(())
    })
}

/// A user (or the root user) removes one of its own devices (a virtual device is deleted with
/// its seed, as DeactivateMFADevice followed by DeleteVirtualMFADevice would). With `keep_one`
/// (the user's policies depend on MFA) its last device is refused: an administrator can still
/// deactivate it.
pub fn remove_own(
    ctx: &ServiceContext,
    call: &Call,
    owner: &Owner,
    serial: &str,
    keep_one: bool,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let serials = owner.serials(conn)?;
        if !serials.iter().any(|s| s == serial) {
            return Err(not_found(serial));
        }
        if keep_one && serials.len() <= 1 {
            return Err(IamError::InvalidInput(
                "This is your last MFA device and your policies require MFA. Add another \
                 device before you remove this one."
                    .into(),
            ));
        }
        diesel::delete(mfa_devices::table.find(serial)).execute(conn)?;
        tags::remove_all(conn, Taggable::Mfa, serial)?;
        call.audit(
            ctx,
            conn,
            "DeactivateMFADevice",
            json!({ "serialNumber": serial }),
        )?;
        Ok(())
    })
}

/// Deletes the devices that `provider` (an external provider's ARN) vouches for: those of
/// `subject`, or of every subject when none is given (the provider itself is deleted). Runs in
/// the caller's transaction; returns the serial numbers deleted.
pub fn remove_external(
    conn: &mut DbConnection,
    account_id: &str,
    provider: &str,
    subject: Option<&str>,
) -> Result<Vec<String>, StorageError> {
    let mut query = mfa_devices::table
        .filter(mfa_devices::account_id.eq(account_id))
        .filter(mfa_devices::user_id.is_null())
        .filter(mfa_devices::external_provider.eq(provider))
        .select(mfa_devices::serial_number)
        .into_boxed();
    if let Some(subject) = subject {
        query = query.filter(mfa_devices::external_subject.eq(subject));
    }
    let serials: Vec<String> = query.load(conn)?;
    diesel::delete(mfa_devices::table.filter(mfa_devices::serial_number.eq_any(&serials)))
        .execute(conn)?;
    Ok(serials)
}

/// One device of an external identity, as an administrator lists them.
#[derive(Debug, Clone)]
pub struct ExternalDevice {
    /// The subject the provider vouches for (a directory user's DN).
    pub subject: String,
    pub device: DeviceSummary,
}

/// The devices of every subject that `provider` (an external provider's ARN) vouches for in
/// `account_id`, by subject.
pub fn external_devices(
    ctx: &ServiceContext,
    account_id: &str,
    provider: &str,
) -> Result<Vec<ExternalDevice>, IamError> {
    let rows: Vec<(Option<String>, DeviceSummary)> = ctx.store.read(|conn| {
        mfa_devices::table
            .filter(mfa_devices::account_id.eq(account_id))
            .filter(mfa_devices::user_id.is_null())
            .filter(mfa_devices::external_provider.eq(provider))
            .filter(mfa_devices::enabled.eq(true))
            .order((
                mfa_devices::external_subject.asc(),
                mfa_devices::created_at.asc(),
            ))
            .select((mfa_devices::external_subject, DeviceSummary::as_select()))
            .load(conn)
            .map_err(StorageError::from)
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(subject, device)| {
            Some(ExternalDevice {
                subject: subject?,
                device,
            })
        })
        .collect())
}
