//! What comes next for a valid request, decided from the session, the request's prompts and
//! the consent already given: a sign-in (again), the consent page, or the code.

use super::super::claims::ACR_MFA;
use super::super::clients::Client;
use super::super::error::OAuthError;
use super::request::Request;
use crate::signin::sessions::Session;

/// What comes next for a request.
pub(super) enum Step {
    /// The browser must sign in (again): to the sign-in page, or first to a confirmation
    /// that ends the current session.
    SignIn {
        reauthenticate: Option<String>,
    },
    Consent,
    Issue,
}

pub(super) fn step(
    client: &Client,
    request: &Request,
    session: Option<&Session>,
    consented: Option<&[String]>,
    now: i64,
) -> Result<Step, OAuthError> {
    let none = request.prompts("none");
    let Some(session) = session else {
        return if none {
            Err(OAuthError::login_required("no one is signed in"))
        } else {
            Ok(Step::SignIn {
                reauthenticate: None,
            })
        };
    };
    let signed_in_at = session.created_at.and_utc().timestamp();
    let fresh = signed_in_at >= request.created_at;
    let mut again = None;
    if matches!(
        session.principal,
        crate::credentials::Principal::Federated { .. }
    ) {
        // Its identity is the external provider's, acting as a role: no user of Keyward's
        // that an ID token could name.
        again = Some(format!(
            "{} signs in users of Keyward; you signed in through your organisation's provider.",
            client.name
        ));
    } else if session.account_id != client.account_id {
        again = Some(format!(
            "{} is an application of account {}; you are signed in to account {}.",
            client.name, client.account_id, session.account_id
        ));
    } else if !fresh && (request.prompts("login") || request.prompts("select_account")) {
        again = Some(format!("{} asks you to sign in again.", client.name));
    } else if request.max_age.is_some_and(|max| now - signed_in_at > max) {
        again = Some(format!("{} asks for a recent sign-in.", client.name));
    } else if request.acr_values.iter().any(|a| a == ACR_MFA) && session.mfa_method.is_none() {
        if fresh {
            return Err(OAuthError::unmet_authentication_requirements(
                "the user has no second factor to sign in with",
            ));
        }
        again = Some(format!(
            "{} asks for a sign-in with a second factor.",
            client.name
        ));
    }
    if let Some(why) = again {
        return if none {
            Err(OAuthError::login_required(why))
        } else {
            Ok(Step::SignIn {
                reauthenticate: Some(why),
            })
        };
    }
    let covered =
        consented.is_some_and(|granted| request.scopes.iter().all(|s| granted.contains(s)));
    if client.consent_required && (request.prompts("consent") || !covered) {
        return if none {
            Err(OAuthError::consent_required(
                "the user has not allowed this application yet",
            ))
        } else {
            Ok(Step::Consent)
        };
    }
    Ok(Step::Issue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signin::sessions::Stage;
    use chrono::DateTime;

    fn client(consent: bool) -> Client {
        let mut c = crate::oidc::clients::tests_support::client("111122223333");
        c.consent_required = consent;
        c
    }

    fn request(prompt: &[&str], created_at: i64) -> Request {
        Request {
            client_id: "c".into(),
            redirect_uri: "https://app.example/cb".into(),
            scopes: vec!["openid".into(), "email".into()],
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: prompt.iter().map(|s| s.to_string()).collect(),
            max_age: None,
            login_hint: None,
            acr_values: Vec::new(),
            created_at,
        }
    }

    fn session(account: &str, signed_in_at: i64, mfa: Option<&str>) -> Session {
        let at = DateTime::from_timestamp(signed_in_at, 0)
            .unwrap_or_default()
            .naive_utc();
        Session {
            id_hash: "h".into(),
            account_id: account.into(),
            principal: crate::credentials::Principal::User("AIDA".into()),
            stage: Stage::Active,
            csrf_secret: String::new(),
            mfa_authenticated_at: mfa.map(|_| at),
            mfa_method: mfa.map(str::to_string),
            reauthenticated_at: at,
            role_session: None,
            created_at: at,
            expires_at: at,
        }
    }

    const T: i64 = 1_800_000_000;

    #[test]
    fn without_a_session_the_user_signs_in_unless_prompt_is_none() {
        let c = client(false);
        assert!(matches!(
            step(&c, &request(&[], T), None, None, T),
            Ok(Step::SignIn {
                reauthenticate: None
            })
        ));
        let e = step(&c, &request(&["none"], T), None, None, T).err();
        assert_eq!(e.map(|e| e.code), Some("login_required"));
    }

    #[test]
    fn prompt_login_and_max_age_want_a_sign_in_after_the_request() {
        let c = client(false);
        let old = session("111122223333", T - 100, None);
        assert!(matches!(
            step(&c, &request(&["login"], T), Some(&old), None, T),
            Ok(Step::SignIn {
                reauthenticate: Some(_)
            })
        ));
        let fresh = session("111122223333", T + 5, None);
        assert!(matches!(
            step(&c, &request(&["login"], T), Some(&fresh), None, T + 6),
            Ok(Step::Issue)
        ));
        let mut aged = request(&[], T);
        aged.max_age = Some(60);
        assert!(matches!(
            step(&c, &aged, Some(&old), None, T),
            Ok(Step::SignIn {
                reauthenticate: Some(_)
            })
        ));
        aged.max_age = Some(600);
        assert!(matches!(
            step(&c, &aged, Some(&old), None, T),
            Ok(Step::Issue)
        ));
    }

    #[test]
    fn a_session_of_another_account_must_sign_in_again() {
        let c = client(false);
        let other = session("444455556666", T, None);
        assert!(matches!(
            step(&c, &request(&[], T), Some(&other), None, T),
            Ok(Step::SignIn {
                reauthenticate: Some(_)
            })
        ));
    }

    #[test]
    fn the_mfa_acr_forces_a_second_factor() {
        let c = client(false);
        let mut r = request(&[], T);
        r.acr_values = vec![ACR_MFA.into()];
        let password_only = session("111122223333", T - 10, None);
        assert!(matches!(
            step(&c, &r, Some(&password_only), None, T),
            Ok(Step::SignIn {
                reauthenticate: Some(_)
            })
        ));
        let fresh_without_factor = session("111122223333", T + 1, None);
        let e = step(&c, &r, Some(&fresh_without_factor), None, T + 2).err();
        assert_eq!(e.map(|e| e.code), Some("unmet_authentication_requirements"));
        let with_factor = session("111122223333", T - 10, Some("totp"));
        assert!(matches!(
            step(&c, &r, Some(&with_factor), None, T),
            Ok(Step::Issue)
        ));
    }

    #[test]
    fn consent_is_asked_until_it_covers_the_scopes_and_again_with_prompt_consent() {
        let c = client(true);
        let s = session("111122223333", T, None);
        assert!(matches!(
            step(&c, &request(&[], T), Some(&s), None, T),
            Ok(Step::Consent)
        ));
        let partial = ["openid".to_string()];
        assert!(matches!(
            step(&c, &request(&[], T), Some(&s), Some(&partial), T),
            Ok(Step::Consent)
        ));
        let all = ["openid".to_string(), "email".to_string()];
        assert!(matches!(
            step(&c, &request(&[], T), Some(&s), Some(&all), T),
            Ok(Step::Issue)
        ));
        assert!(matches!(
            step(&c, &request(&["consent"], T), Some(&s), Some(&all), T),
            Ok(Step::Consent)
        ));
        let e = step(&c, &request(&["none"], T), Some(&s), None, T).err();
        assert_eq!(e.map(|e| e.code), Some("consent_required"));
    }
}
