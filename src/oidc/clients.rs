//! Relying parties ("clients"): registration rules, storage, and the one place a client's
//! secret is made and checked.
//!
//! A client belongs to an account; only that account's users sign in to it. Its secret is 256
//! random bits, shown once and stored as SHA-256 (there is nothing to guess in a secret that
//! long, so a slow hash would only slow every token request down).

use super::keys::Algorithm;
use crate::audit::EventSource;
use crate::clock::{random_string, Random};
use crate::context::ServiceContext;
use crate::iam::Call;
use crate::secrets::SecretString;
use crate::storage::locks::lock_account;
use crate::storage::schema::oidc_client_previous_secrets as previous;
use crate::storage::schema::oidc_clients as clients;
use crate::storage::DbConnection;
use crate::storage::StorageError;
use chrono::{Duration, NaiveDateTime};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

mod registration;

use registration::validate;
pub use registration::{check_redirect_uri, ClientChange, NewClient};
/// Clients an account may have.
pub const MAX_CLIENTS: i64 = 1000;
const MAX_URIS: usize = 32;
const MAX_SCOPES: usize = 64;
const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The scopes with a meaning in OpenID Connect; any other scope a client is allowed is passed
/// through into access tokens for the client's own resource servers.
pub const OPENID_SCOPES: [&str; 5] = ["openid", "profile", "email", "groups", "offline_access"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client (a browser or native app): no secret, PKCE required.
    None,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::None,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn has_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// A registered client.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub account_id: String,
    pub name: String,
    secret_hash: Option<String>,
    pub auth_method: AuthMethod,
    /// The client's public keys (JWKS JSON), for `private_key_jwt`.
    pub jwks: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Vec<String>,
    pub signing_alg: Algorithm,
    /// Seconds.
    pub access_token_lifetime: i64,
    pub id_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
    pub consent_required: bool,
    pub created_at: NaiveDateTime,
    /// The secret a rotation replaced, accepted until `previous_secret_until`.
    previous_secret_hash: Option<String>,
    previous_secret_until: Option<NaiveDateTime>,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    pub fn allows_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Whether `offered` is this client's secret at `now`: its current one, or the one a
    /// rotation replaced while its grace period lasts. Both are compared, in constant time,
    /// whichever matches.
    pub fn secret_matches(&self, offered: &str, now: NaiveDateTime) -> bool {
        let offered = hash_secret(offered);
        let equal = |stored: Option<&String>| {
            stored.map_or(Choice::from(0), |s| s.as_bytes().ct_eq(offered.as_bytes()))
        };
        let current = equal(self.secret_hash.as_ref());
        let previous = equal(self.previous_secret_hash.as_ref())
            & Choice::from(u8::from(
                self.previous_secret_until.is_some_and(|until| now < until),
            ));
        bool::from(current | previous)
    }

    /// Until when the secret a rotation replaced is still accepted, if it is at `now`.
    pub fn previous_secret_valid_until(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        self.previous_secret_hash.as_ref()?;
        self.previous_secret_until.filter(|until| now < *until)
    }

    /// The ARN IAM policies name the client by.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:keyward::{}:oidc-client/{}",
            self.account_id, self.client_id
        )
    }

    /// The registration metadata at `now`, as the API and the CLI show it (never a secret).
    pub fn to_json(&self, now: NaiveDateTime) -> serde_json::Value {
        json!({
            "client_id": self.client_id,
            "account_id": self.account_id,
            "client_name": self.name,
            "token_endpoint_auth_method": self.auth_method,
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris,
            "grant_types": self.grant_types,
            "scope": self.scopes.join(" "),
            "id_token_signed_response_alg": self.signing_alg.name(),
            "access_token_lifetime": self.access_token_lifetime,
            "id_token_lifetime": self.id_token_lifetime,
            "refresh_token_lifetime": self.refresh_token_lifetime,
            "consent_required": self.consent_required,
            "jwks": self.jwks.as_deref().and_then(super::client_keys::shown),
            "created_at": self.created_at.and_utc().to_rfc3339(),
            // Shown while it lies ahead; a past grace period has no meaning left.
            "previous_secret_expires_at": self
                .previous_secret_hash
                .as_ref()
                .and(self.previous_secret_until)
                .filter(|until| *until > now)
                .map(|t| t.and_utc().to_rfc3339()),
        })
    }
}

