//! WebAuthn in the portal: the ceremonies' page tokens and challenges, unreadable forms and
//! script calls answered in their own shape, the cap on passkey sign-ins from one address,
//! answers without a ceremony, and one ceremony per sign-in page.

use super::*;

#[test]
fn webauthn_ceremonies_want_their_page_token_and_a_challenge_of_their_own() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let browser = Browser::new(&server);
    let page = browser.get("/signin");
    let token = page.csrf();
    let json =
        |path: &str, token: &str, body: serde_json::Value| browser.script_post(path, token, &body);
    // The public URL is http://127.0.0.1:PORT: WebAuthn cannot work there, and says why.
    let begin = json("/signin/passkey/begin", &token, serde_json::json!({}));
    assert_eq!(begin.status(), 503);
    assert!(begin
        .text()
        .unwrap()
        .contains("https origin or http://localhost"));
    // A forged token is refused before anything else.
    let forged = json("/signin/passkey/begin", "forged", serde_json::json!({}));
    assert_eq!(forged.status(), 403);
    // Without a session there is nothing to register for.
    let anonymous = json(
        "/console/mfa/webauthn/begin",
        &token,
        serde_json::json!({"kind": "passkey"}),
    );
    assert_eq!(anonymous.status(), 401);
}

#[test]
fn unreadable_forms_and_script_calls_are_answered_in_their_own_shape() {
    let db = TestDb::new(Backend::Sqlite);
    let server = localhost_server(&db);
    let browser = Browser::new(&server);
    let token = browser.get("/signin").csrf();
    // A form without its fields: a page that says so, with the portal's headers.
    let form = browser.post("/signin", &[("csrf_token", token.as_str())]);
    assert_eq!(form.status, 400);
    assert!(
        form.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        form.headers
    );
    assert!(form.headers.contains_key("content-security-policy"));
    assert!(form.body.contains("Form not understood"), "{}", form.body);
    assert!(form.body.contains("missing field"), "{}", form.body);
    // The WebAuthn script's calls: JSON with an error, whatever went wrong with the body.
    let garbled = browser
        .http
        .post(format!("{}/signin/passkey/finish", browser.base))
        .header("x-csrf-token", &token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(garbled.status(), 400);
    let answer: serde_json::Value = garbled.json().unwrap();
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{answer}"
    );
    let oversized = browser.script_post(
        "/signin/passkey/begin",
        &token,
        &serde_json::json!({ "padding": "x".repeat(3 << 20) }),
    );
    assert_eq!(oversized.status(), 413);
    let answer: serde_json::Value = oversized.json().unwrap();
    assert!(answer["error"].is_string(), "{answer}");
    // A console path that names no page: a page that says so.
    let missing = browser.get("/console/no-such-page");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Page not found"), "{}", missing.body);
    assert!(missing.headers.contains_key("content-security-policy"));
}

#[test]
fn passkey_sign_ins_started_from_one_address_are_capped() {
    let db = TestDb::new(Backend::Sqlite);
    let server = localhost_server(&db);
    let browser = Browser::new(&server);
    let token = browser.get("/signin").csrf();
    let begin = || {
        browser.script_post(
            "/signin/passkey/begin",
            &token,
            &serde_json::json!({"conditional": true}),
        )
    };
    for i in 0..60 {
        assert_eq!(begin().status(), 200, "start {i}");
    }
    let refused = begin();
    assert_eq!(refused.status(), 429);
    let wait: i64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    let body: serde_json::Value = refused.json().unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("too many passkey sign-ins"),
        "{body}"
    );
    // Password sign-in from the same address is not held up.
    assert_eq!(browser.get("/signin").status, 200);
}

/// A made-up passkey answer (its signature is no signature) to the ceremony with `challenge`.
fn made_up_passkey_answer(origin: &str, challenge: &str) -> serde_json::Value {
    let client_data = serde_json::json!({
        "type": "webauthn.get", "challenge": challenge, "origin": origin,
    });
    let client_data = data_encoding::BASE64URL_NOPAD.encode(client_data.to_string().as_bytes());
    serde_json::json!({
        "credential": {
            "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
            "response": {"authenticatorData": "AAAA", "clientDataJSON": client_data,
                         "signature": "AAAA", "userHandle": null}
        }
    })
}

#[test]
fn a_passkey_answer_without_a_ceremony_under_way_is_refused() {
    let db = TestDb::new(Backend::Sqlite);
    let server = localhost_server(&db);
    let browser = Browser::new(&server);
    let token = browser.get("/signin").csrf();
    let post = |path: &str, body: &serde_json::Value| browser.script_post(path, &token, body);
    let refused = post(
        "/signin/passkey/finish",
        &made_up_passkey_answer(&browser.base, "AAAA"),
    );
    assert_eq!(refused.status(), 400);
    assert!(refused.text().unwrap().contains("no ceremony is under way"));
    // A ceremony is taken by its first answer: a second answer to it finds none.
    let begin = post("/signin/passkey/begin", &serde_json::json!({}));
    assert_eq!(begin.status(), 200);
    let options: serde_json::Value = begin.json().unwrap();
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let challenge = options["publicKey"]["challenge"].as_str().unwrap();
    let answer = made_up_passkey_answer(&browser.base, challenge);
    let first = post("/signin/passkey/finish", &answer);
    assert_eq!(first.status(), 401, "a made-up credential is no passkey");
    let second = post("/signin/passkey/finish", &answer);
    assert_eq!(second.status(), 400, "the ceremony was used up");
}

#[test]
fn each_sign_in_page_of_a_browser_keeps_its_own_passkey_ceremony() {
    let db = TestDb::new(Backend::Sqlite);
    let server = localhost_server(&db);
    let browser = Browser::new(&server);
    let token = browser.get("/signin").csrf();
    let post = |path: &str, body: &serde_json::Value| browser.script_post(path, &token, body);
    // Nine pages of one browser (one sign-in cookie) each ask for a passkey as they load.
    let challenges: Vec<String> = (0..9)
        .map(|_| {
            let begin = post(
                "/signin/passkey/begin",
                &serde_json::json!({"conditional": true}),
            );
            assert_eq!(begin.status(), 200);
            let options: serde_json::Value = begin.json().unwrap();
            options["publicKey"]["challenge"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let answer = |challenge: &str| {
        let mut answer = made_up_passkey_answer(&browser.base, challenge);
        answer["conditional"] = true.into();
        post("/signin/passkey/finish", &answer).status()
    };
    // The second page's answer still finds its own ceremony (the made-up signature is then
    // refused), though seven pages started one after it; the first page's was dropped when
    // the ninth started, as at most eight are kept.
    assert_eq!(answer(&challenges[1]), 401);
    assert_eq!(answer(&challenges[8]), 401);
    assert_eq!(answer(&challenges[0]), 400);
    // An answer does not take another page's ceremony with it.
    assert_eq!(answer(&challenges[4]), 401);
    assert_eq!(answer(&challenges[4]), 400);
}
