//! Directories: an account's Active Directory or LDAP servers, whose people sign in and get
//! role credentials with their directory password, never copied into Keyward
//! (`directory::authenticate` binds and searches; STS's `AssumeRoleWithLDAPIdentity` and the
//! portal use it).
//!
//! Each has a name in its account and an ARN, `arn:aws:iam::<account>:directory/<name>` (in
//! IAM's namespace beside `oidc-provider/` and `saml-provider/`, as it plays the same part),
//! which trust policies name as a `Federated` principal. It holds the server's URL and how the
//! connection is secured (`ldaps://`; `ldap://` with StartTLS; plain LDAP only under a test
//! setting, checked when connecting), the CA certificate to trust (the system roots when
//! empty), the service account that searches (its password sealed under the master key for this
//! account and directory only), where and how people and their groups are found, which
//! attributes become trust keys and session tags, whether Keyward MFA is required on top, and
//! the timeout of each call. Every change is audited, never with the password.

use super::call::Call;
use super::names::{check_text, check_url_name};
use super::IamError;
use crate::audit::EventSource;
use crate::context::ServiceContext;
use crate::secrets::{ExposeSecret, SecretString};
use crate::storage::schema::directories as table;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The most directories an account may have.
pub const MAX_DIRECTORIES: i64 = 10;
/// The most attributes a directory may map.
pub const MAX_ATTRIBUTES: usize = 20;
pub const DEFAULT_USER_ATTRIBUTE: &str = "sAMAccountName";
pub const DEFAULT_USER_FILTER: &str = "(objectClass=user)";
pub const DEFAULT_TIMEOUT_SECONDS: i32 = 5;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `ldaps://`: TLS from the first byte.
    Ldaps,
    /// `ldap://` upgraded with StartTLS before anything is sent.
    StartTls,
    /// Plain LDAP: only under the test setting `KEYWARD_ALLOW_PLAIN_LDAP`.
    None,
}

impl TlsMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ldaps => "ldaps",
            Self::StartTls => "starttls",
            Self::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ldaps" => Some(Self::Ldaps),
            "starttls" => Some(Self::StartTls),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// How a person's groups are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMode {
    /// Active Directory: every group the person is in, nested ones too, with the matching rule
    /// `LDAP_MATCHING_RULE_IN_CHAIN` (1.2.840.113556.1.4.1941) on `member`.
    Nested,
    /// The groups that list the person in `member` (OpenLDAP's `groupOfNames`).
    Member,
}

impl GroupMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Nested => "nested",
            Self::Member => "member",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "nested" => Some(Self::Nested),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = table)]
