//! `keyward serve`: first start, restart, health, metrics, request ids, logs, settings.

use crate::harness::{banner_value, keyward, Backend, Server, TestDb, BACKENDS};
use diesel::prelude::*;
use keyward::audit;
use keyward::iam::access_keys;
use keyward::secrets::{ExposeSecret, MasterKey, SecretString};
use keyward::storage::ids::AccessKeyId;
use keyward::storage::schema::{access_keys as keys_table, root_users};
use keyward::storage::Store;
use std::process::Command;

/// Reads an INI file with Python's configparser, as the AWS CLI and boto3 do.
fn python_ini(path: &std::path::Path, section: &str, key: &str) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import configparser, sys\n\
             c = configparser.ConfigParser()\n\
             assert c.read(sys.argv[1]) == [sys.argv[1]]\n\
             print(c[sys.argv[2]][sys.argv[3]])",
        )
        .arg(path)
        .arg(section)
        .arg(key)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn first_start_bootstraps_then_restarts_reuse_everything(backend: Backend) {
    let db = TestDb::new(backend);
    let server = Server::start(&db, &[]);
    let url = server.url.clone();
    let (status, out, err) = server.stop();
    assert!(
        status.success(),
        "graceful stop on SIGTERM: {status}\n{err}"
    );

    let account = banner_value(&out, "account").unwrap();
    assert!(
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
        "{out}"
    );
    assert_eq!(
        banner_value(&out, "console sign-in").unwrap(),
        format!("{url}/signin/{account}")
    );
    let root_password =
        banner_value(&out, "root password").expect("root password printed on first start");
    assert!(root_password.len() >= 20);
    let key_id = banner_value(&out, "admin access key")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(AccessKeyId::is_well_formed(&key_id), "{key_id}");

    // The AWS files: parsed as the AWS CLI parses them, private, pointing at this server.
    let credentials = db.data_dir().join("credentials");
    let config = db.data_dir().join("config");
    assert_eq!(mode(&credentials), 0o600);
    assert_eq!(mode(&db.data_dir().join("master.key")), 0o600);
    assert_eq!(
        python_ini(&credentials, "keyward", "aws_access_key_id"),
        key_id
    );
    let secret = python_ini(&credentials, "keyward", "aws_secret_access_key");
    assert_eq!(secret.len(), 40);
    assert_eq!(python_ini(&config, "profile keyward", "endpoint_url"), url);
    assert_eq!(
        python_ini(&config, "profile keyward", "region"),
        "us-east-1"
    );

    // Secrets are never logged, and the root password is stored only as an argon2id hash.
    assert!(
        !err.contains(&root_password) && !err.contains(&secret),
        "{err}"
    );
    let store = Store::open(&db.store_settings()).unwrap();
    let mut conn = store.connection().unwrap();
    let hash: String = root_users::table
        .select(root_users::password_hash)
        .first(&mut conn)
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&root_password));
    assert!(
        keyward::auth::password::verify(&SecretString::from(root_password.clone()), &hash).unwrap()
    );

    // The sealed key opens with the data directory's master key to the file's secret, and a
    // wrong master key fails cleanly.
    let sealed: String = keys_table::table
        .find(&key_id)
        .select(keys_table::sealed_secret)
        .first(&mut conn)
        .unwrap();
    assert!(!sealed.contains(&secret));
    let key_text = std::fs::read_to_string(db.data_dir().join("master.key")).unwrap();
    let master = MasterKey::from_base64(&SecretString::from(key_text)).unwrap();
    let id = AccessKeyId::from_stored(key_id.clone());
    assert_eq!(
        access_keys::unseal(&master, &id, &sealed)
            .unwrap()
            .expose_secret(),
        secret
    );
    let wrong = MasterKey::from_bytes(&[0u8; 32]);
    assert!(access_keys::unseal(&wrong, &id, &sealed).is_err());

    // The bootstrap is audited, without secrets.
    let events = audit::list_for_account(&mut conn, &account).unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event_name.as_str()).collect();
    for expected in [
        "CreateAccount",
        "CreateLoginProfile",
        "CreateUser",
        "CreateGroup",
        "AttachGroupPolicy",
        "AddUserToGroup",
        "CreateAccessKey",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for e in &events {
        let text = format!("{:?}", e);
        assert!(!text.contains(&secret) && !text.contains(&root_password));
    }
    drop(conn);

    // A second start: same account, no new secrets, credentials untouched.
    let before = std::fs::read(&credentials).unwrap();
    let server = Server::start(&db, &[]);
    let (status, out2, _) = server.stop();
    assert!(status.success());
    assert_eq!(banner_value(&out2, "account").unwrap(), account);
    assert!(banner_value(&out2, "root password").is_none(), "{out2}");
    assert!(!out2.contains(&secret));
    assert_eq!(std::fs::read(&credentials).unwrap(), before);
    let mut conn = store.connection().unwrap();
    let users: i64 = keyward::storage::schema::users::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(users, 1, "no second admin");
}

