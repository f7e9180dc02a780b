//! Sign-in providers: external OpenID Connect providers that an account's people sign in to
//! the console through, with Keyward as the relying party (`signin::external`).
//!
//! Each is registered per account under a name ("Sign in with Corp") with its issuer, the
//! client id and secret Keyward was given there (the secret sealed under the master key, for
//! this account and name only), the scopes asked for, the claim that names the person, the
//! claim-to-role rules ([`RoleRule`]) and whether the provider's word on MFA (`amr` holding
//! `mfa`) is trusted. The issuer must be one of the account's IAM OpenID Connect providers:
//! that provider's ARN is the `Federated` principal the roles' trust policies name, and its
//! thumbprints are how Keyward trusts the issuer's certificate. Every change is audited, never
//! with the secret.

use super::call::Call;
use super::names::{check_text, check_url_name};
use super::oidc_providers::{self, TrustedIssuer};
use super::IamError;
use crate::audit::EventSource;
use crate::context::ServiceContext;
use crate::federation::rules::RoleRule;
use crate::secrets::{ExposeSecret, SecretString};
use crate::storage::schema::signin_providers as table;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

/// The most sign-in providers an account may have.
pub const MAX_PROVIDERS: i64 = 20;
/// The most scopes a provider may be asked for.
pub const MAX_SCOPES: usize = 20;
pub const DEFAULT_SCOPES: &str = "openid profile email";
pub const DEFAULT_USERNAME_CLAIM: &str = "preferred_username";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = table)]
struct Row {
    account_id: String,
    name: String,
    issuer: String,
    client_id: String,
    client_secret_sealed: String,
    scopes: String,
    username_claim: String,
    rules: String,
    trusted_for_mfa: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A registered provider, its secret still sealed.
#[derive(Debug, Clone)]
pub struct SigninProvider {
    pub account_id: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    client_secret_sealed: String,
    pub scopes: Vec<String>,
    pub username_claim: String,
    pub rules: Vec<RoleRule>,
    pub trusted_for_mfa: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A registration, or a change of one: every field of a change is optional (`None` keeps
/// what is stored).
#[derive(Debug, Default)]
pub struct Registration {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// Space-separated; `openid` must be among them.
    pub scopes: Option<String>,
    pub username_claim: Option<String>,
    pub rules: Option<Vec<RoleRule>>,
    pub trusted_for_mfa: Option<bool>,
}

fn purpose(account_id: &str, name: &str) -> String {
    format!("signin-provider-secret:{account_id}:{name}")
}

fn corrupt(e: impl ToString) -> IamError {
    IamError::Storage(StorageError::Corrupt(e.to_string()))
}

impl SigninProvider {
    fn from_row(row: Row) -> Result<Self, IamError> {
        Ok(SigninProvider {
            rules: serde_json::from_str(&row.rules).map_err(corrupt)?,
            scopes: row.scopes.split_whitespace().map(String::from).collect(),
            account_id: row.account_id,
            name: row.name,
            issuer: row.issuer,
            client_id: row.client_id,
            client_secret_sealed: row.client_secret_sealed,
            username_claim: row.username_claim,
            trusted_for_mfa: row.trusted_for_mfa,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The client secret, opened.
    pub fn client_secret(&self, ctx: &ServiceContext) -> Result<SecretString, IamError> {
        ctx.master_key
            .open_string(
                &purpose(&self.account_id, &self.name),
                &self.client_secret_sealed,
            )
            .map_err(|_| IamError::Internal("cannot open a sign-in provider's secret".into()))
    }

    /// The rules as written, one per line.
    pub fn rules_text(&self) -> String {
        self.rules
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// What an API, the console and the CLI show of it (never the secret).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "scopes": self.scopes.join(" "),
            "username_claim": self.username_claim,
            "rules": self.rules.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "trusted_for_mfa": self.trusted_for_mfa,
            "created_at": self.created_at.and_utc().to_rfc3339(),
            "updated_at": self.updated_at.and_utc().to_rfc3339(),
        })
    }
}

fn invalid(text: impl Into<String>) -> IamError {
    IamError::Validation(text.into())
}

fn check_scopes(scopes: &str) -> Result<String, IamError> {
    let list: Vec<&str> = scopes.split_whitespace().collect();
    // RFC 6749's scope-token: printable ASCII but the space, `"` and `\`.
    let token = |s: &str| {
        s.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    };
    if !list.contains(&"openid") || list.len() > MAX_SCOPES || !list.iter().all(|s| token(s)) {
        return Err(invalid(format!(
            "The scopes must include openid, be at most {MAX_SCOPES}, and be separated by spaces."
        )));
    }
    Ok(list.join(" "))
}

/// The account's IAM OpenID Connect provider for `issuer`, which a sign-in provider needs.
/// Its URL was checked when it was created (https, or loopback http under the test setting),
/// and every call to it is checked again (`outbound`).
fn iam_provider(
    conn: &mut DbConnection,
    account_id: &str,
    issuer: &str,
) -> Result<TrustedIssuer, IamError> {
    if url::Url::parse(issuer).is_err() {
        return Err(invalid("The issuer must be a URL."));
    }
    oidc_providers::for_issuer(conn, account_id, issuer)?.ok_or_else(|| {
        invalid(format!(
            "No IAM OpenID Connect provider of this account has the issuer {issuer}. Create it \
             first (aws iam create-open-id-connect-provider): roles trust it by its ARN, and \
             its thumbprints say which certificate the issuer may present."
        ))
    })
}

/// The IAM provider a sign-in provider's issuer is, at sign-in (it may have been deleted).
pub fn trusted_issuer(
    ctx: &ServiceContext,
    provider: &SigninProvider,
) -> Result<TrustedIssuer, IamError> {
    ctx.store
        .read(|conn| iam_provider(conn, &provider.account_id, &provider.issuer))
}

fn not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The sign-in provider {name} does not exist."))
}

fn find(conn: &mut DbConnection, account_id: &str, name: &str) -> Result<Row, IamError> {
    table::table
        .find((account_id, name))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(name))
}

/// The stored row of `registration` over `row` (checked as a whole).
fn apply(
    ctx: &ServiceContext,
    conn: &mut DbConnection,
    mut row: Row,
    registration: &Registration,
) -> Result<Row, IamError> {
    if let Some(issuer) = &registration.issuer {
        row.issuer = issuer.trim().trim_end_matches('/').to_string();
    }
    iam_provider(conn, &row.account_id, &row.issuer)?;
    if let Some(client_id) = &registration.client_id {
        check_text("client id", client_id, 255)?;
        row.client_id = client_id.clone();
    }
    if let Some(secret) = &registration.client_secret {
        check_text("client secret", secret.expose_secret(), 1024)?;
        row.client_secret_sealed = ctx
            .master_key
            .seal(
                &purpose(&row.account_id, &row.name),
                secret.expose_secret().as_bytes(),
                ctx.random.as_ref(),
            )
            .map_err(|_| IamError::Internal("cannot seal the client secret".into()))?;
    }
    if let Some(scopes) = &registration.scopes {
        row.scopes = check_scopes(scopes)?;
    }
    if let Some(claim) = &registration.username_claim {
        check_text("user name claim", claim, 256)?;
        row.username_claim = claim.clone();
    }
    if let Some(rules) = &registration.rules {
        if rules.len() > crate::federation::rules::MAX_RULES {
            return Err(invalid("A provider has at most 100 rules."));
        }
        row.rules = serde_json::to_string(rules).map_err(corrupt)?;
    }
    if let Some(trusted) = registration.trusted_for_mfa {
        row.trusted_for_mfa = trusted;
    }
    if row.client_id.is_empty() || row.client_secret_sealed.is_empty() {
        return Err(invalid("A client id and a client secret are required."));
    }
    Ok(row)
}

/// What the audit trail keeps of a registration: never the secret.
fn audited(row: &Row, secret_changed: bool) -> Value {
    json!({
        "name": row.name,
        "issuer": row.issuer,
        "clientId": row.client_id,
        "scopes": row.scopes,
        "usernameClaim": row.username_claim,
        "rules": serde_json::from_str::<Vec<RoleRule>>(&row.rules)
            .map(|rules| rules.iter().map(ToString::to_string).collect::<Vec<_>>())
            .unwrap_or_default(),
        "trustedForMfa": row.trusted_for_mfa,
        "clientRekeyed": secret_changed,
    })
}

/// Registers a provider under `name`.
pub fn create(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    registration: &Registration,
) -> Result<SigninProvider, IamError> {
    check_url_name("sign-in provider", name)?;
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = table::table
            .filter(table::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= MAX_PROVIDERS {
            return Err(IamError::LimitExceeded(format!(
                "An account has at most {MAX_PROVIDERS} sign-in providers."
            )));
        }
        let empty = Row {
            account_id: call.account_id.clone(),
            name: name.to_string(),
            issuer: String::new(),
            client_id: String::new(),
            client_secret_sealed: String::new(),
            scopes: DEFAULT_SCOPES.to_string(),
            username_claim: DEFAULT_USERNAME_CLAIM.to_string(),
            rules: "[]".to_string(),
            trusted_for_mfa: false,
            created_at: now,
            updated_at: now,
        };
        let row = apply(ctx, conn, empty, registration)?;
        diesel::insert_into(table::table)
            .values(&row)
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "A sign-in provider named {name} already exists."
                )),
                other => other.into(),
            })?;
        call.record(
            ctx,
            conn,
            EventSource::Keyward,
            "CreateSigninProvider",
            audited(&row, true),
        )?;
        Ok::<_, IamError>(row)
    })?;
    SigninProvider::from_row(row)
}

