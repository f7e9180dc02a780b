//! Directories in the console, on both stores: registered, refused with the reason at its
//! field, edited (the password kept unless a new one is typed), deleted, each change audited
//! without the password, and every page under `keyward:*Directory` authorization.
//! tests/e2e/test_ldap_identity.py signs people in against a real OpenLDAP.

use crate::harness::{Server, TestDb, BACKENDS};
use crate::portal::{account, console_user, root_browser, Browser};
use crate::signer::{eventually, Client};

const PASSWORD: &str = "directory-service-password";

#[test]
fn the_console_registers_edits_and_deletes_directories() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let account = account(&server);
        let root = root_browser(&server);
        let fields = |url: &str, password: &str| {
            vec![
                ("name", "corp".to_string()),
                ("url", url.to_string()),
                ("tls", String::new()),
                ("ca_certificate", String::new()),
                ("bind_dn", "keyward-svc@example.com".to_string()),
                ("bind_password", password.to_string()),
                ("base_dn", "DC=example,DC=com".to_string()),
                ("user_attribute", "sAMAccountName".to_string()),
                ("user_filter", "(objectClass=user)".to_string()),
                ("groups", "nested".to_string()),
                (
                    "attributes",
                    "email=mail\ndepartment=department".to_string(),
                ),
                ("timeout_seconds", "5".to_string()),
            ]
        };
        let submit = |browser: &Browser, action: &str, form: &[(&str, String)]| {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.submit("/console/directories", action, &form)
        };
        // A URL that is no LDAP URL is refused at its field, and nothing is written.
        let bad = submit(
            &root,
            "/console/directories",
            &fields("https://dc.example.com", PASSWORD),
        );
        assert_eq!(bad.status, 400, "{backend:?}: {}", bad.body);
        assert!(
            bad.body.contains(r#"id="create-directory-form-url-error""#),
            "{}",
            bad.body
        );
        let bad_filter = {
            let mut f = fields("ldaps://dc.example.com", PASSWORD);
            f[8].1 = "objectClass=user)(".to_string();
            submit(&root, "/console/directories", &f)
        };
        assert_eq!(bad_filter.status, 400, "{}", bad_filter.body);
        let created = submit(
            &root,
            "/console/directories",
            &fields("ldaps://dc.example.com", PASSWORD),
        );
        assert_eq!(created.status, 303, "{backend:?}: {}", created.body);
        assert_eq!(
            created.location.as_deref(),
            Some("/console/directories/corp")
        );
        let page = root.get("/console/directories/corp");
        let arn = format!("arn:aws:iam::{account}:directory/corp");
        assert!(page.body.contains(&arn), "{}", page.body);
        assert!(
            page.body.contains("ldaps://dc.example.com (ldaps)"),
            "{}",
            page.body
        );
        assert!(!page.body.contains(PASSWORD), "the password is never shown");
        let listed = root.get("/console/directories");
        assert!(listed.body.contains("directory-list") && listed.body.contains(">corp<"));
        // An edit without a password keeps the stored one; the URL's scheme sets StartTLS.
        let mut edit = fields("ldap://ldap.example.com:389", "");
        edit.retain(|(k, _)| *k != "name");
        let edited = {
            let form: Vec<(&str, &str)> = edit.iter().map(|(k, v)| (*k, v.as_str())).collect();
            root.submit(
                "/console/directories/corp",
                "/console/directories/corp/edit",
                &form,
            )
        };
        assert_eq!(edited.status, 303, "{}", edited.body);
        let page = root.get("/console/directories/corp");
        assert!(
            page.body.contains("ldap://ldap.example.com:389 (starttls)"),
            "{}",
            page.body
        );

        // Someone without keyward:*Directory permissions sees and changes nothing.
        let admin = Client::for_server(&server, &db);
        console_user(&admin, "reader", "Reader-Passw0rd-1", false);
        let reader = Browser::new(&server);
        assert_eq!(
            reader
                .sign_in(&account, "reader", "Reader-Passw0rd-1")
                .status,
            303
        );
        let denied = reader.get("/console/directories/corp");
        assert_eq!(denied.status, 403, "{}", denied.body);
        assert!(
            denied.body.contains("keyward:GetDirectory"),
            "{}",
            denied.body
        );

        let deleted = root.submit(
            "/console/directories/corp",
            "/console/directories/corp/delete",
            &[("confirmation", "corp")],
        );
        assert_eq!(deleted.status, 303, "{}", deleted.body);
        assert_eq!(root.get("/console/directories/corp").status, 404);

        let store = keyward::storage::Store::open(&db.store_settings()).unwrap();
        let events = || {
            let mut conn = store.connection().unwrap();
            keyward::audit::list_for_account(&mut conn, &account).unwrap()
        };
        for name in ["CreateDirectory", "UpdateDirectory", "DeleteDirectory"] {
            assert!(
                eventually(|| events().iter().any(|e| e.event_name == name)),
                "{name}"
            );
        }
        assert!(events().iter().all(|e| !e
            .request_parameters
            .clone()
            .unwrap_or_default()
            .contains(PASSWORD)));
        assert!(events().iter().any(|e| e.event_name == "CreateDirectory"
            && e.request_parameters
                .clone()
                .unwrap_or_default()
                .contains(r#""bindAccountRekeyed":true"#)));
        assert!(events().iter().any(|e| e.event_name == "UpdateDirectory"
            && e.request_parameters
                .clone()
                .unwrap_or_default()
                .contains(r#""bindAccountRekeyed":false"#)));
    }
}

#[test]
fn the_sigv4_api_manages_directories_under_iam_authorization() {
    let db = TestDb::new(crate::harness::Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    let api = "/keyward/directories";
    let new = serde_json::json!({
        "name": "corp", "url": "ldaps://dc.example.com", "bind_dn": "svc@example.com",
        "bind_password": PASSWORD, "base_dn": "DC=example,DC=com",
        "attributes": {"email": "mail"},
    });
    let (status, created) = admin.keyward_json("POST", api, Some(&new));
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["arn"],
        format!("arn:aws:iam::{account}:directory/corp")
    );
    assert_eq!(created["tls_mode"], "ldaps");
    assert!(
        !created.to_string().contains(PASSWORD),
        "the password is never answered"
    );
    let (status, again) = admin.keyward_json("POST", api, Some(&new));
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("EntityAlreadyExists"))
    );
    let (status, bad) = admin.keyward_json(
        "POST",
        api,
        Some(&serde_json::json!({"name": "x", "uri": "ldaps://a"})),
    );
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (400, Some("ValidationError")),
        "{bad}"
    );

    let change = serde_json::json!({"group_mode": "member", "user_attribute": "uid"});
    let (status, changed) = admin.keyward_json("PATCH", &format!("{api}/corp"), Some(&change));
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["group_mode"], "member");
    let (status, listed) = admin.keyward_json("GET", api, None);
    assert_eq!(status, 200);
    assert_eq!(listed["directories"][0]["user_attribute"], "uid");

    // A user without keyward:*Directory permissions is refused, and the refusal audited.
    console_user(&admin, "nobody", "Nobody-Passw0rd-1", false);
    let created = admin.post(&[("Action", "CreateAccessKey"), ("UserName", "nobody")]);
    let nobody = Client {
        key: crate::signer::element(&created.body, "AccessKeyId").to_string(),
        secret: crate::signer::element(&created.body, "SecretAccessKey").to_string(),
        ..admin.clone()
    };
    let (status, denied) = nobody.keyward_json("GET", &format!("{api}/corp"), None);
    assert_eq!(
        (status, denied["error"]["code"].as_str()),
        (403, Some("AccessDenied"))
    );
    let (status, denied) = nobody.keyward_json("DELETE", &format!("{api}/corp"), None);
    assert_eq!(status, 403, "{denied}");
    let reset = serde_json::json!({ "user_dn": "uid=alice,ou=people,dc=example,dc=com" });
    let (status, denied) =
        nobody.keyward_json("POST", &format!("{api}/corp/reset-mfa"), Some(&reset));
    assert_eq!(status, 403, "{denied}");

    // Its people's Keyward MFA devices: none yet, so a reset finds nothing to remove, and a body
    // that is no reset is refused. (tests/e2e/test_ldap_identity.py resets a real enrolment.)
    let (status, devices) = admin.keyward_json("GET", &format!("{api}/corp/mfa-devices"), None);
    assert_eq!(
        (status, devices["devices"].clone()),
        (200, serde_json::json!([]))
    );
    let (status, none) = admin.keyward_json("POST", &format!("{api}/corp/reset-mfa"), Some(&reset));
    assert_eq!(
        (status, none["error"]["code"].as_str()),
        (404, Some("NoSuchEntity")),
        "{none}"
    );
    let wrong = serde_json::json!({ "userDn": "x" });
    let (status, bad) = admin.keyward_json("POST", &format!("{api}/corp/reset-mfa"), Some(&wrong));
    assert_eq!(status, 400, "{bad}");

    let (status, _) = admin.keyward_json("DELETE", &format!("{api}/corp"), None);
    assert_eq!(status, 200);
    let (status, gone) = admin.keyward_json("GET", &format!("{api}/corp"), None);
    assert_eq!(
        (status, gone["error"]["code"].as_str()),
        (404, Some("NoSuchEntity"))
    );
}
