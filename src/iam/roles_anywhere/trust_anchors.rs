//! Trust anchors: the CA certificates whose certificates the account trusts. The source is a
//! `CERTIFICATE_BUNDLE` (PEM, every certificate a CA); AWS's other sources (a private CA of
//! ACM, `AWS_ACM_PCA`) have no meaning here and are refused. Deleting an anchor deletes its
//! CRLs. Disabled, an anchor vouches for no certificate.

use super::certificates::{self, CaCertificate};
use super::tags::{self, Tag};
use super::{check_name, corrupt, invalid, new_id, not_found, Kind, Scope, Stamps, Switch};
use crate::audit::EventSource;
use crate::context::ServiceContext;
use crate::iam::{Call, IamError};
use crate::storage::schema::{ra_crls, ra_trust_anchors as table};
use crate::storage::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// The only source type Keyward takes.
pub const CERTIFICATE_BUNDLE: &str = "CERTIFICATE_BUNDLE";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = table)]
struct Row {
    id: String,
    account_id: String,
    name: String,
    source_type: String,
    certificates: String,
    enabled: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A trust anchor and its tags.
#[derive(Debug, Clone)]
pub struct TrustAnchor {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub source_type: String,
    /// The CA bundle, PEM, as given.
    pub certificates: String,
    pub enabled: bool,
    pub stamps: Stamps,
}

impl TrustAnchor {
    fn from_row(row: Row) -> Self {
        TrustAnchor {
            stamps: Stamps {
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
            id: row.id,
            account_id: row.account_id,
            name: row.name,
            source_type: row.source_type,
            certificates: row.certificates,
            enabled: row.enabled,
        }
    }

    /// The bundle's CA certificates, parsed (checked when stored).
    pub fn cas(&self) -> Result<Vec<CaCertificate>, IamError> {
        certificates::ca_bundle(&self.certificates).map_err(corrupt)
    }
}

/// A new anchor, or a change of one: `None` keeps what is stored.
#[derive(Debug, Default)]
pub struct Anchoring {
    pub name: Option<String>,
    pub source_type: Option<String>,
    pub certificates: Option<String>,
    pub enabled: Option<bool>,
    pub tags: Vec<Tag>,
}

/// The source checked: its type, and a bundle of CAs.
fn check_source(source_type: &str, pem: &str) -> Result<Vec<CaCertificate>, IamError> {
    if source_type != CERTIFICATE_BUNDLE {
        return Err(invalid(format!(
            "The source type {source_type} is not supported: use {CERTIFICATE_BUNDLE}."
        )));
    }
    if pem.len() > 204_800 {
        return Err(invalid(
            "The certificate data is longer than 204800 characters.",
        ));
    }
    certificates::ca_bundle(pem).map_err(|e| invalid(e.0))
}

/// What the audit trail keeps: the CAs' subjects, not the whole bundle.
fn audited(row: &Row, subjects: &[CaCertificate]) -> serde_json::Value {
    let subjects: Vec<&str> = subjects.iter().map(|c| c.subject.as_str()).collect();
    json!({
        "trustAnchorId": row.id,
        "name": row.name,
        "sourceType": row.source_type,
        "caSubjects": subjects,
        "enabled": row.enabled,
    })
}

fn find(conn: &mut DbConnection, account_id: &str, id: &str) -> Result<Row, IamError> {
    table::table
        .filter(table::id.eq(id))
        .filter(table::account_id.eq(account_id))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(Kind::TrustAnchor, id))
}

/// CreateTrustAnchor.
pub fn create(ctx: &ServiceContext, call: &Call, new: &Anchoring) -> Result<TrustAnchor, IamError> {
    let name = new.name.clone().unwrap_or_default();
    check_name(&name)?;
    let source_type = new.source_type.as_deref().unwrap_or(CERTIFICATE_BUNDLE);
    let cas = check_source(source_type, new.certificates.as_deref().unwrap_or(""))?;
    tags::check(&new.tags)?;
    let now = ctx.clock.now_naive();
    let row = Row {
        id: new_id(ctx.random.as_ref()),
        account_id: call.account_id.clone(),
        name,
        source_type: source_type.to_string(),
        certificates: new.certificates.clone().unwrap_or_default(),
        // AWS creates an anchor disabled unless told otherwise.
        enabled: new.enabled.unwrap_or(false),
        created_at: now,
        updated_at: now,
    };
    ctx.change(|conn| {
        diesel::insert_into(table::table)
            .values(&row)
            .execute(conn)?;
        tags::add(
            conn,
            &call.account_id,
            Kind::TrustAnchor,
            &row.id,
            &new.tags,
        )?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "CreateTrustAnchor",
            audited(&row, &cas),
        )?;
        Ok::<_, IamError>(())
    })?;
    Ok(TrustAnchor::from_row(row))
}

