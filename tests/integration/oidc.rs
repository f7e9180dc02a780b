//! The OpenID Connect provider over HTTP: discovery, the authorization code flow with PKCE
//! through the portal's sign-in and consent, the token endpoint's grants and their refusals,
//! UserInfo, introspection, revocation, logout and key rotation. ID tokens are checked with
//! jsonwebtoken against the published JWKS, as a relying party would.

use crate::harness::{keyward, Backend, Server, TestDb, BACKENDS};
use crate::portal::{account, console_user, Browser, Page};
use crate::signer::Client;
use data_encoding::BASE64URL_NOPAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

const REDIRECT: &str = "http://localhost:8765/callback";
const LOGOUT_REDIRECT: &str = "http://localhost:8765/signed-out";
const VERIFIER: &str = "a-long-enough-pkce-code-verifier-of-the-relying-party-0123456789";

fn challenge(verifier: &str) -> String {
    BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()))
}

/// `keyward oidc client create ... --json`.
fn create_client(db: &TestDb, account: &str, args: &[&str]) -> Value {
    let out = keyward(db)
        .args(["oidc", "client", "create", "--account", account, "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn web_client(db: &TestDb, account: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec![
        "--name",
        "Photo App",
        "--redirect-uri",
        REDIRECT,
        "--post-logout-redirect-uri",
        LOGOUT_REDIRECT,
    ];
    args.extend_from_slice(extra);
    let c = create_client(db, account, &args);
    (
        c["client_id"].as_str().unwrap().to_string(),
        c["client_secret"].as_str().unwrap_or_default().to_string(),
    )
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn token(server: &Server, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> (u16, Value) {
    let mut request = http()
        .post(format!("{}/oauth2/token", server.url))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    (status, response.json().unwrap())
}

fn query_param(location: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn authorize_path(client_id: &str, extra: &str) -> String {
    format!(
        "/oauth2/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20profile%20email%20groups%20offline_access&state=st-1&nonce=n-1&code_challenge={}&code_challenge_method=S256{extra}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        challenge(VERIFIER)
    )
}

/// Runs the browser side of the flow for a signed-out browser: the authorization request,
/// the sign-in, the consent. Returns the redirect back to the client.
fn sign_in_and_consent(
    browser: &Browser,
    path: &str,
    account: &str,
    user: &str,
    password: &str,
) -> Page {
    let start = browser.get(path);
    assert_eq!(start.status, 303, "{}", start.body);
    assert_eq!(
        start.location.as_deref(),
        Some(format!("/signin/{account}").as_str())
    );
    // CSP's form-action covers a form's redirects: the sign-in form must be let end at the
    // client, and only while its request waits.
    let form = browser.get("/signin");
    let policy = form.headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("form-action 'self' http://localhost:8765;"),
        "{policy}"
    );
    let signed = browser.sign_in(account, user, password);
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(
        signed.location.as_deref(),
        Some("/oauth2/authorize/continue")
    );
    let consent = browser.get("/oauth2/authorize/continue");
    assert_eq!(consent.status, 200, "{}", consent.body);
    let policy = consent.headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("form-action 'self' http://localhost:8765;"),
        "{policy}"
    );
    assert!(consent.body.contains("Photo App"), "{}", consent.body);
    assert!(
        consent.body.contains("your email address"),
        "{}",
        consent.body
    );
    let allowed = browser.post(
        "/oauth2/authorize/consent",
        &[
            ("csrf_token", &consent.csrf()),
            ("request", &consent.hidden("request")),
            ("decision", "allow"),
        ],
    );
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    allowed
}

fn jwks(server: &Server) -> jsonwebtoken::jwk::JwkSet {
    http()
        .get(format!("{}/oauth2/jwks", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// Verifies a JWT against the published JWKS; returns its header and claims.
fn verify(server: &Server, jwt: &str, audience: &str) -> (jsonwebtoken::Header, Value) {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let set = jwks(server);
    let jwk = set
        .find(header.kid.as_deref().unwrap())
        .expect("the kid is published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[server.url.as_str()]);
    let data = jsonwebtoken::decode::<Value>(jwt, &key, &validation).unwrap();
    (header, data.claims)
}

fn tagged_user(admin: &Client, name: &str, password: &str) -> String {
    console_user(admin, name, password, false);
    let tagged = admin.post(&[
        ("Action", "TagUser"),
        ("UserName", name),
        ("Tags.member.1.Key", "email"),
        ("Tags.member.1.Value", "alice@example.com"),
        ("Tags.member.2.Key", "email_verified"),
        ("Tags.member.2.Value", "true"),
    ]);
    assert_eq!(tagged.status, 200, "{}", tagged.body);
    assert_eq!(
        admin
            .post(&[("Action", "CreateGroup"), ("GroupName", "photographers")])
            .status,
        200
    );
    let added = admin.post(&[
        ("Action", "AddUserToGroup"),
        ("GroupName", "photographers"),
        ("UserName", name),
    ]);
    assert_eq!(added.status, 200, "{}", added.body);
    let user = admin.post(&[("Action", "GetUser"), ("UserName", name)]);
    crate::signer::element(&user.body, "UserId").to_string()
}

#[test]
fn discovery_names_the_endpoints_and_every_published_key_verifies() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let config: Value = http()
        .get(format!("{}/.well-known/openid-configuration", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(config["issuer"], server.url.as_str());
    for (name, path) in [
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("userinfo_endpoint", "/oauth2/userinfo"),
        ("jwks_uri", "/oauth2/jwks"),
        ("end_session_endpoint", "/oauth2/logout"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("introspection_endpoint", "/oauth2/introspect"),
    ] {
        assert_eq!(config[name], format!("{}{path}", server.url), "{name}");
    }
    assert_eq!(
        config["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        config["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA"])
    );
    let set = jwks(&server);
    let algorithms: Vec<String> = set
        .keys
        .iter()
        .map(|k| k.common.key_algorithm.unwrap().to_string())
        .collect();
    assert_eq!(algorithms, ["RS256", "ES256", "EdDSA"]);
    for key in &set.keys {
        assert!(jsonwebtoken::DecodingKey::from_jwk(key).is_ok());
        assert_eq!(
            key.common.key_id.as_deref(),
            Some(
                key.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
                    .unwrap()
                    .as_str()
            ),
            "kids are RFC 7638 thumbprints"
        );
    }
}

#[test]
fn the_code_flow_with_pkce_signs_a_user_in_and_its_tokens_work_until_revoked() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let account = account(&server);
        let user_id = tagged_user(&admin, "alice", "Alice-Passw0rd-1");
        let (client_id, secret) = web_client(&db, &account, &["--signing-alg", "ES256"]);
        let browser = Browser::new(&server);

        let back = sign_in_and_consent(
            &browser,
            &authorize_path(&client_id, ""),
            &account,
            "alice",
            "Alice-Passw0rd-1",
        );
        let location = back.location.unwrap();
        assert!(location.starts_with(REDIRECT), "{location}");
        assert_eq!(query_param(&location, "state").as_deref(), Some("st-1"));
        assert_eq!(
            query_param(&location, "iss").as_deref(),
            Some(server.url.as_str())
        );
        let code = query_param(&location, "code").unwrap();

        let exchange = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        let (status, tokens) = token(&server, Some((&client_id, &secret)), &exchange);
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(tokens["token_type"], "Bearer");
        let id_token = tokens["id_token"].as_str().unwrap();
        let (header, claims) = verify(&server, id_token, &client_id);
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        assert_eq!(claims["sub"], user_id.as_str(), "sub is the stable user id");
        assert_eq!(claims["preferred_username"], "alice");
        assert_eq!(claims["email"], "alice@example.com");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["groups"], serde_json::json!(["photographers"]));
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
        assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());
        let access = tokens["access_token"].as_str().unwrap();
        let at_hash = BASE64URL_NOPAD.encode(&Sha256::digest(access.as_bytes())[..16]);
        assert_eq!(claims["at_hash"], at_hash.as_str());
        let (header, access_claims) = verify(&server, access, &client_id);
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(access_claims["client_id"], client_id.as_str());
        assert!(access_claims["jti"].as_str().is_some());

        let info: Value = http()
            .get(format!("{}/oauth2/userinfo", server.url))
            .bearer_auth(access)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(info["sub"], user_id.as_str());
        assert_eq!(info["email"], "alice@example.com");

        // The code works once; its second use revokes what the first one gave.
        let (status, replayed) = token(&server, Some((&client_id, &secret)), &exchange);
        assert_eq!(
            (status, replayed["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let refresh = tokens["refresh_token"].as_str().unwrap();
        let (status, after) = token(
            &server,
            Some((&client_id, &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        );
        assert_eq!(
            (status, after["error"].as_str()),
            (400, Some("invalid_grant")),
            "{after}"
        );
        let info = http()
            .get(format!("{}/oauth2/userinfo", server.url))
            .bearer_auth(access)
            .send()
            .unwrap();
        assert_eq!(info.status(), 401);
        assert!(info.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token"));
    }
}

/// A first-party (no-consent) client's tokens for `user`, through the code flow in `browser`.
fn tokens_for(
    server: &Server,
    browser: &Browser,
    account: &str,
    auth: Option<(&str, &str)>,
    user: &str,
    password: &str,
) -> Value {
    let (client_id, _) = auth.unwrap();
    let start = browser.get(&authorize_path(client_id, ""));
    assert_eq!(start.status, 303);
    browser.sign_in(account, user, password);
    let back = browser.get("/oauth2/authorize/continue");
    assert_eq!(
        back.status, 303,
        "no consent page for a first-party client: {}",
        back.body
    );
    let code = query_param(back.location.as_deref().unwrap(), "code").unwrap();
    let (status, tokens) = token(
        server,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    );
    assert_eq!(status, 200, "{tokens}");
    tokens
}

#[test]
fn a_reset_changed_or_removed_password_ends_the_users_other_sessions_and_grants() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "bob", "Bob-Passw0rd-123", false);
    let (client_id, secret) = web_client(&db, &account, &["--no-consent"]);
    let auth = Some((client_id.as_str(), secret.as_str()));
    let refresh = |tokens: &Value| {
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        let grant = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        let (status, answer) = token(&server, auth, &grant);
        (status, answer["error"].as_str().map(str::to_string))
    };
    let signed_out = |b: &Browser| b.get("/console").location.as_deref() == Some("/signin");
    let refused = (400, Some("invalid_grant".to_string()));

    // An administrator resets the password: every session and grant (offline ones too) ends.
    let browser = Browser::new(&server);
    let tokens = tokens_for(&server, &browser, &account, auth, "bob", "Bob-Passw0rd-123");
    let reset = admin.post(&[
        ("Action", "UpdateLoginProfile"),
        ("UserName", "bob"),
        ("Password", "Bob-Reset-Passw0rd-456"),
    ]);
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(
        signed_out(&browser),
        "the session ended with the old password"
    );
    assert_eq!(refresh(&tokens), refused);

    // Bob changes it himself: his other browser is signed out, the one he used is not.
    let mine = Browser::new(&server);
    let tokens = tokens_for(
        &server,
        &mine,
        &account,
        auth,
        "bob",
        "Bob-Reset-Passw0rd-456",
    );
    let other = Browser::new(&server);
    other.sign_in(&account, "bob", "Bob-Reset-Passw0rd-456");
    assert!(!signed_out(&other));
    let form = mine.get("/console/password");
    let changed = mine.post(
        "/console/password",
        &[
            ("csrf_token", &form.csrf()),
            ("old_password", "Bob-Reset-Passw0rd-456"),
            ("new_password", "Bob-Own-Passw0rd-789"),
            ("confirm_password", "Bob-Own-Passw0rd-789"),
        ],
    );
    assert_eq!(
        changed.location.as_deref(),
        Some("/console"),
        "{}",
        changed.body
    );
    assert!(signed_out(&other), "the other session ended");
    assert!(!signed_out(&mine), "the session that changed it goes on");
    assert_eq!(refresh(&tokens), refused);

    // The console password is removed: no refresh any more.
    let tokens = tokens_for(
        &server,
        &other,
        &account,
        auth,
        "bob",
        "Bob-Own-Passw0rd-789",
    );
    let removed = admin.post(&[("Action", "DeleteLoginProfile"), ("UserName", "bob")]);
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(refresh(&tokens), refused);
}

#[test]
fn refresh_tokens_rotate_and_a_reused_one_revokes_its_grant() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "bob", "Bob-Passw0rd-123", false);
    let (client_id, secret) = web_client(&db, &account, &["--no-consent"]);
    let browser = Browser::new(&server);
    let auth = Some((client_id.as_str(), secret.as_str()));
    let first = tokens_for(&server, &browser, &account, auth, "bob", "Bob-Passw0rd-123");
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let (status, second) = token(
        &server,
        auth,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
    );
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2, "each refresh gives a new refresh token");
    verify(&server, second["id_token"].as_str().unwrap(), &client_id);
    let narrowed = token(
        &server,
        auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r2),
            ("scope", "openid admin"),
        ],
    );
    assert_eq!(
        narrowed.1["error"], "invalid_scope",
        "a refresh cannot widen the grant"
    );

    // r1 again: a thief or a bug; the whole grant goes, r2 included.
    let (status, reuse) = token(
        &server,
        auth,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
    );
    assert_eq!(
        (status, reuse["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = token(
        &server,
        auth,
        &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
    );
    assert_eq!(status, 400);
    let introspected: Value = http()
        .post(format!("{}/oauth2/introspect", server.url))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("token", second["access_token"].as_str().unwrap())])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(introspected["active"], false);
}

#[test]
fn refusals_follow_rfc_6749() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "carol", "Carol-Passw0rd-1", false);
    let (client_id, secret) = web_client(&db, &account, &["--no-consent"]);
    let browser = Browser::new(&server);

    // A redirect URI that is not registered is never redirected to.
    let wrong = browser.get(&authorize_path(&client_id, "").replace("8765", "9999"));
    assert_eq!(wrong.status, 400);
    assert!(wrong.location.is_none());
    let unknown = browser.get(&authorize_path("no-such-client", ""));
    assert_eq!(unknown.status, 400);
    let policy = browser.get("/signin").headers["content-security-policy"].clone();
    assert!(
        policy.to_str().unwrap().contains("form-action 'self';"),
        "no request waits: forms post only here"
    );

    // prompt=none without a session: the client hears login_required.
    let none = browser.get(&authorize_path(&client_id, "&prompt=none"));
    assert_eq!(none.status, 303);
    let location = none.location.unwrap();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-1"));

    // The same request as a form POST, as OpenID Connect allows.
    let posted = browser.post(
        "/oauth2/authorize",
        &[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "st-2"),
            ("prompt", "none"),
            ("code_challenge", challenge(VERIFIER).as_str()),
            ("code_challenge_method", "S256"),
        ],
    );
    let location = posted.location.unwrap();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-2"));

    // Only S256.
    let plain = browser.get(
        &authorize_path(&client_id, "")
            .replace("code_challenge_method=S256", "code_challenge_method=plain"),
    );
    assert_eq!(
        query_param(plain.location.as_deref().unwrap(), "error").as_deref(),
        Some("invalid_request")
    );

    let (status, e) = token(
        &server,
        Some((&client_id, "wrong-secret")),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
    let (status, e) = token(
        &server,
        Some((&client_id, &secret)),
        &[("grant_type", "password")],
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, e) = token(
        &server,
        Some((&client_id, &secret)),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let (status, e) = token(
        &server,
        Some((&client_id, &secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", "made-up"),
            ("redirect_uri", REDIRECT),
        ],
    );
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));

    // A bad verifier spends the code.
    browser.get(&authorize_path(&client_id, ""));
    browser.sign_in(&account, "carol", "Carol-Passw0rd-1");
    let back = browser.get("/oauth2/authorize/continue");
    let code = query_param(back.location.as_deref().unwrap(), "code").unwrap();
    let bad = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", "x".repeat(50).leak() as &str),
    ];
    let (status, e) = token(&server, Some((&client_id, &secret)), &bad);
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    let good = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    assert_eq!(token(&server, Some((&client_id, &secret)), &good).0, 400);

    // With a session, prompt=none goes straight back with a code.
    let silent = browser.get(&authorize_path(&client_id, "&prompt=none"));
    assert!(
        query_param(silent.location.as_deref().unwrap(), "code").is_some(),
        "{:?}",
        silent.location
    );
}

#[test]
fn client_credentials_issues_jwt_access_tokens_that_introspection_and_revocation_know() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let account = account(&server);
    for alg in ["RS256", "ES256", "EdDSA"] {
        let c = create_client(
            &db,
            &account,
            &[
                "--name",
                "svc",
                "--grant-type",
                "client_credentials",
                "--scope",
                "orders:read",
                "--scope",
                "orders:write",
                "--signing-alg",
                alg,
            ],
        );
        let id = c["client_id"].as_str().unwrap();
        let secret = c["client_secret"].as_str().unwrap();
        let (status, t) = token(
            &server,
            Some((id, secret)),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "orders:read"),
            ],
        );
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["scope"], "orders:read");
        let (header, claims) = verify(&server, t["access_token"].as_str().unwrap(), id);
        assert_eq!(format!("{:?}", header.alg), alg);
        assert_eq!(claims["sub"], id);
        let (_, e) = token(
            &server,
            Some((id, secret)),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "orders:delete"),
            ],
        );
        assert_eq!(e["error"], "invalid_scope");
        // client_secret_post is not how this client registered.
        let (status, e) = token(
            &server,
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
        );
        assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));

        let access = t["access_token"].as_str().unwrap();
        let introspect = |token: &str| -> Value {
            http()
                .post(format!("{}/oauth2/introspect", server.url))
                .basic_auth(id, Some(secret))
                .form(&[("token", token)])
                .send()
                .unwrap()
                .json()
                .unwrap()
        };
        assert_eq!(introspect(access)["active"], true);
        assert_eq!(introspect(access)["scope"], "orders:read");
        let revoked = http()
            .post(format!("{}/oauth2/revoke", server.url))
            .basic_auth(id, Some(secret))
            .form(&[("token", access)])
            .send()
            .unwrap();
        assert_eq!(revoked.status(), 200);
        assert_eq!(introspect(access)["active"], false);
        assert_eq!(introspect("not-a-token")["active"], false);
    }
}

