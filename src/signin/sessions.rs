//! Console sessions: an opaque random id in a cookie, kept in the store only as its SHA-256
//! hash, with the stage its sign-in has reached.
//!
//! ```text
//!   password ok ──> Mfa ── code ok ──> ChangePassword ── new password ──> Active
//!        │                   ^  (when the password must change)              ^
//!        └───────────────────┴──────────────────────────────────────────────┘
//!                     (stages not needed are skipped; each step issues a new id)
//! ```
//!
//! A session ends at the first of: its idle timeout since it was last seen, its absolute
//! lifetime since sign-in, sign-out, or sign-out everywhere. Every change of stage issues a
//! new id (and the old one stops working), so an id planted in a browser before sign-in, or
//! seen before the second factor, is worth nothing after.

use crate::clock::Random;
use crate::context::ServiceContext;
use crate::credentials::Principal;
use crate::storage::schema::console_sessions;
use crate::storage::{DbConnection, StorageError};
use chrono::{Duration, NaiveDateTime};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// Bytes of randomness in a session id (256 bits: not guessable, not enumerable).
const ID_BYTES: usize = 32;
/// How often at most `last_seen_at` is written for a busy session. The idle timeout is
/// therefore exact to within this much.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is owed.
    Mfa,
    /// Signed in, but the password must be changed before anything else.
    ChangePassword,
    Active,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Mfa => "mfa",
            Self::ChangePassword => "change_password",
            Self::Active => "active",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "mfa" => Some(Self::Mfa),
            "change_password" => Some(Self::ChangePassword),
            "active" => Some(Self::Active),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
