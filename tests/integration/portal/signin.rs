//! Signing in with a password over HTTP: the pages' headers and cookies, the root user's first
//! password, one answer for every wrong guess, CSRF tokens, guessing delays, signing out, and a
//! password an administrator made the user reset.

use super::*;

#[test]
fn pages_carry_security_headers_and_the_signin_cookie_is_locked_down() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let browser = Browser::new(&server);
    let page = browser.get("/signin");
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["referrer-policy"], "same-origin");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.headers.get("strict-transport-security").is_none());
    let cookie = page
        .cookies
        .iter()
        .find(|c| c.starts_with("keyward_signin="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!page.body.contains("<script>"), "no inline script");
    let css = browser.get("/static/keyward.css");
    assert_eq!(css.status, 200);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    // A browser at the root is sent to the console, which sends it to sign in.
    assert_eq!(browser.get("/").location.as_deref(), Some("/console"));
    assert_eq!(browser.get("/console").location.as_deref(), Some("/signin"));
}

#[test]
fn over_https_cookies_are_secure_host_cookies_and_hsts_is_sent() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[("KEYWARD_PUBLIC_URL", "https://id.example.test")]);
    let page = Browser::new(&server).get("/signin");
    let cookie = page.cookies.first().unwrap();
    assert!(cookie.starts_with("__Host-keyward_signin="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/"));
    assert!(page.headers["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

#[test]
fn the_root_user_changes_its_first_password_before_anything_else() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let browser = Browser::new(&server);
        let first = browser.sign_in(&account(&server), "root", &root_password(&server));
        assert_eq!(first.status, 303, "{backend:?}: {}", first.body);
        let session_cookie = first
            .cookies
            .iter()
            .find(|c| c.starts_with("keyward_session="))
            .unwrap();
        assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
        // The browser is remembered as the root user's known device for about six months.
        let device = first
            .cookies
            .iter()
            .find(|c| c.starts_with("keyward_device="))
            .unwrap();
        assert!(
            device.contains("HttpOnly") && device.contains("Max-Age=15552000"),
            "{device}"
        );
        // Nothing but the password page until the password is changed.
        assert_eq!(
            browser.get("/console").location.as_deref(),
            Some("/console/password")
        );
        let page = browser.get("/console/password");
        assert!(page.body.contains("You must choose a new password"));
        // The policy is enforced and the confirmation must match.
        let weak = browser.submit(
            "/console/password",
            "/console/password",
            &[
                ("old_password", &root_password(&server)),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        );
        assert_eq!(weak.status, 400);
        assert!(weak.body.contains("at least 8 characters"), "{}", weak.body);
        let mismatch = browser.submit(
            "/console/password",
            "/console/password",
            &[
                ("old_password", &root_password(&server)),
                ("new_password", "Fresh-Root-Passw0rd"),
                ("confirm_password", "Fresh-Root-Passw0rd!"),
            ],
        );
        assert!(mismatch.body.contains("do not match"));
        let new = change_root_password(&server, &browser);
        let dashboard = browser.get("/console");
        assert_eq!(dashboard.status, 200, "{}", dashboard.body);
        assert!(dashboard
            .body
            .contains(&format!("/signin/{}", account(&server))));
        assert!(dashboard
            .body
            .contains("<td>Users</td><td class=\"num\">1</td>"));
        // The old password is gone, the new one works.
        let again = Browser::new(&server);
        assert_eq!(
            again
                .sign_in(&account(&server), "root", &root_password(&server))
                .status,
            401
        );
        let ok = again.sign_in(&account(&server), "root", &new);
        assert_eq!(ok.location.as_deref(), Some("/console"), "{backend:?}");
    }
}

#[test]
fn unknown_users_wrong_passwords_and_wrong_accounts_get_one_answer() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "alice", "Alice-Passw0rd", false);
    let account = account(&server);
    let answers: Vec<(u16, String)> = [
        (account.as_str(), "alice", "wrong-password"),
        (account.as_str(), "nobody", "Alice-Passw0rd"),
        ("000000000000", "alice", "Alice-Passw0rd"),
    ]
    .iter()
    .map(|(acct, user, pw)| {
        let page = Browser::new(&server).sign_in(acct, user, pw);
        let start = page.body.find("<p class=\"error\"").unwrap();
        let end = page.body[start..].find("</p>").unwrap();
        (page.status, page.body[start..start + end].to_string())
    })
    .collect();
    assert_eq!(answers[0].0, 401);
    assert!(answers[0]
        .1
        .contains("authentication information is incorrect"));
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");

    // The trail has the reasons; a typed name that names nobody is not recorded.
    let ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let logins = || -> Vec<String> {
        ctx.store
            .read(|conn| keyward::audit::list_for_account(conn, &account))
            .unwrap()
            .into_iter()
            .filter(|e| e.event_name == "ConsoleLogin")
            .map(|e| {
                format!(
                    "{:?} {:?} {:?} {:?}",
                    e.request_parameters, e.response_elements, e.error_message, e.actor_arn
                )
            })
            .collect()
    };
    assert!(eventually(|| logins().len() >= 2), "{:?}", logins());
    let texts = logins();
    assert!(texts.iter().all(|t| t.contains("Failure")), "{texts:?}");
    assert!(texts
        .iter()
        .any(|t| t.contains("wrong password") && t.contains("alice") && t.contains(":user/alice")));
    assert!(texts.iter().any(|t| t.contains("no such user")
        && t.contains("HIDDEN_DUE_TO_SECURITY_REASONS")
        && !t.contains("nobody")));
    assert!(!texts.iter().any(|t| t.contains("Alice-Passw0rd")));
}

/// A typed user name longer than IAM's 64 characters, or an account longer than an alias's
/// 63, can be nobody's: the usual "incorrect" answer, and nothing is stored or audited under
/// the typed text (throttle keys and audit events stay bounded).
#[test]
fn over_long_user_names_and_accounts_are_refused_without_a_trace() {
    use diesel::prelude::*;
    use keyward::storage::schema::signin_throttle;
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let account = account(&server);
    let long = "n".repeat(10_000);
    let over = "n".repeat(65);
    for (acct, user) in [
        (account.as_str(), long.as_str()),
        (account.as_str(), over.as_str()),
        (long.as_str(), "root"),
    ] {
        let page = Browser::new(&server).sign_in(acct, user, "a-password");
        assert_eq!(page.status, 401, "{}", page.body);
        assert!(page
            .body
            .contains("authentication information is incorrect"));
        assert!(!page.body.contains(&over), "the typed text is not echoed");
    }
    // A wrong password of a name that can exist is counted and audited as before.
    let page = Browser::new(&server).sign_in(&account, "root", "a-password");
    assert_eq!(page.status, 401);

    let ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let keys: Vec<String> = ctx
        .store
        .read(|conn| {
            signin_throttle::table
                .select(signin_throttle::throttle_key)
                .load(conn)
                .map_err(keyward::storage::StorageError::from)
        })
        .unwrap();
    assert!(keys.iter().any(|k| k.ends_with(":root")), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains(&over)), "{keys:?}");
    let events = || -> Vec<String> {
        ctx.store
            .read(|conn| keyward::audit::list_for_account(conn, &account))
            .unwrap()
            .into_iter()
            .filter(|e| e.event_name == "ConsoleLogin")
            .map(|e| format!("{:?} {:?}", e.request_parameters, e.error_message))
            .collect()
    };
    assert!(eventually(|| !events().is_empty()));
    assert!(
        !events().iter().any(|e| e.contains(&over)),
        "{:?}",
        events()
    );
}

