//! Parsing and validation: IAM's rules and messages.

use super::doc;
use crate::policy::{
    policy_size, validate, Policy, PolicyError, PolicyKind, Severity, ValidationLimit, Version,
};

fn first_error(json: &str, kind: PolicyKind) -> String {
    match Policy::parse(json, kind) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn accepts_the_documented_shapes() {
    let ok: &[(&str, PolicyKind)] = &[
        // Statement as an object, single strings everywhere.
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            PolicyKind::Identity,
        ),
        (
            r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"A1","Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:iam::111122223333:user/admin"}]}"#,
            PolicyKind::Identity,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            PolicyKind::Boundary,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:root"]},"Action":"sts:AssumeRole"}}"#,
            PolicyKind::Trust,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"accounts.example.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.example.com:aud":"client-1"}}}}"#,
            PolicyKind::Trust,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
            PolicyKind::Resource,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:*","Resource":"*"}}"#,
            PolicyKind::Resource,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
            PolicyKind::Trust,
        ),
    ];
    for (json, kind) in ok {
        let p = Policy::parse(json, *kind).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert!(!p.statements().is_empty());
        let errors: Vec<_> = validate(json, *kind, ValidationLimit::Managed)
            .into_iter()
            .filter(|f| f.is_error())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
}

#[test]
fn rejects_with_iam_messages() {
    let allow = r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#;
    let cases: Vec<(String, PolicyKind, &str)> = vec![
        (doc(r#"{"Action":"s3:GetObject","Resource":"*"}"#), PolicyKind::Identity, "Missing required field Effect"),
        (doc(r#"{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}"#), PolicyKind::Identity, "Invalid effect: allow"),
        (doc(&format!(r#"{{{allow},"Principal":"*"}}"#)), PolicyKind::Identity, "Policy document should not specify a principal."),
        (doc(&format!(r#"{{{allow},"Principal":"*"}}"#)), PolicyKind::Session, "Policy document should not specify a principal."),
        (doc(&format!(r#"{{{allow}}}"#)), PolicyKind::Resource, "Statement/Principal is missing"),
        (doc(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#), PolicyKind::Trust, "Statement/Principal is missing"),
        (doc(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}"#), PolicyKind::Trust, "Has prohibited field Resource"),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}"#), PolicyKind::Identity, "both Action and NotAction"),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","NotResource":"*"}"#), PolicyKind::Identity, "both Resource and NotResource"),
        (doc(r#"{"Effect":"Allow","Resource":"*"}"#), PolicyKind::Identity, "Policy statement must contain actions."),
        (doc(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), PolicyKind::Identity, "Policy statement must contain actions."),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject"}"#), PolicyKind::Identity, "Policy statement must contain resources."),
        (doc(r#"{"Effect":"Allow","Action":"GetObject","Resource":"*"}"#), PolicyKind::Identity, "Actions/Conditions must be prefaced by a vendor"),
        (doc(r#"{"Effect":"Allow","Action":"s 3:GetObject","Resource":"*"}"#), PolicyKind::Identity, "Action vendor must only contain"),
        (doc(r#"{"Effect":"Allow","Action":"s3:Get Object","Resource":"*"}"#), PolicyKind::Identity, "must only contain alphanumeric"),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket"}"#), PolicyKind::Identity, "Resource bucket must be in ARN format or \"*\"."),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3"}"#), PolicyKind::Identity, "must be in ARN format"),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}}"#), PolicyKind::Identity, "Invalid Condition type : StringEqualz"),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"a:b":{"x":1}}}}"#), PolicyKind::Identity, "must have a string, number or boolean value"),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":"x"}"#), PolicyKind::Identity, "Condition must be an object"),
        (doc(r#"{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#), PolicyKind::Identity, "Statement IDs (SID) in a single policy must be unique."),
        (doc(r#"{"Sid":"has space","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#), PolicyKind::Identity, "Statement IDs (SID) must be alpha-numeric"),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Extra":1}"#), PolicyKind::Identity, "Unknown field Extra"),
        (doc(r#"{"effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#), PolicyKind::Identity, "Unknown field effect"),
        (r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#.into(), PolicyKind::Identity, "The policy failed legacy parsing"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},"Foo":1}"#.into(), PolicyKind::Identity, "Unknown element Foo"),
        (r#"{"Version":"2012-10-17"}"#.into(), PolicyKind::Identity, "Missing required field Statement"),
        (r#"[]"#.into(), PolicyKind::Identity, "Syntax errors in policy."),
        (doc(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"s3:*","Resource":"*"}"#), PolicyKind::Resource, "Invalid principal in policy"),
        (doc(r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}"#), PolicyKind::Resource, "both Principal and NotPrincipal"),
        (doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username"}"#), PolicyKind::Identity, "unterminated policy variable"),
    ];
    for (json, kind, want) in cases {
        let e = first_error(&json, kind);
        assert!(e.contains(want), "want {want:?}, got {e:?} for {json}");
    }
}

#[test]
fn errors_point_at_the_statement() {
    let json = doc(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"Two","Effect":"Allow","Action":"s3:GetObject"}"#,
    );
    let e = Policy::parse(&json, PolicyKind::Identity).unwrap_err();
    assert_eq!(e.statement(), Some(1));
    match e {
        PolicyError::Malformed(f) => assert_eq!(f.sid.as_deref(), Some("Two")),
        other => panic!("{other:?}"),
    }
    let findings = validate(&json, PolicyKind::Identity, ValidationLimit::Managed);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].to_string(),
        "error: Statement[1] (Sid Two): Policy statement must contain resources."
    );
}

#[test]
fn validate_collects_every_error() {
    let json = doc(
        r#"{"Action":"x","Resource":"y"},{"Effect":"Allow","Action":"s3:A","Resource":"*","Condition":{"Nope":{"k:k":"v"}}}"#,
    );
    let f = validate(&json, PolicyKind::Identity, ValidationLimit::Managed);
    let errors: Vec<_> = f
        .iter()
        .filter(|f| f.is_error())
        .map(|f| (f.statement, f.message.clone()))
        .collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(errors
        .iter()
        .any(|(s, m)| *s == Some(1) && m.contains("Invalid Condition type : Nope")));
}

#[test]
fn json_syntax_errors() {
    assert!(matches!(
        Policy::parse("{", PolicyKind::Identity),
        Err(PolicyError::Syntax(_))
    ));
    let f = validate("{", PolicyKind::Identity, ValidationLimit::Managed);
    assert!(f[0].message.starts_with("Syntax errors in policy."));
}

#[test]
fn warnings_do_not_reject() {
    let json = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}}"#;
    let f = validate(json, PolicyKind::Identity, ValidationLimit::Managed);
    assert!(f.iter().all(|f| f.severity == Severity::Warning), "{f:?}");
    assert_eq!(
        f.len(),
        2,
        "missing Version and literal ${{ under the old version: {f:?}"
    );
    let p = Policy::parse(json, PolicyKind::Identity).unwrap();
    assert_eq!(p.version(), Version::Absent);
}

#[test]
fn size_limits_ignore_whitespace() {
    assert_eq!(policy_size(" { \"a\" :\n\t1 } "), 7);
    let table = [
        (ValidationLimit::Managed, 6_144),
        (ValidationLimit::UserInline, 2_048),
        (ValidationLimit::GroupInline, 5_120),
        (ValidationLimit::RoleInline, 10_240),
        (ValidationLimit::Trust, 2_048),
    ];
    for (limit, max) in table {
        assert_eq!(limit.max_chars(), Some(max));
        let head = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"#;
        let tail = r#""}}"#;
        let fill = max - head.len() - tail.len();
        let exact = format!("{head}{}{tail}", "b".repeat(fill));
        assert_eq!(policy_size(&exact), max);
        let spaced = exact.replace(',', " ,\n   ");
        let kind = PolicyKind::Identity;
        assert!(
            validate(&spaced, kind, limit).iter().all(|f| !f.is_error()),
            "{limit:?} at the limit"
        );
        assert!(Policy::parse_with_limit(&spaced, kind, limit).is_ok());
        let over = format!("{head}{}{tail}", "b".repeat(fill + 1));
        let f = validate(&over, kind, limit);
        assert_eq!(
            f[0].message,
            format!("Cannot exceed quota for PolicySize: {max}")
        );
        assert!(matches!(
            Policy::parse_with_limit(&over, kind, limit),
            Err(PolicyError::TooLarge { limit: l, .. }) if l == max
        ));
    }
}

#[test]
fn every_list_element_takes_a_single_string() {
    let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:prefix":"home/"}}}}"#;
    let list = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"],"Condition":{"StringEquals":{"s3:prefix":["home/"]}}}]}"#;
    assert!(Policy::parse(single, PolicyKind::Resource).is_ok());
    assert!(Policy::parse(list, PolicyKind::Resource).is_ok());
}

#[test]
fn numbers_and_booleans_are_accepted_as_condition_values() {
    let json = doc(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}}"#,
    );
    assert!(Policy::parse(&json, PolicyKind::Identity).is_ok());
}

#[test]
fn condition_keys_are_listed_once_in_order() {
    let p = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
                "StringEquals":{"aws:PrincipalTag/team":"a","s3:prefix":"x"}}},
            {"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{
                "Bool":{"aws:MultiFactorAuthPresent":"false"},"StringLike":{"AWS:principaltag/TEAM":"b"}}}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    let keys = p.condition_keys();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.contains(&"aws:MultiFactorAuthPresent".to_string()));
    assert!(keys.contains(&"s3:prefix".to_string()));
}