struct Row {
    id_hash: String,
    account_id: String,
    user_id: Option<String>,
    stage: String,
    principal_kind: String,
    federated_principal: Option<String>,
    csrf_secret: String,
    mfa_authenticated_at: Option<NaiveDateTime>,
    mfa_method: Option<String>,
    reauthenticated_at: NaiveDateTime,
    role_session: Option<String>,
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// A live session as the web surfaces see it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub account_id: String,
    /// Whose session it is: the root user, an IAM user, or a person an external provider
    /// vouched for, acting as the role they picked (held in `role_session`).
    pub principal: Principal,
    pub stage: Stage,
    pub csrf_secret: String,
    pub mfa_authenticated_at: Option<NaiveDateTime>,
    pub mfa_method: Option<String>,
    /// When the password or a factor was last entered.
    pub reauthenticated_at: NaiveDateTime,
    /// The role switched to, or a federated principal's own role, sealed (see
    /// [`super::acting_role`]).
    pub role_session: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl Session {
    fn from_row(row: Row) -> Option<Self> {
        let principal =
            Principal::from_columns(&row.principal_kind, row.user_id, row.federated_principal)?;
        Some(Self {
            stage: Stage::parse(&row.stage)?,
            id_hash: row.id_hash,
            account_id: row.account_id,
            principal,
            csrf_secret: row.csrf_secret,
            mfa_authenticated_at: row.mfa_authenticated_at,
            mfa_method: row.mfa_method,
            reauthenticated_at: row.reauthenticated_at,
            role_session: row.role_session,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

/// Whether a session seen last at `last_seen` and ending at `expires` is alive at `now`.
pub fn is_alive(
    last_seen: NaiveDateTime,
    expires: NaiveDateTime,
    now: NaiveDateTime,
    idle: Duration,
) -> bool {
    now < expires && now < last_seen + idle
}

/// Deletes the sessions that have ended by `now`, idle for `idle` or past their absolute end
/// ([`is_alive`]'s rule); returns how many.
pub fn sweep(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    idle: Duration,
) -> Result<usize, StorageError> {
    let ended = console_sessions::expires_at
        .le(now)
        .or(console_sessions::last_seen_at.le(now - idle));
    Ok(diesel::delete(console_sessions::table.filter(ended)).execute(conn)?)
}

/// The stored form of a cookie's id.
pub fn hash_id(cookie: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(cookie.as_bytes()))
}

/// A new random id (256 bits, base64url): session ids, CSRF secrets, sign-in cookies.
pub fn new_id(random: &dyn Random) -> String {
    let mut bytes = [0u8; ID_BYTES];
    random.fill(&mut bytes);
    BASE64URL_NOPAD.encode(&bytes)
}

/// Who a new session is for and what it has proved.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub account_id: &'a str,
    pub principal: &'a Principal,
    pub stage: Stage,
    pub mfa: Option<(NaiveDateTime, &'a str)>,
    /// The role session it acts as from the start, sealed for it ([`super::acting_role`]).
    pub role_session: Option<String>,
    /// When it must end at the latest (its role session's expiry), if sooner than its
    /// absolute lifetime.
    pub ends_by: Option<NaiveDateTime>,
}

/// Creates a session on `conn` (inside the caller's transaction); returns the cookie value.
pub fn create(
    conn: &mut DbConnection,
    random: &dyn Random,
    now: NaiveDateTime,
    lifetimes: Lifetimes,
    new: &NewSession<'_>,
) -> Result<String, StorageError> {
    let cookie = new_id(random);
    let who = new.principal.columns();
    let row = Row {
        id_hash: hash_id(&cookie),
        account_id: new.account_id.to_string(),
        user_id: who.user_id,
        stage: new.stage.as_str().to_string(),
        principal_kind: who.kind.to_string(),
        federated_principal: who.federated,
        csrf_secret: new_id(random),
        mfa_authenticated_at: new.mfa.map(|(at, _)| at),
        mfa_method: new.mfa.map(|(_, m)| m.to_string()),
        reauthenticated_at: now,
        role_session: new.role_session.clone(),
        created_at: now,
        last_seen_at: now,
        expires_at: new.ends_by.map_or(now + lifetimes.absolute, |end| {
            end.min(now + lifetimes.absolute)
        }),
    };
    diesel::insert_into(console_sessions::table)
        .values(&row)
        .execute(conn)?;
    Ok(cookie)
}

/// The live session behind a cookie, if any; notes that it was seen (at most once a minute).
pub fn load(
    ctx: &ServiceContext,
    lifetimes: Lifetimes,
    cookie: &str,
) -> Result<Option<Session>, StorageError> {
    let now = ctx.clock.now_naive();
    let id_hash = hash_id(cookie);
    let row: Option<Row> = ctx.store.read(|conn| {
        Ok::<_, StorageError>(
            console_sessions::table
                .find(&id_hash)
                .select(Row::as_select())
                .first(conn)
                .optional()?,
        )
    })?;
    let Some(row) = row else { return Ok(None) };
    if !is_alive(row.last_seen_at, row.expires_at, now, lifetimes.idle) {
        ctx.store.write(|conn| {
            diesel::delete(console_sessions::table.find(&id_hash)).execute(conn)?;
            Ok::<_, StorageError>(())
        })?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY {
        ctx.store.write(|conn| {
            diesel::update(console_sessions::table.find(&id_hash))
                .set(console_sessions::last_seen_at.eq(now))
                .execute(conn)?;
            Ok::<_, StorageError>(())
        })?;
    }
    Ok(Session::from_row(row))
}

/// Moves a session on to `stage` under a new id (the old id stops working); `mfa` records a
/// second factor just proved. Returns the new cookie value. Call inside a transaction.
pub fn advance(
    conn: &mut DbConnection,
    random: &dyn Random,
    now: NaiveDateTime,
    session: &Session,
    stage: Stage,
    mfa: Option<&str>,
) -> Result<String, StorageError> {
    let cookie = new_id(random);
    let (mfa_at, mfa_method) = match mfa {
        Some(method) => (Some(now), Some(method.to_string())),
        None => (session.mfa_authenticated_at, session.mfa_method.clone()),
    };
    let who = session.principal.columns();
    let row = Row {
        id_hash: hash_id(&cookie),
        account_id: session.account_id.clone(),
        user_id: who.user_id,
        stage: stage.as_str().to_string(),
        principal_kind: who.kind.to_string(),
        federated_principal: who.federated,
        csrf_secret: new_id(random),
        mfa_authenticated_at: mfa_at,
        mfa_method,
        reauthenticated_at: if mfa.is_some() {
            now
        } else {
            session.reauthenticated_at
        },
        role_session: session.role_session.clone(),
        created_at: session.created_at,
        last_seen_at: now,
        expires_at: session.expires_at,
    };
    diesel::delete(console_sessions::table.find(&session.id_hash)).execute(conn)?;
    diesel::insert_into(console_sessions::table)
        .values(&row)
        .execute(conn)?;
    Ok(cookie)
}

/// How long a re-entered password or factor counts for sensitive changes (adding or removing
/// a factor). Longer lets a borrowed, unlocked browser add its own factor to someone's
/// account, or remove the owner's.
pub const REAUTHENTICATION_WINDOW: Duration = Duration::minutes(5);

impl Session {
    /// Whose MFA devices this session's principal has: none for a federated principal (its
    /// factors are its provider's business; the portal's credential pages say so).
    pub fn owner(&self) -> Option<crate::iam::mfa::Owner> {
        match &self.principal {
            Principal::User(id) => Some(crate::iam::mfa::Owner::User(id.clone())),
            Principal::Root => Some(crate::iam::mfa::Owner::Root(self.account_id.clone())),
            Principal::Federated { .. } => None,
        }
    }

    /// Whether the password or a factor was entered recently enough for a sensitive change.
    pub fn recently_authenticated(&self, now: NaiveDateTime) -> bool {
        now - self.reauthenticated_at < REAUTHENTICATION_WINDOW
    }
}

/// Notes that the password or a factor was just entered again.
pub fn reauthenticated(
    conn: &mut DbConnection,
    session: &Session,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(console_sessions::table.find(&session.id_hash))
        .set(console_sessions::reauthenticated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Sets (or clears) the role a session acts as, under a new id (a change of privilege);
/// returns the new cookie value.
pub fn switch_role(
    conn: &mut DbConnection,
    random: &dyn Random,
    now: NaiveDateTime,
    session: &Session,
    sealed_role: Option<String>,
) -> Result<String, StorageError> {
    let mut changed = session.clone();
    changed.role_session = sealed_role;
    advance(conn, random, now, &changed, session.stage, None)
}

/// Ends one session.
pub fn end(conn: &mut DbConnection, id_hash: &str) -> Result<(), StorageError> {
    diesel::delete(console_sessions::table.find(id_hash)).execute(conn)?;
    Ok(())
}

/// Ends every session of a principal; returns how many there were.
pub fn end_all(
    conn: &mut DbConnection,
    account_id: &str,
    principal: &Principal,
) -> Result<usize, StorageError> {
    let of_account = console_sessions::table.filter(console_sessions::account_id.eq(account_id));
    let n = match principal {
        Principal::Root => diesel::delete(
            of_account
                .filter(console_sessions::principal_kind.eq("root"))
                .filter(console_sessions::user_id.is_null()),
        )
        .execute(conn)?,
        Principal::User(id) => diesel::delete(
            of_account
                .filter(console_sessions::principal_kind.eq("user"))
                .filter(console_sessions::user_id.eq(id)),
        )
        .execute(conn)?,
        federated @ Principal::Federated { .. } => diesel::delete(
            of_account
                .filter(console_sessions::principal_kind.eq("federated"))
                .filter(console_sessions::federated_principal.eq(federated.columns().federated)),
        )
        .execute(conn)?,
    };
    Ok(n)
}

/// A session's time (its sign-in, its second factor) as Unix seconds, the way claims and
/// condition keys carry it.
pub fn unix_seconds(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn t(seconds: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn a_session_ends_at_its_idle_or_absolute_limit_whichever_comes_first() {
        let idle = Duration::hours(1);
        let expires = t(12 * 3600);
        assert!(is_alive(t(0), expires, t(3599), idle));
        assert!(!is_alive(t(0), expires, t(3600), idle), "idle for an hour");
        assert!(is_alive(t(11 * 3600), expires, t(11 * 3600 + 1800), idle));
        assert!(
            !is_alive(t(12 * 3600 - 1), expires, t(12 * 3600), idle),
            "active but past the absolute lifetime"
        );
    }

    #[test]
    fn stored_ids_are_hashes_not_the_cookie() {
        let h = hash_id("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
        assert_eq!(h, hash_id("abc"));
        for s in [Stage::Mfa, Stage::ChangePassword, Stage::Active] {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
    }
}
