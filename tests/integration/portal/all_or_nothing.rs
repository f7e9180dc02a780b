//! Console forms that make several IAM changes commit all of them or none (both stores): a
//! user whose last part is refused is not created, a policy that cannot be deleted keeps its
//! versions, and a refused form shows what was typed with the reason at its field. And a
//! user's security state: locked out of sign-in, shown and unlocked from its page.

use super::*;

fn user_exists(admin: &Client, name: &str) -> bool {
    admin
        .post(&[("Action", "GetUser"), ("UserName", name)])
        .status
        == 200
}

#[test]
fn a_user_whose_last_part_is_refused_is_not_created_at_all() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let root = root_browser(&server);
        // The password is refused by the account's rules, after the user row was written.
        let refused = root.submit(
            "/console/create/user",
            "/console/users",
            &[
                ("name", "half"),
                ("password", "abc"),
                ("group:Administrators", "true"),
            ],
        );
        assert_eq!(refused.status, 400, "{backend:?}: {}", refused.body);
        assert!(
            !user_exists(&admin, "half"),
            "{backend:?}: no user without its password"
        );
        // The form is shown again: the name kept, the group still ticked, the password not
        // echoed, the reason next to the password field.
        assert!(
            refused
                .body
                .contains(r#"name="name" type="text" value="half""#),
            "{}",
            refused.body
        );
        assert!(refused
            .body
            .contains(r#"name="group:Administrators" value="true" checked"#));
        assert!(refused
            .body
            .contains(r#"id="create-user-form-password-error""#));
        assert!(!refused.body.contains(r#"value="abc""#));
        // A policy that does not exist, picked last: the user, its password and its group
        // membership all go with it.
        let missing = root.submit(
            "/console/create/user",
            "/console/users",
            &[
                ("name", "half"),
                ("password", "Half-Passw0rd!"),
                ("group:Administrators", "true"),
                ("policy:arn:aws:iam::aws:policy/NoSuchPolicy", "true"),
            ],
        );
        assert_eq!(missing.status, 404, "{backend:?}: {}", missing.body);
        assert!(!user_exists(&admin, "half"), "{backend:?}");
        let members = admin.post(&[("Action", "GetGroup"), ("GroupName", "Administrators")]);
        assert!(!members.body.contains("<UserName>half</UserName>"));
        // The same form, corrected, succeeds at once (no "already exists").
        let created = root.submit(
            "/console/create/user",
            "/console/users",
            &[
                ("name", "half"),
                ("password", "Half-Passw0rd!"),
                ("group:Administrators", "true"),
                ("access_key", "true"),
            ],
        );
        assert_eq!(created.location.as_deref(), Some("/console/users/half"));
        let page = root.get("/console/users/half");
        assert!(page.body.contains("User half created."), "{}", page.body);
        assert!(page.body.contains("Secret access key"));
        assert!(!root
            .get("/console/users/half")
            .body
            .contains("Secret access key"));
        let keys = admin.post(&[("Action", "ListAccessKeys"), ("UserName", "half")]);
        assert!(
            keys.body.contains("<Status>Active</Status>"),
            "{}",
            keys.body
        );
    }
}

#[test]
fn a_policy_that_cannot_be_deleted_keeps_every_version() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let root = root_browser(&server);
        let document = |sid: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{sid}","Effect":"Allow","Action":"iam:GetUser","Resource":"*"}}]}}"#
            )
        };
        let created = admin.post(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "kept"),
            ("PolicyDocument", &document("One")),
        ]);
        assert_eq!(created.status, 200, "{}", created.body);
        let arn = format!("arn:aws:iam::{}:policy/kept", account(&server));
        let v2 = admin.post(&[
            ("Action", "CreatePolicyVersion"),
            ("PolicyArn", &arn),
            ("PolicyDocument", &document("Two")),
            ("SetAsDefault", "true"),
        ]);
        assert_eq!(v2.status, 200, "{}", v2.body);
        let attached = admin.post(&[
            ("Action", "AttachGroupPolicy"),
            ("GroupName", "Administrators"),
            ("PolicyArn", &arn),
        ]);
        assert_eq!(attached.status, 200, "{}", attached.body);
        // The console's delete removes the other versions first, then the policy; the policy
        // is still attached, so the delete is refused, and the versions removed on the way
        // come back with it.
        let view = format!("/console/policies/view?arn={arn}");
        let refused = root.submit(&view, "/console/policies/change/delete", &[("arn", &arn)]);
        assert_eq!(refused.status, 409, "{backend:?}: {}", refused.body);
        let versions = admin.post(&[("Action", "ListPolicyVersions"), ("PolicyArn", &arn)]);
        assert!(
            versions.body.contains("<VersionId>v1</VersionId>"),
            "{backend:?}: the old version survives a refused delete: {}",
            versions.body
        );
    }
}

#[test]
fn a_locked_out_user_is_shown_as_locked_and_unlocked_from_its_page() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "lou", "Lou-Passw0rd!", false);
    // Ten wrong passwords' worth of reservations lock sign-in to lou.
    let ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let key = keyward::storage::throttle::Key::user(&account, "lou");
    let now = chrono::Utc::now().naive_utc();
    for _ in 0..10 {
        let _ = keyward::storage::throttle::reserve(&ctx.store, std::slice::from_ref(&key), now);
    }
    let refused = Browser::new(&server).sign_in(&account, "lou", "Lou-Passw0rd!");
    assert_ne!(refused.location.as_deref(), Some("/console"), "locked");
    let root = root_browser(&server);
    let page = root.get("/console/users/lou");
    assert!(page.body.contains("Sign-in is locked"), "{}", page.body);
    assert!(page.body.contains("Password age"), "{}", page.body);
    let unlocked = root.submit("/console/users/lou", "/console/users/lou/unlock", &[]);
    assert_eq!(unlocked.status, 303, "{}", unlocked.body);
    let page = root.get("/console/users/lou");
    assert!(
        page.body.contains("Sign-in of lou unlocked."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Sign-in is locked"));
    let signed_in = Browser::new(&server).sign_in(&account, "lou", "Lou-Passw0rd!");
    assert_eq!(signed_in.location.as_deref(), Some("/console"));
    // The unlock is audited, naming who did it.
    let events = ctx
        .store
        .read(|conn| keyward::audit::list_for_account(conn, &account))
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| format!("{e:?}").contains("UnlockUser")),
        "UnlockUser audited"
    );
}
