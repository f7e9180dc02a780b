//! The sign-in portal over HTTP, as a browser without JavaScript uses it: cookies, forms with
//! CSRF tokens, redirects. (The same flows run in Chromium in the end-to-end suite.)

use crate::harness::{banner_value, Backend, Server, TestDb, BACKENDS};
use crate::signer::{element, eventually, Client};
use keyward::auth::totp;
use std::time::Duration;

/// A cookie-keeping HTTP client that does not follow redirects, so tests see them.
pub struct Browser {
    http: reqwest::blocking::Client,
    base: String,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub cookies: Vec<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        self.hidden("csrf_token")
    }

    /// The value of the first form field called `name` on the page.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker).expect("a form with the field") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_string()
    }
}

impl Browser {
    pub fn new(server: &Server) -> Self {
        Self {
            http: reqwest::blocking::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: server.url.clone(),
        }
    }

    fn page(response: reqwest::blocking::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let cookies = headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        Page {
            status,
            location,
            cookies,
            headers,
            body: response.text().unwrap(),
        }
    }

    pub fn get(&self, path: &str) -> Page {
        Self::page(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .unwrap(),
        )
    }

    /// [`Browser::get`] with one more request header (as a proxy in front would add it).
    pub fn get_with(&self, path: &str, (name, value): (&str, &str)) -> Page {
        Self::page(
            self.http
                .get(format!("{}{path}", self.base))
                .header(name, value)
                .send()
                .unwrap(),
        )
    }

    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::page(
            self.http
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .unwrap(),
        )
    }

    /// Fills the sign-in form.
    pub fn sign_in(&self, account: &str, user: &str, password: &str) -> Page {
        let form = self.get("/signin");
        assert_eq!(form.status, 200, "{}", form.body);
        self.post(
            "/signin",
            &[
                ("csrf_token", &form.csrf()),
                ("account", account),
                ("username", user),
                ("password", password),
            ],
        )
    }

    /// Posts JSON as the pages' WebAuthn script does, with the page's CSRF token in a header.
    pub fn script_post(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::blocking::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", token)
            .json(body)
            .send()
            .unwrap()
    }

    /// Posts a form found at `form_path` to `action` with its CSRF token.
    pub fn submit(&self, form_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(form_path);
        assert_eq!(form.status, 200, "{}", form.body);
        let token = form.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all)
    }
}

pub(crate) fn root_password(server: &Server) -> String {
    banner_value(&server.stdout(), "root password").unwrap()
}

pub(crate) fn account(server: &Server) -> String {
    banner_value(&server.stdout(), "account").unwrap()
}

/// An IAM user with a console password, through the IAM API.
pub(crate) fn console_user(admin: &Client, name: &str, password: &str, reset: bool) {
    let created = admin.post(&[("Action", "CreateUser"), ("UserName", name)]);
    assert_eq!(created.status, 200, "{}", created.body);
    let profile = admin.post(&[
        ("Action", "CreateLoginProfile"),
        ("UserName", name),
        ("Password", password),
        (
            "PasswordResetRequired",
            if reset { "true" } else { "false" },
        ),
    ]);
    assert_eq!(profile.status, 200, "{}", profile.body);
}

/// Gives `user` an enabled virtual MFA device; returns its seed.
pub(crate) fn enable_totp(admin: &Client, user: &str) -> Vec<u8> {
    let created = admin.post(&[
        ("Action", "CreateVirtualMFADevice"),
        ("VirtualMFADeviceName", user),
    ]);
    assert_eq!(created.status, 200, "{}", created.body);
    let serial = element(&created.body, "SerialNumber").to_string();
    // IAM's Base32StringSeed is a blob: base64 of the base32 text.
    let base32 = data_encoding::BASE64
        .decode(element(&created.body, "Base32StringSeed").as_bytes())
        .unwrap();
    let seed = data_encoding::BASE32_NOPAD
        .decode(
            String::from_utf8(base32)
                .unwrap()
                .trim_end_matches('=')
                .as_bytes(),
        )
        .unwrap();
    let step = now_step();
    let enabled = admin.post(&[
        ("Action", "EnableMFADevice"),
        ("UserName", user),
        ("SerialNumber", &serial),
        (
            "AuthenticationCode1",
            &totp::code_at_step(&seed, step - 2).unwrap(),
        ),
        (
            "AuthenticationCode2",
            &totp::code_at_step(&seed, step - 1).unwrap(),
        ),
    ]);
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    seed
}

pub(crate) fn now_step() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / totp::STEP_SECONDS
}

/// Replaces the root user's first password in a session at the password stage; returns
/// the new one.
fn change_root_password(server: &Server, browser: &Browser) -> String {
    let new = "Fresh-Root-Passw0rd";
    let changed = browser.submit(
        "/console/password",
        "/console/password",
        &[
            ("old_password", &root_password(server)),
            ("new_password", new),
            ("confirm_password", new),
        ],
    );
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(changed.location.as_deref(), Some("/console"));
    new.to_string()
}

#[test]
fn pages_carry_security_headers_and_the_signin_cookie_is_locked_down() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let browser = Browser::new(&server);
    let page = browser.get("/signin");
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["referrer-policy"], "same-origin");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.headers.get("strict-transport-security").is_none());
    let cookie = page
        .cookies
        .iter()
        .find(|c| c.starts_with("keyward_signin="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!page.body.contains("<script>"), "no inline script");
    let css = browser.get("/static/keyward.css");
    assert_eq!(css.status, 200);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    // A browser at the root is sent to the console, which sends it to sign in.
    assert_eq!(browser.get("/").location.as_deref(), Some("/console"));
    assert_eq!(browser.get("/console").location.as_deref(), Some("/signin"));
}

