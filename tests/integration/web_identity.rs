//! AssumeRoleWithWebIdentity over HTTP, on both stores, with Keyward's own OpenID Connect
//! provider as the external provider (its issuer is plain http on loopback, which only the test
//! setting KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS admits): the provider registered in IAM, a role
//! trusting it on `:sub`, credentials that act as the role, and the jti-once setting that makes
//! a token work once per role. tests/e2e/test_web_identity.py drives an external provider
//! nobody here wrote, over https with its thumbprint.

use crate::harness::{keyward, Server, TestDb, BACKENDS};
use crate::oidc::token;
use crate::portal::account;
use crate::signer::Client;
use data_encoding::BASE64URL_NOPAD;
use serde_json::Value;
use std::time::Duration;

/// A client_credentials client of `account`'s provider: (id, secret).
fn service_client(db: &TestDb, account: &str) -> (String, String) {
    let out = keyward(db)
        .args(["oidc", "client", "create", "--account", account, "--json"])
        .args(["--name", "ci", "--grant-type", "client_credentials"])
        .args(["--scope", "deploy"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        c["client_id"].as_str().unwrap().to_string(),
        c["client_secret"].as_str().unwrap().to_string(),
    )
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&BASE64URL_NOPAD.decode(payload.as_bytes()).unwrap()).unwrap()
}

/// An unsigned AssumeRoleWithWebIdentity: (status, body).
fn assume(server: &Server, role_arn: &str, jwt: &str) -> (u16, String) {
    let form = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", role_arn),
        ("RoleSessionName", "ci-run"),
        ("WebIdentityToken", jwt),
    ];
    let answer = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .post(format!("{}/", server.url))
        .form(&form)
        .send()
        .unwrap();
    (answer.status().as_u16(), answer.text().unwrap())
}

fn element<'a>(body: &'a str, name: &str) -> &'a str {
    let start = body
        .find(&format!("<{name}>"))
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        + name.len()
        + 2;
    let end = body[start..].find(&format!("</{name}>")).unwrap() + start;
    &body[start..end]
}

#[test]
fn a_token_of_a_trusted_provider_becomes_the_role_once_per_token() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(
            &db,
            &[
                ("KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS", "true"),
                ("KEYWARD_WEB_IDENTITY_JTI_ONCE", "true"),
            ],
        );
        let admin = Client::for_server(&server, &db);
        let account = account(&server);
        let (id, secret) = service_client(&db, &account);
        let new_token = || {
            let (status, t) = token(
                &server,
                Some((&id, &secret)),
                &[("grant_type", "client_credentials")],
            );
            assert_eq!(status, 200, "{t}");
            t["access_token"].as_str().unwrap().to_string()
        };
        let first = new_token();
        let issued = claims(&first);
        let created = admin.post(&[
            ("Action", "CreateOpenIDConnectProvider"),
            ("Url", &server.url),
            ("ClientIDList.member.1", issued["aud"].as_str().unwrap()),
        ]);
        assert_eq!(created.status, 200, "{backend:?}: {}", created.body);
        let host = server.url.trim_start_matches("http://");
        let provider = format!("arn:aws:iam::{account}:oidc-provider/{host}");
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {format!("{host}:sub"): issued["sub"]}},
            }],
        });
        let role = admin.post(&[
            ("Action", "CreateRole"),
            ("RoleName", "ci"),
            ("AssumeRolePolicyDocument", &trust.to_string()),
        ]);
        assert_eq!(role.status, 200, "{}", role.body);
        let role_arn = format!("arn:aws:iam::{account}:role/ci");

        let (status, body) = assume(&server, &role_arn, &first);
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert_eq!(
            element(&body, "Arn"),
            format!("arn:aws:sts::{account}:assumed-role/ci/ci-run")
        );
        assert_eq!(element(&body, "SubjectFromWebIdentityToken"), issued["sub"]);
        assert_eq!(element(&body, "Provider"), provider);
        assert_eq!(element(&body, "Audience"), issued["aud"]);
        // The credentials act as the role.
        let session = admin.sts().with_credentials_from(&body);
        let me = session.post(&[("Action", "GetCallerIdentity")]);
        assert!(me.body.contains("assumed-role/ci/ci-run"), "{}", me.body);

        // With jti-once, the same token again is refused; a new token works.
        let (status, again) = assume(&server, &role_arn, &first);
        assert_eq!(status, 400, "{again}");
        assert!(
            again.contains("<Code>InvalidIdentityToken</Code>"),
            "{again}"
        );
        assert!(again.contains("already used"), "{again}");
        assert_eq!(assume(&server, &role_arn, &new_token()).0, 200);

        // Another provider's subject, or a role that does not trust the provider, is refused
        // alike, naming nothing about the role.
        let other = admin.post(&[
            ("Action", "CreateRole"),
            ("RoleName", "other"),
            (
                "AssumeRolePolicyDocument",
                &trust
                    .to_string()
                    .replace(issued["sub"].as_str().unwrap(), "someone-else"),
            ),
        ]);
        assert_eq!(other.status, 200, "{}", other.body);
        for role in ["other", "missing"] {
            let (status, body) = assume(
                &server,
                &format!("arn:aws:iam::{account}:role/{role}"),
                &new_token(),
            );
            assert_eq!(status, 403, "{body}");
            assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        }
    }
}

#[test]
fn plain_http_issuers_need_the_test_setting() {
    let db = TestDb::new(crate::harness::Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let refused = admin.post(&[
        ("Action", "CreateOpenIDConnectProvider"),
        ("Url", &server.url),
        ("ClientIDList.member.1", "sts"),
    ]);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("ValidationError"), "{}", refused.body);
}
