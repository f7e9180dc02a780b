//! Table tests of the federation mapping, one table per rule, each citing the AWS page it
//! follows.

use super::session::{check_tags, SessionTags};
use super::*;
use crate::policy::ContextValue;
use serde_json::json;

const SAML_ARN: &str = "arn:aws:iam::123456789012:saml-provider/ExampleIdP";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/Deploy";

fn oidc(issuer: &str, principal: &str, subject: &str) -> ExternalIdentity {
    ExternalIdentity::new(Provider::oidc(issuer, principal), subject)
}

fn saml(subject: &str) -> ExternalIdentity {
    let mut identity = ExternalIdentity::new(Provider::saml(SAML_ARN), subject);
    identity.issuer = Some("https://idp.example.com/saml".into());
    identity
}

fn key<'a>(keys: &'a [(String, ContextValue)], name: &str) -> Option<&'a ContextValue> {
    keys.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn texts(value: Option<&ContextValue>) -> Vec<String> {
    value.map(ContextValue::texts).unwrap_or_default()
}

/// AWS "Available keys for OIDC federation" and the service authorization reference's keys of
/// `sts:AssumeRoleWithWebIdentity`.
#[test]
fn web_identity_providers_are_named_after_the_issuer() {
    struct Case {
        issuer: &'static str,
        aud: &'static [&'static str],
        azp: Option<&'static str>,
        amr: Option<&'static [&'static str]>,
        expect: &'static [(&'static str, &'static [&'static str])],
    }
    let cases = [
        Case {
            issuer: "https://token.actions.githubusercontent.com",
            aud: &["sts.amazonaws.com"],
            azp: None,
            amr: None,
            expect: &[
                (
                    "token.actions.githubusercontent.com:aud",
                    &["sts.amazonaws.com"],
                ),
                (
                    "token.actions.githubusercontent.com:sub",
                    &["repo:o/r:ref:main"],
                ),
            ],
        },
        // The issuer's path is part of the prefix, a trailing slash included.
        Case {
            issuer: "https://auth.example.com/realms/x/",
            aud: &["a", "b"],
            azp: None,
            amr: None,
            expect: &[
                ("auth.example.com/realms/x/:aud", &["a", "b"]),
                ("auth.example.com/realms/x/:sub", &["repo:o/r:ref:main"]),
            ],
        },
        // A token with `azp` (Google's): `:aud` is azp, `:oaud` the audience.
        Case {
            issuer: "https://accounts.google.com",
            aud: &["sts.amazonaws.com"],
            azp: Some("10780644"),
            amr: None,
            expect: &[
                ("accounts.google.com:aud", &["10780644"]),
                ("accounts.google.com:oaud", &["sts.amazonaws.com"]),
            ],
        },
        // Cognito's multi-valued `amr`.
        Case {
            issuer: "https://cognito-identity.amazonaws.com",
            aud: &["us-east-1:pool"],
            azp: None,
            amr: Some(&["authenticated", "graph.facebook.com"]),
            expect: &[
                ("cognito-identity.amazonaws.com:aud", &["us-east-1:pool"]),
                (
                    "cognito-identity.amazonaws.com:amr",
                    &["authenticated", "graph.facebook.com"],
                ),
            ],
        },
        // Login with Amazon and Facebook name their keys their own way.
        Case {
            issuer: "https://www.amazon.com",
            aud: &["amzn1.app"],
            azp: None,
            amr: None,
            expect: &[
                ("www.amazon.com:app_id", &["amzn1.app"]),
                ("www.amazon.com:user_id", &["repo:o/r:ref:main"]),
            ],
        },
        Case {
            issuer: "https://graph.facebook.com",
            aud: &["1234"],
            azp: None,
            amr: None,
            expect: &[
                ("graph.facebook.com:app_id", &["1234"]),
                ("graph.facebook.com:id", &["repo:o/r:ref:main"]),
            ],
        },
    ];
    for case in cases {
        let mut identity = oidc(case.issuer, "ignored", "repo:o/r:ref:main");
        identity.audiences = case.aud.iter().map(|s| s.to_string()).collect();
        identity.authorized_party = case.azp.map(str::to_string);
        if let Some(amr) = case.amr {
            identity.attributes.insert("amr".into(), json!(amr));
        }
        let keys = identity.trust_keys();
        for (name, values) in case.expect {
            assert_eq!(texts(key(&keys, name)), *values, "{} {name}", case.issuer);
        }
        if case.azp.is_none() {
            assert!(
                keys.iter().all(|(k, _)| !k.ends_with(":oaud")),
                "{}",
                case.issuer
            );
        }
    }
}