/// UpdateTrustAnchor: a new name or source.
pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    id: &str,
    change: &Anchoring,
) -> Result<TrustAnchor, IamError> {
    if let Some(name) = &change.name {
        check_name(name)?;
    }
    let now = ctx.clock.now_naive();
    let row = ctx.change(|conn| {
        let mut row = find(conn, &call.account_id, id)?;
        if let Some(name) = &change.name {
            row.name = name.clone();
        }
        if change.source_type.is_some() || change.certificates.is_some() {
            let source_type = change.source_type.as_deref().unwrap_or(&row.source_type);
            let pem = change.certificates.as_deref().unwrap_or("");
            check_source(source_type, pem)?;
            row.source_type = source_type.to_string();
            row.certificates = pem.to_string();
        }
        row.updated_at = now;
        write(conn, &row)?;
        let cas = certificates::ca_bundle(&row.certificates).map_err(corrupt)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "UpdateTrustAnchor",
            audited(&row, &cas),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Ok(TrustAnchor::from_row(row))
}

fn write(conn: &mut DbConnection, row: &Row) -> Result<(), IamError> {
    diesel::update(table::table.filter(table::id.eq(&row.id)))
        .set((
            table::name.eq(&row.name),
            table::source_type.eq(&row.source_type),
            table::certificates.eq(&row.certificates),
            table::enabled.eq(row.enabled),
            table::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// EnableTrustAnchor, DisableTrustAnchor.
pub fn switch(
    ctx: &ServiceContext,
    call: &Call,
    id: &str,
    to: Switch,
) -> Result<TrustAnchor, IamError> {
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
            &format!("{}TrustAnchor", to.verb()),
            json!({ "trustAnchorId": row.id }),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Ok(TrustAnchor::from_row(row))
}

/// DeleteTrustAnchor, with its CRLs and tags; answers the anchor as it was.
pub fn delete(ctx: &ServiceContext, call: &Call, id: &str) -> Result<TrustAnchor, IamError> {
    let row = ctx.change(|conn| {
        let row = find(conn, &call.account_id, id)?;
        let crls: Vec<String> = ra_crls::table
            .filter(ra_crls::trust_anchor_id.eq(id))
            .select(ra_crls::id)
            .load(conn)?;
        for crl in &crls {
            tags::remove_all(conn, Kind::Crl, crl)?;
        }
        diesel::delete(ra_crls::table.filter(ra_crls::trust_anchor_id.eq(id))).execute(conn)?;
        tags::remove_all(conn, Kind::TrustAnchor, id)?;
        diesel::delete(table::table.filter(table::id.eq(id))).execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "DeleteTrustAnchor",
            json!({ "trustAnchorId": row.id, "name": row.name, "crlsDeleted": crls }),
        )?;
        Ok::<_, IamError>(row)
    })?;
    Ok(TrustAnchor::from_row(row))
}

/// GetTrustAnchor.
pub fn get(ctx: &ServiceContext, account_id: &str, id: &str) -> Result<TrustAnchor, IamError> {
    let row = ctx.store.read(|conn| find(conn, account_id, id))?;
    Ok(TrustAnchor::from_row(row))
}

/// The anchor named by `text` (its id or ARN), read in the caller's transaction.
pub(super) fn find_in(
    conn: &mut DbConnection,
    scope: Scope<'_>,
    text: &str,
) -> Result<TrustAnchor, IamError> {
    let id = scope.identify(Kind::TrustAnchor, text)?;
    find(conn, scope.account_id, &id).map(TrustAnchor::from_row)
}

/// ListTrustAnchors: a page of at most `size` after the id `after`, by id; and whether more
/// follow.
pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    after: Option<&str>,
    size: i64,
) -> Result<(Vec<TrustAnchor>, bool), IamError> {
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
    super::page(rows, size, |row| Ok(TrustAnchor::from_row(row)))
}