#[test]
fn forms_without_their_csrf_token_are_refused() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let account = account(&server);
    let password = root_password(&server);
    let browser = Browser::new(&server);
    let form = browser.get("/signin");
    let fields = |token: &str| {
        vec![
            ("csrf_token".to_string(), token.to_string()),
            ("account".to_string(), account.clone()),
            ("username".to_string(), "root".to_string()),
            ("password".to_string(), password.clone()),
        ]
    };
    let post = |b: &Browser, token: &str| {
        let f = fields(token);
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.post("/signin", &refs)
    };
    // No token, a made-up token, and a real token from another browser's page.
    assert_eq!(post(&browser, "").status, 403);
    assert_eq!(post(&browser, "forged").status, 403);
    let other = Browser::new(&server);
    let foreign = other.get("/signin").csrf();
    let refused = post(&browser, &foreign);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("did not come from this site"));
    assert!(refused
        .cookies
        .iter()
        .all(|c| !c.starts_with("keyward_session")));
    // The page's own token works.
    assert_eq!(post(&browser, &form.csrf()).status, 303);

    // Signed in, the session's forms want the session's token.
    let out = browser.post("/signout", &[("csrf_token", "forged")]);
    assert_eq!(out.status, 403);
    assert_eq!(
        browser.get("/console").location.as_deref(),
        Some("/console/password"),
        "still signed in"
    );
}

