//! The IAM API over HTTP, signed by an independent signer (the `aws-sigv4` crate), with the
//! XML bodies pinned by snapshots (ids, dates and request ids redacted).

use crate::harness::{Backend, Server, TestDb};
use crate::signer::{element, eventually, reply, Client};
use std::time::{Duration, Instant, SystemTime};

/// Redacts what differs between runs, so a snapshot pins only the shape and fixed values.
fn snapshot(name: &str, body: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"AIDA[A-Z2-7]{17}", "[USER-ID]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[DATE]");
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[REQUEST-ID]",
    );
    settings.add_filter(r"::\d{12}:", "::[ACCOUNT]:");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, body));
}

#[test]
fn signed_requests_create_read_and_fail_like_iam() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let client = Client::for_server(&server, &db);

    let created = client.post(&[
        ("Action", "CreateUser"),
        ("UserName", "alice"),
        ("Path", "/eng/"),
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "blue"),
    ]);
    assert_eq!(created.status, 200, "{}", created.body);
    snapshot("create_user", &created.body);

    let missing = client.post(&[("Action", "GetUser"), ("UserName", "bob")]);
    assert_eq!(missing.status, 404);
    snapshot("get_user_no_such_entity", &missing.body);

    let listed = client.presigned_get("Action=ListUsers&Version=2010-05-08&PathPrefix=%2Feng%2F");
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(
        listed.body.contains("<UserName>alice</UserName>")
            && !listed.body.contains("<UserName>admin<")
    );

    let wrong = client
        .with_secret("x".repeat(40).as_str())
        .post(&[("Action", "ListUsers")]);
    assert_eq!(wrong.status, 403);
    assert!(
        wrong.body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{}",
        wrong.body
    );

    let stale = client.post_at(
        &[("Action", "ListUsers")],
        SystemTime::now() - Duration::from_secs(20 * 60),
    );
    assert_eq!(stale.status, 403);
    assert!(stale.body.contains("Signature expired"), "{}", stale.body);

    let unsigned = reqwest::blocking::Client::new()
        .post(format!("{}/", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=ListUsers&Version=2010-05-08")
        .send()
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 403);
    assert!(unsigned
        .text()
        .unwrap()
        .contains("MissingAuthenticationToken"));

    let unknown = client.post(&[("Action", "FlyToTheMoon")]);
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.body.contains("<Code>InvalidAction</Code>"),
        "{}",
        unknown.body
    );

    // Every call is audited, denied and failed ones included (reads and failures are stored by
    // the audit writer within moments, so look until they are there).
    let store = keyward::storage::Store::open(&db.store_settings()).unwrap();
    let account = server
        .stdout()
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("account:")
                .map(|a| a.trim().to_string())
        })
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let events = loop {
        let mut conn = store.connection().unwrap();
        let events = keyward::audit::list_for_account(&mut conn, &account).unwrap();
        if events.iter().any(|e| e.event_name == "FlyToTheMoon")
            || std::time::Instant::now() > deadline
        {
            break events;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let find = |name: &str, code: Option<&str>| {
        events
            .iter()
            .any(|e| e.event_name == name && e.error_code.as_deref() == code)
    };
    assert!(find("CreateUser", None));
    assert!(find("GetUser", Some("NoSuchEntity")));
    assert!(find("ListUsers", None), "reads are audited too");
    assert!(find("FlyToTheMoon", Some("InvalidAction")));
    // Calls first tried without the store and then run again on the blocking pool (every call
    // here reads or writes the store) are audited once, not once per attempt.
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e.request_id.as_deref())
        .collect();
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "one event per request");

    // Events still queued when the server is told to stop are stored before it exits.
    let last = client.post(&[("Action", "GetGroup"), ("GroupName", "never-there")]);
    assert_eq!(last.status, 404);
    let (status, _, _) = server.stop();
    assert!(status.success());
    let mut conn = store.connection().unwrap();
    let events = keyward::audit::list_for_account(&mut conn, &account).unwrap();
    assert!(events
        .iter()
        .any(|e| e.event_name == "GetGroup" && e.error_code.as_deref() == Some("NoSuchEntity")));
}

