//! The provider's pages (askama templates in `templates/`): consent, and the confirmations
//! that stand between a link and a sign-out.

use askama::Template;

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub signed_in: Option<crate::browser::pages::SignedIn>,
    pub csrf: String,
    pub client_name: String,
    pub user_name: String,
    pub account_id: String,
    /// What each requested scope lets the client see, in words.
    pub scopes: Vec<String>,
    /// The digest of the request shown, sent back with the answer.
    pub request: String,
    /// Where the answer goes: the host of the client's redirect URI.
    pub redirect_host: String,
}

/// A question answered by one button that posts a form.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub signed_in: Option<crate::browser::pages::SignedIn>,
    pub title: String,
    pub message: String,
    pub action: String,
    pub csrf: String,
    pub fields: Vec<(String, String)>,
    pub button: String,
}

/// A scope in words, for the consent page.
pub fn describe_scope(scope: &str) -> String {
    match scope {
        "openid" => "who you are (a stable identifier of your user)".into(),
        "profile" => "your user name and display name".into(),
        "email" => "your email address".into(),
        "groups" => "the names of your IAM groups".into(),
        "offline_access" => "access while you are signed out (until you withdraw it)".into(),
        other => format!("the permission “{other}”"),
    }
}
