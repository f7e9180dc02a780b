//! Virtual (TOTP) MFA devices: created unassigned with a sealed TOTP seed, enabled for a user
//! with two consecutive codes, deactivated, resynchronised and deleted, as in IAM; a code checked
//! with its replay guard; a user's own enrolment in one step.

use super::{check_quota, device_label, not_found, Device, Owner};
use crate::auth::totp;
use crate::context::ServiceContext;
use crate::iam::call::Call;
use crate::iam::tags::{self, Tag, Taggable};
use crate::iam::{names, users, IamError};
use crate::secrets::ExposeSecret;
use crate::storage::schema::mfa_devices;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

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

fn invalid_code() -> IamError {
    IamError::InvalidAuthenticationCode("Authentication code for device is not valid.".into())
}

/// The account's IAM device `serial` (an external identity's device is no IAM entity).
fn find(conn: &mut DbConnection, account_id: &str, serial: &str) -> Result<Device, IamError> {
    mfa_devices::table
        .find(serial)
        .filter(mfa_devices::account_id.eq(account_id))
        .filter(mfa_devices::external_provider.is_null())
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
        .filter(mfa_devices::external_provider.is_null())
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
            .filter(mfa_devices::external_provider.is_null())
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

/// Checks `code` (six digits) against each of `owner`'s enabled virtual devices, with the
/// replay guard: whether one accepted it.
pub fn verify_any_code(ctx: &ServiceContext, owner: &Owner, code: &str) -> Result<bool, IamError> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(false);
    }
    for serial in totp_serials(ctx, owner)? {
        if verify_code_of(ctx, owner, &serial, code)? {
            return Ok(true);
        }
    }
    Ok(false)
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
            Owner::External { .. } => {
                format!("arn:aws:iam::{}:mfa/external/{suffix}", call.account_id)
            }
        };
        let (external_provider, external_subject) = owner.external();
        let sealed = ctx
            .master_key
            .seal(&seal_purpose(&serial), raw_seed, ctx.random.as_ref())
            .map_err(|e| IamError::Internal(e.to_string()))?;
        diesel::insert_into(mfa_devices::table)
            .values((
                mfa_devices::serial_number.eq(&serial),
                mfa_devices::account_id.eq(&call.account_id),
                mfa_devices::user_id.eq(owner.user_id()),
                mfa_devices::external_provider.eq(external_provider),
                mfa_devices::external_subject.eq(external_subject),
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