#[test]
fn over_https_cookies_are_secure_host_cookies_and_hsts_is_sent() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[("KEYWARD_PUBLIC_URL", "https://id.example.test")]);
    let page = Browser::new(&server).get("/signin");
    let cookie = page.cookies.first().unwrap();
    assert!(cookie.starts_with("__Host-keyward_signin="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/"));
    assert!(page.headers["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

#[test]
fn the_root_user_changes_its_first_password_before_anything_else() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let browser = Browser::new(&server);
        let first = browser.sign_in(&account(&server), "root", &root_password(&server));
        assert_eq!(first.status, 303, "{backend:?}: {}", first.body);
        let session_cookie = first
            .cookies
            .iter()
            .find(|c| c.starts_with("keyward_session="))
            .unwrap();
        assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
        // The browser is remembered as the root user's known device for about six months.
        let device = first
            .cookies
            .iter()
            .find(|c| c.starts_with("keyward_device="))
            .unwrap();
        assert!(
            device.contains("HttpOnly") && device.contains("Max-Age=15552000"),
            "{device}"
        );
        // Nothing but the password page until the password is changed.
        assert_eq!(
            browser.get("/console").location.as_deref(),
            Some("/console/password")
        );
        let page = browser.get("/console/password");
        assert!(page.body.contains("You must choose a new password"));
        // The policy is enforced and the confirmation must match.
        let weak = browser.submit(
            "/console/password",
            "/console/password",
            &[
                ("old_password", &root_password(&server)),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        );
        assert_eq!(weak.status, 400);
        assert!(weak.body.contains("at least 8 characters"), "{}", weak.body);
        let mismatch = browser.submit(
            "/console/password",
            "/console/password",
            &[
                ("old_password", &root_password(&server)),
                ("new_password", "Fresh-Root-Passw0rd"),
                ("confirm_password", "Fresh-Root-Passw0rd!"),
            ],
        );
        assert!(mismatch.body.contains("do not match"));
        let new = change_root_password(&server, &browser);
        let dashboard = browser.get("/console");
        assert_eq!(dashboard.status, 200, "{}", dashboard.body);
        assert!(dashboard
            .body
            .contains(&format!("/signin/{}", account(&server))));
        assert!(dashboard
            .body
            .contains("<td>Users</td><td class=\"num\">1</td>"));
        // The old password is gone, the new one works.
        let again = Browser::new(&server);
        assert_eq!(
            again
                .sign_in(&account(&server), "root", &root_password(&server))
                .status,
            401
        );
        let ok = again.sign_in(&account(&server), "root", &new);
        assert_eq!(ok.location.as_deref(), Some("/console"), "{backend:?}");
    }
}

#[test]
fn unknown_users_wrong_passwords_and_wrong_accounts_get_one_answer() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "alice", "Alice-Passw0rd", false);
    let account = account(&server);
    let answers: Vec<(u16, String)> = [
        (account.as_str(), "alice", "wrong-password"),
        (account.as_str(), "nobody", "Alice-Passw0rd"),
        ("000000000000", "alice", "Alice-Passw0rd"),
    ]
    .iter()
    .map(|(acct, user, pw)| {
        let page = Browser::new(&server).sign_in(acct, user, pw);
        let start = page.body.find("<p class=\"error\"").unwrap();
        let end = page.body[start..].find("</p>").unwrap();
        (page.status, page.body[start..start + end].to_string())
    })
    .collect();
    assert_eq!(answers[0].0, 401);
    assert!(answers[0]
        .1
        .contains("authentication information is incorrect"));
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");

    // The trail has the reasons; a typed name that names nobody is not recorded.
    let ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let logins = || -> Vec<String> {
        ctx.store
            .read(|conn| keyward::audit::list_for_account(conn, &account))
            .unwrap()
            .into_iter()
            .filter(|e| e.event_name == "ConsoleLogin")
            .map(|e| {
                format!(
                    "{:?} {:?} {:?} {:?}",
                    e.request_parameters, e.response_elements, e.error_message, e.actor_arn
                )
            })
            .collect()
    };
    assert!(eventually(|| logins().len() >= 2), "{:?}", logins());
    let texts = logins();
    assert!(texts.iter().all(|t| t.contains("Failure")), "{texts:?}");
    assert!(texts
        .iter()
        .any(|t| t.contains("wrong password") && t.contains("alice") && t.contains(":user/alice")));
    assert!(texts.iter().any(|t| t.contains("no such user")
        && t.contains("HIDDEN_DUE_TO_SECURITY_REASONS")
        && !t.contains("nobody")));
    assert!(!texts.iter().any(|t| t.contains("Alice-Passw0rd")));
}

/// A typed user name longer than IAM's 64 characters, or an account longer than an alias's
/// 63, can be nobody's: the usual "incorrect" answer, and nothing is stored or audited under
/// the typed text (throttle keys and audit events stay bounded).
#[test]
fn over_long_user_names_and_accounts_are_refused_without_a_trace() {
    use diesel::prelude::*;
    use keyward::storage::schema::signin_throttle;
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let account = account(&server);
    let long = "n".repeat(10_000);
    let over = "n".repeat(65);
    for (acct, user) in [
        (account.as_str(), long.as_str()),
        (account.as_str(), over.as_str()),
        (long.as_str(), "root"),
    ] {
        let page = Browser::new(&server).sign_in(acct, user, "a-password");
        assert_eq!(page.status, 401, "{}", page.body);
        assert!(page
            .body
            .contains("authentication information is incorrect"));
        assert!(!page.body.contains(&over), "the typed text is not echoed");
    }
    // A wrong password of a name that can exist is counted and audited as before.
    let page = Browser::new(&server).sign_in(&account, "root", "a-password");
    assert_eq!(page.status, 401);

    let ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let keys: Vec<String> = ctx
        .store
        .read(|conn| {
            signin_throttle::table
                .select(signin_throttle::throttle_key)
                .load(conn)
                .map_err(keyward::storage::StorageError::from)
        })
        .unwrap();
    assert!(keys.iter().any(|k| k.ends_with(":root")), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains(&over)), "{keys:?}");
    let events = || -> Vec<String> {
        ctx.store
            .read(|conn| keyward::audit::list_for_account(conn, &account))
            .unwrap()
            .into_iter()
            .filter(|e| e.event_name == "ConsoleLogin")
            .map(|e| format!("{:?} {:?}", e.request_parameters, e.error_message))
            .collect()
    };
    assert!(eventually(|| !events().is_empty()));
    assert!(
        !events().iter().any(|e| e.contains(&over)),
        "{:?}",
        events()
    );
}

#[test]
fn forms_without_their_csrf_token_are_refused() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let account = account(&server);
    let password = root_password(&server);
    let browser = Browser::new(&server);
    let form = browser.get("/signin");
    let fields = |token: &str| {
        vec![
            ("csrf_token".to_string(), token.to_string()),
            ("account".to_string(), account.clone()),
            ("username".to_string(), "root".to_string()),
            ("password".to_string(), password.clone()),
        ]
    };
    let post = |b: &Browser, token: &str| {
        let f = fields(token);
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.post("/signin", &refs)
    };
    // No token, a made-up token, and a real token from another browser's page.
    assert_eq!(post(&browser, "").status, 403);
    assert_eq!(post(&browser, "forged").status, 403);
    let other = Browser::new(&server);
    let foreign = other.get("/signin").csrf();
    let refused = post(&browser, &foreign);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("did not come from this site"));
    assert!(refused
        .cookies
        .iter()
        .all(|c| !c.starts_with("keyward_session")));
    // The page's own token works.
    assert_eq!(post(&browser, &form.csrf()).status, 303);

    // Signed in, the session's forms want the session's token.
    let out = browser.post("/signout", &[("csrf_token", "forged")]);
    assert_eq!(out.status, 403);
    assert_eq!(
        browser.get("/console").location.as_deref(),
        Some("/console/password"),
        "still signed in"
    );
}

#[test]
fn guessing_is_delayed_then_allowed_again_and_the_right_password_waits_too() {
    let db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "bob", "Bob-Passw0rd!", false);
    let account = account(&server);
    let browser = Browser::new(&server);
    // Three free failures, the fourth earns a one-second delay.
    for _ in 0..4 {
        assert_eq!(browser.sign_in(&account, "bob", "guess").status, 401);
    }
    let blocked = browser.sign_in(&account, "bob", "Bob-Passw0rd!");
    assert_eq!(blocked.status, 429, "{}", blocked.body);
    assert!(
        blocked.body.contains("Try again in 1 second."),
        "{}",
        blocked.body
    );
    // The block is per user: another user of the same account is not held up.
    console_user(&admin, "carol", "Carol-Passw0rd!", false);
    assert_eq!(
        Browser::new(&server)
            .sign_in(&account, "carol", "Carol-Passw0rd!")
            .status,
        303
    );
    // Once the delay has passed, the right password works and the count starts over.
    std::thread::sleep(Duration::from_millis(1100));
    let ok = browser.sign_in(&account, "bob", "Bob-Passw0rd!");
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location.as_deref(), Some("/console"));
    let fresh = Browser::new(&server);
    for _ in 0..3 {
        assert_eq!(fresh.sign_in(&account, "bob", "guess").status, 401);
    }
}