#[test]
fn browser_apps_on_other_origins_may_call_the_token_userinfo_and_revocation_endpoints() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    for path in ["/oauth2/token", "/oauth2/userinfo", "/oauth2/revoke"] {
        let preflight = http()
            .request(reqwest::Method::OPTIONS, format!("{}{path}", server.url))
            .header("origin", "https://spa.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .send()
            .unwrap();
        assert_eq!(preflight.status(), 204, "{path}");
        let h = preflight.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        assert!(h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Authorization"));
        assert!(
            h.get("access-control-allow-credentials").is_none(),
            "no cookies cross"
        );
    }
    let refused = http()
        .post(format!("{}/oauth2/token", server.url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
        ])
        .send()
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["access-control-allow-origin"],
        "*",
        "errors are readable too"
    );
    // The pages of the sign-in flow are not for other origins.
    let page = http()
        .get(format!("{}/oauth2/authorize", server.url))
        .send()
        .unwrap();
    assert!(page.headers().get("access-control-allow-origin").is_none());
}

#[test]
fn logout_with_an_id_token_hint_ends_the_session_and_its_grants() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "dave", "Dave-Passw0rd-12", false);
    let (client_id, secret) = web_client(&db, &account, &["--no-consent"]);
    let browser = Browser::new(&server);
    // Without offline_access: the grant belongs to the session.
    let path = authorize_path(&client_id, "").replace("%20offline_access", "");
    browser.get(&path);
    browser.sign_in(&account, "dave", "Dave-Passw0rd-12");
    let back = browser.get("/oauth2/authorize/continue");
    let code = query_param(back.location.as_deref().unwrap(), "code").unwrap();
    let auth = Some((client_id.as_str(), secret.as_str()));
    let (_, tokens) = token(
        &server,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    );
    let id_token = tokens["id_token"].as_str().unwrap();

    // Another site's link without a hint only asks.
    let asked = browser.get("/oauth2/logout");
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Sign out?"), "{}", asked.body);
    assert_eq!(browser.get("/console").status, 200, "still signed in");

    let wrong = browser.get(&format!(
        "/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"
    ));
    assert_eq!(wrong.status, 400);
    let out = browser.get(&format!(
        "/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
        url::form_urlencoded::byte_serialize(LOGOUT_REDIRECT.as_bytes()).collect::<String>()
    ));
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(
        out.location.as_deref(),
        Some(format!("{LOGOUT_REDIRECT}?state=bye").as_str())
    );
    assert_eq!(browser.get("/console").location.as_deref(), Some("/signin"));
    let (status, _) = token(
        &server,
        auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    );
    assert_eq!(status, 400, "the session's refresh token ended with it");
}

