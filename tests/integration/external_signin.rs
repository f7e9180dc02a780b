//! Console sign-in through an external OpenID Connect provider, on both stores. The provider is
//! Keyward's own (its issuer plain http on loopback, which only the test setting
//! KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS admits): the sign-in provider registered in the console,
//! the link on the account's sign-in page, the code flow with PKCE, the role picker, a console
//! session as the role, and the refusals (no role, a stale return, a role not offered).
//! tests/browser/external-signin.test.mjs drives the same in Chromium against a provider
//! nobody here wrote.

use crate::harness::{Server, TestDb, BACKENDS};
use crate::oidc::create_client;
use crate::portal::{account, console_user, enable_totp, now_step, Browser};
use crate::signer::{eventually, Client};
use keyward::auth::totp;
use serde_json::json;

const PASSWORD: &str = "Ext-Passw0rd-123";

/// `path` of an absolute URL on `server`.
fn local<'a>(server: &Server, url: &'a str) -> &'a str {
    url.strip_prefix(server.url.as_str())
        .unwrap_or_else(|| panic!("{url} is not on {}", server.url))
}

fn ok(admin: &Client, params: &[(&str, &str)]) {
    let answer = admin.post(params);
    assert_eq!(answer.status, 200, "{params:?}: {}", answer.body);
}

/// Starts "Sign in with Corp" in `browser` and signs `user` in at the provider: returns the
/// provider's redirect back to Keyward's callback (a path on the server).
fn through_provider(server: &Server, browser: &Browser, account: &str, user: &str) -> String {
    through_provider_with(server, browser, account, user, None)
}

/// [`through_provider`] for a user with a TOTP device of `seed`.
fn through_provider_with(
    server: &Server,
    browser: &Browser,
    account: &str,
    user: &str,
    seed: Option<&[u8]>,
) -> String {
    let start = browser.get(&format!("/signin/external/{account}/Corp"));
    assert_eq!(start.status, 303, "{}", start.body);
    let to_provider = start.location.unwrap();
    assert!(
        to_provider.contains("code_challenge_method=S256"),
        "{to_provider}"
    );
    assert!(to_provider.contains("nonce="), "{to_provider}");
    let authorize = browser.get(local(server, &to_provider));
    assert_eq!(authorize.status, 303, "{}", authorize.body);
    let mut location = authorize.location.unwrap();
    if location.starts_with("/signin") {
        // Not signed in at the provider yet.
        let mut signed = browser.sign_in(account, user, PASSWORD);
        assert_eq!(signed.status, 303, "{}", signed.body);
        if let Some(seed) = seed {
            assert_eq!(signed.location.as_deref(), Some("/signin/mfa"));
            let step = now_step();
            signed = [step + 1, step, step - 1]
                .iter()
                .map(|s| {
                    let code = totp::code_at_step(seed, *s).unwrap();
                    browser.submit("/signin/mfa", "/signin/mfa", &[("code", &code)])
                })
                .find(|page| page.location.as_deref() == Some("/oauth2/authorize/continue"))
                .expect("a code of the device is taken");
        }
        let back = browser.get(signed.location.as_deref().unwrap());
        assert_eq!(back.status, 303, "{}", back.body);
        location = back.location.unwrap();
    }
    assert!(
        location.starts_with(&format!("{}/signin/external/callback?", server.url)),
        "{location}"
    );
    local(server, &location).to_string()
}

