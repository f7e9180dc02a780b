//! OIDC applications in the console: registered under IAM, and users withdrawing their consent.

use super::*;
use crate::portal::root_browser;

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
    // Post/redirect/get: the secret is shown once, on the application's page, never in a URL.
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.clone().unwrap_or_default();
    assert!(location.starts_with("/console/oidc-clients/"), "{location}");
    let client_id = location
        .trim_start_matches("/console/oidc-clients/")
        .to_string();
    let first = ops.get(&location);
    assert!(
        first.body.contains("Application Photo App registered."),
        "{}",
        first.body
    );
    assert!(first.body.contains("Shown this once"), "{}", first.body);
    let secret = fact(&first.body, "Client secret")
        .trim_start_matches("<code class=\"secret\">")
        .trim_end_matches("</code>")
        .to_string();
    assert!(secret.len() >= 32, "{secret}");
    assert!(!location.contains(&secret));
    let shown = ops.get(&location);
    assert!(
        shown.body.contains(r#"<option value="ES256" selected>"#) && !shown.body.contains(&secret),
        "the secret is shown once"
    );
    // A refused registration writes nothing and keeps what was typed.
    let bad = ops.submit(
        "/console/oidc-clients",
        "/console/oidc-clients",
        &[
            ("name", "Bad Registration"),
            ("redirect_uris", "http://evil.example/cb"),
            ("grant_authorization_code", "on"),
        ],
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("only https"), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"Bad Registration\""),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("http://evil.example/cb</textarea>"),
        "{}",
        bad.body
    );
    assert!(
        bad.body
            .contains("id=\"create-client-form-redirect_uris-error\""),
        "the reason is next to the field: {}",
        bad.body
    );
    let listed = ops.get("/console/oidc-clients");
    assert!(
        !listed.body.contains(">Bad Registration<"),
        "{}",
        listed.body
    );
    // Deleting asks first, naming what will be lost.
    let page = ops.get(&location);
    assert!(
        page.body.contains("Delete application Photo App?"),
        "{}",
        page.body
    );

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
    assert_eq!(withdrawn.location.as_deref(), Some("/console/applications"));
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

/// The secret in the one-time message on the page a rotation or a registration leads to.
fn shown_secret(page: &str) -> String {
    fact(page, "Client secret")
        .trim_start_matches("<code class=\"secret\">")
        .trim_end_matches("</code>")
        .to_string()
}

#[test]
fn the_console_edits_an_application_and_rotates_its_secret_with_a_grace_period() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let account = account(&server);
        let c = create_client(
            &db,
            &account,
            &[
                "--name",
                "Orders worker",
                "--grant-type",
                "client_credentials",
                "--scope",
                "orders:read",
            ],
        );
        let id = c["client_id"].as_str().unwrap().to_string();
        let first = c["client_secret"].as_str().unwrap().to_string();
        let get_token = |secret: &str| {
            token(
                &server,
                Some((id.as_str(), secret)),
                &[("grant_type", "client_credentials")],
            )
        };
        assert_eq!(get_token(&first).0, 200, "{backend:?}");
        let page = format!("/console/oidc-clients/{id}");
        let root = root_browser(&server);

        // The form starts from the registration; a change applies at the next request.
        let shown = root.get(&page);
        assert!(
            shown.body.contains("value=\"Orders worker\"") && shown.body.contains("value=\"3600\""),
            "{}",
            shown.body
        );
        let edit = format!("{page}/edit");
        let saved = root.submit(
            &page,
            &edit,
            &[
                ("name", "Orders worker 2"),
                ("grant_client_credentials", "on"),
                ("scope", "orders:read orders:write"),
                ("alg", "EdDSA"),
                ("access_token_lifetime", "600"),
                ("id_token_lifetime", "3600"),
                ("refresh_token_lifetime", "86400"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.body);
        let after = root.get(&page);
        assert!(
            after.body.contains("Application Orders worker 2 saved."),
            "{}",
            after.body
        );
        let (status, t) = token(
            &server,
            Some((id.as_str(), first.as_str())),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "orders:write"),
            ],
        );
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["expires_in"], 600, "{t}");
        let (header, _) = verify(&server, t["access_token"].as_str().unwrap(), &id);
        assert_eq!(format!("{:?}", header.alg), "EdDSA");

        // A refused change saves nothing, and says why at its field.
        let refused = root.submit(
            &page,
            &edit,
            &[
                ("name", "Renamed"),
                ("grant_client_credentials", "on"),
                ("access_token_lifetime", "10"),
            ],
        );
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(
            refused
                .body
                .contains("id=\"edit-client-form-access_token_lifetime-error\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"Renamed\""),
            "typed value kept"
        );
        assert!(
            root.get(&page).body.contains("value=\"Orders worker 2\""),
            "nothing was saved"
        );

        // Rotation asks first; with a grace period both secrets work until it ends.
        let secret_action = format!("{page}/secret");
        let asked = root.submit(
            &page,
            &secret_action,
            &[("grace", "86400"), ("confirm_name", "Orders worker 2")],
        );
        assert_eq!(asked.status, 200, "{}", asked.body);
        assert!(
            asked.body.contains("To confirm, type Orders worker 2"),
            "{}",
            asked.body
        );
        assert!(root
            .get(&page)
            .body
            .contains("Rotate the secret of application Orders worker 2?"));
        assert_eq!(
            get_token(&first).0,
            200,
            "nothing changed before confirming"
        );
        let rotated = root.submit(
            &page,
            &secret_action,
            &[
                ("grace", "86400"),
                ("confirmation", "Orders worker 2"),
                ("confirm_name", "Orders worker 2"),
            ],
        );
        assert_eq!(rotated.status, 303, "{}", rotated.body);
        let once = root.get(&page);
        assert!(
            once.body.contains("The old secret works until"),
            "{}",
            once.body
        );
        let second = shown_secret(&once.body);
        assert!(second.len() >= 32 && second != first);
        assert!(!root.get(&page).body.contains(&second), "shown once");
        assert!(root.get(&page).body.contains("accepted until"));
        assert_eq!(get_token(&second).0, 200);
        assert_eq!(
            get_token(&first).0,
            200,
            "the old secret, in its grace period"
        );

        // Without one, the replaced secret stops at once; so does the one replaced before.
        let rotated = root.submit(
            &page,
            &secret_action,
            &[
                ("grace", "0"),
                ("confirmation", "Orders worker 2"),
                ("confirm_name", "Orders worker 2"),
            ],
        );
        assert_eq!(rotated.status, 303, "{}", rotated.body);
        let once = root.get(&page);
        assert!(
            once.body.contains("The old secret no longer works."),
            "{}",
            once.body
        );
        let third = shown_secret(&once.body);
        assert_eq!(get_token(&third).0, 200);
        for old in [&first, &second] {
            let (status, e) = get_token(old);
            assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
        }
        assert!(!root.get(&page).body.contains("accepted until"));
    }
}
