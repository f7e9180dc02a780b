//! IAM OpenID Connect identity providers (the issuers `AssumeRoleWithWebIdentity` will trust).

use super::call::Call;
use super::tags::{self, Tag, Taggable};
use super::IamError;
use crate::context::ServiceContext;
use crate::storage::schema::oidc_providers;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// IAM's quotas: 100 client ids and 5 thumbprints per provider, 100 providers per account.
pub const MAX_CLIENT_IDS: usize = 100;
pub const MAX_THUMBPRINTS: usize = 5;
pub const MAX_PROVIDERS: i64 = 100;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_providers)]
pub struct OidcProvider {
    pub arn: String,
    pub account_id: String,
    pub url: String,
    pub client_ids: String,
    pub thumbprints: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct ProviderView {
    pub arn: String,
    /// The issuer without its `https://`, as IAM returns it.
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub created_at: NaiveDateTime,
    pub tags: Vec<Tag>,
}

fn list_of(json_text: &str) -> Result<Vec<String>, IamError> {
    serde_json::from_str(json_text)
        .map_err(|e| IamError::Storage(StorageError::Corrupt(e.to_string())))
}

fn to_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

fn check_thumbprints(thumbprints: &[String]) -> Result<(), IamError> {
    if thumbprints.len() > MAX_THUMBPRINTS {
        return Err(IamError::LimitExceeded(format!(
            "Thumbprint list must contain fewer than {} entries.",
            MAX_THUMBPRINTS + 1
        )));
    }
    if let Some(bad) = thumbprints
        .iter()
        .find(|t| t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{bad}' at 'thumbprintList' failed to satisfy constraint: \
             Member must have length 40 and contain only hexadecimal digits"
        )));
    }
    Ok(())
}

fn check_client_ids(ids: &[String]) -> Result<(), IamError> {
    if ids.len() > MAX_CLIENT_IDS {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    if ids.iter().any(|c| c.is_empty() || c.chars().count() > 255) {
        return Err(IamError::Validation(
            "Client IDs must be 1 to 255 characters long.".into(),
        ));
    }
    Ok(())
}

/// An issuer URL as the provider is stored and shown (its host and path, as IAM shows an
/// `https://` issuer; a plain-http test issuer keeps its `http://`), and the host and path
/// that name it in its ARN. Plain http only for a loopback issuer, when the test setting
/// allows it.
fn issuer(url: &str, allow_http_loopback: bool) -> Result<(String, String), IamError> {
    let invalid = || {
        IamError::Validation(
            "Invalid Url: it must begin with https:// and name a host.".to_string(),
        )
    };
    let parsed = url::Url::parse(url).map_err(|_| invalid())?;
    if !crate::outbound::allowed(&parsed, allow_http_loopback)
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
    {
        return Err(invalid());
    }
    let stored = stored_form(url);
    let name = stored.trim_start_matches("http://").to_string();
    Ok((stored, name))
}

/// An issuer (a token's `iss`, or a URL given to IAM) as providers are stored.
fn stored_form(issuer: &str) -> String {
    issuer
        .strip_prefix("https://")
        .unwrap_or(issuer)
        .trim_end_matches('/')
        .to_string()
}

/// A provider an account trusts, as `AssumeRoleWithWebIdentity` uses it.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    pub arn: String,
    /// The issuer as tokens name it (`https://host/path`).
    pub issuer: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
}

impl TrustedIssuer {
    /// Where its keys are found: its discovery document's `jwks_uri`.
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        )
    }
}

/// The provider of `account_id` whose issuer is `iss` (a token's claim), if there is one.
pub fn for_issuer(
    conn: &mut DbConnection,
    account_id: &str,
    iss: &str,
) -> Result<Option<TrustedIssuer>, IamError> {
    let found = oidc_providers::table
        .filter(oidc_providers::account_id.eq(account_id))
        .filter(oidc_providers::url.eq(stored_form(iss)))
        .select(OidcProvider::as_select())
        .first(conn)
        .optional()?;
    found
        .map(|p| {
            Ok(TrustedIssuer {
                issuer: if p.url.starts_with("http://") {
                    p.url.clone()
                } else {
                    format!("https://{}", p.url)
                },
                client_ids: list_of(&p.client_ids)?,
                thumbprints: list_of(&p.thumbprints)?,
                arn: p.arn,
            })
        })
        .transpose()
}

