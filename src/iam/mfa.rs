//! Virtual MFA devices: created unassigned with a sealed TOTP seed, enabled for a user with two
//! consecutive codes, deactivated, resynchronised and deleted, as in IAM.

use super::call::Call;
use super::tags::{self, Tag, Taggable};
use super::{names, users, IamError};
use crate::auth::totp;
use crate::context::ServiceContext;
use crate::secrets::ExposeSecret;
use crate::storage::schema::mfa_devices;
use crate::storage::{lock_account, DbConnection, StorageError};
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

/// Whose devices: an IAM user's, or the account's root user's (stored without a user id, and
/// enabled: a device without a user that is not enabled is an unassigned virtual device).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(String),
    Root(String),
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
                .filter(mfa_devices::account_id.eq(account))
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
            Owner::Root(_) => None,
        }
    }

    /// The owner's name in serial numbers and audit events.
    fn name(&self, conn: &mut DbConnection) -> Result<String, IamError> {
        match self {
            Owner::User(id) => Ok(users::get_by_id_in(conn, id)?.name),
            Owner::Root(_) => Ok("root".to_string()),
        }
    }
}

/// A new virtual device: its serial number, and the seed and QR code to show once.
pub struct NewDevice {
    pub serial_number: String,
    pub base32_seed: String,
    pub qr_png: Vec<u8>,
}

/// A device as listed: serial, the user it is assigned to and when it was enabled.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub serial_number: String,
    pub user: Option<users::UserView>,
    pub enabled_at: Option<NaiveDateTime>,
}

fn seal_purpose(serial: &str) -> String {
    format!("mfa-seed:{serial}")
}

fn not_found(serial: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "MFA Device with serial number {serial} does not exist."
    ))
}

fn invalid_code() -> IamError {
    IamError::InvalidAuthenticationCode("Authentication code for device is not valid.".into())
}

fn find(conn: &mut DbConnection, account_id: &str, serial: &str) -> Result<Device, IamError> {
    mfa_devices::table
        .find(serial)
        .filter(mfa_devices::account_id.eq(account_id))
        .select(Device::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(serial))
}

/// The serial number of the account's virtual (TOTP) device `serial`, the only kind IAM tags.
pub(crate) fn find_virtual(
    conn: &mut DbConnection,
    account_id: &str,
    serial: &str,
) -> Result<String, IamError> {
    mfa_devices::table
        .find(serial)
        .filter(mfa_devices::account_id.eq(account_id))
        .filter(mfa_devices::kind.eq("totp"))
        .select(mfa_devices::serial_number)
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(serial))
}

fn seed(ctx: &ServiceContext, device: &Device) -> Result<Vec<u8>, IamError> {
    let sealed = device
        .sealed_seed
        .as_deref()
        .ok_or_else(|| not_found(&device.serial_number))?;
    let opened = ctx
        .master_key
        .open(&seal_purpose(&device.serial_number), sealed)
        .map_err(|e| IamError::Internal(e.to_string()))?;
    Ok(opened.expose_secret().to_vec())
}

fn unix(t: NaiveDateTime) -> u64 {
    u64::try_from(t.and_utc().timestamp()).unwrap_or(0)
}

fn step_i64(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

pub fn create_virtual(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    path: Option<&str>,
    new_tags: &[Tag],
) -> Result<NewDevice, IamError> {
    names::check_name("virtualMFADeviceName", name, 226)?;
    let path = path.unwrap_or("/");
    names::check_path(path)?;
    tags::check(new_tags, ctx.limits.tags_per_resource)?;
    let serial = format!("arn:aws:iam::{}:mfa{path}{name}", call.account_id);
    let mut raw = [0u8; totp::SEED_LEN];
    ctx.random.fill(&mut raw);
    let sealed = ctx
        .master_key
        .seal(&seal_purpose(&serial), &raw, ctx.random.as_ref())
        .map_err(|e| IamError::Internal(e.to_string()))?;
    let base32_seed = data_encoding::BASE32_NOPAD.encode(&raw);
    let uri = totp::otpauth_uri(&raw, "Keyward", &format!("{name}@{}", call.account_id))
        .ok_or_else(|| IamError::Internal("cannot build the otpauth URI".into()))?;
    let qr_png =
        totp::qr_png(&uri).ok_or_else(|| IamError::Internal("cannot render the QR code".into()))?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        diesel::insert_into(mfa_devices::table)
            .values((
                mfa_devices::serial_number.eq(&serial),
                mfa_devices::account_id.eq(&call.account_id),
                mfa_devices::kind.eq("totp"),
                mfa_devices::name.eq(name),
                mfa_devices::sealed_seed.eq(&sealed),
                mfa_devices::enabled.eq(false),
                mfa_devices::created_at.eq(now),
            ))
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(
                    "MFADevice entity at the same path and name already exists.".into(),
                ),
                other => other.into(),
            })?;
        tags::set(
            conn,
            &call.account_id,
            Taggable::Mfa,
            &serial,
            new_tags,
            ctx.limits.tags_per_resource,
        )?;
        call.audit(
            ctx,
            conn,
            "CreateVirtualMFADevice",
            json!({ "virtualMFADeviceName": name, "path": path }),
        )?;
        Ok::<(), IamError>(())
    })?;
    Ok(NewDevice {
        serial_number: serial,
        base32_seed,
        qr_png,
    })
}

