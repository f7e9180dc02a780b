//! What the provider remembers between requests: grants (one sign-in of a user to a client),
//! their authorization codes and refresh tokens, revoked access tokens, consents, and the
//! client assertions seen. Codes and refresh tokens are stored as SHA-256 hashes: they are 256
//! random bits each, and the database never holds a usable one.

use crate::clock::Random;
use crate::credentials::Principal;
use crate::storage::schema::{
    oidc_client_assertions as assertions, oidc_codes as codes, oidc_consents as consents,
    oidc_grants as grants, oidc_refresh_tokens as refresh, oidc_revoked_tokens as revoked,
};
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// A new random token (code, refresh token, grant id): 256 bits, base64url.
pub fn new_token(random: &dyn Random) -> String {
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes);
    BASE64URL_NOPAD.encode(&bytes)
}

/// A grant id: 128 bits, base64url (it is a name, not a secret).
pub fn new_grant_id(random: &dyn Random) -> String {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    BASE64URL_NOPAD.encode(&bytes)
}

pub fn hash(token: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

/// One sign-in of a user to a client.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub account_id: String,
    /// The principal's columns, read through [`Grant::principal`] and written by
    /// [`Grant::set_principal`].
    pub(super) user_id: Option<String>,
    pub subject: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: NaiveDateTime,
    /// JSON array of RFC 8176 method names.
    pub amr: String,
    pub acr: String,
    /// The portal session it belongs to; `None` for offline access.
    pub session_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub(super) principal_kind: String,
    pub(super) federated_principal: Option<String>,
}

impl Grant {
    /// Whose grant it is; `None` when its columns make no principal (such a grant serves
    /// nothing).
    pub fn principal(&self) -> Option<Principal> {
        Principal::from_columns(
            &self.principal_kind,
            self.user_id.clone(),
            self.federated_principal.clone(),
        )
    }