#[test]
fn a_user_with_a_virtual_mfa_device_signs_in_with_a_code_that_works_once() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        console_user(&admin, "dana", "Dana-Passw0rd!", false);
        let seed = enable_totp(&admin, "dana");
        let account = account(&server);

        let browser = Browser::new(&server);
        let first = browser.sign_in(&account, "dana", "Dana-Passw0rd!");
        assert_eq!(
            first.location.as_deref(),
            Some("/signin/mfa"),
            "{backend:?}"
        );
        let half_signed = first
            .cookies
            .iter()
            .find(|c| c.starts_with("keyward_session="))
            .unwrap()
            .clone();
        // The password alone opens nothing.
        assert_eq!(
            browser.get("/console").location.as_deref(),
            Some("/signin/mfa")
        );
        let wrong = browser.submit("/signin/mfa", "/signin/mfa", &[("code", "000000")]);
        assert_eq!(wrong.status, 401);
        let code = totp::code_at_step(&seed, now_step()).unwrap();
        let done = browser.submit("/signin/mfa", "/signin/mfa", &[("code", &code)]);
        assert_eq!(done.location.as_deref(), Some("/console"), "{}", done.body);
        let signed_in = done
            .cookies
            .iter()
            .find(|c| c.starts_with("keyward_session="))
            .unwrap();
        assert_ne!(
            signed_in, &half_signed,
            "a new session id after the second factor"
        );
        let dashboard = browser.get("/console");
        assert!(dashboard.body.contains("Signed in with a second factor"));

        // The id from before the second factor is worth nothing now.
        let stale_value = half_signed
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("keyward_session=");
        let stale = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/console", server.url))
            .header("cookie", format!("keyward_session={stale_value}"))
            .send()
            .unwrap();
        assert_eq!(
            stale.headers()["location"].to_str().unwrap(),
            "/signin",
            "{backend:?}"
        );

        // The same code again, in the same window: refused.
        let replay = Browser::new(&server);
        assert_eq!(
            replay
                .sign_in(&account, "dana", "Dana-Passw0rd!")
                .location
                .as_deref(),
            Some("/signin/mfa")
        );
        let again = replay.submit("/signin/mfa", "/signin/mfa", &[("code", &code)]);
        assert_eq!(again.status, 401, "{backend:?}: a used code is refused");
    }
}

#[test]
fn signing_out_ends_the_session_and_everywhere_ends_them_all() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "erin", "Erin-Passw0rd!", false);
    let account = account(&server);
    let (one, two, three) = (
        Browser::new(&server),
        Browser::new(&server),
        Browser::new(&server),
    );
    for b in [&one, &two, &three] {
        assert_eq!(b.sign_in(&account, "erin", "Erin-Passw0rd!").status, 303);
        assert_eq!(b.get("/console").status, 200);
    }
    let out = one.submit("/console", "/signout", &[]);
    assert_eq!(out.location.as_deref(), Some("/signin"));
    assert_eq!(one.get("/console").location.as_deref(), Some("/signin"));
    assert_eq!(two.get("/console").status, 200, "other sessions live on");
    let everywhere = two.submit("/console", "/signout/everywhere", &[]);
    assert_eq!(everywhere.location.as_deref(), Some("/signin"));
    assert_eq!(two.get("/console").location.as_deref(), Some("/signin"));
    assert_eq!(three.get("/console").location.as_deref(), Some("/signin"));
}