/// Assigns an unassigned device to a user after two consecutive valid codes.
pub fn enable(
    ctx: &ServiceContext,
    call: &Call,
    user_name: &str,
    serial: &str,
    first: &str,
    second: &str,
) -> Result<(), IamError> {
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let user = users::find(conn, &call.account_id, user_name)?;
        let device = find(conn, &call.account_id, serial)?;
        if device.enabled || device.user_id.is_some() {
            return Err(IamError::EntityAlreadyExists(
                "MFA Device is already in use.".into(),
            ));
        }
        let count: i64 = mfa_devices::table
            .filter(mfa_devices::user_id.eq(&user.id))
            .count()
            .get_result(conn)?;
        if count >= ctx.limits.mfa_devices_per_user {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for MFADevicesPerUser: {}",
                ctx.limits.mfa_devices_per_user
            )));
        }
        let step = totp::verify_consecutive(&seed(ctx, &device)?, first, second, unix(now))
            .ok_or_else(invalid_code)?;
        diesel::update(mfa_devices::table.find(serial))
            .set((
                mfa_devices::user_id.eq(&user.id),
                mfa_devices::enabled.eq(true),
                mfa_devices::enabled_at.eq(now),
                mfa_devices::last_used_step.eq(step_i64(step)),
            ))
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "EnableMFADevice",
            json!({ "userName": user_name, "serialNumber": serial }),
        )?;
        Ok(())
    })
}

fn assigned(
    conn: &mut DbConnection,
    account_id: &str,
    user_name: &str,
    serial: &str,
) -> Result<Device, IamError> {
    let user = users::find(conn, account_id, user_name)?;
    let device = find(conn, account_id, serial)?;
    if device.user_id.as_deref() != Some(user.id.as_str()) {
        return Err(not_found(serial));
    }
    Ok(device)
}

pub fn deactivate(
    ctx: &ServiceContext,
    call: &Call,
    user_name: &str,
    serial: &str,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        assigned(conn, &call.account_id, user_name, serial)?;
        diesel::update(mfa_devices::table.find(serial))
            .set((
                mfa_devices::user_id.eq(None::<String>),
                mfa_devices::enabled.eq(false),
                mfa_devices::enabled_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "DeactivateMFADevice",
            json!({ "userName": user_name, "serialNumber": serial }),
        )?;
        Ok(())
    })
}

pub fn resync(
    ctx: &ServiceContext,
    call: &Call,
    user_name: &str,
    serial: &str,
    first: &str,
    second: &str,
) -> Result<(), IamError> {
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let device = assigned(conn, &call.account_id, user_name, serial)?;
        let step = totp::verify_consecutive(&seed(ctx, &device)?, first, second, unix(now))
            .ok_or_else(invalid_code)?;
        if device
            .last_used_step
            .is_some_and(|last| step_i64(step) <= last)
        {
            return Err(invalid_code());
        }
        diesel::update(mfa_devices::table.find(serial))
            .set(mfa_devices::last_used_step.eq(step_i64(step)))
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "ResyncMFADevice",
            json!({ "userName": user_name, "serialNumber": serial }),
        )?;
        Ok(())
    })
}

pub fn delete_virtual(ctx: &ServiceContext, call: &Call, serial: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let device = find(conn, &call.account_id, serial)?;
        if device.enabled {
            return Err(IamError::DeleteConflict(
                "MFA Device is still in use".into(),
            ));
        }
        tags::remove_all(conn, Taggable::Mfa, serial)?;
        diesel::delete(mfa_devices::table.find(serial)).execute(conn)?;
        call.audit(
            ctx,
            conn,
            "DeleteVirtualMFADevice",
            json!({ "serialNumber": serial }),
        )?;
        Ok(())
    })
}

