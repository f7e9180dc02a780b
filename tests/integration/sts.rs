//! STS over HTTP: temporary credentials are verified from their token alone, with no
//! statement sent to the database, even while the database is gone.

use crate::harness::{Backend, Server, TestDb};
use crate::signer::Client;

/// `keyward_db_queries_total{origin="request"}` from `/metrics`.
fn request_queries(server: &Server) -> u64 {
    let text = server.get("/metrics").unwrap().text().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("keyward_db_queries_total{origin=\"request\"} "))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0)
}

fn assume(admin: &Client, role: &str) -> Client {
    let account_root = admin.sts().post(&[("Action", "GetCallerIdentity")]).body;
    let account = crate::signer::element(&account_root, "Account").to_string();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let created = admin.post(&[
        ("Action", "CreateRole"),
        ("RoleName", role),
        ("AssumeRolePolicyDocument", &trust),
    ]);
    assert_eq!(created.status, 200, "{}", created.body);
    let assumed = admin.sts().post(&[
        ("Action", "AssumeRole"),
        ("RoleArn", &format!("arn:aws:iam::{account}:role/{role}")),
        ("RoleSessionName", "probe"),
    ]);
    assert_eq!(assumed.status, 200, "{}", assumed.body);
    assert!(assumed
        .body
        .contains("<PackedPolicySize>0</PackedPolicySize>"));
    admin.sts().with_credentials_from(&assumed.body)
}

#[test]
fn temporary_credentials_are_checked_without_the_database() {
    let mut db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let session = assume(&admin, "probe");
    let who = [("Action", "GetCallerIdentity")];
    assert_eq!(session.post(&who).status, 200);

    let before = request_queries(&server);
    for _ in 0..20 {
        let reply = session.post(&who);
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.body.contains(":assumed-role/probe/probe</Arn>"));
    }
    assert_eq!(
        request_queries(&server),
        before,
        "GetCallerIdentity with temporary credentials sends no statement"
    );

    db.drop_database();
    assert_eq!(
        server.get("/readyz").unwrap().status(),
        503,
        "the store is gone"
    );
    let reply = session.post(&who);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(":assumed-role/probe/probe</Arn>"));
    let refused = admin.sts().post(&[
        ("Action", "AssumeRole"),
        ("RoleArn", "arn:aws:iam::123456789012:role/probe"),
        ("RoleSessionName", "again"),
    ]);
    assert_eq!(
        refused.status, 500,
        "minting needs the store: {}",
        refused.body
    );
}