#[test]
fn an_iam_user_made_to_reset_changes_the_password_under_the_account_policy() {
    let db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let policy = admin.post(&[
        ("Action", "UpdateAccountPasswordPolicy"),
        ("MinimumPasswordLength", "12"),
        ("RequireSymbols", "true"),
        ("PasswordReusePrevention", "2"),
        ("AllowUsersToChangePassword", "true"),
    ]);
    assert_eq!(policy.status, 200, "{}", policy.body);
    console_user(&admin, "fred", "Fred-Passw0rd!", true);
    let account = account(&server);
    let browser = Browser::new(&server);
    let first = browser.sign_in(&account, "fred", "Fred-Passw0rd!");
    assert_eq!(first.location.as_deref(), Some("/console/password"));
    let page = browser.get("/console/password");
    assert!(
        page.body
            .contains("at least 12 characters including a symbol"),
        "{}",
        page.body
    );
    let change = |old: &str, new: &str| {
        browser.submit(
            "/console/password",
            "/console/password",
            &[
                ("old_password", old),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
    };
    let reused = change("Fred-Passw0rd!", "Fred-Passw0rd!");
    assert_eq!(reused.status, 400);
    assert!(reused.body.contains("used recently"), "{}", reused.body);
    let no_symbol = change("Fred-Passw0rd!", "FredPassw0rdLonger");
    assert!(no_symbol.body.contains("symbol"), "{}", no_symbol.body);
    let wrong_old = change("not-it", "Fred-New-Passw0rd!");
    assert!(wrong_old.body.contains("current password is incorrect"));
    let ok = change("Fred-Passw0rd!", "Fred-New-Passw0rd!");
    assert_eq!(ok.location.as_deref(), Some("/console"), "{}", ok.body);
    // Without iam:GetAccountSummary the dashboard says why, as AWS words it.
    let dashboard = browser.get("/console");
    assert_eq!(dashboard.status, 200);
    assert!(dashboard
        .body
        .contains("is not authorized to perform: iam:GetAccountSummary on resource: *"));
    let profile = admin.post(&[("Action", "GetLoginProfile"), ("UserName", "fred")]);
    assert!(profile
        .body
        .contains("<PasswordResetRequired>false</PasswordResetRequired>"));
}

/// The sign-in service on a store of its own with a clock the test moves.
pub(crate) mod with_a_fixed_clock {
    use super::*;
    use keyward::audit::{AuditQueue, RequestMeta};
    use keyward::clock::FixedClock;
    use keyward::portal::sessions::{self, Lifetimes, Stage};
    use keyward::portal::signin::{self, Attempt, Outcome, Refusal};
    use keyward::portal::Portal;
    use keyward::secrets::{ExposeSecret, SecretString};
    use std::sync::Arc;

    pub(crate) struct Setup {
        _db: TestDb,
        pub portal: Portal,
        pub clock: Arc<FixedClock>,
        pub account: String,
        pub root_password: String,
        start: chrono::NaiveDateTime,
    }

    pub(crate) fn now(s: &Setup) -> chrono::NaiveDateTime {
        keyward::clock::Clock::now_naive(s.clock.as_ref())
    }

    fn setup() -> Setup {
        setup_on(Backend::Sqlite)
    }

    pub(crate) fn setup_on(backend: Backend) -> Setup {
        let db = TestDb::new(backend);
        let mut ctx = keyward::app::service_context(&db.store_settings()).unwrap();
        let clock = Arc::new(FixedClock::new(
            chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
        ));
        ctx.clock = clock.clone();
        let created = match keyward::iam::bootstrap::ensure(&ctx, |_| Ok(())).unwrap() {
            keyward::iam::bootstrap::Outcome::Created(created) => created,
            _ => panic!("a fresh store bootstraps"),
        };
        let audit = Arc::new(AuditQueue::start(ctx.store.clone(), ctx.random.clone()).unwrap());
        let lifetimes = Lifetimes {
            idle: chrono::Duration::hours(1),
            absolute: chrono::Duration::hours(12),
        };
        let portal = Portal::new(ctx, audit, lifetimes, "us-east-1".into(), false).unwrap();
        Setup {
            start: keyward::clock::Clock::now_naive(clock.as_ref()),
            _db: db,
            portal,
            clock,
            account: created.account_id.to_string(),
            root_password: created.root_password.expose_secret().to_string(),
        }
    }

    fn attempt(s: &Setup, password: &str) -> Outcome {
        let meta = RequestMeta {
            source_ip: Some("192.0.2.7".into()),
            ..RequestMeta::default()
        };
        signin::with_password(
            &s.portal,
            &Attempt {
                account: s.account.clone(),
                user_name: "root".into(),
                password: SecretString::from(password.to_string()),
                device: None,
            },
            &meta,
        )
        .unwrap()
    }

    fn cookie(outcome: Outcome) -> String {
        match outcome {
            Outcome::Session { cookie, stage } => {
                assert_eq!(stage, Stage::ChangePassword);
                cookie
            }
            other => panic!("expected a session, got {other:?}"),
        }
    }

    fn alive(s: &Setup, cookie: &str) -> bool {
        sessions::load(&s.portal.ctx, s.portal.lifetimes, cookie)
            .unwrap()
            .is_some()
    }

    #[test]
    fn sessions_end_after_an_idle_hour_or_twelve_hours_however_busy() {
        let s = setup();
        let idle = cookie(attempt(&s, &s.root_password));
        let busy = cookie(attempt(&s, &s.root_password));
        s.clock.advance(chrono::Duration::minutes(59));
        assert!(alive(&s, &busy));
        s.clock.advance(chrono::Duration::minutes(2));
        assert!(!alive(&s, &idle), "idle for 61 minutes");
        // Seen every 50 minutes, the busy one lives until its twelve hours are up.
        for _ in 0..14 {
            s.clock.advance(chrono::Duration::minutes(50));
            let expected = now(&s) < s.start + chrono::Duration::hours(12);
            assert_eq!(alive(&s, &busy), expected);
        }
        assert!(!alive(&s, &busy));
    }

    #[test]
    fn ten_failures_lock_the_user_for_fifteen_minutes_then_the_password_works() {
        let s = setup();
        let mut waited = chrono::Duration::zero();
        let mut failures = 0;
        while failures < 10 {
            match attempt(&s, "wrong") {
                Outcome::Refused(Refusal::Incorrect) => failures += 1,
                Outcome::Refused(Refusal::Blocked { until, locked }) => {
                    assert!(!locked, "not locked before ten failures");
                    let wait = until - now(&s);
                    waited += wait;
                    s.clock.advance(wait);
                }
                other => panic!("{other:?}"),
            }
        }
        // 1 + 2 + 4 + ... + 32 seconds of delays on the way.
        assert_eq!(waited, chrono::Duration::seconds(63));
        let locked = attempt(&s, &s.root_password);
        assert_eq!(
            locked,
            Outcome::Refused(Refusal::Blocked {
                until: now(&s) + chrono::Duration::minutes(15),
                locked: true
            }),
            "even the right password waits out the lockout"
        );
        s.clock.advance(chrono::Duration::minutes(15));
        cookie(attempt(&s, &s.root_password));
    }

    /// An IAM user with a console password, made through the IAM services.
    pub(crate) fn user_with_password(s: &Setup, name: &str, password: &str) {
        let call = keyward::iam::Call {
            account_id: s.account.clone(),
            actor_arn: format!("arn:aws:iam::{}:root", s.account),
            meta: RequestMeta::default(),
        };
        keyward::iam::users::create(
            &s.portal.ctx,
            &call,
            keyward::iam::users::CreateUser {
                name: name.into(),
                path: None,
                permissions_boundary: None,
                tags: Vec::new(),
            },
        )
        .unwrap();
        let secret = SecretString::from(password.to_string());
        keyward::iam::passwords::create_profile(&s.portal.ctx, &call, name, &secret, false)
            .unwrap();
    }

    fn user_attempt(s: &Setup, name: &str, password: &str) -> Outcome {
        signin::with_password(
            &s.portal,
            &Attempt {
                account: s.account.clone(),
                user_name: name.into(),
                password: SecretString::from(password.to_string()),
                device: None,
            },
            &RequestMeta::default(),
        )
        .unwrap()
    }

    fn stage(outcome: Outcome) -> Stage {
        match outcome {
            Outcome::Session { stage, .. } => stage,
            other => panic!("expected a session, got {other:?}"),
        }
    }

    fn set_policy(s: &Setup, max_age: &str, hard: bool) {
        let call = keyward::iam::Call {
            account_id: s.account.clone(),
            actor_arn: format!("arn:aws:iam::{}:root", s.account),
            meta: RequestMeta::default(),
        };
        let policy = keyward::auth::password_policy::PasswordPolicy {
            minimum_length: 8,
            require_symbols: false,
            require_numbers: false,
            require_uppercase: false,
            require_lowercase: false,
            allow_users_to_change: true,
            max_age_days: Some(max_age.parse().unwrap()),
            reuse_prevention: None,
            hard_expiry: hard,
        };
        keyward::iam::passwords::update_policy(&s.portal.ctx, &call, &policy).unwrap();
    }

    #[test]
    fn an_expired_password_must_be_changed_and_a_hard_expiry_refuses_sign_in() {
        let s = setup();
        user_with_password(&s, "lou", "Lou-Passw0rd!");
        set_policy(&s, "30", false);
        assert_eq!(
            stage(user_attempt(&s, "lou", "Lou-Passw0rd!")),
            Stage::Active
        );
        s.clock.advance(chrono::Duration::days(31));
        assert_eq!(
            stage(user_attempt(&s, "lou", "Lou-Passw0rd!")),
            Stage::ChangePassword,
            "expired: the password page first"
        );
        set_policy(&s, "30", true);
        assert_eq!(
            user_attempt(&s, "lou", "Lou-Passw0rd!"),
            Outcome::Refused(Refusal::Expired),
            "hard expiry: only an administrator can help"
        );
    }

    #[test]
    fn a_password_hashed_with_older_parameters_is_rehashed_at_sign_in() {
        use argon2::password_hash::PasswordHasher;
        let s = setup();
        user_with_password(&s, "max", "Max-Passw0rd!");
        let weak = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8, 1, 1, None).unwrap(),
        )
        .hash_password_with_salt(b"Max-Passw0rd!", b"saltsaltsaltsalt")
        .unwrap()
        .to_string();
        let stored = |s: &Setup| -> String {
            use diesel::prelude::*;
            use keyward::storage::schema::{login_profiles, users};
            s.portal
                .ctx
                .store
                .read(|conn| {
                    login_profiles::table
                        .inner_join(users::table)
                        .filter(users::name.eq("max"))
                        .select(login_profiles::password_hash)
                        .first::<String>(conn)
                        .map_err(keyward::storage::StorageError::from)
                })
                .unwrap()
        };
        s.portal
            .ctx
            .store
            .write(|conn| {
                use diesel::prelude::*;
                use keyward::storage::schema::login_profiles;
                diesel::update(login_profiles::table)
                    .set(login_profiles::password_hash.eq(&weak))
                    .execute(conn)
                    .map_err(keyward::storage::StorageError::from)
            })
            .unwrap();
        assert!(keyward::auth::password::needs_rehash(&stored(&s)));
        assert_eq!(
            stage(user_attempt(&s, "max", "Max-Passw0rd!")),
            Stage::Active
        );
        let now = stored(&s);
        assert!(!keyward::auth::password::needs_rehash(&now), "{now}");
        assert!(now.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(
            stage(user_attempt(&s, "max", "Max-Passw0rd!")),
            Stage::Active
        );
    }
}

/// The text of the element with this id.
fn by_id<'a>(body: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let start = body.find(&marker).unwrap();
    let open_end = body[start..].find('>').unwrap() + start + 1;
    let close = body[open_end..].find('<').unwrap() + open_end;
    &body[open_end..close]
}