fn assignments(conn: &mut DbConnection, rows: Vec<Device>) -> Result<Vec<Assignment>, IamError> {
    let mut out = Vec::with_capacity(rows.len());
    for d in rows {
        let user = match &d.user_id {
            Some(id) => {
                let row = users::get_by_id_in(conn, id)?;
                Some(users::view(conn, row)?)
            }
            None => None,
        };
        out.push(Assignment {
            serial_number: d.serial_number,
            user,
            enabled_at: d.enabled_at,
        });
    }
    Ok(out)
}

/// A user's enabled devices.
pub fn list_for_user(
    ctx: &ServiceContext,
    account_id: &str,
    user_name: &str,
) -> Result<Vec<Assignment>, IamError> {
    ctx.store.read(|conn| {
        let user = users::find(conn, account_id, user_name)?;
        let rows = mfa_devices::table
            .filter(mfa_devices::user_id.eq(&user.id))
            .filter(mfa_devices::enabled.eq(true))
            .order(mfa_devices::serial_number.asc())
            .select(Device::as_select())
            .load(conn)?;
        assignments(conn, rows)
    })
}

/// Virtual devices of the account, filtered by assignment (`Assigned`, `Unassigned`, `Any`).
pub fn list_virtual(
    ctx: &ServiceContext,
    account_id: &str,
    status: &str,
) -> Result<Vec<Assignment>, IamError> {
    ctx.store.read(|conn| {
        let mut query = mfa_devices::table
            .filter(mfa_devices::account_id.eq(account_id))
            .filter(mfa_devices::kind.eq("totp"))
            .order(mfa_devices::serial_number.asc())
            .select(Device::as_select())
            .into_boxed();
        query = match status {
            // The root user's devices have no user id but are enabled.
            "Assigned" => query.filter(
                mfa_devices::user_id
                    .is_not_null()
                    .or(mfa_devices::enabled.eq(true)),
            ),
            "Unassigned" => query.filter(
                mfa_devices::user_id
                    .is_null()
                    .and(mfa_devices::enabled.eq(false)),
            ),
            _ => query,
        };
        let rows = query.load(conn)?;
        assignments(conn, rows)
    })
}

pub fn get(ctx: &ServiceContext, account_id: &str, serial: &str) -> Result<Assignment, IamError> {
    ctx.store.read(|conn| {
        let device = find(conn, account_id, serial)?;
        assignments(conn, vec![device])?
            .into_iter()
            .next()
            .ok_or_else(|| not_found(serial))
    })
}

/// Checks a code from a user's enabled device, with the replay guard; returns whether it was
/// accepted (STS's `SerialNumber`/`TokenCode` uses this).
pub fn verify_code(
    ctx: &ServiceContext,
    user_id: &str,
    serial: &str,
    code: &str,
) -> Result<bool, IamError> {
    verify_code_of(ctx, &Owner::User(user_id.to_string()), serial, code)
}

/// [`verify_code`] for any owner (the portal's second step; the root user too).
pub fn verify_code_of(
    ctx: &ServiceContext,
    owner: &Owner,
    serial: &str,
    code: &str,
) -> Result<bool, IamError> {
    let now = ctx.clock.now_naive();
    ctx.store.write(|conn| {
        if !owner.owns(conn, serial)? {
            return Ok(false);
        }
        let device: Option<Device> = mfa_devices::table
            .find(serial)
            .select(Device::as_select())
            .first(conn)
            .optional()?;
        let Some(device) = device else {
            return Ok(false);
        };
        let last = device.last_used_step.and_then(|s| u64::try_from(s).ok());
        let Some(step) = totp::verify(&seed(ctx, &device)?, code, unix(now), last) else {
            return Ok(false);
        };
        diesel::update(mfa_devices::table.find(serial))
            .set((
                mfa_devices::last_used_step.eq(step_i64(step)),
                mfa_devices::last_used_at.eq(now),
            ))
            .execute(conn)?;
        Ok(true)
    })
}

/// The serial numbers of an owner's enabled virtual (TOTP) devices.
pub fn totp_serials(ctx: &ServiceContext, owner: &Owner) -> Result<Vec<String>, IamError> {
    Ok(ctx.store.read(|conn| {
        let serials = owner.serials(conn)?;
        mfa_devices::table
            .filter(mfa_devices::serial_number.eq_any(serials))
            .filter(mfa_devices::kind.eq("totp"))
            .select(mfa_devices::serial_number)
            .load::<String>(conn)
            .map_err(StorageError::from)
    })?)
}

