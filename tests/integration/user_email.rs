//! Users' email addresses, the Keyward extension that ID tokens and UserInfo take `email` and
//! `email_verified` from: set only by callers allowed `keyward:SetUserEmail` (through the
//! signed JSON API or the console), unique per account ignoring case, never from tags.

use crate::harness::{Backend, Server, TestDb, BACKENDS};
use crate::oidc::{
    authorize_path, query_param, sign_in_and_consent, token, verify, web_client, REDIRECT, VERIFIER,
};
use crate::portal::{account, console_user, root_browser, Browser};
use crate::signer::{element, eventually, Client};
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};

const EMAIL_API: &str = "/keyward/users/email";

/// Signs `user` in to a new web client through the code flow; returns its ID token's claims
/// and its UserInfo answer.
fn signed_in_claims(
    server: &Server,
    db: &TestDb,
    account: &str,
    user: &str,
    password: &str,
) -> (Value, Value) {
    let (client_id, secret) = web_client(db, account, &[]);
    let browser = Browser::new(server);
    let path = authorize_path(&client_id, "");
    let back = sign_in_and_consent(&browser, &path, account, user, password);
    let code = query_param(back.location.as_deref().unwrap(), "code").unwrap();
    let (status, tokens) = token(
        server,
        Some((&client_id, &secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    );
    assert_eq!(status, 200, "{tokens}");
    let (_, claims) = verify(server, tokens["id_token"].as_str().unwrap(), &client_id);
    let info = reqwest::blocking::Client::new()
        .get(format!("{}/oauth2/userinfo", server.url))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .unwrap()
        .json()
        .unwrap();
    (claims, info)
}

/// A client with a new access key of `user`.
fn key_of(admin: &Client, user: &str) -> Client {
    let created = admin.post(&[("Action", "CreateAccessKey"), ("UserName", user)]);
    assert_eq!(created.status, 200, "{}", created.body);
    Client {
        key: element(&created.body, "AccessKeyId").to_string(),
        secret: element(&created.body, "SecretAccessKey").to_string(),
        ..admin.clone()
    }
}

fn set_email(client: &Client, user: &str, email: Option<&str>, verified: bool) -> (u16, Value) {
    client.keyward_json(
        "POST",
        EMAIL_API,
        Some(&json!({ "user_name": user, "email": email, "email_verified": verified })),
    )
}

fn get_email(client: &Client, user: &str) -> (u16, Value) {
    client.keyward_json("GET", &format!("{EMAIL_API}?user_name={user}"), None)
}

fn assert_refused(answer: &(u16, Value), status: u16, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"]["code"], code, "{}", answer.1);
}

#[test]
fn a_user_who_tags_himself_gets_no_email_claim_and_only_an_administrator_sets_one() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let account = account(&server);
        let password = "Mallory-Passw0rd-1";
        console_user(&admin, "mallory", password, false);
        // Mallory may tag himself, a common self-service grant.
        let self_tagging = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "iam:TagUser", "Resource": "arn:aws:iam::*:user/${aws:username}"}]});
        let put = admin.post(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "mallory"),
            ("PolicyName", "self-tagging"),
            ("PolicyDocument", &self_tagging.to_string()),
        ]);
        assert_eq!(put.status, 200, "{}", put.body);
        let mallory = key_of(&admin, "mallory");
        let tagged = mallory.post(&[
            ("Action", "TagUser"),
            ("UserName", "mallory"),
            ("Tags.member.1.Key", "email"),
            ("Tags.member.1.Value", "ceo@example.com"),
            ("Tags.member.2.Key", "email_verified"),
            ("Tags.member.2.Value", "true"),
        ]);
        assert_eq!(tagged.status, 200, "{}", tagged.body);
        // Tagging does not let him set the address itself.
        let forged = set_email(&mallory, "mallory", Some("ceo@example.com"), true);
        assert_refused(&forged, 403, "AccessDenied");

        let (claims, info) = signed_in_claims(&server, &db, &account, "mallory", password);
        for answer in [&claims, &info] {
            assert!(answer.get("email").is_none(), "{backend:?}: {answer}");
            assert!(answer.get("email_verified").is_none(), "{answer}");
        }

        // The administrator sets an address, not yet vouched for, then vouches for it.
        let set = set_email(&admin, "mallory", Some("Mallory@example.com"), false);
        assert_eq!(set.0, 200, "{}", set.1);
        assert_eq!(
            set.1,
            json!({"user_name": "mallory", "email": "Mallory@example.com", "email_verified": false})
        );
        let (claims, info) = signed_in_claims(&server, &db, &account, "mallory", password);
        for answer in [&claims, &info] {
            assert_eq!(answer["email"], "Mallory@example.com", "{answer}");
            assert_eq!(answer["email_verified"], false, "{answer}");
        }
        assert_eq!(
            set_email(&admin, "mallory", Some("Mallory@example.com"), true).0,
            200
        );
        let (claims, _) = signed_in_claims(&server, &db, &account, "mallory", password);
        assert_eq!(claims["email"], "Mallory@example.com");
        assert_eq!(claims["email_verified"], true);
        let read = get_email(&admin, "mallory");
        assert_eq!(read.1["email_verified"], true, "{}", read.1);
        // Without permission, not even the address can be read.
        assert_refused(&get_email(&mallory, "mallory"), 403, "AccessDenied");

        // The change and the refusal are in the audit trail.
        let store = keyward::storage::Store::open(&db.store_settings()).unwrap();
        let recorded = |actor: &str, code: Option<&str>| {
            let mut conn = store.connection().unwrap();
            keyward::audit::list_for_account(&mut conn, &account)
                .unwrap()
                .iter()
                .any(|e| {
                    e.event_name == "SetUserEmail"
                        && e.error_code.as_deref() == code
                        && e.actor_arn.as_deref().is_some_and(|a| a.ends_with(actor))
                })
        };
        assert!(eventually(|| recorded(":user/admin", None)));
        assert!(eventually(|| recorded(
            ":user/mallory",
            Some("AccessDenied")
        )));
    }
}