#[test]
fn a_user_assigns_itself_an_authenticator_app_from_the_page_and_then_needs_it() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "gina", "Gina-Passw0rd!", false);
    let account = account(&server);
    let browser = Browser::new(&server);
    assert_eq!(
        browser
            .sign_in(&account, "gina", "Gina-Passw0rd!")
            .location
            .as_deref(),
        Some("/console")
    );
    let devices = browser.get("/console/mfa");
    assert!(devices.body.contains("No MFA device is assigned"));
    let enrol = browser.get("/console/mfa/totp");
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    assert!(enrol.body.contains("<svg"), "a QR code");
    let secret = by_id(&enrol.body, "totp-secret").trim().to_string();
    let seed = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let enrolment = {
        let marker = r#"name="enrolment" value=""#;
        let start = enrol.body.find(marker).unwrap() + marker.len();
        let end = enrol.body[start..].find('"').unwrap() + start;
        enrol.body[start..end].to_string()
    };
    let step = now_step();
    let submit = |c1: &str, c2: &str, enrolment: &str| {
        browser.post(
            "/console/mfa/totp",
            &[
                ("csrf_token", &enrol.csrf()),
                ("enrolment", enrolment),
                ("name", "Gina's phone"),
                ("code1", c1),
                ("code2", c2),
            ],
        )
    };
    let code = |s: u64| totp::code_at_step(&seed, s).unwrap();
    let wrong = submit("000000", "111111", &enrolment);
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("not valid"), "{}", wrong.body);
    // A sealed enrolment from another session is refused.
    let other = Browser::new(&server);
    other.sign_in(&account, "gina", "Gina-Passw0rd!");
    let foreign = other.get("/console/mfa/totp");
    let foreign_enrolment = {
        let marker = r#"name="enrolment" value=""#;
        let start = foreign.body.find(marker).unwrap() + marker.len();
        let end = foreign.body[start..].find('"').unwrap() + start;
        foreign.body[start..end].to_string()
    };
    assert_eq!(
        submit(&code(step - 1), &code(step), &foreign_enrolment).status,
        400
    );
    let done = submit(&code(step - 1), &code(step), &enrolment);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("The authenticator app was assigned."));
    assert!(done.body.contains("Gina&#39;s phone") || done.body.contains("Gina's phone"));
    let listed = admin.post(&[("Action", "ListMFADevices"), ("UserName", "gina")]);
    assert!(
        listed.body.contains("<SerialNumber>arn:aws:iam::"),
        "{}",
        listed.body
    );

    // From now on the password alone is not enough.
    let later = Browser::new(&server);
    assert_eq!(
        later
            .sign_in(&account, "gina", "Gina-Passw0rd!")
            .location
            .as_deref(),
        Some("/signin/mfa")
    );
    // The code used to enrol cannot be used again; the next one can.
    let replay = later.submit("/signin/mfa", "/signin/mfa", &[("code", &code(step))]);
    assert_eq!(replay.status, 401);
    let next = later.submit("/signin/mfa", "/signin/mfa", &[("code", &code(step + 1))]);
    assert_eq!(next.location.as_deref(), Some("/console"), "{}", next.body);

    // Removing the device brings back password-only sign-in.
    let page = later.get("/console/mfa");
    let serial = {
        let marker = r#"name="serial" value=""#;
        let start = page.body.find(marker).unwrap() + marker.len();
        let end = page.body[start..].find('"').unwrap() + start;
        page.body[start..end].to_string()
    };
    let removed = later.post(
        "/console/mfa/remove",
        &[("csrf_token", &page.csrf()), ("serial", &serial)],
    );
    assert!(
        removed.body.contains("The device was removed."),
        "{}",
        removed.body
    );
    assert_eq!(
        Browser::new(&server)
            .sign_in(&account, "gina", "Gina-Passw0rd!")
            .location
            .as_deref(),
        Some("/console")
    );
}

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

/// A server for `db` whose public URL is http://localhost:PORT, where WebAuthn is available.
fn localhost_server(db: &TestDb) -> Server {
    let server = Server::start(db, &[]);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    drop(server);
    Server::start(
        db,
        &[
            ("KEYWARD_LISTEN", &format!("127.0.0.1:{port}")),
            ("KEYWARD_PUBLIC_URL", &format!("http://localhost:{port}")),
        ],
    )
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

#[test]
fn the_last_factor_stays_while_the_users_policies_depend_on_mfa() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "hank", "Hank-Passw0rd!", false);
    let seed = enable_totp(&admin, "hank");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*MFA*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
    let put = admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "hank"),
        ("PolicyName", "force-mfa"),
        ("PolicyDocument", policy),
    ]);
    assert_eq!(put.status, 200, "{}", put.body);
    let account = account(&server);
    let browser = Browser::new(&server);
    browser.sign_in(&account, "hank", "Hank-Passw0rd!");
    let step = now_step();
    let mut signed_in = false;
    for s in [step + 1, step] {
        let page = browser.submit(
            "/signin/mfa",
            "/signin/mfa",
            &[("code", &totp::code_at_step(&seed, s).unwrap())],
        );
        if page.location.as_deref() == Some("/console") {
            signed_in = true;
            break;
        }
    }
    assert!(signed_in);
    let page = browser.get("/console/mfa");
    let marker = r#"name="serial" value=""#;
    let start = page.body.find(marker).unwrap() + marker.len();
    let end = page.body[start..].find('"').unwrap() + start;
    let serial = page.body[start..end].to_string();
    let refused = browser.post(
        "/console/mfa/remove",
        &[("csrf_token", &page.csrf()), ("serial", &serial)],
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("your policies require MFA"),
        "{}",
        refused.body
    );
    let listed = admin.post(&[("Action", "ListMFADevices"), ("UserName", "hank")]);
    assert!(listed.body.contains(&serial));
}

/// Signs the root user in with a changed password; returns the browser.
pub(crate) fn root_browser(server: &Server) -> Browser {
    let browser = Browser::new(server);
    browser.sign_in(&account(server), "root", &root_password(server));
    change_root_password(server, &browser);
    browser
}

