//! The token endpoint's grants and refusals: refresh token rotation and reuse, RFC 6749's
//! errors, client credentials with introspection and revocation, tokens across a key rotation,
//! and `private_key_jwt` clients with public keys only.

use super::*;

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
fn a_scope_taken_from_a_client_leaves_its_grants_at_their_next_refresh() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "bob", "Bob-Passw0rd-123", false);
    let (client_id, secret) = web_client(&db, &account, &["--no-consent"]);
    let browser = Browser::new(&server);
    let auth = Some((client_id.as_str(), secret.as_str()));
    let first = tokens_for(&server, &browser, &account, auth, "bob", "Bob-Passw0rd-123");
    assert!(
        first["scope"].as_str().unwrap().contains("email"),
        "{first}"
    );
    let (status, edited) = admin.keyward_json(
        "PATCH",
        &format!("/keyward/oidc/clients/{client_id}"),
        Some(&serde_json::json!({ "scope": "openid offline_access" })),
    );
    assert_eq!(status, 200, "{edited}");
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, next) = token(
        &server,
        auth,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    );
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["scope"], "openid offline_access");
    let (_, claims) = verify(&server, next["id_token"].as_str().unwrap(), &client_id);
    assert!(claims.get("email").is_none(), "{claims}");
    let (status, e) = token(
        &server,
        auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", next["refresh_token"].as_str().unwrap()),
            ("scope", "openid email"),
        ],
    );
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_scope")));
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

/// `private_key_jwt` clients register public keys only. A symmetric (`oct`) key or a key with
/// private members is refused by the CLI (the API and the console share its rules); a client
/// stored with an `oct` key before the rule existed is refused at the token endpoint, and its
/// key is not shown by the client listing.
#[test]
fn private_key_jwt_clients_have_public_keys_only() {
    use diesel::prelude::*;
    use keyward::storage::schema::oidc_clients;
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let account = account(&server);
    let secret = "a-shared-secret-that-the-client-api-would-show";
    let oct = serde_json::json!({
        "kty": "oct", "alg": "HS256", "kid": "s",
        "k": BASE64URL_NOPAD.encode(secret.as_bytes()),
    });
    let rsa_private = serde_json::json!({
        "kty": "RSA", "alg": "RS256", "kid": "r",
        "n": BASE64URL_NOPAD.encode(&[0xc5; 256]), "e": "AQAB",
        "d": BASE64URL_NOPAD.encode(&[0x17; 256]),
    });
    let service = [
        "--name",
        "svc",
        "--grant-type",
        "client_credentials",
        "--scope",
        "orders:read",
    ];
    for key in [&oct, &rsa_private] {
        let file = db.data_dir().join("jwks.json");
        std::fs::write(&file, serde_json::json!({ "keys": [key] }).to_string()).unwrap();
        let out = keyward(&db)
            .args(["oidc", "client", "create", "--account", &account, "--json"])
            .args(service)
            .args(["--auth-method", "private_key_jwt", "--jwks"])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{key} was registered");
        assert!(stderr.contains("jwks"), "{stderr}");
    }

    // A client stored with a symmetric key (as an old store may hold one).
    let c = create_client(&db, &account, &service);
    let id = c["client_id"].as_str().unwrap().to_string();
    let ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    ctx.store
        .write(|conn| {
            diesel::update(oidc_clients::table.find(&id))
                .set((
                    oidc_clients::auth_method.eq("private_key_jwt"),
                    oidc_clients::secret_hash.eq(None::<String>),
                    oidc_clients::jwks.eq(serde_json::json!({ "keys": [&oct] }).to_string()),
                ))
                .execute(conn)
                .map_err(keyward::storage::StorageError::from)
        })
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": id, "sub": id, "aud": format!("{}/oauth2/token", server.url),
        "exp": now + 60, "jti": "one",
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("s".into());
    let assertion = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let (status, e) = token(
        &server,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ],
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (401, Some("invalid_client")),
        "{e}"
    );
    let listed = keyward(&db)
        .args(["oidc", "client", "list", "--account", &account, "--json"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains(&id), "{listed}");
    assert!(
        !listed.contains(&BASE64URL_NOPAD.encode(secret.as_bytes())),
        "{listed}"
    );
}
