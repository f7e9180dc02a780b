//! The views both web surfaces share (askama templates in `templates/`): the header's view of
//! who is signed in, and the message page.

use askama::Template;

/// The role a console session switched to, as the header shows it.
#[derive(Debug, Clone)]
pub struct RoleBadge {
    pub label: String,
    /// `role-<colour>`, a class of `static/keyward.css`.
    pub colour_class: String,
}

/// Who is signed in, for the header.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The role acted as after "switch role".
    pub role: Option<RoleBadge>,
    /// Signed in completely (not owing a new password): the console's menu is shown.
    pub active: bool,
    pub display: String,
    pub arn: String,
    pub account_id: String,
    pub csrf: String,
}

/// A title, a sentence and a way back.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub signed_in: Option<SignedIn>,
    pub title: String,
    pub message: String,
    pub back: String,
}
