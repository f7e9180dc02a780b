//! The audit events of a sign-in through an external provider: `ConsoleLogin` (success or
//! failure) and `ExternalIdentityVerified`, each with the external subject once it is proved.

use super::{ExternalError, Proven, SigninService};
use crate::audit::{AuditEvent, EventSource, RequestMeta};
use serde_json::json;

pub(super) fn login_event(proven: &Proven, mfa: bool) -> AuditEvent {
    let mut e = AuditEvent::new(EventSource::Signin, "ConsoleLogin")
        .account(&proven.account_id)
        .parameters(json!({
            "userName": proven.user_name,
            "provider": proven.provider,
            "providerArn": proven.provider_arn,
            "externalSubject": proven.subject,
            "MFAUsed": if mfa { "Yes" } else { "No" },
        }));
    e.read_only = false;
    e
}

/// Audits a sign-in through a provider that stopped: who it was when the provider had
/// proved it (`proven`), the provider and the reason.
pub fn audit_failure(
    service: &SigninService,
    account_id: &str,
    provider: &str,
    proven: Option<&Proven>,
    error: &ExternalError,
    meta: &RequestMeta,
) {
    let mut e = match proven {
        Some(p) => login_event(p, p.mfa_at.is_some()),
        None => {
            let mut e = AuditEvent::new(EventSource::Signin, "ConsoleLogin")
                .account(account_id)
                .parameters(json!({ "provider": provider }));
            e.read_only = false;
            e
        }
    };
    e = e
        .response(json!({ "ConsoleLogin": "Failure" }))
        .failed("Failed authentication", error.to_string());
    service.audit.push(service.ctx.clock.now_naive(), meta, e);
}

/// Audits that the provider proved who someone is and which roles they were offered.
pub fn audit_proven(service: &SigninService, proven: &Proven, meta: &RequestMeta) {
    let mut e = AuditEvent::new(EventSource::Signin, "ExternalIdentityVerified")
        .account(&proven.account_id)
        .parameters(json!({
            "userName": proven.user_name,
            "provider": proven.provider,
            "providerArn": proven.provider_arn,
            "externalSubject": proven.subject,
            "rolesOffered": proven.roles,
        }));
    e.read_only = true;
    service.audit.push(service.ctx.clock.now_naive(), meta, e);
}
