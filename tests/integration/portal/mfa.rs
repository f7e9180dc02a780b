//! Virtual (TOTP) MFA in the portal: signing in with a code that works once, a user enrolling
//! an authenticator app from its page, the last factor kept while policies need MFA, and the
//! root user's enrolment with recovery codes.

use super::*;

#[test]
fn a_user_with_a_virtual_mfa_device_signs_in_with_a_code_that_works_once() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        console_user(&admin, "dana", "Dana-Passw0rd!", false);
        let seed = enable_totp(&admin, "dana");
        let account = account(&server);

        let browser = Browser::new(&server);
        let first = browser.sign_in(&account, "dana", "Dana-Passw0rd!");
        assert_eq!(
            first.location.as_deref(),
            Some("/signin/mfa"),
            "{backend:?}"
        );
        let half_signed = first
            .cookies
            .iter()
            .find(|c| c.starts_with("keyward_session="))
            .unwrap()
            .clone();
        // The password alone opens nothing.
        assert_eq!(
            browser.get("/console").location.as_deref(),
            Some("/signin/mfa")
        );
        let wrong = browser.submit("/signin/mfa", "/signin/mfa", &[("code", "000000")]);
        assert_eq!(wrong.status, 401);
        let code = totp::code_at_step(&seed, now_step()).unwrap();
        let done = browser.submit("/signin/mfa", "/signin/mfa", &[("code", &code)]);
        assert_eq!(done.location.as_deref(), Some("/console"), "{}", done.body);
        let signed_in = done
            .cookies
            .iter()
            .find(|c| c.starts_with("keyward_session="))
            .unwrap();
        assert_ne!(
            signed_in, &half_signed,
            "a new session id after the second factor"
        );
        let dashboard = browser.get("/console");
        assert!(dashboard.body.contains("Signed in with a second factor"));

        // The id from before the second factor is worth nothing now.
        let stale_value = half_signed
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("keyward_session=");
        let stale = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/console", server.url))
            .header("cookie", format!("keyward_session={stale_value}"))
            .send()
            .unwrap();
        assert_eq!(
            stale.headers()["location"].to_str().unwrap(),
            "/signin",
            "{backend:?}"
        );

        // The same code again, in the same window: refused.
        let replay = Browser::new(&server);
        assert_eq!(
            replay
                .sign_in(&account, "dana", "Dana-Passw0rd!")
                .location
                .as_deref(),
            Some("/signin/mfa")
        );
        let again = replay.submit("/signin/mfa", "/signin/mfa", &[("code", &code)]);
        assert_eq!(again.status, 401, "{backend:?}: a used code is refused");
    }
}

#[test]
fn a_user_assigns_itself_an_authenticator_app_from_the_page_and_then_needs_it() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "gina", "Gina-Passw0rd!", false);
    let account = account(&server);
    let browser = Browser::new(&server);
    assert_eq!(
        browser
            .sign_in(&account, "gina", "Gina-Passw0rd!")
            .location
            .as_deref(),
        Some("/console")
    );
    let devices = browser.get("/console/mfa");
    assert!(devices.body.contains("No MFA device is assigned"));
    let enrol = browser.get("/console/mfa/totp");
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    assert!(enrol.body.contains("<svg"), "a QR code");
    let secret = by_id(&enrol.body, "totp-secret").trim().to_string();
    let seed = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let enrolment = {
        let marker = r#"name="enrolment" value=""#;
        let start = enrol.body.find(marker).unwrap() + marker.len();
        let end = enrol.body[start..].find('"').unwrap() + start;
        enrol.body[start..end].to_string()
    };
    let step = now_step();
    let submit = |c1: &str, c2: &str, enrolment: &str| {
        browser.post(
            "/console/mfa/totp",
            &[
                ("csrf_token", &enrol.csrf()),
                ("enrolment", enrolment),
                ("name", "Gina's phone"),
                ("code1", c1),
                ("code2", c2),
            ],
        )
    };
    let code = |s: u64| totp::code_at_step(&seed, s).unwrap();
    let wrong = submit("000000", "111111", &enrolment);
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("not valid"), "{}", wrong.body);
    // A sealed enrolment from another session is refused.
    let other = Browser::new(&server);
    other.sign_in(&account, "gina", "Gina-Passw0rd!");
    let foreign = other.get("/console/mfa/totp");
    let foreign_enrolment = {
        let marker = r#"name="enrolment" value=""#;
        let start = foreign.body.find(marker).unwrap() + marker.len();
        let end = foreign.body[start..].find('"').unwrap() + start;
        foreign.body[start..end].to_string()
    };
    assert_eq!(
        submit(&code(step - 1), &code(step), &foreign_enrolment).status,
        400
    );
    let done = submit(&code(step - 1), &code(step), &enrolment);
    assert_eq!(done.status, 303, "{}", done.body);
    let done = browser.get("/console/mfa");
    assert!(done.body.contains("added."), "{}", done.body);
    assert!(done.body.contains("Gina&#39;s phone") || done.body.contains("Gina's phone"));
    let listed = admin.post(&[("Action", "ListMFADevices"), ("UserName", "gina")]);
    assert!(
        listed.body.contains("<SerialNumber>arn:aws:iam::"),
        "{}",
        listed.body
    );

    // From now on the password alone is not enough.
    let later = Browser::new(&server);
    assert_eq!(
        later
            .sign_in(&account, "gina", "Gina-Passw0rd!")
            .location
            .as_deref(),
        Some("/signin/mfa")
    );
    // The code used to enrol cannot be used again; the next one can.
    let replay = later.submit("/signin/mfa", "/signin/mfa", &[("code", &code(step))]);
    assert_eq!(replay.status, 401);
    let next = later.submit("/signin/mfa", "/signin/mfa", &[("code", &code(step + 1))]);
    assert_eq!(next.location.as_deref(), Some("/console"), "{}", next.body);

    // Removing the device brings back password-only sign-in.
    let page = later.get("/console/mfa");
    let serial = {
        let marker = r#"name="serial" value=""#;
        let start = page.body.find(marker).unwrap() + marker.len();
        let end = page.body[start..].find('"').unwrap() + start;
        page.body[start..end].to_string()
    };
    let removed = later.post(
        "/console/mfa/remove",
        &[("csrf_token", &page.csrf()), ("serial", &serial)],
    );
    assert_eq!(removed.status, 303, "{}", removed.body);
    let shown = later.get("/console/mfa");
    assert!(shown.body.contains("removed."), "{}", shown.body);
    assert_eq!(
        Browser::new(&server)
            .sign_in(&account, "gina", "Gina-Passw0rd!")
            .location
            .as_deref(),
        Some("/console")
    );
}