#[test]
fn guessing_is_delayed_then_allowed_again_and_the_right_password_waits_too() {
    let db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "bob", "Bob-Passw0rd!", false);
    let account = account(&server);
    let browser = Browser::new(&server);
    // Three free failures, the fourth earns a one-second delay.
    for _ in 0..4 {
        assert_eq!(browser.sign_in(&account, "bob", "guess").status, 401);
    }
    let blocked = browser.sign_in(&account, "bob", "Bob-Passw0rd!");
    assert_eq!(blocked.status, 429, "{}", blocked.body);
    assert!(
        blocked.body.contains("Try again in 1 second."),
        "{}",
        blocked.body
    );
    // The block is per user: another user of the same account is not held up.
    console_user(&admin, "carol", "Carol-Passw0rd!", false);
    assert_eq!(
        Browser::new(&server)
            .sign_in(&account, "carol", "Carol-Passw0rd!")
            .status,
        303
    );
    // Once the delay has passed, the right password works and the count starts over.
    std::thread::sleep(Duration::from_millis(1100));
    let ok = browser.sign_in(&account, "bob", "Bob-Passw0rd!");
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location.as_deref(), Some("/console"));
    let fresh = Browser::new(&server);
    for _ in 0..3 {
        assert_eq!(fresh.sign_in(&account, "bob", "guess").status, 401);
    }
}

#[test]
fn signing_out_ends_the_session_and_everywhere_ends_them_all() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "erin", "Erin-Passw0rd!", false);
    let account = account(&server);
    let (one, two, three) = (
        Browser::new(&server),
        Browser::new(&server),
        Browser::new(&server),
    );
    for b in [&one, &two, &three] {
        assert_eq!(b.sign_in(&account, "erin", "Erin-Passw0rd!").status, 303);
        assert_eq!(b.get("/console").status, 200);
    }
    let out = one.submit("/console", "/signout", &[]);
    assert_eq!(out.location.as_deref(), Some("/signin"));
    assert_eq!(one.get("/console").location.as_deref(), Some("/signin"));
    assert_eq!(two.get("/console").status, 200, "other sessions live on");
    let everywhere = two.submit("/console", "/signout/everywhere", &[]);
    assert_eq!(everywhere.location.as_deref(), Some("/signin"));
    assert_eq!(two.get("/console").location.as_deref(), Some("/signin"));
    assert_eq!(three.get("/console").location.as_deref(), Some("/signin"));
}

#[test]
fn an_iam_user_made_to_reset_changes_the_password_under_the_account_policy() {
    let db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let policy = admin.post(&[
        ("Action", "UpdateAccountPasswordPolicy"),
        ("MinimumPasswordLength", "12"),
        ("RequireSymbols", "true"),
        ("PasswordReusePrevention", "2"),
        ("AllowUsersToChangePassword", "true"),
    ]);
    assert_eq!(policy.status, 200, "{}", policy.body);
    console_user(&admin, "fred", "Fred-Passw0rd!", true);
    let account = account(&server);
    let browser = Browser::new(&server);
    let first = browser.sign_in(&account, "fred", "Fred-Passw0rd!");
    assert_eq!(first.location.as_deref(), Some("/console/password"));
    let page = browser.get("/console/password");
    assert!(
        page.body
            .contains("at least 12 characters including a symbol"),
        "{}",
        page.body
    );
    let change = |old: &str, new: &str| {
        browser.submit(
            "/console/password",
            "/console/password",
            &[
                ("old_password", old),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
    };
    let reused = change("Fred-Passw0rd!", "Fred-Passw0rd!");
    assert_eq!(reused.status, 400);
    assert!(reused.body.contains("used recently"), "{}", reused.body);
    let no_symbol = change("Fred-Passw0rd!", "FredPassw0rdLonger");
    assert!(no_symbol.body.contains("symbol"), "{}", no_symbol.body);
    let wrong_old = change("not-it", "Fred-New-Passw0rd!");
    assert!(wrong_old.body.contains("current password is incorrect"));
    let ok = change("Fred-Passw0rd!", "Fred-New-Passw0rd!");
    assert_eq!(ok.location.as_deref(), Some("/console"), "{}", ok.body);
    // Without iam:GetAccountSummary the dashboard says why, as AWS words it.
    let dashboard = browser.get("/console");
    assert_eq!(dashboard.status, 200);
    assert!(dashboard
        .body
        .contains("is not authorized to perform: iam:GetAccountSummary on resource: *"));
    let profile = admin.post(&[("Action", "GetLoginProfile"), ("UserName", "fred")]);
    assert!(profile
        .body
        .contains("<PasswordResetRequired>false</PasswordResetRequired>"));
}