#[test]
fn an_address_belongs_to_one_user_of_an_account_in_any_case() {
    const RACERS: usize = 6;
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let mut names = vec!["alice".to_string(), "bob".to_string()];
        names.extend((0..RACERS).map(|i| format!("racer{i}")));
        for name in &names {
            let created = admin.post(&[("Action", "CreateUser"), ("UserName", name)]);
            assert_eq!(created.status, 200, "{}", created.body);
        }
        assert_eq!(
            set_email(&admin, "alice", Some("Alice@Example.com"), true).0,
            200
        );
        let taken = set_email(&admin, "bob", Some("alice@example.COM"), true);
        assert_refused(&taken, 409, "EntityAlreadyExists");
        assert!(
            taken.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains("another user"),
            "{}",
            taken.1
        );
        assert_eq!(get_email(&admin, "bob").1["email"], Value::Null);
        // Alice keeps hers in another spelling.
        assert_eq!(
            set_email(&admin, "alice", Some("alice@example.com"), true).0,
            200
        );
        // Malformed addresses and unknown users.
        for bad in [
            "bob @example.com",
            "bob",
            "a@b@example.com",
            "bob@",
            "bób@example.com",
        ] {
            assert_refused(
                &set_email(&admin, "bob", Some(bad), false),
                400,
                "ValidationError",
            );
        }
        let long = format!("{}@{}.com", "b".repeat(64), "c".repeat(186));
        assert_refused(
            &set_email(&admin, "bob", Some(&long), false),
            400,
            "ValidationError",
        );
        assert_refused(
            &set_email(&admin, "nobody", Some("n@example.com"), false),
            404,
            "NoSuchEntity",
        );
        assert_refused(
            &admin.keyward_json(
                "POST",
                EMAIL_API,
                Some(&json!({"user_name": "bob", "mail": 1})),
            ),
            400,
            "ValidationError",
        );
        // Once alice's address is removed, bob may have it.
        let removed = set_email(&admin, "alice", None, true);
        assert_eq!(
            removed.1,
            json!({"user_name": "alice", "email": null, "email_verified": false})
        );
        assert_eq!(
            set_email(&admin, "bob", Some("ALICE@example.com"), false).0,
            200
        );

        // Concurrent claims of one address: the unique index lets exactly one through.
        let barrier = Arc::new(Barrier::new(RACERS));
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..RACERS)
                .map(|i| {
                    let (admin, barrier) = (admin.clone(), barrier.clone());
                    s.spawn(move || {
                        barrier.wait();
                        let name = format!("racer{i}");
                        set_email(&admin, &name, Some("shared@example.com"), false).0
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{backend:?}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [200, 409].contains(s)),
            "{statuses:?}"
        );
    }
}