fn hash_secret(secret: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Invalid(String),
    #[error("no client {0}")]
    NotFound(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for ClientError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Storage(e.into())
    }
}

fn new_secret(random: &dyn Random) -> String {
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes);
    BASE64URL_NOPAD.encode(&bytes)
}

/// A client as stored (lists as JSON arrays).
#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct Row {
    client_id: String,
    account_id: String,
    name: String,
    secret_hash: Option<String>,
    auth_method: String,
    jwks: Option<String>,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    grant_types: String,
    scopes: String,
    signing_alg: String,
    access_token_lifetime: i32,
    id_token_lifetime: i32,
    refresh_token_lifetime: i32,
    consent_required: bool,
    created_at: NaiveDateTime,
}

fn strings(text: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("client list: {e}")))
}

fn from_row((r, previous): (Row, Option<(String, NaiveDateTime)>)) -> Result<Client, StorageError> {
    let (previous_secret_hash, previous_secret_until) = previous.unzip();
    let corrupt = |what: &str, v: &str| StorageError::Corrupt(format!("client {what} {v}"));
    Ok(Client {
        auth_method: AuthMethod::parse(&r.auth_method)
            .ok_or_else(|| corrupt("auth method", &r.auth_method))?,
        grant_types: strings(&r.grant_types)?
            .iter()
            .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant type", g)))
            .collect::<Result<_, _>>()?,
        signing_alg: Algorithm::parse(&r.signing_alg)
            .ok_or_else(|| corrupt("algorithm", &r.signing_alg))?,
        redirect_uris: strings(&r.redirect_uris)?,
        post_logout_redirect_uris: strings(&r.post_logout_redirect_uris)?,
        scopes: strings(&r.scopes)?,
        client_id: r.client_id,
        account_id: r.account_id,
        name: r.name,
        secret_hash: r.secret_hash,
        jwks: r.jwks,
        access_token_lifetime: i64::from(r.access_token_lifetime),
        id_token_lifetime: i64::from(r.id_token_lifetime),
        refresh_token_lifetime: i64::from(r.refresh_token_lifetime),
        consent_required: r.consent_required,
        created_at: r.created_at,
        previous_secret_hash,
        previous_secret_until,
    })
}

fn to_json_list(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

/// The columns a registration sets, and a change may change.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
struct Registration<'a> {
    name: &'a str,
    jwks: Option<&'a str>,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    grant_types: String,
    scopes: String,
    signing_alg: &'static str,
    access_token_lifetime: i32,
    id_token_lifetime: i32,
    refresh_token_lifetime: i32,
    consent_required: bool,
}

impl<'a> Registration<'a> {
    fn of(client: &'a Client) -> Self {
        let grant_types: Vec<String> = client
            .grant_types
            .iter()
            .map(|g| g.name().to_string())
            .collect();
        Registration {
            name: &client.name,
            jwks: client.jwks.as_deref(),
            redirect_uris: to_json_list(&client.redirect_uris),
            post_logout_redirect_uris: to_json_list(&client.post_logout_redirect_uris),
            grant_types: to_json_list(&grant_types),
            scopes: to_json_list(&client.scopes),
            signing_alg: client.signing_alg.name(),
            access_token_lifetime: to_i32(client.access_token_lifetime),
            id_token_lifetime: to_i32(client.id_token_lifetime),
            refresh_token_lifetime: to_i32(client.refresh_token_lifetime),
            consent_required: client.consent_required,
        }
    }
}

