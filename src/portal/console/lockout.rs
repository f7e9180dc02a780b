//! A user locked out of sign-in by Keyward's guessing throttle (too many wrong passwords for
//! that user name): a banner on the user's page while the lock lasts, and "Unlock", which
//! forgets the failures. Seeing the lock needs what reading the user's console password needs
//! (`iam:GetLoginProfile`); unlocking needs what resetting it needs (`iam:UpdateLoginProfile`),
//! checked by the same authorizer as every call, and is audited as `UnlockUser`.

use super::{Console, Refusal};
use crate::audit::{AuditEvent, EventSource};
use crate::auth::throttle::Verdict;
use crate::authz::ResourceRequest;
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::storage::throttle::{self, Key};
use chrono::NaiveDateTime;
use serde_json::json;

/// Until when the user's sign-in is refused, if it is now.
pub fn locked_until(api: &AwsApi, c: &Console, name: &str) -> Option<NaiveDateTime> {
    let ctx = &api.ctx;
    let key = Key::user(c.acting.caller.account_id(), name);
    let now = ctx.clock.now_naive();
    match ctx.store.read(|conn| throttle::check(conn, &[key], now)) {
        Ok(Verdict::Blocked { until, .. }) => Some(until),
        _ => None,
    }
}

/// Forgets the user's failed sign-ins, if the acting principal may reset its password.
pub fn unlock(api: &AwsApi, c: &Console, name: &str, user_arn: &str) -> Result<(), Refusal> {
    let ctx = &api.ctx;
    let request = ResourceRequest::new("iam:UpdateLoginProfile", user_arn);
    api.authorizer
        .authorize(ctx, &c.acting.caller, &c.acting.facts, &request)
        .map_err(AwsError::from)?;
    let account = c.acting.caller.account_id().to_string();
    let key = Key::user(&account, name);
    let now = ctx.clock.now_naive();
    ctx.store.write(|conn| {
        throttle::succeeded(conn, &[key])?;
        let event = AuditEvent::new(EventSource::Iam, "UnlockUser")
            .account(&account)
            .actor(c.acting.caller.arn())
            .parameters(json!({ "userName": name }));
        crate::audit::record(conn, now, ctx.random.as_ref(), &c.acting.meta, event)
    })?;
    Ok(())
}
