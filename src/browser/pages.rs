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

/// The console navigation's entries (`templates/base.html`), for telling which is current.
const NAVIGATION: &[&str] = &[
    "/console",
    "/console/users",
    "/console/groups",
    "/console/roles",
    "/console/policies",
    "/console/identity-providers",
    "/console/signin-providers",
    "/console/directories",
    "/console/simulator",
    "/console/policies/generate",
    "/console/account",
    "/console/oidc-clients",
    "/console/mfa",
    "/console/applications",
];

impl SignedIn {
    /// Whether `href` is the navigation entry of the current page (`aria-current`): the
    /// dashboard exactly, any other entry for its own pages under it, and of two entries that
    /// both lead to the page (the policies and their generator) the longer.
    pub fn at(&self, href: &str) -> bool {
        let leads_here = |entry: &str| {
            if entry == "/console" {
                return self.current == entry;
            }
            self.current == entry
                || self
                    .current
                    .strip_prefix(entry)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        leads_here(href)
            && !NAVIGATION
                .iter()
                .any(|other| other.len() > href.len() && leads_here(other))
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

#[cfg(test)]
mod tests {
    use super::SignedIn;

    fn at(current: &str) -> SignedIn {
        SignedIn {
            role: None,
            active: true,
            display: "root".into(),
            arn: String::new(),
            account_id: String::new(),
            csrf: String::new(),
            root: true,
            current: current.into(),
        }
    }

    #[test]
    fn the_navigation_marks_one_entry_the_longest_that_leads_to_the_page() {
        let generator = at("/console/policies/generate");
        assert!(generator.at("/console/policies/generate"));
        assert!(!generator.at("/console/policies"), "one current entry");
        assert!(at("/console/policies/view").at("/console/policies"));
        assert!(at("/console/users/alice").at("/console/users"));
        assert!(
            !at("/console/users").at("/console"),
            "the dashboard only at its own path"
        );
        assert!(!at("/console/usersx").at("/console/users"));
    }
}
