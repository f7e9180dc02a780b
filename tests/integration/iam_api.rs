//! The IAM API over HTTP, signed by an independent signer (the `aws-sigv4` crate), with the
//! XML bodies pinned by snapshots (ids, dates and request ids redacted).

use crate::harness::{Backend, Server, TestDb};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use std::time::{Duration, SystemTime};

struct Client {
    url: String,
    key: String,
    secret: String,
}

struct Reply {
    status: u16,
    body: String,
}

impl Client {
    fn for_server(server: &Server, db: &TestDb) -> Self {
        let text = std::fs::read_to_string(db.data_dir().join("credentials")).unwrap();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| {
                    l.strip_prefix(name)
                        .map(|v| v.trim_start_matches([' ', '=']).trim().to_string())
                })
                .unwrap()
        };
        Self {
            url: server.url.clone(),
            key: value("aws_access_key_id"),
            secret: value("aws_secret_access_key"),
        }
    }

    fn with_secret(&self, secret: &str) -> Self {
        Self {
            url: self.url.clone(),
            key: self.key.clone(),
            secret: secret.to_string(),
        }
    }

    /// Signs and sends a form POST of `Action=...` parameters, at `time`.
    fn post_at(&self, params: &[(&str, &str)], time: SystemTime) -> Reply {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("Version", "2010-05-08");
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let body = form.finish();
        let host = self.url.trim_start_matches("http://").to_string();
        let headers = [
            ("host".to_string(), host),
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
        ];
        let signed = self.sign(
            "POST",
            &format!("{}/", self.url),
            &headers,
            body.as_bytes(),
            time,
            SigningSettings::default(),
        );
        let mut request = reqwest::blocking::Client::new()
            .post(format!("{}/", self.url))
            .body(body);
        for (k, v) in headers.iter().skip(1).chain(signed.0.iter()) {
            request = request.header(k.as_str(), v.as_str());
        }
        reply(request.send().unwrap())
    }

    fn post(&self, params: &[(&str, &str)]) -> Reply {
        self.post_at(params, SystemTime::now())
    }

    /// A presigned `GET /?Action=...` (signature in the query string).
    fn presigned_get(&self, query: &str) -> Reply {
        let host = self.url.trim_start_matches("http://").to_string();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(300));
        let uri = format!("{}/?{query}", self.url);
        let (_, extra) = self.sign(
            "GET",
            &uri,
            &[("host".into(), host)],
            b"",
            SystemTime::now(),
            settings,
        );
        let mut url = url::Url::parse(&uri).unwrap();
        for (k, v) in extra {
            url.query_pairs_mut().append_pair(&k, &v);
        }
        reply(reqwest::blocking::get(url).unwrap())
    }

    /// Returns the headers and the query parameters the signer adds.
    #[allow(clippy::type_complexity)]
    fn sign(
        &self,
        method: &str,
        uri: &str,
        headers: &[(String, String)],
        body: &[u8],
        time: SystemTime,
        settings: SigningSettings,
    ) -> (Vec<(String, String)>, Vec<(String, String)>) {
        let identity = Credentials::new(&self.key, &self.secret, None, None, "test").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("iam")
            .time(time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            method,
            uri,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let (headers, query) = instructions.into_parts();
        (
            headers
                .into_iter()
                .map(|h| (h.name().to_string(), h.value().to_string()))
                .collect(),
            query
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

fn reply(response: reqwest::blocking::Response) -> Reply {
    let status = response.status().as_u16();
    Reply {
        status,
        body: response.text().unwrap(),
    }
}

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

/// The text of the first `<tag>` element of an XML body.
fn element<'a>(body: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = body.find(&open).map(|i| i + open.len()).unwrap();
    let end = body[start..].find(&format!("</{tag}>")).unwrap() + start;
    &body[start..end]
}

/// Polls `check` until it holds, for at most ten seconds; returns whether it did.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
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