#[test]
fn tokens_are_bound_to_their_key_and_answer_like_sts() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let session = assume(&admin, "bound");
    let who = [("Action", "GetCallerIdentity")];

    let other = assume(&admin, "other");
    let swapped = Client {
        token: other.token.clone(),
        ..session.clone()
    };
    let reply = swapped.post(&who);
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply.body.contains("<Code>InvalidClientTokenId</Code>"));

    let unsealed = Client {
        token: None,
        ..session.clone()
    };
    let reply = unsealed.post(&who);
    assert!(
        reply.body.contains("<Code>InvalidClientTokenId</Code>"),
        "a temporary key without its token is unknown: {}",
        reply.body
    );
    let reply = session.post(&who);
    assert!(reply.body.contains(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
}

/// Expiry, with the server's clock in the test's hands: the AWS endpoint served in process
/// over a fixed clock.
#[actix_web::test]
async fn expired_credentials_answer_expired_token() {
    use actix_web::{test, web, App};
    use keyward::authz::{Caller, RequestFacts};
    use keyward::clock::FixedClock;
    use keyward::secrets::ExposeSecret;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    let db = TestDb::new(Backend::Sqlite);
    let mut ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let start = chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    ctx.clock = clock.clone();
    let created = match keyward::iam::bootstrap::ensure(&ctx, |_| Ok(())).unwrap() {
        keyward::iam::bootstrap::Outcome::Created(created) => created,
        _ => panic!("a fresh store bootstraps"),
    };
    let user = keyward::iam::users::get(&ctx, created.account_id.as_str(), "admin").unwrap();
    let caller = Caller::User {
        account_id: user.account_id.clone(),
        user_id: user.id.clone(),
        name: user.name.clone(),
        path: user.path.clone(),
    };
    let facts = RequestFacts {
        now: start,
        source_ip: None,
        user_agent: None,
        secure_transport: false,
        region: "us-east-1".into(),
        console: None,
    };
    let credentials = keyward::sts::session_token::get_session_token(
        &ctx,
        &caller,
        &facts,
        &keyward::sts::session_token::SessionTokenRequest {
            duration_seconds: Some(900),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        credentials.expiration,
        start + chrono::Duration::seconds(900)
    );

    let audit = std::sync::Arc::new(
        keyward::audit::AuditQueue::start(ctx.store.clone(), ctx.random.clone()).unwrap(),
    );
    let api = web::Data::new(keyward::aws_api::endpoint::AwsApi::new(
        ctx.clone(),
        "us-east-1".into(),
        audit,
    ));
    let app = test::init_service(
        App::new()
            .app_data(api)
            .route("/", web::post().to(keyward::aws_api::endpoint::handle)),
    )
    .await;
    let client = Client {
        url: "http://localhost".into(),
        key: credentials.access_key_id.clone(),
        secret: credentials.secret_access_key.expose_secret().to_string(),
        token: Some(credentials.session_token.clone()),
        service: "sts",
    };
    let call = |at: SystemTime| {
        let (body, headers) = client.signed_post(&[("Action", "GetCallerIdentity")], at);
        let mut request = test::TestRequest::post().uri("/").set_payload(body);
        for (k, v) in headers {
            request = request.insert_header((k, v));
        }
        request.to_request()
    };
    let at = |seconds: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000 + seconds);

    clock.advance(chrono::Duration::seconds(899));
    let response = test::call_service(&app, call(at(899))).await;
    assert_eq!(response.status(), 200, "valid until its last second");

    clock.advance(chrono::Duration::seconds(1));
    let response = test::call_service(&app, call(at(900))).await;
    assert_eq!(response.status(), 403);
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    assert!(body.contains("<Code>ExpiredToken</Code>"), "{body}");
}

#[test]
fn calls_tried_without_the_store_are_audited_once() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let me = admin.sts().post(&[("Action", "GetCallerIdentity")]).body;
    let account = crate::signer::element(&me, "Account").to_string();
    // The first AssumeRole of a role reads it from the store (tried on the worker, then run
    // again on the blocking pool); the second is answered from the cache on the worker.
    assume(&admin, "audited");
    let again = admin.sts().post(&[
        ("Action", "AssumeRole"),
        ("RoleArn", &format!("arn:aws:iam::{account}:role/audited")),
        ("RoleSessionName", "second"),
    ]);
    assert_eq!(again.status, 200, "{}", again.body);

    let store = keyward::storage::Store::open(&db.store_settings()).unwrap();
    let events = || {
        let mut conn = store.connection().unwrap();
        keyward::audit::list_for_account(&mut conn, &account).unwrap()
    };
    let assumed = |events: &[keyward::storage::models::AuditEventRow]| {
        events
            .iter()
            .filter(|e| e.event_name == "AssumeRole")
            .map(|e| e.request_id.clone())
            .collect::<Vec<_>>()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while assumed(&events()).len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Anything more would be written within the writer's next batch.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let all = events();
    let mut ids = assumed(&all);
    assert_eq!(ids.len(), 2, "two AssumeRole calls, two events");
    ids.dedup();
    assert_eq!(ids.len(), 2, "each with its own request id");
    assert!(
        !all.iter()
            .any(|e| e.error_code.as_deref() == Some("ServiceFailure")),
        "a refused first attempt leaves no failure behind"
    );
}
