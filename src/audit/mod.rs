//! The audit trail: one recorder that every service calls, in the transaction of the change it
//! records, so an event exists exactly when its change does. Handlers never write events.
//!
//! Secrets never reach the trail: request parameters pass through [`redact`] first, which
//! replaces the value of any key that names a secret with CloudTrail's placeholder. Nothing
//! reaches it at the length a client sent either: see [`limits`].

pub mod limits;
mod queue;
pub mod retention;
pub mod sampling;

pub use queue::AuditQueue;

use crate::clock::Random;
use crate::storage::ids::time_ordered_id;
use crate::storage::models::AuditEventRow;
use crate::storage::schema::audit_events;
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

/// What CloudTrail writes in place of a secret.
pub const REDACTED: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Key fragments (lower case) whose values are secrets.
const SECRET_KEY_FRAGMENTS: &[&str] = &[
    "password",
    "secret",
    "token",
    "privatekey",
    "seed",
    "mastersecret",
    "credential",
];

/// The service an event belongs to, as CloudTrail names it where AWS has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    Iam,
    Sts,
    Signin,
    Oidc,
    /// Keyward itself: bootstrap, key rotation, maintenance.
    Keyward,
    /// Certificate trust: trust anchors, profiles, CRLs (IAM Roles Anywhere's API).
    RolesAnywhere,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iam => "iam.amazonaws.com",
            Self::Sts => "sts.amazonaws.com",
            Self::Signin => "signin.amazonaws.com",
            Self::Oidc => "oidc",
            Self::Keyward => "keyward",
            Self::RolesAnywhere => "rolesanywhere.amazonaws.com",
        }
    }
}

/// Facts about the request that caused an event, gathered at the HTTP edge.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// One event, as a service describes it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub source: EventSource,
    pub name: String,
    pub account_id: Option<String>,
    pub actor_arn: Option<String>,
    pub read_only: bool,
    pub request_parameters: Option<Value>,
    pub response_elements: Option<Value>,
    pub error: Option<(String, String)>,
}

impl AuditEvent {
    pub fn new(source: EventSource, name: impl Into<String>) -> Self {
        Self {
            source,
            name: name.into(),
            account_id: None,
            actor_arn: None,
            read_only: false,
            request_parameters: None,
            response_elements: None,
            error: None,
        }
    }

    pub fn account(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    pub fn actor(mut self, arn: impl Into<String>) -> Self {
        self.actor_arn = Some(arn.into());
        self
    }

    pub fn parameters(mut self, value: Value) -> Self {
        self.request_parameters = Some(value);
        self
    }

    pub fn response(mut self, value: Value) -> Self {
        self.response_elements = Some(value);
        self
    }

    pub fn failed(mut self, code: impl Into<String>, message: impl Into<String>) -> Self {
        self.error = Some((code.into(), message.into()));
        self
    }
}

/// Whether a key names a secret: it contains one of [`SECRET_KEY_FRAGMENTS`], in any case.
fn names_secret(key: &str) -> bool {
    let key = key.as_bytes();
    SECRET_KEY_FRAGMENTS.iter().any(|fragment| {
        key.windows(fragment.len())
            .any(|w| w.eq_ignore_ascii_case(fragment.as_bytes()))
    })
}

/// Replaces, in place, every value whose key names a secret.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if names_secret(key) {
                    *v = Value::String(REDACTED.to_string());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Writes one event on `conn`; call it inside the transaction of the change it records.
pub fn record(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    random: &dyn Random,
    meta: &RequestMeta,
    event: AuditEvent,
) -> Result<(), StorageError> {
    record_all(conn, vec![row(now, random, meta, event)])
}

/// Writes events: in one statement on PostgreSQL (one round trip for a whole batch of the
/// audit queue), row by row with one prepared statement on the embedded store (no round trips
/// there). Both go straight to the backend's own connection, past the generic query layer.
pub(crate) fn record_all(
    conn: &mut DbConnection,
    rows: Vec<AuditEventRow>,
) -> Result<(), StorageError> {
    match conn {
        DbConnection::Pg(pg) => {
            diesel::insert_into(audit_events::table)
                .values(&rows)
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            for row in &rows {
                diesel::insert_into(audit_events::table)
                    .values(row)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// The stored form of an event, with secrets redacted from its parameters and response.
pub(crate) fn row(
    now: NaiveDateTime,
    random: &dyn Random,
    meta: &RequestMeta,
    event: AuditEvent,
) -> AuditEventRow {
    let json = |v: Option<Value>| {
        v.map(|mut v| {
            redact(&mut v);
            limits::json_text(v)
        })
    };
    let cut = |s: Option<&str>| s.map(limits::truncate);
    let (error_code, error_message) = event.error.unzip();
    AuditEventRow {
        id: time_ordered_id(now.and_utc().timestamp_millis(), random),
        event_time: now,
        account_id: cut(event.account_id.as_deref()),
        actor_arn: cut(event.actor_arn.as_deref()),
        source_ip: cut(meta.source_ip.as_deref()),
        user_agent: cut(meta.user_agent.as_deref()),
        event_source: event.source.as_str().to_string(),
        event_name: limits::truncate(&event.name),
        read_only: event.read_only,
        request_parameters: json(event.request_parameters),
        response_elements: json(event.response_elements),
        error_code: cut(error_code.as_deref()),
        error_message: error_message.as_deref().map(limits::error_message),
        request_id: cut(meta.request_id.as_deref()),
    }
}

/// Events of an account, oldest first (the search API comes with the insight issue).
pub fn list_for_account(
    conn: &mut DbConnection,
    account_id: &str,
) -> Result<Vec<AuditEventRow>, StorageError> {
    Ok(audit_events::table
        .filter(audit_events::account_id.eq(account_id))
        .order((audit_events::event_time.asc(), audit_events::id.asc()))
        .select(AuditEventRow::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let mut v = json!({
            "UserName": "alice",
            "Password": "hunter2",
            "NewPassword": "x",
            "AccessKey": {"AccessKeyId": "AKIA", "SecretAccessKey": "s"},
            "Tokens": [{"SessionToken": "t"}],
            "TokenCode": "123456"
        });
        redact(&mut v);
        assert_eq!(v["UserName"], "alice");
        assert_eq!(v["Password"], REDACTED);
        assert_eq!(v["NewPassword"], REDACTED);
        assert_eq!(v["AccessKey"]["AccessKeyId"], "AKIA");
        assert_eq!(v["AccessKey"]["SecretAccessKey"], REDACTED);
        assert_eq!(v["Tokens"], REDACTED);
        assert_eq!(v["TokenCode"], REDACTED);
    }
}