/// Changes a provider: the fields given replace the stored ones.
pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    change: &Registration,
) -> Result<SigninProvider, IamError> {
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        let stored = find(conn, &call.account_id, name)?;
        let mut row = apply(ctx, conn, stored, change)?;
        row.updated_at = now;
        diesel::update(table::table.find((&call.account_id, name)))
            .set((
                table::issuer.eq(&row.issuer),
                table::client_id.eq(&row.client_id),
                table::client_secret_sealed.eq(&row.client_secret_sealed),
                table::scopes.eq(&row.scopes),
                table::username_claim.eq(&row.username_claim),
                table::rules.eq(&row.rules),
                table::trusted_for_mfa.eq(row.trusted_for_mfa),
                table::updated_at.eq(now),
            ))
            .execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::Keyward,
            "UpdateSigninProvider",
            audited(&row, change.client_secret.is_some()),
        )?;
        Ok::<_, IamError>(row)
    })?;
    SigninProvider::from_row(row)
}

/// Removes a provider. Console sessions it opened keep their role session until it ends.
pub fn delete(ctx: &ServiceContext, call: &Call, name: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let row = find(conn, &call.account_id, name)?;
        diesel::delete(table::table.find((&call.account_id, name))).execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::Keyward,
            "DeleteSigninProvider",
            json!({ "name": row.name, "issuer": row.issuer }),
        )?;
        Ok::<_, IamError>(())
    })
}

pub fn get(ctx: &ServiceContext, account_id: &str, name: &str) -> Result<SigninProvider, IamError> {
    let row = ctx.store.read(|conn| find(conn, account_id, name))?;
    SigninProvider::from_row(row)
}

/// The account's providers, by name.
pub fn list(ctx: &ServiceContext, account_id: &str) -> Result<Vec<SigninProvider>, IamError> {
    let rows = ctx.store.read(|conn| {
        table::table
            .filter(table::account_id.eq(account_id))
            .order(table::name.asc())
            .select(Row::as_select())
            .load(conn)
            .map_err(IamError::from)
    })?;
    rows.into_iter().map(SigninProvider::from_row).collect()
}