#[test]
fn tokens_signed_before_a_rotation_verify_until_they_expire() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let account = account(&server);
    let c = create_client(
        &db,
        &account,
        &[
            "--name",
            "svc",
            "--grant-type",
            "client_credentials",
            "--scope",
            "a",
            "--signing-alg",
            "ES256",
        ],
    );
    let (id, secret) = (
        c["client_id"].as_str().unwrap(),
        c["client_secret"].as_str().unwrap(),
    );
    let issue = || {
        token(
            &server,
            Some((id, secret)),
            &[("grant_type", "client_credentials")],
        )
        .1["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let before = issue();
    let old_kid = jsonwebtoken::decode_header(&before).unwrap().kid.unwrap();

    let scheduled = keyward(&db).args(["oidc", "rotate-keys"]).output().unwrap();
    assert!(
        scheduled.status.success(),
        "{}",
        String::from_utf8_lossy(&scheduled.stderr)
    );
    assert!(
        crate::signer::eventually(|| jwks(&server).keys.len() == 6),
        "successors are published ahead"
    );
    assert_eq!(
        jsonwebtoken::decode_header(issue()).unwrap().kid.unwrap(),
        old_kid,
        "but do not sign yet"
    );

    let now = keyward(&db)
        .args(["oidc", "rotate-keys", "--now"])
        .output()
        .unwrap();
    assert!(now.status.success());
    assert!(crate::signer::eventually(|| jsonwebtoken::decode_header(
        issue()
    )
    .unwrap()
    .kid
    .unwrap()
        != old_kid));
    let after = issue();
    verify(&server, &after, id);
    verify(&server, &before, id);
    assert!(
        jwks(&server).find(&old_kid).is_some(),
        "the old key stays published"
    );
}

/// The value of a fact (`<dt>term</dt><dd>value</dd>`) on a console page.
fn fact(page: &str, term: &str) -> String {
    let marker = format!("<dt>{term}</dt><dd>");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {term} on {page}"))
        + marker.len();
    let end = page[start..].find("</dd>").unwrap();
    page[start..start + end].to_string()
}

#[test]
fn the_console_registers_applications_under_iam_and_users_withdraw_their_consent() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "ops", "Ops-Passw0rd-123", false);
    let attached = admin.post(&[
        ("Action", "AttachUserPolicy"),
        ("UserName", "ops"),
        ("PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ]);
    assert_eq!(attached.status, 200, "{}", attached.body);
    console_user(&admin, "erin", "Erin-Passw0rd-123", false);

    let ops = Browser::new(&server);
    assert_eq!(ops.sign_in(&account, "ops", "Ops-Passw0rd-123").status, 303);
    let created = ops.submit(
        "/console/oidc-clients",
        "/console/oidc-clients",
        &[
            ("name", "Photo App"),
            ("redirect_uris", REDIRECT),
            ("auth_method", "client_secret_basic"),
            ("grant_authorization_code", "on"),
            ("grant_refresh_token", "on"),
            ("alg", "ES256"),
            ("consent", "on"),
        ],
    );
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created
        .body
        .contains("only time the client secret can be seen"));
    let client_id = fact(&created.body, "Client ID");
    let secret = fact(&created.body, "Client secret");
    let shown = ops.get(&format!("/console/oidc-clients/{client_id}"));
    assert!(
        shown.body.contains("ES256") && !shown.body.contains(&secret),
        "the secret is shown once"
    );
    let bad = ops.submit(
        "/console/oidc-clients",
        "/console/oidc-clients",
        &[
            ("name", "Bad"),
            ("redirect_uris", "http://evil.example/cb"),
            ("grant_authorization_code", "on"),
        ],
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("only https"), "{}", bad.body);

    // Erin has no IAM permissions: the console refuses her what the API would.
    let erin = Browser::new(&server);
    let back = sign_in_and_consent(
        &erin,
        &authorize_path(&client_id, ""),
        &account,
        "erin",
        "Erin-Passw0rd-123",
    );
    let code = query_param(back.location.as_deref().unwrap(), "code").unwrap();
    let listing = erin.get("/console/oidc-clients");
    assert!(
        listing
            .body
            .contains("is not authorized to perform: keyward:ListOidcClients"),
        "{}",
        listing.body
    );
    let auth = Some((client_id.as_str(), secret.as_str()));
    let (status, tokens) = token(
        &server,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    );
    assert_eq!(status, 200, "{tokens}");

    let connected = erin.get("/console/applications");
    assert!(connected.body.contains("Photo App"), "{}", connected.body);
    let withdrawn = erin.submit(
        "/console/applications",
        "/console/applications/withdraw",
        &[("client_id", &client_id)],
    );
    assert_eq!(
        withdrawn.location.as_deref(),
        Some("/console/applications?done=withdrawn")
    );
    assert!(!erin.get("/console/applications").body.contains("Photo App"));
    let (status, _) = token(
        &server,
        auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    );
    assert_eq!(status, 400, "withdrawing the consent revoked the grant");
    // The next sign-in asks again.
    let again = erin.get(&authorize_path(&client_id, ""));
    assert_eq!(again.status, 200);
    assert!(again.body.contains("Allow Photo App?"));

    let deleted = ops.submit(
        &format!("/console/oidc-clients/{client_id}"),
        &format!("/console/oidc-clients/{client_id}/delete"),
        &[],
    );
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    let (status, e) = token(&server, auth, &[("grant_type", "client_credentials")]);
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
}

/// A consent page's answer applies to the request it showed: after the browser was sent to
/// another client's authorization request, "Allow" on the first page grants nothing.
#[test]
fn a_consent_page_answers_only_the_request_it_showed() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "cleo", "Cleo-Passw0rd-1", false);
    let (photos, _) = web_client(&db, &account, &[]);
    let reader = create_client(
        &db,
        &account,
        &["--name", "Mail Reader", "--redirect-uri", REDIRECT],
    );
    let reader = reader["client_id"].as_str().unwrap();
    let browser = Browser::new(&server);
    assert_eq!(browser.get(&authorize_path(&photos, "")).status, 303);
    browser.sign_in(&account, "cleo", "Cleo-Passw0rd-1");
    let photos_page = browser.get("/oauth2/authorize/continue");
    assert!(
        photos_page.body.contains("Allow Photo App?"),
        "{}",
        photos_page.body
    );
    // Another site sends the browser to the reader's request; its page replaces the first.
    let reader_page = browser.get(&authorize_path(reader, ""));
    assert!(
        reader_page.body.contains("Allow Mail Reader?"),
        "{}",
        reader_page.body
    );
    let answer = |page: &Page| {
        browser.post(
            "/oauth2/authorize/consent",
            &[
                ("csrf_token", &page.csrf()),
                ("request", &page.hidden("request")),
                ("decision", "allow"),
            ],
        )
    };
    let stale = answer(&photos_page);
    assert_eq!(
        stale.status, 200,
        "no code for the reader: {:?}",
        stale.location
    );
    assert!(stale.body.contains("Allow Mail Reader?"), "{}", stale.body);
    let allowed = answer(&stale);
    let location = allowed.location.unwrap_or_default();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert!(query_param(&location, "code").is_some());
}
