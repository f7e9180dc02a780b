//! Discovery and the authorization code flow with PKCE: the published keys, a user signed in
//! through the portal with tokens that work until revoked, browser apps on other origins, and
//! a consent page that answers only the request it showed.

use super::*;

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
        let user_id = profile_user(&admin, "alice", "Alice-Passw0rd-1");
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