#[test]
fn power_users_may_not_set_addresses() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let created = admin.post(&[("Action", "CreateUser"), ("UserName", "pat")]);
    assert_eq!(created.status, 200, "{}", created.body);
    let attached = admin.post(&[
        ("Action", "AttachUserPolicy"),
        ("UserName", "pat"),
        ("PolicyArn", "arn:aws:iam::aws:policy/PowerUserAccess"),
    ]);
    assert_eq!(attached.status, 200, "{}", attached.body);
    let pat = key_of(&admin, "pat");
    assert_refused(
        &set_email(&pat, "pat", Some("pat@example.com"), true),
        403,
        "AccessDenied",
    );
    assert_refused(&get_email(&pat, "pat"), 403, "AccessDenied");
}

#[test]
fn the_console_sets_a_users_address_and_keeps_a_refused_one_in_the_field() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    for name in ["ivy", "jack"] {
        let created = admin.post(&[("Action", "CreateUser"), ("UserName", name)]);
        assert_eq!(created.status, 200, "{}", created.body);
    }
    let root = root_browser(&server);
    let page = root.get("/console/users/ivy");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(r#"action="/console/users/ivy/email""#),
        "{}",
        page.body
    );
    let saved = root.submit(
        "/console/users/ivy",
        "/console/users/ivy/email",
        &[("email", "ivy@example.com"), ("verified", "true")],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location.as_deref(), Some("/console/users/ivy"));
    let page = root.get("/console/users/ivy");
    assert!(page.body.contains("Email address of ivy saved."));
    assert!(
        page.body.contains(r#"value="ivy@example.com""#),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(r#"name="verified" value="true" checked"#));
    let read = get_email(&admin, "ivy");
    assert_eq!(
        read.1,
        json!({"user_name": "ivy", "email": "ivy@example.com", "email_verified": true})
    );

    // Ivy's address for jack: refused, with the typed address kept and the reason beside it.
    let refused = root.submit(
        "/console/users/jack",
        "/console/users/jack/email",
        &[("email", "IVY@example.com")],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains(r#"value="IVY@example.com" aria-invalid="true""#),
        "{}",
        refused.body
    );
    let reason = refused
        .body
        .split(r#"id="set-email-email-error">"#)
        .nth(1)
        .unwrap();
    assert!(
        reason.starts_with(
            "The email address IVY@example.com is already the address of another user"
        ),
        "{reason}"
    );
    let malformed = root.submit(
        "/console/users/jack",
        "/console/users/jack/email",
        &[("email", "jack at example.com")],
    );
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    assert!(malformed.body.contains(r#"value="jack at example.com""#));
    assert!(malformed.body.contains("may not contain spaces"));
    // Without the form's CSRF token nothing changes.
    let forged = root.post(
        "/console/users/jack/email",
        &[("email", "jack@example.com")],
    );
    assert_eq!(forged.status, 403);
    assert_eq!(get_email(&admin, "jack").1["email"], Value::Null);
}

/// The email API is identity administration, held to the same session rules as IAM: a
/// GetSessionToken session without MFA and a federated user's session may neither read nor
/// set an address, whatever their policies allow (before `Authorizer::authorize` held those
/// rules once, this API skipped them).
#[test]
fn sessions_that_may_not_administer_identities_may_not_touch_email_addresses() {
    let db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let created = admin.post(&[("Action", "CreateUser"), ("UserName", "erin")]);
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        set_email(&admin, "erin", Some("erin@example.com"), true).0,
        200
    );

    let no_mfa = admin.sts().post(&[("Action", "GetSessionToken")]);
    assert_eq!(no_mfa.status, 200, "{}", no_mfa.body);
    let federated = admin.sts().post(&[
        ("Action", "GetFederationToken"),
        ("Name", "guest"),
        (
            "Policy",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        ),
    ]);
    assert_eq!(federated.status, 200, "{}", federated.body);
    for (body, reason) in [
        (&no_mfa.body, "only with MFA"),
        (&federated.body, "cannot call IAM or Keyward operations"),
    ] {
        let session = admin.with_credentials_from(body);
        for answer in [
            get_email(&session, "erin"),
            set_email(&session, "erin", Some("mallory@example.com"), true),
        ] {
            assert_refused(&answer, 403, "AccessDenied");
            let message = answer.1["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(reason), "{message}");
        }
    }
    assert_eq!(get_email(&admin, "erin").1["email"], "erin@example.com");
}
