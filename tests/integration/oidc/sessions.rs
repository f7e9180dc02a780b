//! Sessions and grants ended from outside the token endpoint: a reset, changed or removed
//! password, and logout with an ID token hint.

use super::*;

#[test]
fn a_reset_changed_or_removed_password_ends_the_users_other_sessions_and_grants() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "bob", "Bob-Passw0rd-123", false);
    let (client_id, secret) = web_client(&db, &account, &["--no-consent"]);
    let auth = Some((client_id.as_str(), secret.as_str()));
    let refresh = |tokens: &Value| {
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        let grant = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        let (status, answer) = token(&server, auth, &grant);
        (status, answer["error"].as_str().map(str::to_string))
    };
    let signed_out = |b: &Browser| b.get("/console").location.as_deref() == Some("/signin");
    let refused = (400, Some("invalid_grant".to_string()));

    // An administrator resets the password: every session and grant (offline ones too) ends.
    let browser = Browser::new(&server);
    let tokens = tokens_for(&server, &browser, &account, auth, "bob", "Bob-Passw0rd-123");
    let reset = admin.post(&[
        ("Action", "UpdateLoginProfile"),
        ("UserName", "bob"),
        ("Password", "Bob-Reset-Passw0rd-456"),
    ]);
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(
        signed_out(&browser),
        "the session ended with the old password"
    );
    assert_eq!(refresh(&tokens), refused);

    // Bob changes it himself: his other browser is signed out, the one he used is not.
    let mine = Browser::new(&server);
    let tokens = tokens_for(
        &server,
        &mine,
        &account,
        auth,
        "bob",
        "Bob-Reset-Passw0rd-456",
    );
    let other = Browser::new(&server);
    other.sign_in(&account, "bob", "Bob-Reset-Passw0rd-456");
    assert!(!signed_out(&other));
    let form = mine.get("/console/password");
    let changed = mine.post(
        "/console/password",
        &[
            ("csrf_token", &form.csrf()),
            ("old_password", "Bob-Reset-Passw0rd-456"),
            ("new_password", "Bob-Own-Passw0rd-789"),
            ("confirm_password", "Bob-Own-Passw0rd-789"),
        ],
    );
    assert_eq!(
        changed.location.as_deref(),
        Some("/console"),
        "{}",
        changed.body
    );
    assert!(signed_out(&other), "the other session ended");
    assert!(!signed_out(&mine), "the session that changed it goes on");
    assert_eq!(refresh(&tokens), refused);

    // The console password is removed: no refresh any more.
    let tokens = tokens_for(
        &server,
        &other,
        &account,
        auth,
        "bob",
        "Bob-Own-Passw0rd-789",
    );
    let removed = admin.post(&[("Action", "DeleteLoginProfile"), ("UserName", "bob")]);
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(refresh(&tokens), refused);
}

#[test]
fn logout_with_an_id_token_hint_ends_the_session_and_its_grants() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "dave", "Dave-Passw0rd-12", false);
    let (client_id, secret) = web_client(&db, &account, &["--no-consent"]);
    let browser = Browser::new(&server);
    // Without offline_access: the grant belongs to the session.
    let path = authorize_path(&client_id, "").replace("%20offline_access", "");
    browser.get(&path);
    browser.sign_in(&account, "dave", "Dave-Passw0rd-12");
    let back = browser.get("/oauth2/authorize/continue");
    let code = query_param(back.location.as_deref().unwrap(), "code").unwrap();
    let auth = Some((client_id.as_str(), secret.as_str()));
    let (_, tokens) = token(
        &server,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    );
    let id_token = tokens["id_token"].as_str().unwrap();

    // Another site's link without a hint only asks.
    let asked = browser.get("/oauth2/logout");
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Sign out?"), "{}", asked.body);
    assert_eq!(browser.get("/console").status, 200, "still signed in");

    let wrong = browser.get(&format!(
        "/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"
    ));
    assert_eq!(wrong.status, 400);
    let out = browser.get(&format!(
        "/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
        url::form_urlencoded::byte_serialize(LOGOUT_REDIRECT.as_bytes()).collect::<String>()
    ));
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(
        out.location.as_deref(),
        Some(format!("{LOGOUT_REDIRECT}?state=bye").as_str())
    );
    assert_eq!(browser.get("/console").location.as_deref(), Some("/signin"));
    let (status, _) = token(
        &server,
        auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    );
    assert_eq!(status, 400, "the session's refresh token ended with it");
}
