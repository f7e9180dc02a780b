//! The portal's views: one askama template each, in `templates/`. Views hold only what the
//! page shows; askama escapes every value for HTML.

use askama::Template;

pub use crate::browser::pages::{RoleBadge, SignedIn};

#[derive(Template)]
#[template(path = "signin.html")]
pub struct SigninPage {
    pub signed_in: Option<SignedIn>,
    pub csrf: String,
    pub account: String,
    pub user_name: String,
    pub error: Option<String>,
    /// A one-time message from the page before ("You have signed out.").
    pub notice: Option<String>,
    /// The application a waiting authorization request is for, named in the heading.
    pub app: Option<String>,
    /// The account's sign-in providers: (name, link).
    pub providers: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "mfa.html")]
pub struct MfaPage {
    pub signed_in: Option<SignedIn>,
    pub csrf: String,
    pub user_name: String,
    pub has_totp: bool,
    pub has_keys: bool,
    /// The root user may use a recovery code instead.
    pub root: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "change_password.html")]
pub struct ChangePasswordPage {
    pub signed_in: Option<SignedIn>,
    pub csrf: String,
    pub forced: bool,
    pub rules: String,
    pub error: Option<String>,
}

/// One line of the resource table.
#[derive(Debug, Clone)]
pub struct Count {
    pub label: &'static str,
    pub used: i64,
    pub quota: i64,
}

/// One line of the security status.
#[derive(Debug, Clone)]
pub struct Check {
    pub label: String,
    pub ok: bool,
    /// Where a failed check is fixed ("" when it passed).
    pub fix: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub signed_in: Option<SignedIn>,
    pub csrf: String,
    pub signin_url: String,
    pub counts: Vec<Count>,
    pub security: Vec<Check>,
    /// Whether the caller may read the account summary (else `notice` says why not).
    pub allowed: bool,
    pub mfa: bool,
    /// Signed in through an external identity (a sign-in provider, a directory): its password
    /// is not Keyward's to change.
    pub external: bool,
    pub notice: Option<String>,
    /// The one-time message of the change just made (switching roles, say).
    pub flash: Option<String>,
}

/// One device on the security credentials page.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub serial: String,
    pub name: String,
    pub kind: &'static str,
    pub added: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "mfa_devices.html")]
pub struct MfaDevicesPage {
    pub signed_in: Option<SignedIn>,
    pub csrf: String,
    pub devices: Vec<DeviceRow>,
    pub recently_authenticated: bool,
    /// The root user's page: recovery codes.
    pub root: bool,
    pub codes_left: i64,
    /// The root user has factors but no recovery codes left.
    pub offer_codes: bool,
    /// Recovery codes just made, shown this once.
    pub new_codes: Vec<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
pub struct TotpEnrolPage {
    pub signed_in: Option<SignedIn>,
    pub csrf: String,
    /// The QR code, an SVG document made by the qrcode crate (not user input).
    pub qr_svg: String,
    pub secret: String,
    /// The seed, sealed to the session, for the confirming form.
    pub enrolment: String,
    pub name: String,
    pub error: Option<String>,
}
