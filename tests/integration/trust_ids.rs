//! Trust policies saved before their principals were kept by id are bound when the server
//! starts, from the principals that have the names then (`iam::trust_principals::bind_unbound`).

use crate::harness::{TestDb, BACKENDS};
use chrono::Utc;
use diesel::prelude::*;
use keyward::iam::roles::Role;
use keyward::storage::models::{Account, User};
use keyward::storage::schema::{accounts, role_trust_principals, roles, users};
use keyward::storage::{migrations, StorageError, Store};

const ACCOUNT: &str = "111122223333";

fn trust(principals: &[&str]) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]})
    .to_string()
}

#[test]
fn roles_saved_before_ids_were_kept_are_bound_at_start() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let store = Store::open(&db.store_settings()).unwrap();
        migrations::run_pending(&mut store.connection().unwrap()).unwrap();
        let now = Utc::now().naive_utc();
        let bob = format!("arn:aws:iam::{ACCOUNT}:user/bob");
        let gone = format!("arn:aws:iam::{ACCOUNT}:user/gone");
        let root = format!("arn:aws:iam::{ACCOUNT}:root");
        store
            .write(|conn| {
                diesel::insert_into(accounts::table)
                    .values(&Account {
                        id: ACCOUNT.into(),
                        alias: None,
                        created_at: now,
                    })
                    .execute(conn)?;
                diesel::insert_into(users::table)
                    .values(&User {
                        id: "AIDABOB".into(),
                        account_id: ACCOUNT.into(),
                        name: "bob".into(),
                        path: "/".into(),
                        permissions_boundary_id: None,
                        password_last_used_at: None,
                        created_at: now,
                        email: None,
                        email_verified: false,
                    })
                    .execute(conn)?;
                // As an older Keyward stored it: the text only, not yet bound.
                diesel::insert_into(roles::table)
                    .values(&Role {
                        id: "AROAOLD".into(),
                        account_id: ACCOUNT.into(),
                        name: "old".into(),
                        path: "/".into(),
                        description: None,
                        assume_role_policy: trust(&[&bob, &gone, &root]),
                        max_session_duration: 3600,
                        permissions_boundary_id: None,
                        last_used_at: None,
                        last_used_region: None,
                        created_at: now,
                    })
                    .execute(conn)
                    .map_err(StorageError::from)
            })
            .unwrap();
        drop(store);

        let store = keyward::app::open_store(&db.store_settings()).unwrap();
        let mut conn = store.connection().unwrap();
        let bound: Vec<(String, String)> = role_trust_principals::table
            .filter(role_trust_principals::role_id.eq("AROAOLD"))
            .select((
                role_trust_principals::arn,
                role_trust_principals::principal_id,
            ))
            .load(&mut conn)
            .unwrap();
        // bob is bound to the bob of today; `gone` names nobody and so trusts nobody.
        assert_eq!(bound, [(bob.clone(), "AIDABOB".to_string())], "{backend:?}");
        let flag: bool = roles::table
            .find("AROAOLD")
            .select(roles::trust_bound)
            .first(&mut conn)
            .unwrap();
        assert!(flag, "{backend:?}");
        drop(conn);
        // A second start finds nothing left to bind and changes nothing.
        let store = keyward::app::open_store(&db.store_settings()).unwrap();
        let rows: i64 = role_trust_principals::table
            .count()
            .get_result(&mut store.connection().unwrap())
            .unwrap();
        assert_eq!(rows, 1, "{backend:?}");
    }
}