/// One of a user's devices as the console lists them.
#[derive(Debug, Clone)]
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
    type Row = (
        String,
        String,
        String,
        bool,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = ctx.store.read(|conn| {
        let serials = owner.serials(conn)?;
        mfa_devices::table
            .filter(mfa_devices::serial_number.eq_any(serials))
            .order((
                mfa_devices::created_at.asc(),
                mfa_devices::serial_number.asc(),
            ))
            .select((
                mfa_devices::serial_number,
                mfa_devices::name,
                mfa_devices::kind,
                mfa_devices::passkey,
                mfa_devices::enabled_at,
                mfa_devices::last_used_at,
            ))
            .load(conn)
            .map_err(StorageError::from)
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(serial_number, name, kind, passkey, enabled_at, last_used_at)| DeviceSummary {
                serial_number,
                name,
                kind,
                passkey,
                enabled_at,
                last_used_at,
            },
        )
        .collect())
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
        };
        diesel::insert_into(mfa_devices::table)
            .values((
                mfa_devices::serial_number.eq(&serial),
                mfa_devices::account_id.eq(&call.account_id),
                mfa_devices::user_id.eq(key.owner.user_id()),
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

/// Refuses another device past IAM's quota of devices per user.
fn check_quota(
    ctx: &ServiceContext,
    conn: &mut DbConnection,
    owner: &Owner,
) -> Result<(), IamError> {
    let count = i64::try_from(owner.serials(conn)?.len()).unwrap_or(i64::MAX);
    if count >= ctx.limits.mfa_devices_per_user {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for MFADevicesPerUser: {}",
            ctx.limits.mfa_devices_per_user
        )));
    }
    Ok(())
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

type KeyRow = (String, String, Option<String>, bool, Option<String>);

fn stored_key(row: KeyRow) -> Option<StoredSecurityKey> {
    let (serial_number, account_id, user_id, passkey, credential) = row;
    Some(StoredSecurityKey {
        serial_number,
        owner: match user_id {
            Some(id) => Owner::User(id),
            None => Owner::Root(account_id.clone()),
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
    mfa_devices::passkey,
    mfa_devices::webauthn_credential,
) = (
    mfa_devices::serial_number,
    mfa_devices::account_id,
    mfa_devices::user_id,
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

/// A user assigns itself a new virtual device in one step: the seed was shown to it (and kept
/// sealed in its form), and two consecutive codes prove the app has it. Nothing is stored
/// until then, so an abandoned enrolment leaves no device behind.
pub fn assign_new_virtual(
    ctx: &ServiceContext,
    call: &Call,
    owner: &Owner,
    label: &str,
    raw_seed: &[u8],
    first: &str,
    second: &str,
) -> Result<String, IamError> {
    let label = device_label(label)?;
    let now = ctx.clock.now_naive();
    let step =
        totp::verify_consecutive(raw_seed, first, second, unix(now)).ok_or_else(invalid_code)?;
    let mut suffix = [0u8; 8];
    ctx.random.fill(&mut suffix);
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let owner_name = owner.name(conn)?;
        check_quota(ctx, conn, owner)?;
        let suffix = data_encoding::BASE32_NOPAD.encode(&suffix);
        let serial = match owner {
            Owner::User(_) => format!("arn:aws:iam::{}:mfa/{owner_name}-{suffix}", call.account_id),
            Owner::Root(_) => format!(
                "arn:aws:iam::{}:mfa/root-account-mfa-device-{suffix}",
                call.account_id
            ),
        };
        let sealed = ctx
            .master_key
            .seal(&seal_purpose(&serial), raw_seed, ctx.random.as_ref())
            .map_err(|e| IamError::Internal(e.to_string()))?;
        diesel::insert_into(mfa_devices::table)
            .values((
                mfa_devices::serial_number.eq(&serial),
                mfa_devices::account_id.eq(&call.account_id),
                mfa_devices::user_id.eq(owner.user_id()),
                mfa_devices::kind.eq("totp"),
                mfa_devices::name.eq(label),
                mfa_devices::sealed_seed.eq(&sealed),
                mfa_devices::enabled.eq(true),
                mfa_devices::enabled_at.eq(now),
                mfa_devices::last_used_step.eq(step_i64(step)),
                mfa_devices::created_at.eq(now),
            ))
            .execute(conn)?;
        call.audit(
            ctx,
            conn,
            "EnableMFADevice",
            json!({ "userName": owner_name, "serialNumber": serial }),
        )?;
        Ok(serial)
    })
}