fn to_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Registers a client in the caller's account; returns it with its secret (shown once) when
/// it has one.
pub fn create(
    ctx: &ServiceContext,
    call: &Call,
    new: &NewClient,
) -> Result<(Client, Option<SecretString>), ClientError> {
    let now = ctx.clock.now_naive();
    let id = random_string(ctx.random.as_ref(), ID_ALPHABET, 24);
    let mut client = validate(new, &call.account_id, id, now)?;
    let secret = client
        .auth_method
        .has_secret()
        .then(|| new_secret(ctx.random.as_ref()));
    client.secret_hash = secret.as_deref().map(hash_secret);
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = clients::table
            .filter(clients::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= MAX_CLIENTS {
            return Err(ClientError::LimitExceeded(format!(
                "an account may have at most {MAX_CLIENTS} OpenID Connect clients"
            )));
        }
        diesel::insert_into(clients::table)
            .values((
                clients::client_id.eq(&client.client_id),
                clients::account_id.eq(&client.account_id),
                clients::secret_hash.eq(&client.secret_hash),
                clients::auth_method.eq(client.auth_method.name()),
                Registration::of(&client),
                clients::created_at.eq(now),
            ))
            .execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::Oidc,
            "CreateClient",
            client.to_json(now),
        )?;
        Ok(())
    })?;
    Ok((client, secret.map(SecretString::from)))
}

/// A client by its id, in any account (the protocol endpoints know only the id).
pub fn find(ctx: &ServiceContext, client_id: &str) -> Result<Option<Client>, ClientError> {
    ctx.store.query(|conn| read(conn, client_id))
}

/// A client with the secret a rotation replaced, if it has one.
type Joined = (Row, Option<(String, NaiveDateTime)>);

fn read(conn: &mut DbConnection, client_id: &str) -> Result<Option<Client>, ClientError> {
    let row = clients::table
        .left_join(previous::table)
        .filter(clients::client_id.eq(client_id))
        .select((
            Row::as_select(),
            (previous::secret_hash, previous::valid_until).nullable(),
        ))
        .first::<Joined>(conn)
        .optional()?;
    Ok(row.map(from_row).transpose()?)
}

/// `client_id` of the caller's account, read for a change: the account is locked first, so
/// that two changes to one client happen one after the other.
fn read_for_change(
    conn: &mut DbConnection,
    call: &Call,
    client_id: &str,
) -> Result<Client, ClientError> {
    lock_account(conn, &call.account_id)?;
    read(conn, client_id)?
        .filter(|c| c.account_id == call.account_id)
        .ok_or_else(|| ClientError::NotFound(client_id.to_string()))
}

/// Changes a client's registration. The changed registration passes the same rules as a new
/// one; the client keeps its id, authentication method, secret, consents and tokens (the
/// token endpoint applies the new rules from the next request on).
pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    client_id: &str,
    change: &ClientChange,
) -> Result<Client, ClientError> {
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        let old = read_for_change(conn, call, client_id)?;
        let mut client = validate(
            &change.applied_to(&old),
            &old.account_id,
            old.client_id.clone(),
            old.created_at,
        )?;
        client.secret_hash = old.secret_hash;
        client.previous_secret_hash = old.previous_secret_hash;
        client.previous_secret_until = old.previous_secret_until;
        diesel::update(clients::table.find(client_id))
            .set(Registration::of(&client))
            .execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::Oidc,
            "UpdateClient",
            client.to_json(now),
        )?;
        Ok(client)
    })
}

/// The longest an administrator may keep a replaced secret working.
pub const MAX_SECRET_GRACE: Duration = Duration::days(30);

