//! One-time messages after a redirect ("User alice created", "You have signed out"), and the
//! secrets a change shows exactly once (a new access key's secret, recovery codes).
//!
//! A change answers with a redirect (post/redirect/get); the message travels in a short-lived
//! cookie sealed under the master key for the principal whose session made it, and the page
//! that shows it removes the cookie in the same answer. Reloading that page, or going back to it,
//! shows nothing more: the message, and any secret with it, existed in the browser only
//! between the redirect and the next page. The seal names the principal, so a flash cookie
//! opens in no other principal's session.

use crate::signin::sessions::Session;
use crate::signin::SigninService;
use actix_web::cookie::time::Duration;
use actix_web::{HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

const COOKIE: &str = "keyward_flash";
const SECURE_COOKIE: &str = "__Host-keyward_flash";
/// How long a flash waits for its page, in seconds: a redirect takes far less.
const LIFETIME: i64 = 120;

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

fn purpose(binding: &str) -> String {
    format!("browser-flash:{binding}")
}

/// A message for the next page, and the secrets shown once with it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    pub message: String,
    /// Label and value of each secret (shown once, in a box of its own).
    pub secrets: Vec<(String, String)>,
    /// A file name under which the secrets can be downloaded (one CSV row), if offered.
    pub download: Option<String>,
    /// Unix seconds, when it was made.
    made_at: i64,
}

impl Flash {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }

    pub fn secret(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.push((label.into(), value.into()));
        self
    }

    /// The secrets as a CSV file named `file`, offered for download beside them.
    pub fn download(mut self, file: impl Into<String>) -> Self {
        self.download = Some(file.into());
        self
    }

    /// The download's name and `data:` URL: a header row of labels, a row of values.
    pub fn csv(&self) -> Option<(String, String)> {
        let file = self.download.clone()?;
        let row = |cells: Vec<&str>| cells.join(",");
        let csv = format!(
            "{}\n{}\n",
            row(self.secrets.iter().map(|s| s.0.as_str()).collect()),
            row(self.secrets.iter().map(|s| s.1.as_str()).collect()),
        );
        let href = format!(
            "data:text/csv;base64,{}",
            data_encoding::BASE64.encode(csv.as_bytes())
        );
        Some((file, href))
    }
}

/// What a flash is bound to: the principal the session belongs to (stable when the session's
/// own token is renewed, as switching roles does); "" for a browser without a session.
pub fn binding(session: &Session) -> String {
    session.principal.subject(&session.account_id)
}

/// Gives `response` the flash for the principal named by `binding` ([`binding`], or "" for a
/// browser without a session, such as after signing out). A flash that cannot be
/// sealed is dropped: the change it reports has happened, and the page shows its result.
pub fn set(service: &SigninService, response: &mut HttpResponse, binding: &str, mut flash: Flash) {
    let ctx = &service.ctx;
    flash.made_at = ctx.clock.now().timestamp();
    let Ok(text) = serde_json::to_vec(&flash) else {
        return;
    };
    let Ok(sealed) = ctx
        .master_key
        .seal(&purpose(binding), &text, ctx.random.as_ref())
    else {
        return;
    };
    let mut c = super::cookies::cookie(service.secure, cookie_name(service.secure), sealed);
    c.set_max_age(Duration::seconds(LIFETIME));
    let _ = response.add_cookie(&c);
}

/// The flash waiting for this page for `binding`, if any. The page must [`clear`] it in its
/// answer.
pub fn take(service: &SigninService, req: &HttpRequest, binding: &str) -> Option<Flash> {
    let value = req.cookie(cookie_name(service.secure))?;
    let opened = service
        .ctx
        .master_key
        .open(&purpose(binding), value.value())
        .ok()?;
    let flash: Flash = serde_json::from_slice(opened.expose_secret()).ok()?;
    let age = service.ctx.clock.now().timestamp() - flash.made_at;
    (0..=LIFETIME).contains(&age).then_some(flash)
}

/// Removes the flash from the browser, if the request carried one: the answer of a page that
/// [`take`]s it, so that the message is shown once.
pub fn clear(service: &SigninService, req: &HttpRequest, response: &mut HttpResponse) {
    let name = cookie_name(service.secure);
    if req.cookie(name).is_some() {
        let _ = response.add_removal_cookie(&super::cookies::removal(service.secure, name));
    }
}