#[test]
fn people_sign_in_through_a_provider_and_pick_a_role_their_claims_give() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[("KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS", "true")]);
        let admin = Client::for_server(&server, &db);
        let account = account(&server);
        let callback = format!("{}/signin/external/callback", server.url);
        let client = create_client(
            &db,
            &account,
            &[
                "--name",
                "Keyward console",
                "--redirect-uri",
                &callback,
                "--no-consent",
            ],
        );
        let client_id = client["client_id"].as_str().unwrap().to_string();
        let secret = client["client_secret"].as_str().unwrap().to_string();
        // The provider's people: alice in two groups, bob in none of the rules'.
        for user in ["alice", "bob"] {
            console_user(&admin, user, PASSWORD, false);
        }
        for group in ["admins", "developers"] {
            ok(&admin, &[("Action", "CreateGroup"), ("GroupName", group)]);
            ok(
                &admin,
                &[
                    ("Action", "AddUserToGroup"),
                    ("GroupName", group),
                    ("UserName", "alice"),
                ],
            );
        }
        ok(
            &admin,
            &[
                ("Action", "CreateOpenIDConnectProvider"),
                ("Url", &server.url),
                ("ClientIDList.member.1", &client_id),
            ],
        );
        let host = server.url.trim_start_matches("http://");
        let provider_arn = format!("arn:aws:iam::{account}:oidc-provider/{host}");
        let trust = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {format!("{host}:aud"): client_id}},
            }],
        })
        .to_string();
        for role in ["Administrators", "Developers"] {
            ok(
                &admin,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", role),
                    ("AssumeRolePolicyDocument", &trust),
                ],
            );
        }
        ok(
            &admin,
            &[
                ("Action", "AttachRolePolicy"),
                ("RoleName", "Developers"),
                ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
            ],
        );
        // A role the rules offer but whose trust policy does not name the provider.
        let other = trust.replace(&client_id, "another-client");
        ok(
            &admin,
            &[
                ("Action", "CreateRole"),
                ("RoleName", "Auditors"),
                ("AssumeRolePolicyDocument", &other),
            ],
        );

        // The root user registers the provider in the console.
        let root = crate::portal::root_browser(&server);
        let rules = "groups contains admins => Administrators\n\
                     groups contains developers => Developers\n\
                     groups contains developers => Auditors";
        let fields = [
            ("name", "Corp"),
            ("issuer", server.url.as_str()),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("scopes", "openid profile email groups"),
            ("username_claim", "preferred_username"),
            ("rules", rules),
        ];
        let missing_secret: Vec<_> = fields
            .iter()
            .filter(|(k, _)| *k != "client_secret")
            .copied()
            .collect();
        let refused = root.submit(
            "/console/signin-providers",
            "/console/signin-providers",
            &missing_secret,
        );
        assert_eq!(refused.status, 400, "{backend:?}: {}", refused.body);
        let created = root.submit(
            "/console/signin-providers",
            "/console/signin-providers",
            &fields,
        );
        assert_eq!(created.status, 303, "{backend:?}: {}", created.body);
        let listed = root.get("/console/signin-providers");
        assert!(
            listed.body.contains("signin-provider-list") && listed.body.contains(">Corp<"),
            "{}",
            listed.body
        );
        assert!(!listed.body.contains(&secret), "the secret is never shown");

        // The account's sign-in page links to it.
        let signin = Browser::new(&server).get(&format!("/signin/{account}"));
        assert!(
            signin.body.contains(&format!(
                r#"href="/signin/external/{account}/Corp">Sign in with Corp</a>"#
            )),
            "{}",
            signin.body
        );

        // alice: two roles trust the provider (Auditors does not), so she picks.
        let alice = Browser::new(&server);
        let callback_path = through_provider(&server, &alice, &account, "alice");
        let picker = alice.get(&callback_path);
        assert_eq!(picker.status, 200, "{backend:?}: {}", picker.body);
        assert!(
            picker.body.contains("<h1>Choose a role</h1>"),
            "{}",
            picker.body
        );
        let arn = |role: &str| format!("arn:aws:iam::{account}:role/{role}");
        for role in ["Administrators", "Developers"] {
            assert!(
                picker.body.contains(&format!(r#"value="{}""#, arn(role))),
                "{}",
                picker.body
            );
        }
        assert!(
            !picker.body.contains("Auditors"),
            "a role that does not trust the provider is not offered"
        );
        let token = picker.hidden("token");
        // A role not offered, or a wrong form token, gets nothing.
        let not_offered = alice.post(
            "/signin/external/choose",
            &[("role", &arn("Auditors")), ("token", &token)],
        );
        assert_eq!(not_offered.status, 403, "{}", not_offered.body);
        let picker = alice.get(&through_provider(&server, &alice, &account, "alice"));
        let token = picker.hidden("token");
        let forged = alice.post(
            "/signin/external/choose",
            &[("role", &arn("Developers")), ("token", "forged")],
        );
        assert_eq!(forged.status, 400, "{}", forged.body);
        let picker = alice.get(&through_provider(&server, &alice, &account, "alice"));
        let token2 = picker.hidden("token");
        assert_ne!(token, token2);
        let chosen = alice.post(
            "/signin/external/choose",
            &[("role", &arn("Developers")), ("token", &token2)],
        );
        assert_eq!(chosen.status, 303, "{backend:?}: {}", chosen.body);
        assert_eq!(chosen.location.as_deref(), Some("/console"));
        let console = alice.get("/console");
        assert_eq!(console.status, 200, "{}", console.body);
        let session_arn = format!("arn:aws:sts::{account}:assumed-role/Developers/alice");
        assert!(
            console.body.contains(&format!(
                r#"<span class="identity" title="{session_arn}">alice</span>"#
            )),
            "{}",
            console.body
        );
        // The session acts with the role's permissions: it reads IAM, and changes nothing.
        let users = alice.get("/console/users");
        assert_eq!(users.status, 200, "{}", users.body);
        assert!(users.body.contains(">bob<"), "{}", users.body);
        let denied = alice.submit("/console/users", "/console/users", &[("name", "mallory")]);
        assert_eq!(denied.status, 403, "{}", denied.body);
        assert!(denied.body.contains(&session_arn), "{}", denied.body);
        // It cannot switch away from its role (that would replace its identity).
        let switch = alice.submit(
            "/console/switch-role",
            "/console/switch-role",
            &[("account", &account), ("role", "Administrators")],
        );
        assert_eq!(switch.status, 400, "{}", switch.body);

        // Every page of the console works for the session, or says what it cannot do.
        for path in [
            "/console/mfa",
            "/console/password",
            "/console/applications",
            "/console/account",
            "/console/roles",
            "/console/signin-providers",
            "/console/switch-role",
        ] {
            let page = alice.get(path);
            assert!(page.status < 500, "{path}: {} {}", page.status, page.body);
        }
        // Keyward's own applications do not sign it in: it is no user of Keyward's.
        let app = alice.get(&format!(
            "/oauth2/authorize?response_type=code&client_id={client_id}&redirect_uri={}\
             &scope=openid&state=s&nonce=n&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256",
            url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
        ));
        // (it is asked to sign in again as a user of Keyward's, which ends this session)
        assert_eq!(app.status, 200, "{:?} {}", app.location, app.body);
        assert!(app.body.contains("<title>Sign in again"), "{}", app.body);
        assert!(
            app.body
                .contains("signs in users of Keyward; you signed in through your organisation"),
            "{}",
            app.body
        );

        // Signing out ends the session, audited as the role session.
        let console = alice.get("/console");
        let out = alice.post("/signout", &[("csrf_token", &console.csrf())]);
        assert_eq!(out.status, 303, "{}", out.body);
        assert!(alice
            .get("/console")
            .location
            .unwrap_or_default()
            .starts_with("/signin"));

        // bob's groups give no role: a clear page, and no session.
        let bob = Browser::new(&server);
        let callback_path = through_provider(&server, &bob, &account, "bob");
        let none = bob.get(&callback_path);
        assert_eq!(none.status, 403, "{}", none.body);
        assert!(
            none.body.contains("No role is available to you"),
            "{}",
            none.body
        );
        assert!(
            !none
                .cookies
                .iter()
                .any(|c| c.starts_with("keyward_session=")),
            "{:?}",
            none.cookies
        );
        // (bob's browser is signed in at the provider, which is this Keyward, as its IAM user:
        // nothing of it is an assumed role.)
        let after = bob.get("/console");
        assert!(!after.body.contains("assumed-role"), "{}", after.body);
        // The same return again (the code used, the waiting sign-in gone) is refused.
        let replayed = bob.get(&callback_path);
        assert_eq!(replayed.status, 400, "{}", replayed.body);

        // Each step is in the audit trail with the external subject; the secret never is.
        let store = keyward::storage::Store::open(&db.store_settings()).unwrap();
        let events = || {
            let mut conn = store.connection().unwrap();
            keyward::audit::list_for_account(&mut conn, &account).unwrap()
        };
        let has = |name: &str, check: &dyn Fn(&keyward::storage::models::AuditEventRow) -> bool| {
            eventually(|| events().iter().any(|e| e.event_name == name && check(e)))
        };
        let params = |e: &keyward::storage::models::AuditEventRow| {
            e.request_parameters.clone().unwrap_or_default()
        };
        assert!(has("CreateSigninProvider", &|e| {
            e.actor_arn.as_deref() == Some(&format!("arn:aws:iam::{account}:root"))
                && params(e).contains("groups contains admins => Administrators")
        }));
        assert!(events().iter().all(|e| !params(e).contains(&secret)
            && !e
                .response_elements
                .clone()
                .unwrap_or_default()
                .contains(&secret)));
        assert!(has("ExternalIdentityVerified", &|e| params(e)
            .contains("rolesOffered")));
        assert!(has("ConsoleLogin", &|e| {
            e.error_code.is_none()
                && e.actor_arn.as_deref() == Some(session_arn.as_str())
                && params(e).contains("externalSubject")
                && params(e).contains(&arn("Developers"))
        }));
        assert!(has("SignOut", &|e| e.actor_arn.as_deref()
            == Some(session_arn.as_str())));
        assert!(has("ConsoleLogin", &|e| {
            e.error_code.is_some()
                && params(e).contains(r#""userName":"bob""#)
                && e.error_message
                    .as_deref()
                    .is_some_and(|m| m.contains("does not give you any role"))
        }));

        // A browser that did not start the sign-in cannot finish it (login CSRF).
        let elsewhere = Browser::new(&server);
        let started = Browser::new(&server);
        let foreign = through_provider(&server, &started, &account, "alice");
        let planted = elsewhere.get(&foreign);
        assert_eq!(planted.status, 400, "{}", planted.body);
    }
}

#[test]
fn a_providers_mfa_counts_only_when_the_account_trusts_it() {
    let db = TestDb::new(crate::harness::Backend::Sqlite);
    let server = Server::start(&db, &[("KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS", "true")]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    let callback = format!("{}/signin/external/callback", server.url);
    let client = create_client(
        &db,
        &account,
        &[
            "--name",
            "Keyward console",
            "--redirect-uri",
            &callback,
            "--no-consent",
        ],
    );
    let client_id = client["client_id"].as_str().unwrap();
    // Two people, so that no TOTP code is needed twice within a step.
    console_user(&admin, "carol", PASSWORD, false);
    console_user(&admin, "dave", PASSWORD, false);
    let carol_seed = enable_totp(&admin, "carol");
    let dave_seed = enable_totp(&admin, "dave");
    ok(
        &admin,
        &[
            ("Action", "CreateOpenIDConnectProvider"),
            ("Url", &server.url),
            ("ClientIDList.member.1", client_id),
        ],
    );
    let host = server.url.trim_start_matches("http://");
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{account}:oidc-provider/{host}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
        }],
    });
    ok(
        &admin,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "Secure"),
            ("AssumeRolePolicyDocument", &trust.to_string()),
        ],
    );
    let with_mfa = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }],
    });
    ok(
        &admin,
        &[
            ("Action", "PutRolePolicy"),
            ("RoleName", "Secure"),
            ("PolicyName", "with-mfa"),
            ("PolicyDocument", &with_mfa.to_string()),
        ],
    );
    // Registered with the command line, the secret read from a file.
    let secret_file = db.data_dir().join("corp-secret");
    std::fs::write(
        &secret_file,
        format!("{}\n", client["client_secret"].as_str().unwrap()),
    )
    .unwrap();
    let cli = |args: &[&str]| {
        let out = crate::harness::keyward(&db)
            .args(["signin-provider"])
            .args(args)
            .args(["--account", &account])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let created = cli(&[
        "create",
        "Corp",
        "--issuer",
        &server.url,
        "--client-id",
        client_id,
        "--client-secret-file",
        secret_file.to_str().unwrap(),
        "--rule",
        "preferred_username equals carol => Secure",
    ]);
    assert!(
        created.contains("rule:           preferred_username equals carol => Secure"),
        "{created}"
    );

    // carol proves a second factor at the provider, which the account does not trust yet.
    // One role: she is signed in at once, without a picker.
    let sign_in = |user: &str, seed: &[u8]| {
        let browser = Browser::new(&server);
        let back = through_provider_with(&server, &browser, &account, user, Some(seed));
        let signed = browser.get(&back);
        assert_eq!(signed.status, 303, "{}", signed.body);
        assert_eq!(signed.location.as_deref(), Some("/console"));
        browser
    };
    let untrusted = sign_in("carol", &carol_seed).get("/console/users");
    assert!(
        untrusted
            .body
            .contains("is not authorized to perform: iam:ListUsers"),
        "{}",
        untrusted.body
    );
    let listed = cli(&["list", "--json"]);
    assert!(listed.contains(r#""trusted_for_mfa":false"#), "{listed}");
    cli(&[
        "update",
        "Corp",
        "--trusted-for-mfa",
        "true",
        "--rule",
        "preferred_username equals dave => Secure",
    ]);
    let trusted = sign_in("dave", &dave_seed).get("/console/users");
    assert_eq!(trusted.status, 200, "{}", trusted.body);
    assert!(trusted.body.contains(">carol<"), "{}", trusted.body);
    cli(&["delete", "Corp"]);
    let gone = Browser::new(&server).get(&format!("/signin/external/{account}/Corp"));
    assert_eq!(gone.status, 404, "{}", gone.body);
}