struct Row {
    account_id: String,
    name: String,
    url: String,
    tls_mode: String,
    ca_certificate: String,
    bind_dn: String,
    bind_password_sealed: String,
    base_dn: String,
    user_attribute: String,
    user_filter: String,
    group_mode: String,
    attributes: String,
    require_mfa: bool,
    timeout_seconds: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A directory, its service account's password still sealed.
#[derive(Debug, Clone)]
pub struct Directory {
    pub account_id: String,
    pub name: String,
    pub url: String,
    pub tls_mode: TlsMode,
    /// PEM; empty: the system roots.
    pub ca_certificate: String,
    pub bind_dn: String,
    bind_password_sealed: String,
    pub base_dn: String,
    /// The attribute a person's user name is matched against (`sAMAccountName`, `uid`, ...).
    pub user_attribute: String,
    /// What else a person's entry must match (`(objectClass=user)`).
    pub user_filter: String,
    pub group_mode: GroupMode,
    /// Trust-key and session-tag name to directory attribute (`email` → `mail`).
    pub attributes: BTreeMap<String, String>,
    pub require_mfa: bool,
    pub timeout_seconds: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A registration, or a change of one: `None` keeps what is stored.
#[derive(Debug, Default)]
pub struct Registration {
    pub url: Option<String>,
    pub tls_mode: Option<String>,
    pub ca_certificate: Option<String>,
    pub bind_dn: Option<String>,
    pub bind_password: Option<SecretString>,
    pub base_dn: Option<String>,
    pub user_attribute: Option<String>,
    pub user_filter: Option<String>,
    pub group_mode: Option<String>,
    pub attributes: Option<BTreeMap<String, String>>,
    pub require_mfa: Option<bool>,
    pub timeout_seconds: Option<i32>,
}

fn purpose(account_id: &str, name: &str) -> String {
    format!("directory-bind-password:{account_id}:{name}")
}

fn corrupt(e: impl ToString) -> IamError {
    IamError::Storage(StorageError::Corrupt(e.to_string()))
}

fn invalid(text: impl Into<String>) -> IamError {
    IamError::Validation(text.into())
}

impl Directory {
    fn from_row(row: Row) -> Result<Self, IamError> {
        Ok(Directory {
            tls_mode: TlsMode::parse(&row.tls_mode).ok_or_else(|| corrupt("tls mode"))?,
            group_mode: GroupMode::parse(&row.group_mode).ok_or_else(|| corrupt("group mode"))?,
            attributes: serde_json::from_str(&row.attributes).map_err(corrupt)?,
            account_id: row.account_id,
            name: row.name,
            url: row.url,
            ca_certificate: row.ca_certificate,
            bind_dn: row.bind_dn,
            bind_password_sealed: row.bind_password_sealed,
            base_dn: row.base_dn,
            user_attribute: row.user_attribute,
            user_filter: row.user_filter,
            require_mfa: row.require_mfa,
            timeout_seconds: row.timeout_seconds,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// `arn:aws:iam::<account>:directory/<name>`: what trust policies name.
    pub fn arn(&self) -> String {
        arn(&self.account_id, &self.name)
    }

    /// The service account's password, opened.
    pub fn bind_password(&self, ctx: &ServiceContext) -> Result<SecretString, IamError> {
        ctx.master_key
            .open_string(
                &purpose(&self.account_id, &self.name),
                &self.bind_password_sealed,
            )
            .map_err(|_| IamError::Internal("cannot open a directory's password".into()))
    }

    /// What the console and the CLI show of it (never the password).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "arn": self.arn(),
            "url": self.url,
            "tls_mode": self.tls_mode.name(),
            "ca_certificate": self.ca_certificate,
            "bind_dn": self.bind_dn,
            "base_dn": self.base_dn,
            "user_attribute": self.user_attribute,
            "user_filter": self.user_filter,
            "group_mode": self.group_mode.name(),
            "attributes": self.attributes,
            "require_mfa": self.require_mfa,
            "timeout_seconds": self.timeout_seconds,
            "created_at": self.created_at.and_utc().to_rfc3339(),
            "updated_at": self.updated_at.and_utc().to_rfc3339(),
        })
    }
}

/// A directory's ARN.
pub fn arn(account_id: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:directory/{name}")
}

/// An attribute's name (RFC 4512's descr): a letter, then letters, digits and hyphens.
fn is_attribute(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn check_url(url: &str, tls: TlsMode) -> Result<(), IamError> {
    let parsed = url::Url::parse(url).map_err(|_| invalid("The URL is not a URL."))?;
    let scheme_fits = match tls {
        TlsMode::Ldaps => parsed.scheme() == "ldaps",
        TlsMode::StartTls | TlsMode::None => parsed.scheme() == "ldap",
    };
    let bare = parsed.host().is_some()
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && matches!(parsed.path(), "" | "/")
        && parsed.query().is_none()
        && parsed.fragment().is_none();
    if !scheme_fits || !bare {
        return Err(invalid(
            "The URL must be ldaps://host[:port] (TLS), or ldap://host[:port] with StartTLS.",
        ));
    }
    Ok(())
}

fn check_ca(pem: &str) -> Result<(), IamError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    if pem.trim().is_empty() {
        return Ok(());
    }
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem.as_bytes()).collect();
    match certs {
        Ok(certs) if !certs.is_empty() => Ok(()),
        _ => Err(invalid(
            "The CA certificate must be one or more PEM certificates.",
        )),
    }
}

fn not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The directory {name} does not exist."))
}

fn find(conn: &mut DbConnection, account_id: &str, name: &str) -> Result<Row, IamError> {
    table::table
        .find((account_id, name))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(name))
}

