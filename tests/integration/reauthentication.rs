//! Sensitive changes to a console session's own factors want the password entered within the
//! last few minutes: a browser left signed in cannot strip its owner's MFA.

use crate::harness::{Backend, Server, TestDb};
use crate::portal::{account, console_user, enable_totp, now_step, Browser, Page};
use crate::signer::Client;
use keyward::auth::totp;

/// Moves every session's last password or factor entry `minutes` into the past, as if that
/// long had gone by since (the server's clock is the real one).
fn age_sessions(db: &TestDb, minutes: i64) {
    use diesel::prelude::*;
    use keyward::storage::schema::console_sessions;
    let store = keyward::storage::Store::open(&db.store_settings()).unwrap();
    let then = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(minutes);
    store
        .write(|conn| {
            diesel::update(console_sessions::table)
                .set(console_sessions::reauthenticated_at.eq(then))
                .execute(conn)
                .map_err(keyward::storage::StorageError::from)
        })
        .unwrap();
}

fn serial_on(page: &Page) -> String {
    page.hidden("serial")
}

/// Signs `user` in with its password and a code from `seed`.
fn sign_in_with_code(browser: &Browser, account: &str, user: &str, password: &str, seed: &[u8]) {
    let first = browser.sign_in(account, user, password);
    assert_eq!(
        first.location.as_deref(),
        Some("/signin/mfa"),
        "{}",
        first.body
    );
    let step = now_step();
    let signed_in = [step + 1, step].iter().any(|s| {
        let code = totp::code_at_step(seed, *s).unwrap();
        let page = browser.submit("/signin/mfa", "/signin/mfa", &[("code", &code)]);
        page.location.as_deref() == Some("/console")
    });
    assert!(signed_in);
}

#[test]
fn removing_a_device_wants_the_password_again_after_five_minutes() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "iris", "Iris-Passw0rd!", false);
    let seed = enable_totp(&admin, "iris");
    let account = account(&server);
    let browser = Browser::new(&server);
    sign_in_with_code(&browser, &account, "iris", "Iris-Passw0rd!", &seed);
    age_sessions(&db, 6);

    let page = browser.get("/console/mfa");
    let serial = serial_on(&page);
    let refused = browser.post(
        "/console/mfa/remove",
        &[("csrf_token", &page.csrf()), ("serial", &serial)],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("Enter your password again"),
        "{}",
        refused.body
    );
    let listed = admin.post(&[("Action", "ListMFADevices"), ("UserName", "iris")]);
    assert!(listed.body.contains(&serial), "the device stays");

    // A wrong password does not open the window; the right one does.
    let wrong = browser.submit(
        "/console/mfa",
        "/console/reauthenticate",
        &[("password", "not-her-password")],
    );
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let again = browser.submit(
        "/console/mfa",
        "/console/reauthenticate",
        &[("password", "Iris-Passw0rd!")],
    );
    assert_eq!(again.status, 303, "{}", again.body);
    let page = browser.get("/console/mfa");
    let removed = browser.post(
        "/console/mfa/remove",
        &[("csrf_token", &page.csrf()), ("serial", &serial)],
    );
    assert_eq!(removed.status, 303, "{}", removed.body);
    let shown = browser.get("/console/mfa");
    assert!(shown.body.contains("removed."), "{}", shown.body);
    let listed = admin.post(&[("Action", "ListMFADevices"), ("UserName", "iris")]);
    assert!(!listed.body.contains(&serial), "{}", listed.body);
}

#[test]
fn a_device_keeps_its_renames_without_the_password_again() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "jack", "Jack-Passw0rd!", false);
    let seed = enable_totp(&admin, "jack");
    let account = account(&server);
    let browser = Browser::new(&server);
    sign_in_with_code(&browser, &account, "jack", "Jack-Passw0rd!", &seed);
    age_sessions(&db, 6);
    let page = browser.get("/console/mfa");
    let renamed = browser.post(
        "/console/mfa/rename",
        &[
            ("csrf_token", &page.csrf()),
            ("serial", &serial_on(&page)),
            ("name", "old phone"),
        ],
    );
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let shown = browser.get("/console/mfa");
    assert!(shown.body.contains("renamed to"), "{}", shown.body);
    assert!(
        !browser.get("/console/mfa").body.contains("renamed to"),
        "shown once"
    );
}

#[test]
fn the_users_page_cannot_deactivate_the_sessions_own_device_without_the_password_again() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "kate", "Kate-Passw0rd!", false);
    let seed = enable_totp(&admin, "kate");
    // The usual self-service policy: her own MFA devices, nothing else.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListMFADevices","iam:DeactivateMFADevice"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#;
    let put = admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "kate"),
        ("PolicyName", "own-mfa"),
        ("PolicyDocument", policy),
    ]);
    assert_eq!(put.status, 200, "{}", put.body);
    let account = account(&server);
    let browser = Browser::new(&server);
    sign_in_with_code(&browser, &account, "kate", "Kate-Passw0rd!", &seed);
    let serial = format!("arn:aws:iam::{account}:mfa/kate");
    age_sessions(&db, 6);
    let deactivate = || {
        let page = browser.get("/console/users/kate");
        assert_eq!(page.status, 200, "{}", page.body);
        browser.post(
            "/console/users/kate/deactivate-mfa",
            &[("csrf_token", &page.csrf()), ("serial", &serial)],
        )
    };
    let refused = deactivate();
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("Enter your password again"),
        "{}",
        refused.body
    );
    let listed = admin.post(&[("Action", "ListMFADevices"), ("UserName", "kate")]);
    assert!(listed.body.contains(&serial), "the device stays");

    let again = browser.submit(
        "/console/mfa",
        "/console/reauthenticate",
        &[("password", "Kate-Passw0rd!")],
    );
    assert_eq!(again.status, 303, "{}", again.body);
    let done = deactivate();
    assert_eq!(done.status, 303, "{}", done.body);
    let listed = admin.post(&[("Action", "ListMFADevices"), ("UserName", "kate")]);
    assert!(!listed.body.contains(&serial), "{}", listed.body);
}
