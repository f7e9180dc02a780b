//! The portal's route table: sign-in, sign-out, the console (its own pages listed in
//! `console::configure`) and the static assets, each scope behind the pages' security headers.

use super::{
    assets, console, credentials, dashboard, directory_keys, directory_signin, external_signin,
    mfa_pages, password, signin_pages, webauthn_api,
};
use crate::browser;
use crate::http::security_headers;
use actix_web::middleware::from_fn;
use actix_web::web;

/// The portal's routes, each behind the security headers.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/signin")
            .wrap(from_fn(security_headers::middleware))
            .app_data(browser::form_config())
            .app_data(browser::json_config())
            .route("", web::get().to(signin_pages::signin_page))
            .route("", web::post().to(signin_pages::signin_submit))
            .route("/mfa", web::get().to(mfa_pages::mfa_page))
            .route("/mfa", web::post().to(mfa_pages::mfa_submit))
            .route("/mfa/recovery", web::post().to(mfa_pages::recovery_submit))
            .route(
                "/mfa/webauthn/begin",
                web::post().to(webauthn_api::second_factor_begin),
            )
            .route(
                "/mfa/webauthn/finish",
                web::post().to(webauthn_api::second_factor_finish),
            )
            .route(
                "/passkey/begin",
                web::post().to(webauthn_api::passkey_begin),
            )
            .route(
                "/passkey/finish",
                web::post().to(webauthn_api::passkey_finish),
            )
            .route(
                "/external/callback",
                web::get().to(external_signin::callback),
            )
            .route("/external/choose", web::post().to(external_signin::choose))
            .route(
                "/directory/choose",
                web::post().to(directory_signin::choose),
            )
            .route("/directory/mfa", web::get().to(directory_signin::mfa_page))
            .route(
                "/directory/mfa",
                web::post().to(directory_signin::mfa_submit),
            )
            .route(
                "/directory/enrol",
                web::post().to(directory_signin::enrol_submit),
            )
            .route(
                "/directory/choose",
                web::get().to(directory_signin::picker_page),
            )
            .route(
                "/directory/webauthn/register/begin",
                web::post().to(directory_keys::register_begin),
            )
            .route(
                "/directory/webauthn/register/finish",
                web::post().to(directory_keys::register_finish),
            )
            .route(
                "/directory/webauthn/check/begin",
                web::post().to(directory_keys::check_begin),
            )
            .route(
                "/directory/webauthn/check/finish",
                web::post().to(directory_keys::check_finish),
            )
            .route(
                "/directory/{account}/{directory}",
                web::get().to(directory_signin::page),
            )
            .route(
                "/directory/{account}/{directory}",
                web::post().to(directory_signin::submit),
            )
            .route(
                "/external/{account}/{provider}",
                web::get().to(external_signin::begin),
            )
            .route("/{account}", web::get().to(signin_pages::signin_page_for)),
    )
    .service(
        web::scope("/signout")
            .wrap(from_fn(security_headers::middleware))
            .app_data(browser::form_config())
            .route("", web::post().to(signin_pages::signout))
            .route(
                "/everywhere",
                web::post().to(signin_pages::signout_everywhere),
            ),
    )
    .service(
        console_pages(web::scope("/console"))
            .wrap(from_fn(security_headers::middleware))
            .app_data(browser::form_config())
            .app_data(browser::json_config())
            .route("", web::get().to(dashboard::dashboard))
            .route("/password", web::get().to(password::password_page))
            .route("/password", web::post().to(password::password_submit))
            .route("/mfa", web::get().to(credentials::devices_page))
            .route("/mfa/rename", web::post().to(credentials::rename_device))
            .route("/mfa/remove", web::post().to(credentials::remove_device))
            .route("/mfa/totp", web::get().to(credentials::totp_page))
            .route("/mfa/totp", web::post().to(credentials::totp_submit))
            .route(
                "/mfa/recovery-codes",
                web::post().to(credentials::new_recovery_codes),
            )
            .route(
                "/mfa/webauthn/begin",
                web::post().to(webauthn_api::register_begin),
            )
            .route(
                "/mfa/webauthn/finish",
                web::post().to(webauthn_api::register_finish),
            )
            .route(
                "/reauthenticate",
                web::post().to(credentials::reauthenticate),
            )
            .default_service(web::to(dashboard::no_such_page)),
    )
    .service(
        web::scope("/static")
            .wrap(from_fn(security_headers::middleware))
            .route("/keyward.css", web::get().to(assets::stylesheet))
            .route("/webauthn.js", web::get().to(assets::script))
            .route("/console.js", web::get().to(assets::console_script)),
    );
}