/// Gives a confidential client a new secret (returned, to be shown once). The secret it had
/// keeps working for `grace` (zero: it stops at once); a secret replaced earlier stops now,
/// whatever was left of its grace period.
pub fn rotate_secret(
    ctx: &ServiceContext,
    call: &Call,
    client_id: &str,
    grace: Duration,
) -> Result<(Client, SecretString), ClientError> {
    if grace < Duration::zero() || grace > MAX_SECRET_GRACE {
        return Err(ClientError::Invalid(format!(
            "the grace period must be between 0 and {} seconds",
            MAX_SECRET_GRACE.num_seconds()
        )));
    }
    let now = ctx.clock.now_naive();
    let secret = new_secret(ctx.random.as_ref());
    let client = ctx.change(|conn| {
        let mut client = read_for_change(conn, call, client_id)?;
        if !client.auth_method.has_secret() {
            return Err(ClientError::Invalid(format!(
                "the client {client_id} authenticates with {}; it has no secret to rotate",
                client.auth_method.name()
            )));
        }
        let kept = grace > Duration::zero();
        client.previous_secret_hash = client.secret_hash.take().filter(|_| kept);
        client.previous_secret_until = kept.then(|| now + grace);
        client.secret_hash = Some(hash_secret(&secret));
        diesel::update(clients::table.find(client_id))
            .set(clients::secret_hash.eq(&client.secret_hash))
            .execute(conn)?;
        diesel::delete(previous::table.find(client_id)).execute(conn)?;
        if let (Some(hash), Some(until)) =
            (&client.previous_secret_hash, client.previous_secret_until)
        {
            diesel::insert_into(previous::table)
                .values((
                    previous::client_id.eq(client_id),
                    previous::secret_hash.eq(hash),
                    previous::valid_until.eq(until),
                ))
                .execute(conn)?;
        }
        call.record(
            ctx,
            conn,
            EventSource::Oidc,
            "RotateClientSecret",
            json!({
                "client_id": client_id,
                "grace_period_seconds": grace.num_seconds(),
                "previous_secret_expires_at": client
                    .previous_secret_until
                    .map(|t| t.and_utc().to_rfc3339()),
            }),
        )?;
        Ok(client)
    })?;
    Ok((client, SecretString::from(secret)))
}

/// A client of `account_id`.
pub fn get(ctx: &ServiceContext, account_id: &str, client_id: &str) -> Result<Client, ClientError> {
    find(ctx, client_id)?
        .filter(|c| c.account_id == account_id)
        .ok_or_else(|| ClientError::NotFound(client_id.to_string()))
}

/// The account's clients, by name.
pub fn list(ctx: &ServiceContext, account_id: &str) -> Result<Vec<Client>, ClientError> {
    let rows = ctx.store.read(|conn| {
        clients::table
            .left_join(previous::table)
            .filter(clients::account_id.eq(account_id))
            .order((clients::name, clients::client_id))
            .select((
                Row::as_select(),
                (previous::secret_hash, previous::valid_until).nullable(),
            ))
            .load::<Joined>(conn)
            .map_err(StorageError::from)
    })?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Deletes a client with its consents, grants and tokens.
pub fn delete(ctx: &ServiceContext, call: &Call, client_id: &str) -> Result<(), ClientError> {
    ctx.change(|conn| {
        let gone = diesel::delete(
            clients::table
                .filter(clients::client_id.eq(client_id))
                .filter(clients::account_id.eq(&call.account_id)),
        )
        .execute(conn)?;
        if gone == 0 {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        call.record(
            ctx,
            conn,
            EventSource::Oidc,
            "DeleteClient",
            json!({ "client_id": client_id }),
        )?;
        Ok(())
    })
}

/// Forgets replaced secrets whose grace period has ended (none is accepted any more).
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(diesel::delete(previous::table.filter(previous::valid_until.le(now))).execute(conn)?)
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A valid confidential code client of `account_id`, for other modules' tests.
    pub fn client(account_id: &str) -> Client {
        let new = NewClient {
            name: "App".into(),
            redirect_uris: vec!["https://app.example/cb".into()],
            ..NewClient::default()
        };
        match validate(&new, account_id, "client".into(), NaiveDateTime::default()) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }
}
