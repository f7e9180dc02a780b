//! Unauthenticated requests cannot fill the audit trail: each audited string is cut, the
//! `Authorization` header is never stored, and a flood is recorded as a sample.

use crate::harness::{Backend, Server, TestDb, BACKENDS};
use diesel::prelude::*;
use keyward::storage::models::AuditEventRow;
use keyward::storage::schema::audit_events;
use keyward::storage::{StorageError, Store};

/// Marks the forged `Authorization` header, to look for it in the trail.
const MARKER: &str = "Credential=AKIANOTAREALKEY0MARK/20260101/us-east-1/iam/aws4_request";

fn text_bytes(row: &AuditEventRow) -> usize {
    [
        Some(&row.id),
        Some(&row.event_source),
        Some(&row.event_name),
        row.account_id.as_ref(),
        row.actor_arn.as_ref(),
        row.source_ip.as_ref(),
        row.user_agent.as_ref(),
        row.request_parameters.as_ref(),
        row.response_elements.as_ref(),
        row.error_code.as_ref(),
        row.error_message.as_ref(),
        row.request_id.as_ref(),
    ]
    .iter()
    .map(|v| v.map_or(0, String::len))
    .sum()
}

fn flood(backend: Backend) {
    let db = TestDb::new(backend);
    let server = Server::start(&db, &[]);
    let client = reqwest::blocking::Client::new();
    // Just under the 1 MiB body limit of a signed request (over the 128 KiB of an unsigned
    // one): each is refused from its headers, its body unread.
    let body = format!("Action={}", "A".repeat((1 << 20) - 16));
    let authorization = format!("AWS4-HMAC-SHA256 {MARKER}, {}", "x".repeat(2000));
    for i in 0..200 {
        let mut request = client
            .post(format!("{}/", server.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("user-agent", "U".repeat(4000))
            .body(body.clone());
        if i % 2 == 1 {
            request = request.header("authorization", &authorization);
        }
        let status = request.send().unwrap().status().as_u16();
        assert!((400..500).contains(&status), "{status}");
    }
    server.stop();

    let store = Store::open(&db.store_settings()).unwrap();
    let rows: Vec<AuditEventRow> = store
        .read(|conn| -> Result<_, StorageError> {
            Ok(audit_events::table
                .select(AuditEventRow::as_select())
                .load(conn)?)
        })
        .unwrap();
    let total: usize = rows.iter().map(text_bytes).sum();
    assert!(
        total < 1_000_000,
        "{backend:?}: {total} bytes of audit text"
    );
    let flooded: Vec<&AuditEventRow> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.error_code.as_deref(),
                Some("RequestEntityTooLargeException" | "IncompleteSignature")
            )
        })
        .collect();
    assert!(!flooded.is_empty(), "failures are still recorded");
    assert!(flooded.iter().all(|r| r.event_name.len() < 2048));
    assert!(
        rows.iter().all(|r| !format!("{r:?}").contains(MARKER)),
        "{backend:?}: the Authorization header reached the trail"
    );
}

#[test]
fn unsigned_megabyte_requests_grow_the_audit_trail_by_under_a_megabyte() {
    for backend in BACKENDS {
        flood(backend);
    }
}

#[test]
fn the_retention_sweep_deletes_only_expired_events() {
    use keyward::audit::{self, AuditEvent, EventSource, RequestMeta};
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let store = Store::open(&db.store_settings()).unwrap();
        keyward::storage::migrations::run_pending(&mut store.connection().unwrap()).unwrap();
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let random = keyward::clock::SystemRandom;
        for (days_ago, name) in [(400, "Old"), (364, "Recent")] {
            let at = now - chrono::Duration::days(days_ago);
            store
                .write(|conn| {
                    audit::record(
                        conn,
                        at,
                        &random,
                        &RequestMeta::default(),
                        AuditEvent::new(EventSource::Keyward, name),
                    )
                })
                .unwrap();
        }
        let deleted = store
            .write(|conn| audit::retention::sweep(conn, now, 365))
            .unwrap();
        assert_eq!(deleted, 1, "{backend:?}");
        let names: Vec<String> = store
            .read(|conn| -> Result<_, StorageError> {
                Ok(audit_events::table
                    .select(audit_events::event_name)
                    .load(conn)?)
            })
            .unwrap();
        assert!(names.contains(&"Recent".to_string()) && !names.contains(&"Old".to_string()));
    }
}
