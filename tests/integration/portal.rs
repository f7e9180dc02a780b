//! The sign-in portal over HTTP, as a browser without JavaScript uses it: cookies, forms with
//! CSRF tokens, redirects. (The same flows run in Chromium in the end-to-end suite.) This file
//! holds the helpers the portal's tests share (and other modules use); the tests are in the
//! submodules, by feature.

use crate::harness::{banner_value, Backend, Server, TestDb, BACKENDS};
use crate::signer::{element, eventually, Client};
use keyward::auth::totp;
use std::time::Duration;

mod all_or_nothing;
mod console;
mod lists;
mod mfa;
mod signin;
mod switch_role;
mod tags;
mod users_table;
mod versions;
mod webauthn;
/// The sign-in service on a store of its own with a clock the test moves.
pub(crate) mod with_a_fixed_clock;

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

/// The text of the element with this id.
fn by_id<'a>(body: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let start = body.find(&marker).unwrap();
    let open_end = body[start..].find('>').unwrap() + start + 1;
    let close = body[open_end..].find('<').unwrap() + open_end;
    &body[open_end..close]
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

/// Signs the root user in with a changed password; returns the browser.
pub(crate) fn root_browser(server: &Server) -> Browser {
    let browser = Browser::new(server);
    browser.sign_in(&account(server), "root", &root_password(server));
    change_root_password(server, &browser);
    browser
}

/// The sealed enrolment value of the TOTP page.
fn enrolment_of(page: &Page) -> String {
    let marker = r#"name="enrolment" value=""#;
    let start = page.body.find(marker).unwrap() + marker.len();
    let end = page.body[start..].find('"').unwrap() + start;
    page.body[start..end].to_string()
}
