//! The console's home: the account's sign-in URL, usage against quotas and the security
//! status; and the page for a console path that names nothing.

use super::console::view::{ConsolePage, Section};
use super::pages::{Check, Count, DashboardPage};
use super::Portal;
use crate::aws_api::endpoint::AwsApi;
use crate::browser::flash;
use crate::browser::{internal, message, render};
use crate::iam;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// A console path that names no page (or a method the page does not take): with a session,
/// a console page that keeps the navigation; without one, the site's own page.
pub(super) async fn no_such_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    let Ok(c) = crate::portal::console::enter(&req, &portal).await else {
        return message(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no such page in the console.",
            "/console",
        );
    };
    let section = Section::new("not-found", "")
        .line(format!("The console has no page at {}.", req.path()))
        .link("Go to the dashboard", "/console");
    render(
        StatusCode::NOT_FOUND,
        &ConsolePage::plain(c.signed_in, "Page not found", vec![section]),
    )
}

const COUNTED: &[(&str, &str, &str)] = &[
    ("Users", "Users", "UsersQuota"),
    ("Groups", "Groups", "GroupsQuota"),
    ("Roles", "Roles", "RolesQuota"),
    ("Customer managed policies", "Policies", "PoliciesQuota"),
    (
        "Instance profiles",
        "InstanceProfiles",
        "InstanceProfilesQuota",
    ),
];

/// The dashboard: the sign-in URL always; usage, quotas and security status when the
/// principal may call `iam:GetAccountSummary` (read as that action, like the rest of the
/// console), else AWS's reason.
pub(super) async fn dashboard(
    req: HttpRequest,
    c: crate::portal::console::Console,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
) -> HttpResponse {
    let binding = flash::binding(&c.session);
    let flashed = flash::take(&portal, &req, &binding).map(|f| f.message);
    let (p, a, c2) = (portal.clone(), api.clone(), c.clone());
    let gathered = web::block(move || dashboard_view(&p, &a, &c2)).await;
    let (signin_name, summary, security) = match gathered {
        Ok(Ok(view)) => view,
        Ok(Err(e)) => return internal(&req, &e),
        Err(e) => return internal(&req, &e),
    };
    let value = |key: &str| {
        summary
            .as_ref()
            .ok()
            .and_then(|s| s.iter().find(|(k, _)| k == key))
            .map_or(0, |(_, v)| *v)
    };
    let counts = COUNTED
        .iter()
        .map(|(label, used, quota)| Count {
            label,
            used: value(used),
            quota: value(quota),
        })
        .collect();
    let page = DashboardPage {
        csrf: c.signed_in.csrf.clone(),
        signed_in: Some(c.signed_in),
        signin_url: format!("{}/signin/{signin_name}", portal.public_url()),
        counts,
        security,
        mfa: c.session.mfa_authenticated_at.is_some(),
        external: c.session.owner().is_none(),
        allowed: summary.is_ok(),
        notice: summary.err(),
        flash: flashed,
    };
    let mut response = render(StatusCode::OK, &page);
    flash::clear(&portal, &req, &mut response);
    response
}

/// `GetAccountSummary`'s map, or AWS's reason why the caller may not read it.
type Summary = Result<Vec<(String, i64)>, String>;

/// The account's sign-in name (alias or id), its summary and the security findings.
fn dashboard_view(
    portal: &Portal,
    api: &AwsApi,
    c: &crate::portal::console::Console,
) -> Result<(String, Summary, Vec<Check>), iam::IamError> {
    let account = c.session.account_id.as_str();
    let signin_name = iam::account::aliases(&portal.ctx, account)?
        .into_iter()
        .next()
        .unwrap_or_else(|| account.to_string());
    let summary = match crate::portal::console::iam(api, c, "GetAccountSummary", &[]) {
        Ok(reply) => reply
            .items("entry")
            .into_iter()
            .filter_map(|e| Some((e.value("key")?, e.value("value")?.parse().ok()?)))
            .collect::<Vec<(String, i64)>>(),
        Err(e) => {
            return Ok((
                signin_name,
                Err(crate::portal::console::explain(&e)),
                Vec::new(),
            ))
        }
    };
    let value = |key: &str| {
        summary
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0, |(_, v)| *v)
    };
    let policy_set = crate::portal::console::iam(api, c, "GetAccountPasswordPolicy", &[]).is_ok();
    let without_mfa = iam::account::console_users_without_mfa(&portal.ctx, account)?;
    // Each finding links to the page where it is fixed.
    let check = |ok: bool, good: &str, bad: String, fix: &str| Check {
        label: if ok { good.to_string() } else { bad },
        ok,
        fix: if ok { String::new() } else { fix.to_string() },
    };
    let security = vec![
        check(
            value("AccountMFAEnabled") > 0,
            "MFA is enabled for the root user",
            "The root user has no MFA".into(),
            "/console/mfa",
        ),
        check(
            value("AccountAccessKeysPresent") == 0,
            "The root user has no access keys",
            "The root user has access keys (delete them with the AWS CLI as root)".into(),
            "/console/mfa",
        ),
        check(
            policy_set,
            "An account password policy is set",
            "No account password policy is set".into(),
            "/console/account#password-policy",
        ),
        check(
            without_mfa == 0,
            "Every user with a console password has MFA",
            format!("{without_mfa} users with a console password have no MFA"),
            "/console/users",
        ),
    ];
    Ok((signin_name, Ok(summary), security))
}
