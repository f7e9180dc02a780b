//! The role session a console session acts as, kept in the session's row sealed under the
//! master key: the role switched to (`portal::console::switch`), or, for a person signed in
//! through an external provider, the role they picked, which is their whole identity here.
//!
//! The seal is bound to the session's account, principal and sign-in time (which survive the
//! new ids a session gets), so a sealed role cannot serve another session or principal.

use super::sessions::Session;
use crate::authz::Caller;
use crate::context::ServiceContext;
use crate::credentials::Principal;
use crate::secrets::ExposeSecret;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What is kept of a role session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActingRole {
    pub access_key_id: String,
    pub session_token: String,
    /// The header's label and its colour.
    pub label: String,
    pub colour: String,
}

fn purpose(account_id: &str, principal: &Principal, signed_in_at: NaiveDateTime) -> String {
    format!(
        "console-role:{account_id}:{}:{}",
        match principal {
            Principal::Root => "root".to_string(),
            Principal::User(id) => id.clone(),
            Principal::Federated {
                provider,
                subject,
                role,
            } => format!("federated:{provider}:{subject}:{role}"),
        },
        signed_in_at.and_utc().timestamp_micros()
    )
}

/// Seals `role` for the session of `principal` in `account_id` signed in at `signed_in_at`.
pub fn seal(
    ctx: &ServiceContext,
    account_id: &str,
    principal: &Principal,
    signed_in_at: NaiveDateTime,
    role: &ActingRole,
) -> Result<String, String> {
    let text = serde_json::to_string(role).map_err(|e| e.to_string())?;
    ctx.master_key
        .seal(
            &purpose(account_id, principal, signed_in_at),
            text.as_bytes(),
            ctx.random.as_ref(),
        )
        .map_err(|e| e.to_string())
}

/// The role `session` holds, opened; `None` when it holds none or it does not open.
pub fn open(ctx: &ServiceContext, session: &Session) -> Option<ActingRole> {
    let sealed = session.role_session.as_deref()?;
    let opened = ctx
        .master_key
        .open_string(
            &purpose(&session.account_id, &session.principal, session.created_at),
            sealed,
        )
        .ok()?;
    serde_json::from_str(opened.expose_secret()).ok()
}

/// The caller `session`'s role session is, while its credentials are valid, with the role.
pub fn caller(ctx: &ServiceContext, session: &Session) -> Option<(Caller, ActingRole)> {
    let role = open(ctx, session)?;
    let now = ctx.clock.now().timestamp();
    let claims = ctx
        .sessions
        .open(&role.access_key_id, &role.session_token, now)
        .ok()?;
    let caller = Caller::Session {
        access_key_id: role.access_key_id.clone(),
        claims: Arc::new(claims),
    };
    Some((caller, role))
}
