//! The OpenID Connect provider over HTTP: discovery, the authorization code flow with PKCE
//! through the portal's sign-in and consent, the token endpoint's grants and their refusals,
//! UserInfo, introspection, revocation, logout and key rotation. ID tokens are checked with
//! jsonwebtoken against the published JWKS, as a relying party would. This file holds the
//! helpers the OIDC tests share (and other modules use); the tests are in the submodules, by
//! feature.

use crate::harness::{keyward, Backend, Server, TestDb, BACKENDS};
use crate::portal::{account, console_user, Browser, Page};
use crate::signer::Client;
use data_encoding::BASE64URL_NOPAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

mod code_flow;
mod console;
mod grants;
mod sessions;

pub(crate) const REDIRECT: &str = "http://localhost:8765/callback";
const LOGOUT_REDIRECT: &str = "http://localhost:8765/signed-out";
pub(crate) const VERIFIER: &str =
    "a-long-enough-pkce-code-verifier-of-the-relying-party-0123456789";

fn challenge(verifier: &str) -> String {
    BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()))
}

/// `keyward oidc client create ... --json`.
pub(crate) fn create_client(db: &TestDb, account: &str, args: &[&str]) -> Value {
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

pub(crate) fn web_client(db: &TestDb, account: &str, extra: &[&str]) -> (String, String) {
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

pub(crate) fn token(
    server: &Server,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value) {
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

pub(crate) fn query_param(location: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(crate) fn authorize_path(client_id: &str, extra: &str) -> String {
    format!(
        "/oauth2/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20profile%20email%20groups%20offline_access&state=st-1&nonce=n-1&code_challenge={}&code_challenge_method=S256{extra}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        challenge(VERIFIER)
    )
}

/// Runs the browser side of the flow for a signed-out browser: the authorization request,
/// the sign-in, the consent. Returns the redirect back to the client.
pub(crate) fn sign_in_and_consent(
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
pub(crate) fn verify(server: &Server, jwt: &str, audience: &str) -> (jsonwebtoken::Header, Value) {
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

/// A console user with an administrator-set, verified address and a group.
fn profile_user(admin: &Client, name: &str, password: &str) -> String {
    console_user(admin, name, password, false);
    let (status, set) = admin.keyward_json(
        "POST",
        "/keyward/users/email",
        Some(&serde_json::json!({
            "user_name": name, "email": "alice@example.com", "email_verified": true
        })),
    );
    assert_eq!(status, 200, "{set}");
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