#[test]
fn first_start_bootstraps_then_restarts_reuse_everything_embedded() {
    first_start_bootstraps_then_restarts_reuse_everything(Backend::Sqlite);
}

#[test]
fn first_start_bootstraps_then_restarts_reuse_everything_postgres() {
    first_start_bootstraps_then_restarts_reuse_everything(Backend::Postgres);
}

#[test]
fn health_readiness_metrics_and_request_ids() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let health = server.get("/healthz").unwrap();
        assert_eq!(health.status(), 200);
        let first_id = health.headers()["x-amzn-requestid"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(health.text().unwrap(), "ok\n");
        let ready = server.get("/readyz").unwrap();
        assert_eq!(ready.status(), 200, "{backend:?}");
        let second_id = ready.headers()["x-amzn-requestid"]
            .to_str()
            .unwrap()
            .to_string();
        assert_ne!(first_id, second_id, "every response has its own request id");
        assert_eq!(first_id.len(), 36);

        let missing = server.get("/no/such/page").unwrap();
        assert_eq!(missing.status(), 404);
        assert!(missing.headers().contains_key("x-amzn-requestid"));

        let metrics = server.get("/metrics").unwrap();
        assert_eq!(metrics.status(), 200);
        assert!(metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        let text = metrics.text().unwrap();
        assert!(
            text.contains(
                r#"keyward_http_requests_total{method="GET",route="/healthz",status="200"} "#
            ),
            "{text}"
        );
        assert!(text.contains(
            r#"keyward_http_requests_total{method="GET",route="unmatched",status="404"} 1"#
        ));
        assert!(text.contains(r#"keyward_http_request_duration_seconds_bucket{method="GET",route="/readyz",status="200",le="0.005"}"#));
        let (status, _, _) = server.stop();
        assert!(status.success());
    }
}

#[test]
fn made_up_http_methods_share_one_metrics_series() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let client = reqwest::blocking::Client::new();
    for made_up in ["BREW", "XYZZY1", "XYZZY2"] {
        let method = reqwest::Method::from_bytes(made_up.as_bytes()).unwrap();
        client
            .request(method, format!("{}/healthz", server.url))
            .send()
            .unwrap();
    }
    let text = server.get("/metrics").unwrap().text().unwrap();
    assert!(!text.contains("XYZZY") && !text.contains("BREW"), "{text}");
    let other = text
        .lines()
        .filter(|l| l.starts_with("keyward_http_requests_total{method=\"other\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum::<u64>();
    assert_eq!(other, 3, "{text}");
}

#[test]
fn readiness_fails_when_the_store_is_gone() {
    let mut db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    assert_eq!(server.get("/readyz").unwrap().status(), 200);
    db.drop_database();
    assert_eq!(server.get("/readyz").unwrap().status(), 503);
    assert_eq!(
        server.get("/healthz").unwrap().status(),
        200,
        "alive all the same"
    );
}

#[test]
fn json_logs_carry_request_ids_and_unknown_variables_are_warned_about() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(
        &db,
        &[("KEYWARD_LOG_FORMAT", "json"), ("KEYWARD_LISTN", "typo")],
    );
    let id = server.get("/healthz").unwrap().headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let (_, _, err) = server.stop();
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines
        .iter()
        .any(|l| l["request_id"] == id.as_str() && l["path"] == "/healthz"));
    assert!(lines.iter().any(|l| l["variable"] == "KEYWARD_LISTN"));
}

#[test]
fn a_bad_database_url_is_one_clear_line_and_a_failure() {
    let db = TestDb::new(Backend::Sqlite);
    let cases = [
        (
            "postgres://postgres:sekrit@127.0.0.1:1/nope",
            "cannot use the database postgres://postgres:***@127.0.0.1:1/nope",
        ),
        ("mysql://db/k", "invalid database_url"),
    ];
    for (url, expected) in cases {
        let out = keyward(&db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("KEYWARD_DATABASE_URL", url)
            .env(
                "KEYWARD_MASTER_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            )
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.starts_with("keyward: error: ") && err.contains(expected),
            "{err}"
        );
        assert!(!err.contains("sekrit"));
    }
}

#[test]
fn help_documents_every_setting() {
    let out = Command::new(crate::harness::keyward_bin())
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for var in keyward::config::KNOWN_ENV {
        if *var != "KEYWARD_TEST_DATABASE_URL" {
            assert!(help.contains(var), "{var} missing from serve --help");
        }
    }
    let top = Command::new(crate::harness::keyward_bin())
        .arg("--help")
        .output()
        .unwrap();
    let top = String::from_utf8(top.stdout).unwrap();
    for command in ["serve", "migrate"] {
        assert!(top.contains(command));
    }
}