/// AWS "Configure SAML assertions for the authentication response": "Mapping SAML attributes
/// to AWS trust policy context keys".
#[test]
fn saml_keys_follow_aws_mapping() {
    let mut identity = saml("alice@example.com");
    identity.audiences = vec!["https://signin.aws.amazon.com/saml".into()];
    identity.attributes.insert(
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1".into(),
        json!(["member", "staff"]),
    );
    identity.attributes.insert(
        "urn:oid:0.9.2342.19200300.100.1.3".into(),
        json!(["alice@example.com"]),
    );
    let cases: &[(Option<&str>, &str, &[&str])] = &[
        (None, "saml:sub", &["alice@example.com"]),
        (None, "saml:aud", &["https://signin.aws.amazon.com/saml"]),
        (None, "saml:iss", &["https://idp.example.com/saml"]),
        (None, "saml:doc", &["123456789012/ExampleIdP"]),
        (None, "saml:edupersonaffiliation", &["member", "staff"]),
        (None, "saml:mail", &["alice@example.com"]),
        (
            Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
            "saml:sub_type",
            &["persistent"],
        ),
        (
            Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient"),
            "saml:sub_type",
            &["transient"],
        ),
        (
            Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
            "saml:sub_type",
            &["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
        ),
    ];
    for (format, name, values) in cases {
        identity.subject_type = format.map(str::to_string);
        let keys = identity.trust_keys();
        assert_eq!(texts(key(&keys, name)), *values, "{name} {format:?}");
    }
    // base64(sha1(issuer + account + "/" + provider name)), 28 characters of base64.
    let keys = identity.trust_keys();
    let qualifier = texts(key(&keys, "saml:namequalifier"));
    assert_eq!(qualifier.len(), 1);
    assert_eq!(qualifier[0].len(), 28);
    let mut other = identity.clone();
    other.issuer = Some("https://other.example.com/saml".into());
    assert_ne!(
        texts(key(&other.trust_keys(), "saml:namequalifier")),
        qualifier
    );
    // A multi-valued eduPerson key stays a list, a single-valued one takes one value.
    assert!(key(&keys, "saml:edupersonaffiliation").is_some_and(ContextValue::is_multi));
    assert!(!key(&keys, "saml:mail").is_some_and(ContextValue::is_multi));
}

/// Keyward's own keys for directories, certificates and devices (AWS defines none).
#[test]
fn other_sources_get_keys_under_their_prefix() {
    let mut identity = ExternalIdentity::new(
        Provider::other(
            ProviderKind::Directory,
            "arn:aws:iam::123456789012:oidc-provider/ldap.example.com",
            "ldap.example.com",
        ),
        "uid=alice,ou=people,dc=example,dc=com",
    );
    identity.groups = vec!["admins".into(), "dev".into()];
    identity
        .attributes
        .insert("username".into(), json!("alice"));
    identity
        .attributes
        .insert("department".into(), json!("ops"));
    let keys = identity.trust_keys();
    assert_eq!(
        texts(key(&keys, "ldap.example.com:sub")),
        ["uid=alice,ou=people,dc=example,dc=com"]
    );
    assert_eq!(
        texts(key(&keys, "ldap.example.com:groups")),
        ["admins", "dev"]
    );
    // A directory's user name and mapped attributes are keys too.
    assert_eq!(texts(key(&keys, "ldap.example.com:username")), ["alice"]);
    assert_eq!(texts(key(&keys, "ldap.example.com:department")), ["ops"]);
    assert_eq!(identity.assume_action(), "sts:AssumeRoleWithLDAPIdentity");
    // A certificate's attributes are not keys of their own.
    let mut certificate = identity.clone();
    certificate.provider.kind = ProviderKind::Certificate;
    assert!(key(&certificate.trust_keys(), "ldap.example.com:username").is_none());
    assert_eq!(certificate.assume_action(), "sts:AssumeRoleWithWebIdentity");
}

/// AWS "Pass session tags in AWS STS": web identity's `https://aws.amazon.com/tags` claim and
/// SAML's `PrincipalTag:` / `TransitiveTagKeys` attributes; STS's tag limits.
#[test]
fn session_tags_from_claims_and_attributes() {
    type Expect = Result<(Vec<(&'static str, &'static str)>, Vec<&'static str>), FederationError>;
    let malformed = |reason| FederationError::MalformedClaim {
        claim: session::TAGS_CLAIM,
        reason,
    };
    let cases: Vec<(serde_json::Value, Expect)> = vec![
        (
            json!({"principal_tags": {"Project": ["Automation"], "CostCenter": ["987"]},
                   "transitive_tag_keys": ["Project"]}),
            Ok((
                vec![("CostCenter", "987"), ("Project", "Automation")],
                vec!["Project"],
            )),
        ),
        (json!({}), Ok((vec![], vec![]))),
        (
            json!({"principal_tags": {"Project": "Automation"}}),
            Err(malformed(
                "a tag value is not a one-element array of a string",
            )),
        ),
        (
            json!({"principal_tags": {"Project": ["a", "b"]}}),
            Err(malformed(
                "a tag value is not a one-element array of a string",
            )),
        ),
        (json!(["x"]), Err(malformed("not an object"))),
        (
            json!({"principal_tags": {"Project": ["a"]}, "transitive_tag_keys": ["Team"]}),
            Err(FederationError::TransitiveKeyNotTagged("Team".into())),
        ),
        (
            json!({"principal_tags": {"aws:x": ["a"]}}),
            Err(FederationError::InvalidTag {
                key: "aws:x".into(),
                reason: "the aws: prefix is reserved",
            }),
        ),
    ];
    for (claim, expect) in cases {
        let mut identity = oidc("https://idp.example.com", "idp.example.com", "u");
        identity
            .attributes
            .insert(session::TAGS_CLAIM.into(), claim.clone());
        let got = identity.session_tags();
        let expect = expect.map(|(tags, keys)| SessionTags {
            tags: tags
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            transitive_keys: keys.into_iter().map(str::to_string).collect(),
        });
        assert_eq!(got, expect, "{claim}");
    }

    let mut identity = saml("alice");
    identity.attributes.insert(
        format!("{}Department", session::SAML_PRINCIPAL_TAG),
        json!(["Eng"]),
    );
    identity.attributes.insert(
        session::SAML_TRANSITIVE_TAG_KEYS.into(),
        json!(["Department"]),
    );
    assert_eq!(
        identity.session_tags(),
        Ok(SessionTags {
            tags: vec![("Department".into(), "Eng".into())],
            transitive_keys: vec!["Department".into()],
        })
    );
    identity.attributes.insert(
        format!("{}Department", session::SAML_PRINCIPAL_TAG),
        json!(["Eng", "Ops"]),
    );
    assert_eq!(
        identity.session_tags(),
        Err(FederationError::NotSingleValued("PrincipalTag"))
    );
}

/// STS's limits on session tags ("Tagging AWS STS sessions": 50 tags, keys 128, values 256).
#[test]
fn tag_limits() {
    let tags = |pairs: Vec<(String, String)>| SessionTags {
        tags: pairs,
        transitive_keys: vec![],
    };
    let many: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    let cases: Vec<(SessionTags, Result<(), FederationError>)> = vec![
        (tags(many[..50].to_vec()), Ok(())),
        (
            tags(many.clone()),
            Err(FederationError::TooManyTags { count: 51, max: 50 }),
        ),
        (tags(vec![("k".repeat(128), "v".repeat(256))]), Ok(())),
        (
            tags(vec![("k".repeat(129), "v".into())]),
            Err(FederationError::InvalidTag {
                key: "k".repeat(129),
                reason: "a key has 1 to 128 characters",
            }),
        ),
        (
            tags(vec![("k".into(), "v".repeat(257))]),
            Err(FederationError::InvalidTag {
                key: "k".into(),
                reason: "a value has at most 256 characters",
            }),
        ),
        (
            tags(vec![(String::new(), "v".into())]),
            Err(FederationError::InvalidTag {
                key: String::new(),
                reason: "a key has 1 to 128 characters",
            }),
        ),
        (
            tags(vec![
                ("team".into(), "a".into()),
                ("Team".into(), "b".into()),
            ]),
            Err(FederationError::DuplicateTag("Team".into())),
        ),
        (
            tags(vec![("team".into(), "a;b".into())]),
            Err(FederationError::InvalidTag {
                key: "team".into(),
                reason: "letters, digits, spaces and _ . : / = + - @ only",
            }),
        ),
        (
            tags(vec![("cost center".into(), "a:b/c=d+e-f@g".into())]),
            Ok(()),
        ),
    ];
    for (input, expect) in cases {
        assert_eq!(check_tags(&input), expect, "{:?}", input.tags.first());
    }
}

/// AWS "Monitor and control actions taken with assumed roles": the source identity claim and
/// attribute, 2-64 of `[\w+=,.@-]`, never `aws:...`.
#[test]
fn source_identity_from_claim_or_attribute() {
    let cases: &[(serde_json::Value, Result<Option<&str>, FederationError>)] = &[
        (json!("alice@example.com"), Ok(Some("alice@example.com"))),
        (json!(["alice"]), Ok(Some("alice"))),
        (
            json!("a"),
            Err(FederationError::InvalidSourceIdentity("a".into())),
        ),
        (
            json!("has space"),
            Err(FederationError::InvalidSourceIdentity("has space".into())),
        ),
        (
            json!("aws:me"),
            Err(FederationError::InvalidSourceIdentity("aws:me".into())),
        ),
        (
            json!(["a1", "b1"]),
            Err(FederationError::NotSingleValued("SourceIdentity")),
        ),
    ];
    for (value, expect) in cases {
        let expect = expect.clone().map(|v| v.map(str::to_string));
        let mut web = oidc("https://idp.example.com", "idp.example.com", "u");
        web.attributes
            .insert(session::SOURCE_IDENTITY_CLAIM.into(), value.clone());
        assert_eq!(web.source_identity(), expect, "claim {value}");
        let mut assertion = saml("u");
        assertion
            .attributes
            .insert(session::SAML_SOURCE_IDENTITY.into(), value.clone());
        assert_eq!(assertion.source_identity(), expect, "attribute {value}");
    }
    assert_eq!(saml("u").source_identity(), Ok(None));
}

/// AWS "Configure SAML assertions": `RoleSessionName` and `SessionDuration` attributes.
#[test]
fn saml_session_name_and_duration() {
    let mut identity = saml("u");
    assert_eq!(identity.session_name(), Ok(None));
    identity
        .attributes
        .insert(session::SAML_ROLE_SESSION_NAME.into(), json!(["alice"]));
    identity
        .attributes
        .insert(session::SAML_SESSION_DURATION.into(), json!(["1800"]));
    assert_eq!(identity.session_name(), Ok(Some("alice".into())));
    assert_eq!(identity.session_duration(), Ok(Some(1800)));
    let mut web = oidc("https://idp.example.com", "idp.example.com", "u");
    web.attributes
        .insert(session::SAML_ROLE_SESSION_NAME.into(), json!("alice"));
    assert_eq!(web.session_name(), Ok(None), "only SAML names the session");
}

/// AWS "Configure SAML assertions": the `Role` attribute's "role-arn,provider-arn" pairs, in
/// either order.
#[test]
fn saml_role_pairs() {
    let pair = |r: &str, p: &str| {
        Ok(RoleCandidate {
            role_arn: r.into(),
            provider: p.into(),
        })
    };
    let cases: Vec<(String, Result<RoleCandidate, FederationError>)> = vec![
        (format!("{ROLE_ARN},{SAML_ARN}"), pair(ROLE_ARN, SAML_ARN)),
        (format!("{SAML_ARN},{ROLE_ARN}"), pair(ROLE_ARN, SAML_ARN)),
        (format!("{SAML_ARN}, {ROLE_ARN}"), pair(ROLE_ARN, SAML_ARN)),
        (
            ROLE_ARN.to_string(),
            Err(FederationError::BadRolePair(ROLE_ARN.into())),
        ),
        (
            format!("{ROLE_ARN},{ROLE_ARN}"),
            Err(FederationError::BadRolePair(format!(
                "{ROLE_ARN},{ROLE_ARN}"
            ))),
        ),
        (
            format!("{ROLE_ARN},arn:aws:iam::123456789012:user/x"),
            Err(FederationError::BadRolePair(format!(
                "{ROLE_ARN},arn:aws:iam::123456789012:user/x"
            ))),
        ),
    ];
    for (value, expect) in cases {
        assert_eq!(roles::parse_role_pair(&value), expect, "{value}");
    }

    let other_role = "arn:aws:iam::123456789012:role/Other";
    let mut identity = saml("u");
    identity.attributes.insert(
        roles::SAML_ROLE.into(),
        json!([
            format!("{ROLE_ARN},{SAML_ARN}"),
            format!("{SAML_ARN},{other_role}")
        ]),
    );
    assert_eq!(identity.candidate_roles("ignored").unwrap().len(), 2);
    assert_eq!(
        identity.choose_role(other_role, Some(SAML_ARN)),
        pair(other_role, SAML_ARN)
    );
    let missing = "arn:aws:iam::123456789012:role/Missing";
    assert_eq!(
        identity.choose_role(missing, Some(SAML_ARN)),
        Err(FederationError::RoleNotOffered(missing.into()))
    );
    let other_provider = "arn:aws:iam::123456789012:saml-provider/Other";
    assert_eq!(
        identity.choose_role(ROLE_ARN, Some(other_provider)),
        Err(FederationError::RoleNotOffered(ROLE_ARN.into()))
    );

    // Web identity: the role asked for, with the identity's own provider.
    let web = oidc(
        "https://idp.example.com",
        "arn:aws:iam::123456789012:oidc-provider/idp.example.com",
        "u",
    );
    assert_eq!(
        web.choose_role(ROLE_ARN, None),
        pair(
            ROLE_ARN,
            "arn:aws:iam::123456789012:oidc-provider/idp.example.com"
        )
    );
}

/// The module stays pure, as `policy/` does (`policy/tests/purity.rs`): no store, no HTTP, no
/// clock, no randomness, no threads, no files.
#[test]
fn federation_imports_nothing_impure() {
    let forbidden: Vec<String> = [
        ("actix", ""),
        ("diesel", ""),
        ("tokio", ""),
        ("reqwest", ""),
        ("std::", "fs"),
        ("std::", "net::Tcp"),
        ("std::", "env"),
        ("std::", "thread"),
        ("SystemTime::", "now"),
        ("Utc::", "now"),
        ("rand", "::"),
        ("async", " fn"),
        ("crate::", "storage"),
        ("crate::", "clock"),
        ("crate::", "context"),
    ]
    .iter()
    .map(|(a, b)| format!("{a}{b}"))
    .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/federation");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("src/federation") {
        let path = entry.expect("an entry").path();
        if path.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        for bad in &forbidden {
            assert!(!text.contains(bad.as_str()), "{path:?} uses {bad}");
        }
        checked += 1;
    }
    assert!(checked >= 4, "expected the federation sources in {dir:?}");
}