#[test]
fn a_change_on_one_instance_reaches_the_caches_of_the_others() {
    let db = TestDb::new(Backend::Postgres);
    let first = Server::start(&db, &[]);
    let second = Server::start(&db, &[]);
    let admin = Client::for_server(&first, &db);

    assert_eq!(
        admin
            .post(&[("Action", "CreateUser"), ("UserName", "worker")])
            .status,
        200
    );
    let key = admin.post(&[("Action", "CreateAccessKey"), ("UserName", "worker")]);
    assert_eq!(key.status, 200, "{}", key.body);
    let worker = Client {
        url: second.url.clone(),
        key: element(&key.body, "AccessKeyId").to_string(),
        secret: element(&key.body, "SecretAccessKey").to_string(),
        ..admin.clone()
    };
    let list_users = [("Action", "ListUsers")];
    // The second instance now caches the worker's key and its (empty) policies.
    assert_eq!(worker.post(&list_users).status, 403);
    assert_eq!(worker.post(&list_users).status, 403);

    let attached = admin.post(&[
        ("Action", "AttachUserPolicy"),
        ("UserName", "worker"),
        ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
    ]);
    assert_eq!(attached.status, 200, "{}", attached.body);
    assert!(
        eventually(|| worker.post(&list_users).status == 200),
        "a policy attached on one instance takes effect on the other"
    );

    let deactivated = admin.post(&[
        ("Action", "UpdateAccessKey"),
        ("UserName", "worker"),
        ("AccessKeyId", &worker.key),
        ("Status", "Inactive"),
    ]);
    assert_eq!(deactivated.status, 200, "{}", deactivated.body);
    assert!(
        eventually(|| worker.post(&list_users).status == 403),
        "a key deactivated on one instance is refused by the other"
    );
    let refused = worker.post(&list_users);
    assert!(
        refused.body.contains("<Code>InvalidClientTokenId</Code>"),
        "{}",
        refused.body
    );
}

#[test]
fn a_simulation_of_5000_actions_by_5000_resources_is_refused_at_once() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let client = Client::for_server(&server, &db);
    let policy =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let mut owned: Vec<(String, String)> = vec![
        ("Action".into(), "SimulateCustomPolicy".into()),
        ("PolicyInputList.member.1".into(), policy.into()),
    ];
    for i in 1..=5000 {
        owned.push((format!("ActionNames.member.{i}"), format!("s3:Action{i}")));
        owned.push((
            format!("ResourceArns.member.{i}"),
            format!("arn:aws:s3:::b{i}"),
        ));
    }
    let params: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (body, headers) = client.signed_post(&params, SystemTime::now());
    let url = server.url.clone();
    let asked = std::thread::spawn(move || {
        let mut request = reqwest::blocking::Client::new()
            .post(format!("{url}/"))
            .timeout(Duration::from_secs(10))
            .body(body);
        for (k, v) in headers.iter().skip(1) {
            request = request.header(k.as_str(), v.as_str());
        }
        let started = Instant::now();
        let answer = request.send().map(reply);
        (answer, started.elapsed())
    });
    // Health checks are answered while the request is in flight and after it.
    let during = server.get("/healthz").map(|r| r.status().as_u16());
    let (answer, took) = asked.join().unwrap();
    let answer = answer.expect("an answer within 10 s, not a server busy with the product");
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("<Code>InvalidInput</Code>") && answer.body.contains("ActionNames"),
        "{}",
        answer.body
    );
    assert!(took < Duration::from_secs(2), "refused after {took:?}");
    assert_eq!(during.ok(), Some(200));
    assert_eq!(server.get("/healthz").unwrap().status().as_u16(), 200);
}

/// A user who had a console password (and so earlier password hashes kept against reuse) and
/// signed in (a console session) is deleted like any other once IAM's own prerequisites are
/// removed: the history and sessions go with it (both once made DeleteUser fail with a 500).
#[test]
fn a_user_who_had_a_password_and_signed_in_can_be_deleted() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let ok = |params: &[(&str, &str)]| {
            let r = admin.post(params);
            assert_eq!(r.status, 200, "{backend:?} {params:?}: {}", r.body);
        };
        ok(&[("Action", "CreateUser"), ("UserName", "gone")]);
        ok(&[
            ("Action", "CreateLoginProfile"),
            ("UserName", "gone"),
            ("Password", "Gone-Passw0rd-1"),
        ]);
        let account = crate::portal::account(&server);
        crate::portal::Browser::new(&server).sign_in(&account, "gone", "Gone-Passw0rd-1");
        ok(&[
            ("Action", "UpdateLoginProfile"),
            ("UserName", "gone"),
            ("Password", "Gone-Passw0rd-2"),
        ]);
        ok(&[("Action", "DeleteLoginProfile"), ("UserName", "gone")]);
        ok(&[("Action", "DeleteUser"), ("UserName", "gone")]);
        let after = admin.post(&[("Action", "GetUser"), ("UserName", "gone")]);
        assert_eq!(after.status, 404, "{backend:?}");
    }
}