/// `registration` over `row`, checked as a whole.
fn apply(ctx: &ServiceContext, mut row: Row, r: &Registration) -> Result<Row, IamError> {
    if let Some(url) = &r.url {
        row.url = url.trim().trim_end_matches('/').to_string();
        // Without a mode given, the scheme says: ldaps:// is TLS, ldap:// StartTLS (or plain
        // when it was so already).
        if r.tls_mode.is_none() {
            let ldaps = row.url.starts_with("ldaps://");
            if ldaps {
                row.tls_mode = TlsMode::Ldaps.name().to_string();
            } else if row.tls_mode == TlsMode::Ldaps.name() {
                row.tls_mode = TlsMode::StartTls.name().to_string();
            }
        }
    }
    if let Some(mode) = &r.tls_mode {
        row.tls_mode = TlsMode::parse(mode)
            .ok_or_else(|| invalid("The TLS mode must be ldaps, starttls or none."))?
            .name()
            .to_string();
    }
    let tls = TlsMode::parse(&row.tls_mode).ok_or_else(|| corrupt("tls mode"))?;
    check_url(&row.url, tls)?;
    if let Some(pem) = &r.ca_certificate {
        check_ca(pem)?;
        row.ca_certificate = pem.trim().to_string();
    }
    if let Some(dn) = &r.bind_dn {
        check_text("bind DN", dn.trim(), 1024)?;
        row.bind_dn = dn.trim().to_string();
    }
    if let Some(password) = &r.bind_password {
        check_text("bind password", password.expose_secret(), 1024)?;
        row.bind_password_sealed = ctx
            .master_key
            .seal(
                &purpose(&row.account_id, &row.name),
                password.expose_secret().as_bytes(),
                ctx.random.as_ref(),
            )
            .map_err(|_| IamError::Internal("cannot seal the bind password".into()))?;
    }
    if let Some(base) = &r.base_dn {
        check_text("base DN", base.trim(), 1024)?;
        row.base_dn = base.trim().to_string();
    }
    if let Some(attribute) = &r.user_attribute {
        if !is_attribute(attribute) {
            return Err(invalid("The user attribute must be an attribute name."));
        }
        row.user_attribute = attribute.clone();
    }
    if let Some(filter) = &r.user_filter {
        let filter = filter.trim();
        if filter.len() > 1024 || ldap3::parse_filter(filter).is_err() {
            return Err(invalid(
                "The user filter must be an LDAP filter, such as (objectClass=user).",
            ));
        }
        row.user_filter = filter.to_string();
    }
    if let Some(mode) = &r.group_mode {
        row.group_mode = GroupMode::parse(mode)
            .ok_or_else(|| invalid("The group mode must be nested or member."))?
            .name()
            .to_string();
    }
    if let Some(attributes) = &r.attributes {
        let fine = attributes.len() <= MAX_ATTRIBUTES
            && attributes.iter().all(|(key, attribute)| {
                is_attribute(attribute)
                    && (1..=64).contains(&key.len())
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
            });
        if !fine {
            return Err(invalid(format!(
                "Attributes are at most {MAX_ATTRIBUTES} lines of KEY=attribute (KEY: letters, digits, _ and -)."
            )));
        }
        row.attributes = serde_json::to_string(attributes).map_err(corrupt)?;
    }
    if let Some(required) = r.require_mfa {
        row.require_mfa = required;
    }
    if let Some(seconds) = r.timeout_seconds {
        if !(1..=30).contains(&seconds) {
            return Err(invalid("The timeout must be 1 to 30 seconds."));
        }
        row.timeout_seconds = seconds;
    }
    if row.bind_dn.is_empty() || row.bind_password_sealed.is_empty() || row.base_dn.is_empty() {
        return Err(invalid(
            "A bind DN, its password and a base DN are required.",
        ));
    }
    Ok(row)
}

/// What the audit trail keeps of a directory: never the password.
fn audited(row: &Row, password_changed: bool) -> Value {
    json!({
        "name": row.name,
        "url": row.url,
        "tlsMode": row.tls_mode,
        "bindDn": row.bind_dn,
        "baseDn": row.base_dn,
        "userAttribute": row.user_attribute,
        "userFilter": row.user_filter,
        "groupMode": row.group_mode,
        "attributes": serde_json::from_str::<Value>(&row.attributes).unwrap_or(Value::Null),
        "requireMfa": row.require_mfa,
        "timeoutSeconds": row.timeout_seconds,
        "bindAccountRekeyed": password_changed,
    })
}

