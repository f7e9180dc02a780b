//! Certificate revocation lists imported for a trust anchor: X.509 CRLs (DER or PEM, kept as
//! DER) whose signature verifies with one of the anchor's CAs. An enabled CRL's revoked
//! serial numbers are refused when a certificate of that CA asks for a session.

use super::certificates;
use super::tags::{self, Tag};
use super::{check_name, invalid, new_id, not_found, trust_anchors, Kind, Scope, Stamps, Switch};
use crate::audit::EventSource;
use crate::context::ServiceContext;
use crate::iam::{Call, IamError};
use crate::storage::schema::ra_crls as table;
use crate::storage::DbConnection;
use chrono::NaiveDateTime;
use data_encoding::BASE64;
use diesel::prelude::*;
use serde_json::json;

/// The largest CRL the API takes, in bytes.
pub const MAX_CRL_BYTES: usize = 300_000;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = table)]
struct Row {
    id: String,
    account_id: String,
    trust_anchor_id: String,
    name: String,
    crl_der: String,
    issuer: String,
    enabled: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct Crl {
    pub id: String,
    pub account_id: String,
    pub trust_anchor_id: String,
    pub name: String,
    /// The list, DER.
    pub der: Vec<u8>,
    /// Its issuer (RFC 4514 text): the anchor's CA that signed it.
    pub issuer: String,
    pub enabled: bool,
    pub stamps: Stamps,
}

impl Crl {
    fn from_row(row: Row) -> Result<Self, IamError> {
        Ok(Crl {
            der: BASE64
                .decode(row.crl_der.as_bytes())
                .map_err(super::corrupt)?,
            stamps: Stamps {
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
            id: row.id,
            account_id: row.account_id,
            trust_anchor_id: row.trust_anchor_id,
            name: row.name,
            issuer: row.issuer,
            enabled: row.enabled,
        })
    }
}

/// An import, or a change of one: `None` keeps what is stored.
#[derive(Debug, Default)]
pub struct Import {
    pub name: Option<String>,
    pub data: Option<Vec<u8>>,
    /// The trust anchor's ARN (or id).
    pub trust_anchor: Option<String>,
    pub enabled: Option<bool>,
    pub tags: Vec<Tag>,
}

/// `data` checked against the anchor's CAs: the DER and issuer to keep.
fn check_data(
    anchor: &trust_anchors::TrustAnchor,
    data: &[u8],
) -> Result<certificates::CheckedCrl, IamError> {
    if data.is_empty() || data.len() > MAX_CRL_BYTES {
        return Err(invalid(format!(
            "The CRL data is 1 to {MAX_CRL_BYTES} bytes."
        )));
    }
    let cas: Vec<Vec<u8>> = anchor.cas()?.into_iter().map(|ca| ca.der).collect();
    certificates::crl(data, &cas).map_err(|e| invalid(e.0))
}

fn find(conn: &mut DbConnection, account_id: &str, id: &str) -> Result<Row, IamError> {
    table::table
        .filter(table::id.eq(id))
        .filter(table::account_id.eq(account_id))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(Kind::Crl, id))
}

fn write(conn: &mut DbConnection, row: &Row) -> Result<(), IamError> {
    diesel::update(table::table.filter(table::id.eq(&row.id)))
        .set((
            table::name.eq(&row.name),
            table::crl_der.eq(&row.crl_der),
            table::issuer.eq(&row.issuer),
            table::enabled.eq(row.enabled),
            table::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

fn audited(row: &Row) -> serde_json::Value {
    json!({
        "crlId": row.id,
        "name": row.name,
        "trustAnchorId": row.trust_anchor_id,
        "issuer": row.issuer,
        "enabled": row.enabled,
    })
}

/// ImportCrl.
pub fn import(
    ctx: &ServiceContext,
    call: &Call,
    scope: Scope<'_>,
    new: &Import,
) -> Result<Crl, IamError> {
    let name = new.name.clone().unwrap_or_default();
    check_name(&name)?;
    tags::check(&new.tags)?;
    let anchor_text = new
        .trust_anchor
        .as_deref()
        .ok_or_else(|| invalid("A CRL names its trust anchor (trustAnchorArn)."))?;
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        let anchor = trust_anchors::find_in(conn, scope, anchor_text)?;
        let checked = check_data(&anchor, new.data.as_deref().unwrap_or_default())?;
        let row = Row {
            id: new_id(ctx.random.as_ref()),
            account_id: call.account_id.clone(),
            trust_anchor_id: anchor.id,
            name,
            crl_der: BASE64.encode(&checked.der),
            issuer: checked.issuer,
            // AWS imports a CRL disabled unless told otherwise.
            enabled: new.enabled.unwrap_or(false),
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(table::table)
            .values(&row)
            .execute(conn)?;
        tags::add(conn, &call.account_id, Kind::Crl, &row.id, &new.tags)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "ImportCrl",
            audited(&row),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Crl::from_row(row)
}

/// UpdateCrl: a new name or new data (checked against the same anchor).
pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    scope: Scope<'_>,
    id: &str,
    change: &Import,
) -> Result<Crl, IamError> {
    if let Some(name) = &change.name {
        check_name(name)?;
    }
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        let mut row = find(conn, &call.account_id, id)?;
        if let Some(name) = &change.name {
            row.name = name.clone();
        }
        if let Some(data) = &change.data {
            let anchor = trust_anchors::find_in(conn, scope, &row.trust_anchor_id)?;
            let checked = check_data(&anchor, data)?;
            row.crl_der = BASE64.encode(&checked.der);
            row.issuer = checked.issuer;
        }
        row.updated_at = now;
        write(conn, &row)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "UpdateCrl",
            audited(&row),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Crl::from_row(row)
}

/// EnableCrl, DisableCrl.
pub fn switch(ctx: &ServiceContext, call: &Call, id: &str, to: Switch) -> Result<Crl, IamError> {
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        let mut row = find(conn, &call.account_id, id)?;
        row.enabled = to.enabled();
        row.updated_at = now;
        write(conn, &row)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            &format!("{}Crl", to.verb()),
            json!({ "crlId": row.id }),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Crl::from_row(row)
}

/// DeleteCrl, with its tags; answers the CRL as it was.
pub fn delete(ctx: &ServiceContext, call: &Call, id: &str) -> Result<Crl, IamError> {
    let row = ctx.change(|conn| {
        let row = find(conn, &call.account_id, id)?;
        tags::remove_all(conn, Kind::Crl, id)?;
        diesel::delete(table::table.filter(table::id.eq(id))).execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "DeleteCrl",
            json!({ "crlId": row.id, "name": row.name, "trustAnchorId": row.trust_anchor_id }),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Crl::from_row(row)
}

/// GetCrl.
pub fn get(ctx: &ServiceContext, account_id: &str, id: &str) -> Result<Crl, IamError> {
    let row = ctx.store.read(|conn| find(conn, account_id, id))?;
    Crl::from_row(row)
}

/// ListCrls: a page of at most `size` after the id `after`, by id; and whether more follow.
pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    after: Option<&str>,
    size: i64,
) -> Result<(Vec<Crl>, bool), IamError> {
    let rows: Vec<Row> = ctx.store.read(|conn| {
        table::table
            .filter(table::account_id.eq(account_id))
            .filter(table::id.gt(after.unwrap_or("")))
            .order(table::id.asc())
            .limit(size + 1)
            .select(Row::as_select())
            .load(conn)
            .map_err(IamError::from)
    })?;
    super::page(rows, size, Crl::from_row)
}
