//! The browser kit under both web surfaces (the portal and the OpenID provider): cookies,
//! pages and their rendering, redirects, the forms' CSRF checks and readers, the answers every
//! page handler shares (internal error, busy, form expired), the signed-in session behind a
//! request's cookie, and the continuation that carries a waiting flow over a sign-in.
//!
//! It decides nothing: it reads and writes what a browser holds, and the sign-in service
//! (`signin/`) says what a session is.

pub mod answers;
pub mod continuation;
pub mod cookies;
pub mod csrf;
pub mod flash;
pub mod pages;
pub mod session;

pub use answers::{
    busy, csrf_refused, form_config, internal, internal_json, json_config, message, meta,
    not_found, render, see_other,
};
pub use cookies::{cookie, removal, session_cookie_name, signin_cookie_name};
pub use csrf::{session_csrf_ok, session_token};
pub use session::current;