/// Registers a directory under `name`.
pub fn create(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    registration: &Registration,
) -> Result<Directory, IamError> {
    check_url_name("directory", name)?;
    let now = ctx.clock.now_naive();
    let empty = Row {
        account_id: call.account_id.clone(),
        name: name.to_string(),
        url: String::new(),
        tls_mode: TlsMode::StartTls.name().to_string(),
        ca_certificate: String::new(),
        bind_dn: String::new(),
        bind_password_sealed: String::new(),
        base_dn: String::new(),
        user_attribute: DEFAULT_USER_ATTRIBUTE.to_string(),
        user_filter: DEFAULT_USER_FILTER.to_string(),
        group_mode: GroupMode::Nested.name().to_string(),
        attributes: "{}".to_string(),
        require_mfa: false,
        timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
        created_at: now,
        updated_at: now,
    };
    let row = apply(ctx, empty, registration)?;
    let row = ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = table::table
            .filter(table::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= MAX_DIRECTORIES {
            return Err(IamError::LimitExceeded(format!(
                "An account has at most {MAX_DIRECTORIES} directories."
            )));
        }
        diesel::insert_into(table::table)
            .values(&row)
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "A directory named {name} already exists."
                )),
                other => other.into(),
            })?;
        call.record(
            ctx,
            conn,
            EventSource::Keyward,
            "CreateDirectory",
            audited(&row, true),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Directory::from_row(row)
}

/// Changes a directory: the fields given replace the stored ones.
pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    change: &Registration,
) -> Result<Directory, IamError> {
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        let stored = find(conn, &call.account_id, name)?;
        let mut row = apply(ctx, stored, change)?;
        row.updated_at = now;
        diesel::delete(table::table.find((&call.account_id, name))).execute(conn)?;
        diesel::insert_into(table::table)
            .values(&row)
            .execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::Keyward,
            "UpdateDirectory",
            audited(&row, change.bind_password.is_some()),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Directory::from_row(row)
}

/// Removes a directory. Sessions and credentials it gave keep working until they end.
pub fn delete(ctx: &ServiceContext, call: &Call, name: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let row = find(conn, &call.account_id, name)?;
        diesel::delete(table::table.find((&call.account_id, name))).execute(conn)?;
        // Its people's Keyward MFA devices go with it: a directory made again under the same
        // name starts with none.
        let devices = super::mfa::remove_external(
            conn,
            &call.account_id,
            &arn(&call.account_id, name),
            None,
        )?;
        call.record(
            ctx,
            conn,
            EventSource::Keyward,
            "DeleteDirectory",
            json!({ "name": row.name, "url": row.url, "mfaDevicesRemoved": devices.len() }),
        )?;
        Ok::<_, IamError>(())
    })
}

/// Removes the Keyward MFA devices of directory user `user_dn` (a lost phone): at their next
/// sign-in they enrol a new one. Returns the serial numbers removed; audited.
pub fn reset_mfa(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    user_dn: &str,
) -> Result<Vec<String>, IamError> {
    ctx.change(|conn| {
        find(conn, &call.account_id, name)?;
        let removed = super::mfa::remove_external(
            conn,
            &call.account_id,
            &arn(&call.account_id, name),
            Some(user_dn),
        )?;
        if removed.is_empty() {
            return Err(IamError::NoSuchEntity(format!(
                "Directory user {user_dn} of {name} has no MFA device."
            )));
        }
        call.record(
            ctx,
            conn,
            EventSource::Keyward,
            "ResetDirectoryUserMFA",
            json!({ "name": name, "userDn": user_dn, "serialNumbers": removed }),
        )?;
        Ok(removed)
    })
}

pub fn get(ctx: &ServiceContext, account_id: &str, name: &str) -> Result<Directory, IamError> {
    let row = ctx.store.read(|conn| find(conn, account_id, name))?;
    Directory::from_row(row)
}

/// The account's directories, by name.
pub fn list(ctx: &ServiceContext, account_id: &str) -> Result<Vec<Directory>, IamError> {
    let rows = ctx.store.read(|conn| {
        table::table
            .filter(table::account_id.eq(account_id))
            .order(table::name.asc())
            .select(Row::as_select())
            .load(conn)
            .map_err(IamError::from)
    })?;
    rows.into_iter().map(Directory::from_row).collect()
}