fn not_found(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

pub(crate) fn find(
    conn: &mut DbConnection,
    account_id: &str,
    arn: &str,
) -> Result<OidcProvider, IamError> {
    oidc_providers::table
        .find(arn)
        .filter(oidc_providers::account_id.eq(account_id))
        .select(OidcProvider::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(arn))
}

fn view(conn: &mut DbConnection, p: OidcProvider) -> Result<ProviderView, IamError> {
    Ok(ProviderView {
        tags: tags::list(conn, Taggable::OidcProvider, &p.arn)?,
        client_ids: list_of(&p.client_ids)?,
        thumbprints: list_of(&p.thumbprints)?,
        arn: p.arn,
        url: p.url,
        created_at: p.created_at,
    })
}

pub fn create(
    ctx: &ServiceContext,
    call: &Call,
    url: &str,
    client_ids: &[String],
    thumbprints: &[String],
    new_tags: &[Tag],
) -> Result<String, IamError> {
    let (stored, host_path) = issuer(url, ctx.web_identity.allow_http_loopback_issuers)?;
    check_client_ids(client_ids)?;
    check_thumbprints(thumbprints)?;
    tags::check(new_tags, ctx.limits.tags_per_resource)?;
    let arn = format!("arn:aws:iam::{}:oidc-provider/{host_path}", call.account_id);
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = oidc_providers::table
            .filter(oidc_providers::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= MAX_PROVIDERS {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}"
            )));
        }
        diesel::insert_into(oidc_providers::table)
            .values(&OidcProvider {
                arn: arn.clone(),
                account_id: call.account_id.clone(),
                url: stored,
                client_ids: to_json(client_ids),
                thumbprints: to_json(thumbprints),
                created_at: now,
            })
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "Provider with url {url} already exists."
                )),
                other => other.into(),
            })?;
        tags::set(
            conn,
            &call.account_id,
            Taggable::OidcProvider,
            &arn,
            new_tags,
            ctx.limits.tags_per_resource,
        )?;
        call.audit(
            ctx,
            conn,
            "CreateOpenIDConnectProvider",
            json!({ "url": url, "clientIDList": client_ids }),
        )?;
        Ok(arn.clone())
    })
}

pub fn get(ctx: &ServiceContext, account_id: &str, arn: &str) -> Result<ProviderView, IamError> {
    ctx.store.read(|conn| {
        let p = find(conn, account_id, arn)?;
        view(conn, p)
    })
}

pub fn list(ctx: &ServiceContext, account_id: &str) -> Result<Vec<String>, IamError> {
    ctx.store.read(|conn| {
        Ok(oidc_providers::table
            .filter(oidc_providers::account_id.eq(account_id))
            .select(oidc_providers::arn)
            .order(oidc_providers::arn.asc())
            .load(conn)?)
    })
}

pub fn delete(ctx: &ServiceContext, call: &Call, arn: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        find(conn, &call.account_id, arn)?;
        tags::remove_all(conn, Taggable::OidcProvider, arn)?;
        diesel::delete(oidc_providers::table.find(arn)).execute(conn)?;
        call.audit(
            ctx,
            conn,
            "DeleteOpenIDConnectProvider",
            json!({ "openIDConnectProviderArn": arn }),
        )?;
        Ok(())
    })
}

/// Changes the client ids (`add` or remove one) or replaces the thumbprints.
pub enum Change<'a> {
    AddClientId(&'a str),
    RemoveClientId(&'a str),
    Thumbprints(&'a [String]),
}

pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    arn: &str,
    change: Change<'_>,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let p = find(conn, &call.account_id, arn)?;
        let mut client_ids = list_of(&p.client_ids)?;
        let mut thumbprints = list_of(&p.thumbprints)?;
        let event = match change {
            Change::AddClientId(id) => {
                if !client_ids.iter().any(|c| c == id) {
                    client_ids.push(id.to_string());
                }
                check_client_ids(&client_ids)?;
                "AddClientIDToOpenIDConnectProvider"
            }
            Change::RemoveClientId(id) => {
                client_ids.retain(|c| c != id);
                "RemoveClientIDFromOpenIDConnectProvider"
            }
            Change::Thumbprints(list) => {
                check_thumbprints(list)?;
                thumbprints = list.to_vec();
                "UpdateOpenIDConnectProviderThumbprint"
            }
        };
        diesel::update(oidc_providers::table.find(arn))
            .set((
                oidc_providers::client_ids.eq(to_json(&client_ids)),
                oidc_providers::thumbprints.eq(to_json(&thumbprints)),
            ))
            .execute(conn)?;
        call.audit(ctx, conn, event, json!({ "openIDConnectProviderArn": arn }))?;
        Ok(())
    })
}
