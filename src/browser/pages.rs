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
    /// The root user (offered no "Switch role": AWS lets no root user assume a role).
    pub root: bool,
    /// The page's path, for marking the navigation's current page.
    pub current: String,
}

impl SignedIn {
    /// Whether `href` is the navigation entry of the current page (`aria-current`): the
    /// dashboard exactly, any other entry for its own pages under it.
    pub fn at(&self, href: &str) -> bool {
        if href == "/console" {
            return self.current == href;
        }
        self.current == href
            || self
                .current
                .strip_prefix(href)
                .is_some_and(|rest| rest.starts_with('/'))
    }
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