#[test]
fn the_console_manages_users_groups_and_policies_through_the_iam_actions() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let root = root_browser(&server);
        let users = root.get("/console/users");
        assert_eq!(users.status, 200, "{}", users.body);
        assert!(
            users.body.contains(">admin</a>"),
            "the bootstrap admin is listed"
        );
        // Create a user with a console password, as the console's form does.
        let created = root.submit(
            "/console/users",
            "/console/users",
            &[
                ("name", "ivy"),
                ("path", "/"),
                ("password", "Ivy-Passw0rd!"),
                ("reset", "true"),
            ],
        );
        assert_eq!(
            created.location.as_deref(),
            Some("/console/users/ivy?done=created"),
            "{backend:?}: {}",
            created.body
        );
        let page = root.get("/console/users/ivy");
        assert!(page.body.contains("arn:aws:iam::"), "{}", page.body);
        assert!(page.body.contains("Must change at next sign-in"));
        // A group with a policy, and the user in it.
        let group = root.submit(
            "/console/groups",
            "/console/groups",
            &[("name", "readers"), ("path", "/")],
        );
        assert_eq!(
            group.location.as_deref(),
            Some("/console/groups/readers?done=created")
        );
        let attach = root.submit(
            "/console/groups/readers",
            "/console/groups/readers/attach",
            &[("arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")],
        );
        assert_eq!(
            attach.location.as_deref(),
            Some("/console/groups/readers?done=attached"),
            "{}",
            attach.body
        );
        let added = root.submit(
            "/console/users/ivy",
            "/console/users/ivy/add-to-group",
            &[("group", "readers")],
        );
        assert_eq!(
            added.location.as_deref(),
            Some("/console/users/ivy?done=added")
        );
        // The API sees what the console did.
        let groups = admin.post(&[("Action", "ListGroupsForUser"), ("UserName", "ivy")]);
        assert!(
            groups.body.contains("<GroupName>readers</GroupName>"),
            "{}",
            groups.body
        );
        let attached = admin.post(&[
            ("Action", "ListAttachedGroupPolicies"),
            ("GroupName", "readers"),
        ]);
        assert!(attached.body.contains("IAMReadOnlyAccess"));
        // A refused change shows IAM's own message.
        let again = root.submit(
            "/console/users",
            "/console/users",
            &[("name", "IVY"), ("path", "/")],
        );
        assert_eq!(again.status, 409, "{}", again.body);
        assert!(again.body.contains("already exists"), "{}", again.body);
        // An access key: the secret is shown once, with a CSV to download.
        let key = root.submit("/console/users/ivy", "/console/users/ivy/create-key", &[]);
        assert_eq!(key.status, 200);
        assert!(key
            .body
            .contains("This is the only time the secret access key can be seen"));
        assert!(key.body.contains("data:text/csv;base64,"));
        let shown = root.get("/console/users/ivy");
        assert!(
            !shown.body.contains("Secret access key"),
            "never shown again"
        );
        let keys = admin.post(&[("Action", "ListAccessKeys"), ("UserName", "ivy")]);
        assert!(keys.body.contains("<Status>Active</Status>"));
        // Renamed, and found by a search of the groups list.
        let renamed = root.submit(
            "/console/users/ivy",
            "/console/users/ivy/rename",
            &[("new_name", "ivy2"), ("new_path", "/team/")],
        );
        assert_eq!(
            renamed.location.as_deref(),
            Some("/console/users/ivy2?done=updated"),
            "{}",
            renamed.body
        );
        let user = admin.post(&[("Action", "GetUser"), ("UserName", "ivy2")]);
        assert!(user.body.contains("<Path>/team/</Path>"), "{}", user.body);
        let found = root.get("/console/groups?search=READ");
        assert!(found.body.contains(">readers</a>"));
        assert!(!found.body.contains(">Administrators</a>"));
        assert!(root
            .get("/console/groups")
            .body
            .contains(">Administrators</a>"));
    }
}

#[test]
fn a_user_sees_only_what_its_policies_allow_with_aws_reasons() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "jo", "Jo-Passw0rd!", false);
    let browser = Browser::new(&server);
    browser.sign_in(&account(&server), "jo", "Jo-Passw0rd!");
    let users = browser.get("/console/users");
    assert_eq!(users.status, 200);
    assert!(
        users
            .body
            .contains("is not authorized to perform: iam:ListUsers"),
        "{}",
        users.body
    );
    let create = browser.submit(
        "/console/users",
        "/console/users",
        &[("name", "mallory"), ("path", "/")],
    );
    assert_eq!(create.status, 403);
    assert!(
        create
            .body
            .contains("is not authorized to perform: iam:CreateUser"),
        "{}",
        create.body
    );
    let forged = browser.post(
        "/console/users",
        &[("csrf_token", "forged"), ("name", "mallory"), ("path", "/")],
    );
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("Form expired"));
    let missing = admin.post(&[("Action", "GetUser"), ("UserName", "mallory")]);
    assert_eq!(missing.status, 404, "nothing was created");
    // Read-only access lets it list, not change.
    let attach = admin.post(&[
        ("Action", "AttachUserPolicy"),
        ("UserName", "jo"),
        ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
    ]);
    assert_eq!(attach.status, 200, "{}", attach.body);
    let users = browser.get("/console/users");
    assert!(users.body.contains(">jo</a>"), "{}", users.body);
    let delete = browser.submit("/console/users/jo", "/console/users/jo/delete", &[]);
    assert_eq!(delete.status, 403);
    assert!(delete.body.contains("iam:DeleteUser"));
}