    /// Makes the grant `principal`'s.
    pub fn set_principal(&mut self, principal: &Principal) {
        let who = principal.columns();
        self.principal_kind = who.kind.to_string();
        self.user_id = who.user_id;
        self.federated_principal = who.federated;
    }

    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|s| !s.is_empty())
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    pub fn amr(&self) -> Vec<String> {
        serde_json::from_str(&self.amr).unwrap_or_default()
    }

    pub fn alive(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// Stores a grant with its authorization code.
pub fn issue_code(
    conn: &mut DbConnection,
    grant: &Grant,
    code: &str,
    redirect_uri: &str,
    code_challenge: Option<&str>,
    expires_at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::insert_into(grants::table)
        .values(grant)
        .execute(conn)?;
    diesel::insert_into(codes::table)
        .values((
            codes::code_hash.eq(hash(code)),
            codes::grant_id.eq(&grant.id),
            codes::redirect_uri.eq(redirect_uri),
            codes::code_challenge.eq(code_challenge),
            codes::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A code as presented at the token endpoint.
#[derive(Debug)]
pub struct Code {
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: NaiveDateTime,
    pub used: bool,
}

/// The code and its grant, without using it.
pub fn find_code(conn: &mut DbConnection, code: &str) -> Result<Option<Code>, StorageError> {
    let found = codes::table
        .inner_join(grants::table)
        .filter(codes::code_hash.eq(hash(code)))
        .select((
            Grant::as_select(),
            codes::redirect_uri,
            codes::code_challenge,
            codes::expires_at,
            codes::used_at,
        ))
        .first::<(
            Grant,
            String,
            Option<String>,
            NaiveDateTime,
            Option<NaiveDateTime>,
        )>(conn)
        .optional()?;
    Ok(found.map(
        |(grant, redirect_uri, code_challenge, expires_at, used_at)| Code {
            grant,
            redirect_uri,
            code_challenge,
            expires_at,
            used: used_at.is_some(),
        },
    ))
}

/// Uses a code: true when it was unused (and is used now); false when another request used
/// it first.
pub fn use_code(
    conn: &mut DbConnection,
    code: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        codes::table
            .filter(codes::code_hash.eq(hash(code)))
            .filter(codes::used_at.is_null()),
    )
    .set(codes::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes a grant: its refresh tokens and access tokens stop working.
pub fn revoke(
    conn: &mut DbConnection,
    grant_id: &str,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(
        grants::table
            .filter(grants::id.eq(grant_id))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Revokes the grants that came from a portal session (it ended); returns how many.
pub fn end_session(
    conn: &mut DbConnection,
    session_hash: &str,
    now: NaiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::update(
        grants::table
            .filter(grants::session_hash.eq(session_hash))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(now))
    .execute(conn)?)
}

/// Revokes every grant of a user that belongs to a portal session (at "sign out
/// everywhere").
pub fn end_online_grants_of(
    conn: &mut DbConnection,
    subject: &str,
    now: NaiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::update(
        grants::table
            .filter(grants::subject.eq(subject))
            .filter(grants::session_hash.is_not_null())
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(now))
    .execute(conn)?)
}

/// The sign-in service's sign-out hook ([`crate::signin::SignOutHook`]): the grants without
/// offline access end with the sessions they came from.
pub fn end_with_sign_out(
    conn: &mut DbConnection,
    ended: &crate::signin::SignedOut<'_>,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    match *ended {
        crate::signin::SignedOut::Session { id_hash } => end_session(conn, id_hash, now)?,
        crate::signin::SignedOut::Everywhere {
            account_id,
            principal,
        } => {
            let subject = principal.subject(account_id);
            end_online_grants_of(conn, &subject, now)?
        }
    };
    Ok(())
}

/// Whether a grant's user may still sign in: the root user always may, an IAM user while it
/// has a console password (a login profile). A federated principal may not: nothing here can
/// ask its provider yet.
pub fn may_sign_in(conn: &mut DbConnection, principal: &Principal) -> Result<bool, StorageError> {
    use crate::storage::schema::login_profiles;
    let id = match principal {
        Principal::Root => return Ok(true),
        Principal::User(id) => id,
        Principal::Federated { .. } => return Ok(false),
    };
    let n: i64 = login_profiles::table.find(id).count().get_result(conn)?;
    Ok(n > 0)
}

pub fn find_grant(conn: &mut DbConnection, grant_id: &str) -> Result<Option<Grant>, StorageError> {
    Ok(grants::table
        .find(grant_id)
        .select(Grant::as_select())
        .first(conn)
        .optional()?)
}

/// Stores a new refresh token of a grant.
pub fn add_refresh_token(
    conn: &mut DbConnection,
    grant_id: &str,
    token: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::insert_into(refresh::table)
        .values((
            refresh::token_hash.eq(hash(token)),
            refresh::grant_id.eq(grant_id),
            refresh::created_at.eq(now),
            refresh::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A refresh token as presented.
#[derive(Debug)]
pub struct RefreshToken {
    pub grant: Grant,
    pub expires_at: NaiveDateTime,
    pub used: bool,
}

pub fn find_refresh_token(
    conn: &mut DbConnection,
    token: &str,
) -> Result<Option<RefreshToken>, StorageError> {
    let found = refresh::table
        .inner_join(grants::table)
        .filter(refresh::token_hash.eq(hash(token)))
        .select((Grant::as_select(), refresh::expires_at, refresh::used_at))
        .first::<(Grant, NaiveDateTime, Option<NaiveDateTime>)>(conn)
        .optional()?;
    Ok(found.map(|(grant, expires_at, used_at)| RefreshToken {
        grant,
        expires_at,
        used: used_at.is_some(),
    }))
}

/// Uses a refresh token: true when it was unused.
pub fn use_refresh_token(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        refresh::table
            .filter(refresh::token_hash.eq(hash(token)))
            .filter(refresh::used_at.is_null()),
    )
    .set(refresh::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes one access token until it would have expired.
pub fn revoke_access_token(
    conn: &mut DbConnection,
    jti: &str,
    expires_at: NaiveDateTime,
) -> Result<(), StorageError> {
    // Revoked already (perhaps by a concurrent request): the key says so, not a read first.
    let inserted = diesel::insert_into(revoked::table)
        .values((revoked::jti.eq(jti), revoked::expires_at.eq(expires_at)))
        .execute(conn)
        .map_err(StorageError::from);
    match inserted {
        Ok(_) | Err(StorageError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn access_token_revoked(conn: &mut DbConnection, jti: &str) -> Result<bool, StorageError> {
    let n: i64 = revoked::table
        .filter(revoked::jti.eq(jti))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Records a client assertion's jti; false when it was seen before (a replay).
pub fn first_use_of_assertion(
    conn: &mut DbConnection,
    client_id: &str,
    jti: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    diesel::delete(assertions::table.filter(assertions::expires_at.lt(now))).execute(conn)?;
    crate::storage::first_insert(
        diesel::insert_into(assertions::table)
            .values((
                assertions::client_id.eq(client_id),
                assertions::jti.eq(jti),
                assertions::expires_at.eq(expires_at),
            ))
            .execute(conn),
    )
}

/// The scopes a user let a client have, if any.
pub fn consented(
    conn: &mut DbConnection,
    subject: &str,
    client_id: &str,
) -> Result<Option<Vec<String>>, StorageError> {
    let scopes: Option<String> = consents::table
        .find((subject, client_id))
        .select(consents::scopes)
        .first(conn)
        .optional()?;
    Ok(scopes.map(|s| {
        s.split(' ')
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    }))
}

/// Remembers that a user let a client have `scopes` (added to what it had).
pub fn consent(
    conn: &mut DbConnection,
    subject: &str,
    client_id: &str,
    account_id: &str,
    scopes: &[String],
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    let mut all = consented(conn, subject, client_id)?.unwrap_or_default();
    for scope in scopes {
        if !all.contains(scope) {
            all.push(scope.clone());
        }
    }
    diesel::delete(consents::table.find((subject, client_id))).execute(conn)?;
    diesel::insert_into(consents::table)
        .values((
            consents::subject.eq(subject),
            consents::client_id.eq(client_id),
            consents::account_id.eq(account_id),
            consents::scopes.eq(all.join(" ")),
            consents::granted_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A consent, for the user's list of connected applications.
#[derive(Debug, Clone)]
pub struct Consent {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub granted_at: NaiveDateTime,
}

pub fn consents_of(conn: &mut DbConnection, subject: &str) -> Result<Vec<Consent>, StorageError> {
    let rows: Vec<(String, String, NaiveDateTime)> = consents::table
        .filter(consents::subject.eq(subject))
        .order(consents::granted_at.desc())
        .select((consents::client_id, consents::scopes, consents::granted_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(client_id, scopes, granted_at)| Consent {
            client_id,
            scopes: scopes
                .split(' ')
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect(),
            granted_at,
        })
        .collect())
}

/// Withdraws a consent and revokes every grant the user gave the client. Returns whether
/// there was a consent.
pub fn withdraw(
    conn: &mut DbConnection,
    subject: &str,
    client_id: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::delete(consents::table.find((subject, client_id))).execute(conn)?;
    diesel::update(
        grants::table
            .filter(grants::subject.eq(subject))
            .filter(grants::client_id.eq(client_id))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n > 0)
}

/// Drops what no request can need any more: expired codes, refresh tokens, revocations and
/// client assertion ids, and grants past their end. Returns the rows dropped.
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, StorageError> {
    let mut n =
        diesel::delete(assertions::table.filter(assertions::expires_at.lt(now))).execute(conn)?;
    n += diesel::delete(codes::table.filter(codes::expires_at.lt(now))).execute(conn)?;
    n += diesel::delete(refresh::table.filter(refresh::expires_at.lt(now))).execute(conn)?;
    n += diesel::delete(revoked::table.filter(revoked::expires_at.lt(now))).execute(conn)?;
    n += diesel::delete(grants::table.filter(grants::expires_at.lt(now))).execute(conn)?;
    Ok(n)
}
