//! Policy documents with a repeated JSON key (`"Effect"` twice, two `Condition` blocks, a key
//! repeated inside an operator) are refused with `MalformedPolicyDocument` wherever a policy is
//! saved or checked; one already in the store (saved before the rule) fails closed: the
//! principals that have it are refused, everyone else is untouched, and the log names it.

use crate::harness::{keyward_bin, Backend, Server, TestDb};
use crate::signer::{element, Client};
use diesel::prelude::*;
use keyward::storage::schema::{managed_policies, policy_versions};
use keyward::storage::{StorageError, Store};

/// Allows ListUsers when read as one key each; with the last key winning it still reads as an
/// Allow, which is exactly what a reviewer of the first `Effect` would not expect.
const DENY_THEN_ALLOW: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*","Effect":"Allow"}}"#;
const TWO_CONDITIONS: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}},"Condition":{}}}"#;
const REPEATED_CONDITION_KEY: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1","aws:RequestedRegion":"eu-west-1"}}}}"#;
const ALLOW_LIST_USERS: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}}"#;

fn malformed(reply: &crate::signer::Reply) {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.body.contains("<Code>MalformedPolicyDocument</Code>"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("Duplicate key"), "{}", reply.body);
}

fn user_with_key(admin: &Client, name: &str) -> Client {
    let made = admin.post(&[("Action", "CreateUser"), ("UserName", name)]);
    assert_eq!(made.status, 200, "{}", made.body);
    let key = admin.post(&[("Action", "CreateAccessKey"), ("UserName", name)]);
    assert_eq!(key.status, 200, "{}", key.body);
    Client {
        key: element(&key.body, "AccessKeyId").to_string(),
        secret: element(&key.body, "SecretAccessKey").to_string(),
        ..admin.clone()
    }
}

#[test]
fn documents_with_repeated_keys_are_refused_where_policies_are_saved() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    user_with_key(&admin, "dana");
    let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}"#;
    let role = admin.post(&[
        ("Action", "CreateRole"),
        ("RoleName", "dup"),
        ("AssumeRolePolicyDocument", trust),
    ]);
    assert_eq!(role.status, 200, "{}", role.body);
    let role_arn = element(&role.body, "Arn").to_string();

    for doc in [DENY_THEN_ALLOW, TWO_CONDITIONS, REPEATED_CONDITION_KEY] {
        malformed(&admin.post(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "Dup"),
            ("PolicyDocument", doc),
        ]));
        malformed(&admin.post(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "dana"),
            ("PolicyName", "Dup"),
            ("PolicyDocument", doc),
        ]));
        malformed(&admin.sts().post(&[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "dup-session"),
            ("Policy", doc),
        ]));
    }
    let dup_trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}"#;
    malformed(&admin.post(&[
        ("Action", "UpdateAssumeRolePolicy"),
        ("RoleName", "dup"),
        ("PolicyDocument", dup_trust),
    ]));
    let listed = admin.post(&[("Action", "ListPolicies"), ("Scope", "Local")]);
    assert!(
        !listed.body.contains("<PolicyName>Dup</PolicyName>"),
        "{}",
        listed.body
    );

    // The command line's validator says the same.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dup.json");
    std::fs::write(&file, DENY_THEN_ALLOW).unwrap();
    let out = std::process::Command::new(keyward_bin())
        .args(["policy", "validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("Duplicate key Effect"), "{text}");
}

#[test]
fn a_stored_document_with_repeated_keys_fails_closed_for_its_principals_only() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let kept = user_with_key(&admin, "kept");
    let other = user_with_key(&admin, "other");
    let created = admin.post(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", "Lists"),
        ("PolicyDocument", ALLOW_LIST_USERS),
    ]);
    assert_eq!(created.status, 200, "{}", created.body);
    let arn = element(&created.body, "Arn").to_string();
    for user in ["kept", "other"] {
        let attached = admin.post(&[
            ("Action", "AttachUserPolicy"),
            ("UserName", user),
            ("PolicyArn", &arn),
        ]);
        assert_eq!(attached.status, 200, "{}", attached.body);
    }
    let put = admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "other"),
        ("PolicyName", "AlsoLists"),
        ("PolicyDocument", ALLOW_LIST_USERS),
    ]);
    assert_eq!(put.status, 200, "{}", put.body);
    let detached = admin.post(&[
        ("Action", "DetachUserPolicy"),
        ("UserName", "other"),
        ("PolicyArn", &arn),
    ]);
    assert_eq!(detached.status, 200, "{}", detached.body);
    assert_eq!(kept.post(&[("Action", "ListUsers")]).status, 200);
    server.stop();

    // As if the document had been saved before duplicate keys were refused.
    let store = Store::open(&db.store_settings()).unwrap();
    let changed = store
        .write(|conn| {
            let id: String = managed_policies::table
                .filter(managed_policies::arn.eq(&arn))
                .select(managed_policies::id)
                .first(conn)?;
            Ok::<_, StorageError>(
                diesel::update(policy_versions::table.filter(policy_versions::policy_id.eq(id)))
                    .set(policy_versions::document.eq(DENY_THEN_ALLOW))
                    .execute(conn)?,
            )
        })
        .unwrap();
    assert_eq!(changed, 1);
    drop(store);

    let server = Server::start(&db, &[]);
    let at = |c: &Client| Client {
        url: server.url.clone(),
        ..c.clone()
    };
    let refused = at(&kept).post(&[("Action", "ListUsers")]);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("AccessDenied"), "{}", refused.body);
    assert!(
        refused.body.contains(&arn),
        "the refusal names the policy: {}",
        refused.body
    );
    let fine = at(&other).post(&[("Action", "ListUsers")]);
    assert_eq!(
        fine.status, 200,
        "a principal without the policy: {}",
        fine.body
    );
    let admin = at(&admin);
    assert_eq!(admin.post(&[("Action", "ListUsers")]).status, 200);
    // Replacing the document (a new default version) restores the grant.
    let fixed = admin.post(&[
        ("Action", "CreatePolicyVersion"),
        ("PolicyArn", &arn),
        ("PolicyDocument", ALLOW_LIST_USERS),
        ("SetAsDefault", "true"),
    ]);
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    assert_eq!(at(&kept).post(&[("Action", "ListUsers")]).status, 200);
    let (_, stdout, stderr) = server.stop();
    let log = format!("{stdout}{stderr}");
    assert!(
        log.lines()
            .any(|l| l.contains(&arn) && l.contains("does not compile")),
        "a log line names the policy: {log}"
    );
}