#[test]
fn roles_and_policies_are_edited_with_the_policy_engines_findings() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let root = root_browser(&server);
    let account = account(&server);
    // The role form starts with a trust policy for this account.
    let form = root.get("/console/roles");
    assert!(form.body.contains(&format!("arn:aws:iam::{account}:root")));
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let created = root.submit(
        "/console/roles",
        "/console/roles",
        &[
            ("name", "auditor"),
            ("description", "reads"),
            ("max_session", "3600"),
            ("trust", &trust),
        ],
    );
    assert_eq!(
        created.location.as_deref(),
        Some("/console/roles/auditor?done=created"),
        "{}",
        created.body
    );
    let bad = root.submit(
        "/console/roles/auditor",
        "/console/roles/auditor/trust",
        &[("document", "{not json")],
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("{not json"), "the edit is kept");
    let role = admin.post(&[("Action", "GetRole"), ("RoleName", "auditor")]);
    assert!(
        role.body.contains("sts%3AAssumeRole") || role.body.contains("sts:AssumeRole"),
        "trust unchanged"
    );

    // A policy with an error is refused with the engine's finding; a good one is created.
    let wrong = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*"}]}"#;
    let refused = root.submit(
        "/console/policies",
        "/console/policies",
        &[("name", "reader"), ("document", wrong)],
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("Error"), "{}", refused.body);
    let good = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}"#;
    let ok = root.submit(
        "/console/policies",
        "/console/policies",
        &[("name", "reader"), ("document", good)],
    );
    let location = ok.location.clone().unwrap_or_default();
    assert!(
        location.starts_with("/console/policies/view?arn="),
        "{}",
        ok.body
    );
    let arn = format!("arn:aws:iam::{account}:policy/reader");
    let view = root.get(&location);
    assert!(
        view.body.contains("&#34;Sid&#34;: &#34;Read&#34;"),
        "{}",
        view.body
    );
    assert!(!view.body.contains("Warning"), "{}", view.body);
    // A condition key the statement's IAM actions are never given: saved, with a warning on
    // the policy's page.
    let unsupplied = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Guard","Effect":"Deny","Action":"iam:CreateGroup","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}}]}"#;
    let warned = root.submit(
        "/console/policies",
        "/console/policies",
        &[("name", "guard"), ("document", unsupplied)],
    );
    let guard_page = warned.location.clone().unwrap_or_default();
    assert!(guard_page.contains("done=created"), "{}", warned.body);
    let guard_view = root.get(&guard_page);
    assert!(
        guard_view.body.contains("Warning in statement Guard")
            && guard_view
                .body
                .contains("iam:PolicyARN is never present on iam:CreateGroup"),
        "{}",
        guard_view.body
    );
    let v2 = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadAndList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}"#;
    let saved = root.submit(
        &location,
        "/console/policies/change/version",
        &[("arn", &arn), ("document", v2)],
    );
    assert!(
        saved.location.unwrap_or_default().ends_with("done=updated"),
        "{}",
        saved.body
    );
    let policy = admin.post(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]);
    assert!(
        policy
            .body
            .contains("<DefaultVersionId>v2</DefaultVersionId>"),
        "{}",
        policy.body
    );
    let attach = root.submit(
        "/console/roles/auditor",
        "/console/roles/auditor/attach",
        &[("arn", &arn)],
    );
    assert_eq!(
        attach.location.as_deref(),
        Some("/console/roles/auditor?done=attached")
    );
    let in_use = root.submit(
        &location,
        "/console/policies/change/delete",
        &[("arn", &arn)],
    );
    assert_eq!(
        in_use.status, 409,
        "an attached policy cannot be deleted: {}",
        in_use.body
    );

    // The simulator decides as the engine does, per action.
    let simulated = root.submit(
        "/console/simulator",
        "/console/simulator",
        &[
            ("source", &format!("arn:aws:iam::{account}:role/auditor")),
            ("actions", "iam:ListUsers iam:CreateUser"),
            ("resources", "*"),
            ("context", ""),
            ("policy", ""),
        ],
    );
    assert_eq!(simulated.status, 200, "{}", simulated.body);
    assert!(
        simulated
            .body
            .contains("<td>iam:ListUsers</td><td>*</td><td>Allowed</td><td>reader</td>"),
        "{}",
        simulated.body
    );
    assert!(simulated
        .body
        .contains("<td>iam:CreateUser</td><td>*</td><td>Denied implicitly"));

    // Several resources: one row for the action with IAM's most restrictive decision, then each
    // resource's own decision under it.
    let alice = format!("arn:aws:iam::{account}:user/alice");
    let boss = format!("arn:aws:iam::{account}:user/boss");
    let pasted = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"Read","Effect":"Allow","Action":"iam:GetUser","Resource":"*"}},
            {{"Sid":"NotBoss","Effect":"Deny","Action":"iam:GetUser","Resource":"{boss}"}}]}}"#
    );
    let per_resource = root.submit(
        "/console/simulator",
        "/console/simulator",
        &[
            ("source", ""),
            ("actions", "iam:GetUser"),
            ("resources", &format!("{alice} {boss}")),
            ("context", ""),
            ("policy", &pasted),
        ],
    );
    assert_eq!(per_resource.status, 200, "{}", per_resource.body);
    let body = &per_resource.body;
    let top = body
        .find("<td>iam:GetUser</td><td>All 2 resources</td><td>Denied explicitly</td>")
        .unwrap_or_else(|| panic!("{body}"));
    let first = body
        .find(&format!("<td></td><td>↳ {alice}</td><td>Allowed</td>"))
        .unwrap_or_else(|| panic!("{body}"));
    let second = body
        .find(&format!(
            "<td></td><td>↳ {boss}</td><td>Denied explicitly</td>"
        ))
        .unwrap_or_else(|| panic!("{body}"));
    assert!(top < first && first < second, "{body}");
}

#[test]
fn switching_to_a_role_acts_with_its_permissions_until_switching_back() {
    let db = TestDb::new(Backend::Postgres);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "kim", "Kim-Passw0rd!", false);
    let allow_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "kim"),
        ("PolicyName", "assume"),
        ("PolicyDocument", allow_assume),
    ]);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/kim"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = admin.post(&[
        ("Action", "CreateRole"),
        ("RoleName", "operator"),
        ("AssumeRolePolicyDocument", &trust),
    ]);
    assert_eq!(role.status, 200, "{}", role.body);
    admin.post(&[
        ("Action", "AttachRolePolicy"),
        ("RoleName", "operator"),
        ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
    ]);

    let browser = Browser::new(&server);
    browser.sign_in(&account, "kim", "Kim-Passw0rd!");
    let before = browser.get("/console/users");
    assert!(before
        .body
        .contains("is not authorized to perform: iam:ListUsers"));
    // A role whose trust policy does not name kim is refused with STS's message.
    let refused = browser.submit(
        "/console/switch-role",
        "/console/switch-role",
        &[
            ("account", &account),
            ("role", "missing"),
            ("label", ""),
            ("colour", "red"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("is not authorized to perform: sts:AssumeRole"),
        "{}",
        refused.body
    );
    let switched = browser.submit(
        "/console/switch-role",
        "/console/switch-role",
        &[
            ("account", &account),
            ("role", "operator"),
            ("label", "Ops"),
            ("colour", "green"),
        ],
    );
    assert_eq!(
        switched.location.as_deref(),
        Some("/console"),
        "{}",
        switched.body
    );
    let during = browser.get("/console/users");
    assert!(
        during.body.contains(">kim</a>"),
        "the role may list users: {}",
        during.body
    );
    assert!(during.body.contains(r#"class="role-label role-green""#));
    assert!(during
        .body
        .contains(&format!("arn:aws:sts::{account}:assumed-role/operator/kim")));
    let back = browser.submit("/console", "/console/switch-back", &[]);
    assert_eq!(
        back.location.as_deref(),
        Some("/console?done=switched-back")
    );
    let after = browser.get("/console/users");
    assert!(after
        .body
        .contains("is not authorized to perform: iam:ListUsers"));
}

/// The sealed enrolment value of the TOTP page.
fn enrolment_of(page: &Page) -> String {
    let marker = r#"name="enrolment" value=""#;
    let start = page.body.find(marker).unwrap() + marker.len();
    let end = page.body[start..].find('"').unwrap() + start;
    page.body[start..end].to_string()
}

#[test]
fn the_root_user_enrols_mfa_gets_recovery_codes_and_each_works_once() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    let root = root_browser(&server);
    let dashboard = root.get("/console");
    assert!(dashboard.body.contains("The root user has no MFA"));
    let enrol = root.get("/console/mfa/totp");
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    let seed = data_encoding::BASE32_NOPAD
        .decode(by_id(&enrol.body, "totp-secret").trim().as_bytes())
        .unwrap();
    let step = now_step();
    let done = root.post(
        "/console/mfa/totp",
        &[
            ("csrf_token", &enrol.csrf()),
            ("enrolment", &enrolment_of(&enrol)),
            ("name", "Root phone"),
            ("code1", &totp::code_at_step(&seed, step - 1).unwrap()),
            ("code2", &totp::code_at_step(&seed, step).unwrap()),
        ],
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let codes_section = done.body.split("id=\"recovery-codes\"").nth(1).unwrap();
    let codes: Vec<String> = codes_section
        .split("<code>")
        .skip(1)
        .filter_map(|c| c.split("</code>").next())
        .take(10)
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 10, "{}", done.body);
    assert!(root
        .get("/console")
        .body
        .contains("MFA is enabled for the root user"));
    // Not an unassigned device for IAM.
    let unassigned = admin.post(&[
        ("Action", "ListVirtualMFADevices"),
        ("AssignmentStatus", "Unassigned"),
    ]);
    assert!(
        !unassigned.body.contains("root-account-mfa-device"),
        "{}",
        unassigned.body
    );

    // The next sign-in asks for the second factor; a recovery code stands in for it once.
    let again = Browser::new(&server);
    let first = again.sign_in(&account, "root", "Fresh-Root-Passw0rd");
    assert_eq!(first.location.as_deref(), Some("/signin/mfa"));
    let page = again.get("/signin/mfa");
    assert!(page.body.contains("Use a recovery code"));
    let wrong = again.post(
        "/signin/mfa/recovery",
        &[
            ("csrf_token", &page.csrf()),
            ("code", "AAAA-BBBB-CCCC-DDDD"),
        ],
    );
    assert_eq!(wrong.status, 401);
    let used = again.post(
        "/signin/mfa/recovery",
        &[
            ("csrf_token", &page.csrf()),
            ("code", &codes[3].to_lowercase()),
        ],
    );
    assert_eq!(used.location.as_deref(), Some("/console"), "{}", used.body);
    let third = Browser::new(&server);
    third.sign_in(&account, "root", "Fresh-Root-Passw0rd");
    let page = third.get("/signin/mfa");
    let reused = third.post(
        "/signin/mfa/recovery",
        &[("csrf_token", &page.csrf()), ("code", &codes[3])],
    );
    assert_eq!(reused.status, 401, "a used code does not work again");
    let other = third.post(
        "/signin/mfa/recovery",
        &[("csrf_token", &page.csrf()), ("code", &codes[4])],
    );
    assert_eq!(other.location.as_deref(), Some("/console"));
    assert!(third
        .get("/console/mfa")
        .body
        .contains("8 unused recovery codes"));
}

#[test]
fn a_console_session_signed_in_with_mfa_may_switch_to_a_role_that_requires_it() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    let allow_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    for user in ["olga", "pat"] {
        console_user(&admin, user, "Switch-Passw0rd!", false);
        admin.post(&[
            ("Action", "PutUserPolicy"),
            ("UserName", user),
            ("PolicyName", "assume"),
            ("PolicyDocument", allow_assume),
        ]);
    }
    let seed = enable_totp(&admin, "olga");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole","Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}}}]}}"#
    );
    let role = admin.post(&[
        ("Action", "CreateRole"),
        ("RoleName", "guarded"),
        ("AssumeRolePolicyDocument", &trust),
    ]);
    assert_eq!(role.status, 200, "{}", role.body);
    let switch = |b: &Browser| {
        b.submit(
            "/console/switch-role",
            "/console/switch-role",
            &[
                ("account", &account),
                ("role", "guarded"),
                ("label", ""),
                ("colour", "blue"),
            ],
        )
    };
    // Without MFA the trust policy refuses.
    let pat = Browser::new(&server);
    pat.sign_in(&account, "pat", "Switch-Passw0rd!");
    assert_eq!(switch(&pat).status, 403);
    // With MFA proved at sign-in, the switch carries it.
    let olga = Browser::new(&server);
    olga.sign_in(&account, "olga", "Switch-Passw0rd!");
    let step = now_step();
    let mut in_console = false;
    for s in [step + 1, step] {
        let page = olga.submit(
            "/signin/mfa",
            "/signin/mfa",
            &[("code", &totp::code_at_step(&seed, s).unwrap())],
        );
        if page.location.as_deref() == Some("/console") {
            in_console = true;
            break;
        }
    }
    assert!(in_console);
    let switched = switch(&olga);
    assert_eq!(
        switched.location.as_deref(),
        Some("/console"),
        "{}",
        switched.body
    );
    assert!(olga
        .get("/console")
        .body
        .contains("assumed-role/guarded/olga"));
}

