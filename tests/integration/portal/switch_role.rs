//! Switching to a role in the console: acting with its permissions until switching back, a
//! role that requires MFA, and the user's own factors added meanwhile audited as the user.

use super::*;

#[test]
fn switching_to_a_role_acts_with_its_permissions_until_switching_back() {
    let db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "kim", "Kim-Passw0rd!", false);
    let allow_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "kim"),
        ("PolicyName", "assume"),
        ("PolicyDocument", allow_assume),
    ]);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/kim"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = admin.post(&[
        ("Action", "CreateRole"),
        ("RoleName", "operator"),
        ("AssumeRolePolicyDocument", &trust),
    ]);
    assert_eq!(role.status, 200, "{}", role.body);
    admin.post(&[
        ("Action", "AttachRolePolicy"),
        ("RoleName", "operator"),
        ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
    ]);

    let browser = Browser::new(&server);
    browser.sign_in(&account, "kim", "Kim-Passw0rd!");
    let before = browser.get("/console/users");
    assert!(before
        .body
        .contains("is not authorized to perform: iam:ListUsers"));
    // A role whose trust policy does not name kim is refused with STS's message.
    let refused = browser.submit(
        "/console/switch-role",
        "/console/switch-role",
        &[
            ("account", &account),
            ("role", "missing"),
            ("label", ""),
            ("colour", "red"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("is not authorized to perform: sts:AssumeRole"),
        "{}",
        refused.body
    );
    let switched = browser.submit(
        "/console/switch-role",
        "/console/switch-role",
        &[
            ("account", &account),
            ("role", "operator"),
            ("label", "Ops"),
            ("colour", "green"),
        ],
    );
    assert_eq!(
        switched.location.as_deref(),
        Some("/console"),
        "{}",
        switched.body
    );
    let home = browser.get("/console");
    assert!(
        home.body
            .contains(&format!("You are now operator in {account}.")),
        "{}",
        home.body
    );
    assert!(
        !browser.get("/console").body.contains("You are now"),
        "once"
    );
    let during = browser.get("/console/users");
    assert!(
        during.body.contains(">kim</a>"),
        "the role may list users: {}",
        during.body
    );
    assert!(during.body.contains(r#"class="role-label role-green""#));
    assert!(during
        .body
        .contains(&format!("arn:aws:sts::{account}:assumed-role/operator/kim")));
    let back = browser.submit("/console", "/console/switch-back", &[]);
    assert_eq!(back.location.as_deref(), Some("/console"));
    assert!(browser
        .get("/console")
        .body
        .contains("You are back in your own identity."));
    let after = browser.get("/console/users");
    assert!(after
        .body
        .contains("is not authorized to perform: iam:ListUsers"));
}

#[test]
fn a_console_session_signed_in_with_mfa_may_switch_to_a_role_that_requires_it() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    let allow_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    for user in ["olga", "pat"] {
        console_user(&admin, user, "Switch-Passw0rd!", false);
        admin.post(&[
            ("Action", "PutUserPolicy"),
            ("UserName", user),
            ("PolicyName", "assume"),
            ("PolicyDocument", allow_assume),
        ]);
    }
    let seed = enable_totp(&admin, "olga");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole","Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}}}]}}"#
    );
    let role = admin.post(&[
        ("Action", "CreateRole"),
        ("RoleName", "guarded"),
        ("AssumeRolePolicyDocument", &trust),
    ]);
    assert_eq!(role.status, 200, "{}", role.body);
    let switch = |b: &Browser| {
        b.submit(
            "/console/switch-role",
            "/console/switch-role",
            &[
                ("account", &account),
                ("role", "guarded"),
                ("label", ""),
                ("colour", "blue"),
            ],
        )
    };
    // Without MFA the trust policy refuses.
    let pat = Browser::new(&server);
    pat.sign_in(&account, "pat", "Switch-Passw0rd!");
    assert_eq!(switch(&pat).status, 403);
    // With MFA proved at sign-in, the switch carries it.
    let olga = Browser::new(&server);
    olga.sign_in(&account, "olga", "Switch-Passw0rd!");
    let step = now_step();
    let mut in_console = false;
    for s in [step + 1, step] {
        let page = olga.submit(
            "/signin/mfa",
            "/signin/mfa",
            &[("code", &totp::code_at_step(&seed, s).unwrap())],
        );
        if page.location.as_deref() == Some("/console") {
            in_console = true;
            break;
        }
    }
    assert!(in_console);
    let switched = switch(&olga);
    assert_eq!(
        switched.location.as_deref(),
        Some("/console"),
        "{}",
        switched.body
    );
    assert!(olga
        .get("/console")
        .body
        .contains("assumed-role/guarded/olga"));
}

#[test]
fn own_factors_added_while_acting_as_a_role_are_audited_as_the_user() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "quinn", "Quinn-Passw0rd!", false);
    let allow_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "quinn"),
        ("PolicyName", "assume"),
        ("PolicyDocument", allow_assume),
    ]);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    admin.post(&[
        ("Action", "CreateRole"),
        ("RoleName", "helper"),
        ("AssumeRolePolicyDocument", &trust),
    ]);
    let browser = Browser::new(&server);
    browser.sign_in(&account, "quinn", "Quinn-Passw0rd!");
    let switched = browser.submit(
        "/console/switch-role",
        "/console/switch-role",
        &[
            ("account", &account),
            ("role", "helper"),
            ("label", ""),
            ("colour", "red"),
        ],
    );
    assert_eq!(
        switched.location.as_deref(),
        Some("/console"),
        "{}",
        switched.body
    );
    let enrol = browser.get("/console/mfa/totp");
    let seed = data_encoding::BASE32_NOPAD
        .decode(by_id(&enrol.body, "totp-secret").trim().as_bytes())
        .unwrap();
    let step = now_step();
    let done = browser.post(
        "/console/mfa/totp",
        &[
            ("csrf_token", &enrol.csrf()),
            ("enrolment", &enrolment_of(&enrol)),
            ("name", "phone"),
            ("code1", &totp::code_at_step(&seed, step - 1).unwrap()),
            ("code2", &totp::code_at_step(&seed, step).unwrap()),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let actors: Vec<Option<String>> = ctx
        .store
        .read(|conn| keyward::audit::list_for_account(conn, &account))
        .unwrap()
        .into_iter()
        .filter(|e| e.event_name == "EnableMFADevice")
        .map(|e| e.actor_arn)
        .collect();
    assert_eq!(
        actors,
        [Some(format!("arn:aws:iam::{account}:user/quinn"))],
        "the user's own device, the user's own change"
    );
}
