//! The minting path's trust decision for an external identity, without a store: a trust
//! policy naming the provider as `Federated` and testing the keys the identity maps to.

use super::*;
use crate::federation::{Provider, ProviderKind};
use crate::policy::PolicyKind;
use crate::sts::session::check_inputs;

const ACCOUNT: &str = "123456789012";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/Web";
const OIDC_ARN: &str = "arn:aws:iam::123456789012:oidc-provider/idp.example.com";
const SAML_ARN: &str = "arn:aws:iam::123456789012:saml-provider/Corp";

fn trust(statement: &str) -> Policy {
    let document = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
    Policy::parse(&document, PolicyKind::Trust).expect("a trust policy")
}

fn facts() -> RequestFacts {
    RequestFacts {
        now: chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("a time"),
        source_ip: None,
        user_agent: None,
        secure_transport: true,
        region: "us-east-1".into(),
        console: None,
    }
}

fn web_identity(aud: &str) -> ExternalIdentity {
    let mut identity = ExternalIdentity::new(
        Provider::oidc("https://idp.example.com", OIDC_ARN),
        "user-1",
    );
    identity.audiences = vec![aud.to_string()];
    identity
}

/// Whether `trust` lets `identity` do everything its request needs.
fn allowed(trust: &Policy, identity: &ExternalIdentity, session: &SessionRequest) -> bool {
    let checked = check_inputs(None, session).expect("valid session inputs");
    let request = RoleSessionRequest {
        role_arn: ROLE_ARN,
        session_name: "s1",
        session,
        checked: &checked,
        external_id: None,
        mfa_at: None,
        chain_depth: 0,
        duration: SessionDuration {
            requested: None,
            default: 3600,
        },
    };
    let principal = TrustPrincipal::External(identity);
    trust_actions(principal, &request)
        .into_iter()
        .all(|action| {
            external_allows(
                trust,
                ACCOUNT,
                ROLE_ARN,
                identity,
                &facts(),
                &request,
                action,
            )
        })
}

#[test]
fn a_federated_principal_is_trusted_on_its_provider_and_audience() {
    let policy = trust(&format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{OIDC_ARN}"}},
            "Action":"sts:AssumeRoleWithWebIdentity",
            "Condition":{{"StringEquals":{{"idp.example.com:aud":"client-1",
                                           "idp.example.com:sub":"user-1"}}}}}}"#
    ));
    let none = SessionRequest::default();
    assert!(allowed(&policy, &web_identity("client-1"), &none));
    assert!(
        !allowed(&policy, &web_identity("client-2"), &none),
        "audience"
    );
    let mut stranger = web_identity("client-1");
    stranger.subject = "user-2".into();
    assert!(!allowed(&policy, &stranger, &none), "subject");
    let mut elsewhere = web_identity("client-1");
    elsewhere.provider = Provider::oidc(
        "https://idp.example.com",
        "arn:aws:iam::123456789012:oidc-provider/other.example.com",
    );
    assert!(!allowed(&policy, &elsewhere, &none), "another provider");

    // Tags need sts:TagSession too, which this policy does not grant.
    let tagged = SessionRequest {
        tags: vec![("team".into(), "blue".into())],
        ..SessionRequest::default()
    };
    assert!(!allowed(&policy, &web_identity("client-1"), &tagged));
    let with_tags = trust(&format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{OIDC_ARN}"}},
            "Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],
            "Condition":{{"StringEquals":{{"idp.example.com:aud":"client-1"}}}}}}"#
    ));
    assert!(allowed(&with_tags, &web_identity("client-1"), &tagged));
}

#[test]
fn an_iam_principal_statement_does_not_trust_an_external_identity() {
    let policy = trust(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},
            "Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity"]}"#,
    );
    assert!(!allowed(
        &policy,
        &web_identity("client-1"),
        &SessionRequest::default()
    ));
}

#[test]
fn a_saml_identity_is_asked_about_assume_role_with_saml() {
    let policy = trust(&format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{SAML_ARN}"}},
            "Action":"sts:AssumeRoleWithSAML",
            "Condition":{{"StringEquals":{{"saml:aud":"https://signin.aws.amazon.com/saml",
                                           "saml:doc":"123456789012/Corp"}}}}}}"#
    ));
    let mut identity = ExternalIdentity::new(Provider::saml(SAML_ARN), "alice");
    identity.audiences = vec!["https://signin.aws.amazon.com/saml".into()];
    assert_eq!(identity.provider.kind, ProviderKind::Saml);
    assert!(allowed(&policy, &identity, &SessionRequest::default()));
    identity.audiences = vec!["https://elsewhere.example.com/saml".into()];
    assert!(!allowed(&policy, &identity, &SessionRequest::default()));
    assert!(matches!(
        TrustPrincipal::External(&identity).not_authorized(ROLE_ARN),
        StsError::AccessDenied(m) if m == "Not authorized to perform sts:AssumeRoleWithSAML"
    ));
}