#[test]
fn the_last_factor_stays_while_the_users_policies_depend_on_mfa() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "hank", "Hank-Passw0rd!", false);
    let seed = enable_totp(&admin, "hank");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*MFA*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
    let put = admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "hank"),
        ("PolicyName", "force-mfa"),
        ("PolicyDocument", policy),
    ]);
    assert_eq!(put.status, 200, "{}", put.body);
    let account = account(&server);
    let browser = Browser::new(&server);
    browser.sign_in(&account, "hank", "Hank-Passw0rd!");
    let step = now_step();
    let mut signed_in = false;
    for s in [step + 1, step] {
        let page = browser.submit(
            "/signin/mfa",
            "/signin/mfa",
            &[("code", &totp::code_at_step(&seed, s).unwrap())],
        );
        if page.location.as_deref() == Some("/console") {
            signed_in = true;
            break;
        }
    }
    assert!(signed_in);
    let page = browser.get("/console/mfa");
    let marker = r#"name="serial" value=""#;
    let start = page.body.find(marker).unwrap() + marker.len();
    let end = page.body[start..].find('"').unwrap() + start;
    let serial = page.body[start..end].to_string();
    let refused = browser.post(
        "/console/mfa/remove",
        &[("csrf_token", &page.csrf()), ("serial", &serial)],
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("your policies require MFA"),
        "{}",
        refused.body
    );
    let listed = admin.post(&[("Action", "ListMFADevices"), ("UserName", "hank")]);
    assert!(listed.body.contains(&serial));
}

#[test]
fn the_root_user_enrols_mfa_gets_recovery_codes_and_each_works_once() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    let root = root_browser(&server);
    let dashboard = root.get("/console");
    assert!(dashboard.body.contains("The root user has no MFA"));
    let enrol = root.get("/console/mfa/totp");
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    let seed = data_encoding::BASE32_NOPAD
        .decode(by_id(&enrol.body, "totp-secret").trim().as_bytes())
        .unwrap();
    let step = now_step();
    let done = root.post(
        "/console/mfa/totp",
        &[
            ("csrf_token", &enrol.csrf()),
            ("enrolment", &enrolment_of(&enrol)),
            ("name", "Root phone"),
            ("code1", &totp::code_at_step(&seed, step - 1).unwrap()),
            ("code2", &totp::code_at_step(&seed, step).unwrap()),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let done = root.get("/console/mfa");
    let codes_section = done.body.split("id=\"recovery-codes\"").nth(1).unwrap();
    let codes: Vec<String> = codes_section
        .split("<code>")
        .skip(1)
        .filter_map(|c| c.split("</code>").next())
        .take(10)
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 10, "{}", done.body);
    assert!(root
        .get("/console")
        .body
        .contains("MFA is enabled for the root user"));
    // Not an unassigned device for IAM.
    let unassigned = admin.post(&[
        ("Action", "ListVirtualMFADevices"),
        ("AssignmentStatus", "Unassigned"),
    ]);
    assert!(
        !unassigned.body.contains("root-account-mfa-device"),
        "{}",
        unassigned.body
    );

    // The next sign-in asks for the second factor; a recovery code stands in for it once.
    let again = Browser::new(&server);
    let first = again.sign_in(&account, "root", "Fresh-Root-Passw0rd");
    assert_eq!(first.location.as_deref(), Some("/signin/mfa"));
    let page = again.get("/signin/mfa");
    assert!(page.body.contains("Use a recovery code"));
    let wrong = again.post(
        "/signin/mfa/recovery",
        &[
            ("csrf_token", &page.csrf()),
            ("code", "AAAA-BBBB-CCCC-DDDD"),
        ],
    );
    assert_eq!(wrong.status, 401);
    let used = again.post(
        "/signin/mfa/recovery",
        &[
            ("csrf_token", &page.csrf()),
            ("code", &codes[3].to_lowercase()),
        ],
    );
    assert_eq!(used.location.as_deref(), Some("/console"), "{}", used.body);
    let third = Browser::new(&server);
    third.sign_in(&account, "root", "Fresh-Root-Passw0rd");
    let page = third.get("/signin/mfa");
    let reused = third.post(
        "/signin/mfa/recovery",
        &[("csrf_token", &page.csrf()), ("code", &codes[3])],
    );
    assert_eq!(reused.status, 401, "a used code does not work again");
    let other = third.post(
        "/signin/mfa/recovery",
        &[("csrf_token", &page.csrf()), ("code", &codes[4])],
    );
    assert_eq!(other.location.as_deref(), Some("/console"));
    assert!(third
        .get("/console/mfa")
        .body
        .contains("8 unused recovery codes"));
}