#[test]
fn long_lists_come_in_pages_and_searches_look_through_them_all() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    for i in 0..55 {
        let made = admin.post(&[
            ("Action", "CreateGroup"),
            ("GroupName", &format!("team-{i:02}")),
        ]);
        assert_eq!(made.status, 200, "{}", made.body);
    }
    let root = root_browser(&server);
    let first = root.get("/console/groups");
    assert!(first.body.contains(">team-00</a>"));
    assert!(!first.body.contains(">team-54</a>"), "50 to a page");
    let marker = r#"<a href="/console/groups?marker="#;
    let start = first.body.find(marker).expect("a next page link") + r#"<a href=""#.len();
    let end = first.body[start..].find('"').unwrap() + start;
    let next = first.body[start..end].replace("&amp;", "&");
    let second = root.get(&next);
    assert!(second.body.contains(">team-54</a>"), "{}", second.body);
    assert!(!second.body.contains(">team-00</a>"));
    let searched = root.get("/console/groups?search=team-5");
    for i in 50..55 {
        assert!(searched.body.contains(&format!(">team-{i}</a>")));
    }
    assert!(!searched.body.contains(">team-49</a>"));
}

#[test]
fn own_factors_added_while_acting_as_a_role_are_audited_as_the_user() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    console_user(&admin, "quinn", "Quinn-Passw0rd!", false);
    let allow_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "quinn"),
        ("PolicyName", "assume"),
        ("PolicyDocument", allow_assume),
    ]);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    admin.post(&[
        ("Action", "CreateRole"),
        ("RoleName", "helper"),
        ("AssumeRolePolicyDocument", &trust),
    ]);
    let browser = Browser::new(&server);
    browser.sign_in(&account, "quinn", "Quinn-Passw0rd!");
    let switched = browser.submit(
        "/console/switch-role",
        "/console/switch-role",
        &[
            ("account", &account),
            ("role", "helper"),
            ("label", ""),
            ("colour", "red"),
        ],
    );
    assert_eq!(
        switched.location.as_deref(),
        Some("/console"),
        "{}",
        switched.body
    );
    let enrol = browser.get("/console/mfa/totp");
    let seed = data_encoding::BASE32_NOPAD
        .decode(by_id(&enrol.body, "totp-secret").trim().as_bytes())
        .unwrap();
    let step = now_step();
    let done = browser.post(
        "/console/mfa/totp",
        &[
            ("csrf_token", &enrol.csrf()),
            ("enrolment", &enrolment_of(&enrol)),
            ("name", "phone"),
            ("code1", &totp::code_at_step(&seed, step - 1).unwrap()),
            ("code2", &totp::code_at_step(&seed, step).unwrap()),
        ],
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let actors: Vec<Option<String>> = ctx
        .store
        .read(|conn| keyward::audit::list_for_account(conn, &account))
        .unwrap()
        .into_iter()
        .filter(|e| e.event_name == "EnableMFADevice")
        .map(|e| e.actor_arn)
        .collect();
    assert_eq!(
        actors,
        [Some(format!("arn:aws:iam::{account}:user/quinn"))],
        "the user's own device, the user's own change"
    );
}

/// The console's `aws:SecureTransport` is the connection's: true when a trusted proxy says the
/// browser came over https, whatever the public URL is.
#[test]
fn the_consoles_secure_transport_comes_from_trusted_proxies() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "tls", "Tls-Passw0rd-1", false);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers",
        "Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    let put = admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "tls"),
        ("PolicyName", "tls-only"),
        ("PolicyDocument", policy),
    ]);
    assert_eq!(put.status, 200, "{}", put.body);
    let browser = Browser::new(&server);
    browser.sign_in(&account(&server), "tls", "Tls-Passw0rd-1");
    let denied = "is not authorized to perform: iam:ListUsers";
    let plain = browser.get("/console/users");
    assert!(plain.body.contains(denied), "{}", plain.body);
    let proxied = browser.get_with("/console/users", ("x-forwarded-proto", "https"));
    assert!(!proxied.body.contains(denied), "{}", proxied.body);
}