/// The console's IAM pages (under `/console`), each a page of `console/`.
fn console_pages(scope: actix_web::Scope) -> actix_web::Scope {
    use console::{
        account, applications, connected, directories, generator, groups, inline, policies,
        providers, roles, signin_providers, simulator, switch, tags, users,
    };
    scope
        .route("/users", web::get().to(users::list))
        .route("/users", web::post().to(users::create))
        .route("/create/user", web::get().to(users::new_user))
        .route("/users/{name}", web::get().to(users::detail))
        .route("/users/{name}/{op}", web::post().to(users::change_user))
        .route("/groups", web::get().to(groups::list))
        .route("/groups", web::post().to(groups::create))
        .route("/groups/{name}", web::get().to(groups::detail))
        .route("/groups/{name}/{op}", web::post().to(groups::change_group))
        .route("/roles", web::get().to(roles::list))
        .route("/roles", web::post().to(roles::create))
        .route("/roles/{name}", web::get().to(roles::detail))
        .route("/roles/{name}/{op}", web::post().to(roles::change_role))
        .route("/policies", web::get().to(policies::list))
        .route("/policies", web::post().to(policies::create))
        .route("/policies/view", web::get().to(policies::detail))
        .route("/policies/generate", web::get().to(generator::page))
        .route(
            "/policies/change/{op}",
            web::post().to(policies::change_policy),
        )
        .route("/identity-providers", web::get().to(providers::list))
        .route("/tags/{kind}/{op}", web::post().to(tags::change_tags))
        .route(
            "/inline/{kind}/{owner}/{policy}",
            web::get().to(inline::page),
        )
        .route(
            "/inline/{kind}/{owner}/{policy}/{op}",
            web::post().to(inline::change_inline),
        )
        .route("/account", web::get().to(account::page))
        .route("/account/{op}", web::post().to(account::change_account))
        .route("/simulator", web::get().to(simulator::page))
        .route("/simulator", web::post().to(simulator::run))
        .route("/switch-role", web::get().to(switch::page))
        .route("/switch-role", web::post().to(switch::switch))
        .route("/switch-back", web::post().to(switch::back))
        .route("/oidc-clients", web::get().to(applications::list))
        .route("/oidc-clients", web::post().to(applications::create))
        .route("/oidc-clients/{id}", web::get().to(applications::detail))
        .route(
            "/oidc-clients/{id}/edit",
            web::post().to(applications::edit),
        )
        .route(
            "/oidc-clients/{id}/secret",
            web::post().to(applications::rotate_secret),
        )
        .route(
            "/oidc-clients/{id}/delete",
            web::post().to(applications::delete),
        )
        .route("/directories", web::get().to(directories::list))
        .route("/directories", web::post().to(directories::create))
        .route("/directories/{name}", web::get().to(directories::detail))
        .route(
            "/directories/{name}/edit",
            web::post().to(directories::edit),
        )
        .route(
            "/directories/{name}/delete",
            web::post().to(directories::delete),
        )
        .route(
            "/directories/{name}/reset-mfa",
            web::post().to(directories::reset_mfa),
        )
        .route("/signin-providers", web::get().to(signin_providers::list))
        .route(
            "/signin-providers",
            web::post().to(signin_providers::create),
        )
        .route(
            "/signin-providers/{name}",
            web::get().to(signin_providers::detail),
        )
        .route(
            "/signin-providers/{name}/edit",
            web::post().to(signin_providers::edit),
        )
        .route(
            "/signin-providers/{name}/delete",
            web::post().to(signin_providers::delete),
        )
        .route("/applications", web::get().to(connected::connected))
        .route(
            "/applications/withdraw",
            web::post().to(connected::withdraw),
        )
}
