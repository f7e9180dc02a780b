//! Every "no value" rule AWS documents, one table each, with the page it comes from.
//!
//! Each row puts one condition (or one `Resource`) in a `Deny` next to an `Allow` of everything,
//! and in an `Allow` on its own, so that a row says both whether a guardrail applies and whether
//! a grant applies. Pages (IAM User Guide):
//! - VARS: "IAM policy elements: Variables and tags", section "Policy variables with no value"
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value>
//! - OPS: "IAM JSON policy elements: Condition operators", the "Important" box, "...IfExists
//!   condition operators" and "Condition operator to check existence of condition keys"
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! - MULTI: "Single-valued vs. multivalued context keys" (set operators)
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>

use super::{bob, ctx, decide, doc, effect, identity, ACCT};
use crate::policy::{DecisionEffect as D, Principal, RequestContext};

/// A condition block (`{"Op":{"key":value}}`) and whether it holds against `c`: true when it
/// makes a Deny apply and an Allow grant. Checks that both readings agree.
fn holds(condition: &str, c: &RequestContext) -> bool {
    let deny = identity(&doc(&format!(
        r#"{{"Effect":"Allow","Action":"*","Resource":"*"}},
        {{"Effect":"Deny","Action":"*","Resource":"*","Condition":{condition}}}"#
    )));
    let allow = identity(&doc(&format!(
        r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}"#
    )));
    let denied = effect(&[deny], c) == D::ExplicitDeny;
    let allowed = effect(&[allow], c) == D::Allowed;
    assert_eq!(denied, allowed, "Deny and Allow disagree on {condition}");
    denied
}

fn table(rows: &[(&str, bool)], c: &RequestContext) {
    for (condition, want) in rows {
        assert_eq!(holds(condition, c), *want, "{condition}");
    }
}

/// OPS, "Important": "If the key that you specify in a policy condition is not present in the
/// request context, the values do not match and the condition is false. If the policy condition
/// requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right key
/// is not present, the condition is true. This logic applies to all condition operators except
/// ...IfExists and Null check." One row per operator family, plain and negated.
#[test]
fn missing_key_plain_operators_fail_negated_operators_hold() {
    let rows: &[(&str, bool)] = &[
        (r#"{"StringEquals":{"test:Missing":"a"}}"#, false),
        (r#"{"StringNotEquals":{"test:Missing":"a"}}"#, true),
        (r#"{"StringEqualsIgnoreCase":{"test:Missing":"a"}}"#, false),
        (
            r#"{"StringNotEqualsIgnoreCase":{"test:Missing":"a"}}"#,
            true,
        ),
        (r#"{"StringLike":{"test:Missing":"*"}}"#, false),
        (r#"{"StringNotLike":{"test:Missing":"a*"}}"#, true),
        (r#"{"NumericEquals":{"test:Missing":"1"}}"#, false),
        (r#"{"NumericNotEquals":{"test:Missing":"1"}}"#, true),
        (r#"{"NumericLessThan":{"test:Missing":"10"}}"#, false),
        (
            r#"{"NumericGreaterThanEquals":{"test:Missing":"0"}}"#,
            false,
        ),
        (
            r#"{"DateEquals":{"test:Missing":"2020-01-01T00:00:00Z"}}"#,
            false,
        ),
        (
            r#"{"DateNotEquals":{"test:Missing":"2020-01-01T00:00:00Z"}}"#,
            true,
        ),
        (
            r#"{"DateLessThan":{"test:Missing":"2099-01-01T00:00:00Z"}}"#,
            false,
        ),
        (r#"{"Bool":{"test:Missing":"false"}}"#, false),
        (r#"{"BinaryEquals":{"test:Missing":"QUJD"}}"#, false),
        (r#"{"IpAddress":{"test:Missing":"0.0.0.0/0"}}"#, false),
        (r#"{"NotIpAddress":{"test:Missing":"10.0.0.0/8"}}"#, true),
        (
            r#"{"ArnEquals":{"test:Missing":"arn:aws:iam::*:*"}}"#,
            false,
        ),
        (r#"{"ArnLike":{"test:Missing":"*"}}"#, false),
        (
            r#"{"ArnNotEquals":{"test:Missing":"arn:aws:iam::1:user/a"}}"#,
            true,
        ),
        (
            r#"{"ArnNotLike":{"test:Missing":"arn:aws:iam::*:user/*"}}"#,
            true,
        ),
    ];
    table(rows, &ctx("iam:ListUsers", "*"));
}

/// VARS: "When you use a variable with no value in the condition element of an IAM policy,
/// ... operators like StringEquals or StringLike do not match ... Inverted condition operators
/// like StringNotEquals or StringNotLike do match against a null value". AWS allows variables
/// only in the string and ARN operators ("Where you can use policy variables"), so those are
/// the families here; bob has no `region` tag and the key compared is present.
#[test]
fn variable_with_no_value_is_null() {
    let c = ctx("iam:ListUsers", "*")
        .with("aws:RequestedRegion", "us-east-1")
        .with("aws:SourceArn", "arn:aws:iam::111122223333:user/bob")
        .with("aws:TagKeys", vec!["team".to_owned(), "cost".to_owned()]);
    let rows: &[(&str, bool)] = &[
        (
            r#"{"StringEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}"#,
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}"#,
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}"#,
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}"#,
            true,
        ),
        (
            r#"{"StringLike":{"aws:RequestedRegion":"${aws:PrincipalTag/region}*"}}"#,
            false,
        ),
        (
            r#"{"StringNotLike":{"aws:RequestedRegion":"*${aws:PrincipalTag/region}*"}}"#,
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:PrincipalTag/region}"}}"#,
            false,
        ),
        (
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:PrincipalTag/region}"}}"#,
            false,
        ),
        (
            r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:PrincipalTag/region}"}}"#,
            true,
        ),
        (
            r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:PrincipalTag/region}"}}"#,
            true,
        ),
        // The null value is one of several policy values: the others still compare.
        (
            r#"{"StringEquals":{"aws:RequestedRegion":["${aws:PrincipalTag/region}","us-east-1"]}}"#,
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["${aws:PrincipalTag/region}","us-east-1"]}}"#,
            false,
        ),
        // A multivalued key has no single value to substitute: null too.
        (
            r#"{"StringEquals":{"aws:RequestedRegion":"${aws:TagKeys}"}}"#,
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":"${aws:TagKeys}"}}"#,
            true,
        ),
        // Under the set operators, per request value.
        (
            r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"${aws:PrincipalTag/region}"}}"#,
            false,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":"${aws:PrincipalTag/region}"}}"#,
            true,
        ),
        (
            r#"{"ForAnyValue:StringNotLike":{"aws:TagKeys":"${aws:PrincipalTag/region}"}}"#,
            true,
        ),
        // Both sides missing: the key's absence decides (negated operators hold).
        (
            r#"{"StringNotEquals":{"test:Missing":"${aws:PrincipalTag/region}"}}"#,
            true,
        ),
        (
            r#"{"StringEquals":{"test:Missing":"${aws:PrincipalTag/region}"}}"#,
            false,
        ),
    ];
    table(rows, &c);
    // With the tag set, the same rows compare its value.
    let tagged = RequestContext::new(bob().with_tag("region", "us-east-1"), "iam:ListUsers", "*")
        .with("aws:RequestedRegion", "us-east-1");
    table(
        &[
            (
                r#"{"StringEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}"#,
                true,
            ),
            (
                r#"{"StringNotEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}"#,
                false,
            ),
        ],
        &tagged,
    );
}

/// VARS, "Specifying default values": `${key, 'default'}` stands for the default when the key
/// has no value, so the null rule never reaches it.
#[test]
fn default_values_apply_before_the_null_rule() {
    let c = ctx("iam:ListUsers", "*").with("aws:RequestedRegion", "us-east-1");
    table(
        &[
            (
                r#"{"StringEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region, 'us-east-1'}"}}"#,
                true,
            ),
            (
                r#"{"StringNotEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region, 'us-east-1'}"}}"#,
                false,
            ),
            (
                r#"{"StringNotEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region, 'eu-west-1'}"}}"#,
                true,
            ),
        ],
        &c,
    );
}

/// The issue's guardrail and VARS' own example ("Access is explicitly denied when
/// aws:principaltag/Team is not set"): a caller without the tag is denied, with it allowed.
#[test]
fn guardrail_against_an_unset_tag_denies() {
    let p = identity(&doc(
        r#"{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},
        {"Effect":"Deny","Action":"iam:ListUsers","Resource":"*",
         "Condition":{"StringNotEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}}"#,
    ));
    let call = |who: Principal| {
        RequestContext::new(who, "iam:ListUsers", "*").with("aws:RequestedRegion", "us-east-1")
    };
    let d = decide(std::slice::from_ref(&p), &call(bob()));
    assert_eq!(d.effect, D::ExplicitDeny);
    assert_eq!(d.explanation.matched.len(), 2, "both statements apply");
    assert!(d.explanation.unresolved.is_empty());
    let ps = std::slice::from_ref(&p);
    assert_eq!(
        effect(ps, &call(bob().with_tag("region", "us-east-1"))),
        D::Allowed
    );
    assert_eq!(
        effect(ps, &call(bob().with_tag("region", "eu-west-1"))),
        D::ExplicitDeny
    );

    let s3 = identity(&doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
         "Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}"#));
    let get = |who: Principal| {
        RequestContext::new(who, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/k")
            .with("s3:ExistingObjectTag/Team", "blue")
    };
    let ps = std::slice::from_ref(&s3);
    assert_eq!(effect(ps, &get(bob())), D::ExplicitDeny);
    assert_eq!(effect(ps, &get(bob().with_tag("Team", "blue"))), D::Allowed);
}

/// OPS, "...IfExists condition operators": "If the key is not present, evaluate the condition
/// element as true." Present keys are compared as without the suffix.
#[test]
fn if_exists_holds_for_a_missing_key() {
    let missing: &[(&str, bool)] = &[
        (r#"{"StringEqualsIfExists":{"test:Missing":"a"}}"#, true),
        (r#"{"StringNotEqualsIfExists":{"test:Missing":"a"}}"#, true),
        (r#"{"NumericLessThanIfExists":{"test:Missing":"1"}}"#, true),
        (
            r#"{"DateGreaterThanIfExists":{"test:Missing":"2020-01-01"}}"#,
            true,
        ),
        (r#"{"BoolIfExists":{"test:Missing":"true"}}"#, true),
        (
            r#"{"IpAddressIfExists":{"test:Missing":"10.0.0.0/8"}}"#,
            true,
        ),
        (
            r#"{"ArnLikeIfExists":{"test:Missing":"arn:aws:iam::*:role/*"}}"#,
            true,
        ),
        // A variable with no value in an IfExists operator on a present key: null as usual.
        (
            r#"{"StringEqualsIfExists":{"test:Present":"${aws:PrincipalTag/none}"}}"#,
            false,
        ),
        (
            r#"{"StringNotEqualsIfExists":{"test:Present":"${aws:PrincipalTag/none}"}}"#,
            true,
        ),
        (r#"{"StringEqualsIfExists":{"test:Present":"b"}}"#, false),
        (r#"{"StringNotEqualsIfExists":{"test:Present":"b"}}"#, true),
        (r#"{"StringEqualsIfExists":{"test:Present":"a"}}"#, true),
    ];
    table(
        missing,
        &ctx("iam:ListUsers", "*").with("test:Present", "a"),
    );
}

/// OPS, "Condition operator to check existence of condition keys": `Null` "true" holds when the
/// key is absent, "false" when it is present; it is one of the two exceptions to the
/// missing-key rule.
#[test]
fn null_checks_presence() {
    table(
        &[
            (r#"{"Null":{"test:Missing":"true"}}"#, true),
            (r#"{"Null":{"test:Missing":"false"}}"#, false),
            (r#"{"Null":{"test:Present":"true"}}"#, false),
            (r#"{"Null":{"test:Present":"false"}}"#, true),
            (r#"{"Null":{"aws:PrincipalTag/region":"true"}}"#, true),
        ],
        &ctx("iam:ListUsers", "*").with("test:Present", "a"),
    );
}

/// MULTI: "ForAllValues ... also returns true if there are no context keys in the request or if
/// the context key value resolves to a null dataset, such as an empty string"; "ForAnyValue ...
/// For no matching context key or a null dataset, the condition returns false." The same holds
/// for the negated operators under each qualifier.
#[test]
fn set_operators_on_missing_and_empty_keys() {
    let rows = |key: &str| -> Vec<(String, bool)> {
        vec![
            (
                format!(r#"{{"ForAllValues:StringEquals":{{"{key}":"a"}}}}"#),
                true,
            ),
            (
                format!(r#"{{"ForAllValues:StringNotEquals":{{"{key}":"a"}}}}"#),
                true,
            ),
            (
                format!(r#"{{"ForAllValues:StringLike":{{"{key}":"x*"}}}}"#),
                true,
            ),
            (
                format!(r#"{{"ForAnyValue:StringEquals":{{"{key}":"a"}}}}"#),
                false,
            ),
            (
                format!(r#"{{"ForAnyValue:StringNotEquals":{{"{key}":"a"}}}}"#),
                false,
            ),
            (
                format!(r#"{{"ForAnyValue:StringLike":{{"{key}":"*"}}}}"#),
                false,
            ),
        ]
    };
    let c = ctx("iam:TagUser", "*").with("test:Empty", Vec::<String>::new());
    for key in ["test:Missing", "test:Empty"] {
        for (condition, want) in rows(key) {
            assert_eq!(holds(&condition, &c), want, "{condition}");
        }
    }
}

/// VARS, "Using variables in policies": "If you don't include the Version element and set it to
/// an appropriate version date, variables like ${aws:username} are treated as literal strings
/// in the policy." So no null rule either: the text is compared as written.
#[test]
fn variables_are_literal_before_2012_10_17() {
    for version in [r#""Version":"2008-10-17","#, ""] {
        let p = identity(&format!(
            r#"{{{version}"Statement":[{{"Effect":"Allow","Action":"*","Resource":"*"}},
            {{"Effect":"Deny","Action":"*","Resource":"*",
              "Condition":{{"StringNotEquals":{{"test:Key":"${{aws:PrincipalTag/region}}"}}}}}}]}}"#
        ));
        let with = |v: &str| ctx("iam:ListUsers", "*").with("test:Key", v);
        let ps = std::slice::from_ref(&p);
        assert_eq!(
            effect(ps, &with("${aws:PrincipalTag/region}")),
            D::Allowed,
            "{version}"
        );
        assert_eq!(effect(ps, &with("us-east-1")), D::ExplicitDeny, "{version}");
        let tagged = RequestContext::new(bob().with_tag("region", "x"), "iam:ListUsers", "*")
            .with("test:Key", "x");
        assert_eq!(
            effect(ps, &tagged),
            D::ExplicitDeny,
            "not substituted: {version}"
        );

        let r = identity(&format!(
            r#"{{{version}"Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${{aws:username}}/*"}}}}"#
        ));
        let rs = std::slice::from_ref(&r);
        assert_eq!(
            effect(rs, &ctx("s3:GetObject", "arn:aws:s3:::b/bob/k")),
            D::ImplicitDeny
        );
        assert_eq!(
            effect(rs, &ctx("s3:GetObject", "arn:aws:s3:::b/${aws:username}/k")),
            D::Allowed
        );
    }
}

/// VARS: "If a variable that has no value in the authorization context is used as part of the
/// Resource or NotResource element of a policy, the resource that includes a policy variable
/// with no value will not match any resource." In a Deny, Keyward takes that per entry (a
/// `Resource` entry covers nothing, a `NotResource` entry excludes nothing); an Allow with such
/// an entry does not apply at all (fail-closed where the page leaves the reading open).
#[test]
fn unset_variables_in_resource() {
    let bucket = "arn:aws:s3:::bucket-x";
    let c = ctx("s3:GetObject", bucket);
    let with_allow = |deny: &str| {
        identity(&doc(&format!(
            r#"{{"Effect":"Allow","Action":"*","Resource":"*"}},{{"Effect":"Deny","Action":"*",{deny}}}"#
        )))
    };
    let deny_rows: &[(&str, D)] = &[
        (
            r#""Resource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team}""#,
            D::Allowed,
        ),
        (
            r#""Resource":["arn:aws:s3:::bucket-${aws:PrincipalTag/team}","arn:aws:s3:::bucket-x"]"#,
            D::ExplicitDeny,
        ),
        (
            r#""NotResource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team}""#,
            D::ExplicitDeny,
        ),
        (
            r#""NotResource":["arn:aws:s3:::bucket-${aws:PrincipalTag/team}","arn:aws:s3:::bucket-x"]"#,
            D::Allowed,
        ),
        (
            r#""Resource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team, 'x'}""#,
            D::ExplicitDeny,
        ),
        (
            r#""NotResource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team, 'x'}""#,
            D::Allowed,
        ),
    ];
    for (deny, want) in deny_rows {
        assert_eq!(effect(&[with_allow(deny)], &c), *want, "Deny {deny}");
    }
    let allow_rows: &[(&str, D)] = &[
        (
            r#""Resource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team}""#,
            D::ImplicitDeny,
        ),
        (
            r#""Resource":["arn:aws:s3:::bucket-${aws:PrincipalTag/team}","*"]"#,
            D::ImplicitDeny,
        ),
        (
            r#""NotResource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team}""#,
            D::ImplicitDeny,
        ),
        (
            r#""Resource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team, 'x'}""#,
            D::Allowed,
        ),
    ];
    for (allow, want) in allow_rows {
        let p = identity(&doc(&format!(
            r#"{{"Effect":"Allow","Action":"*",{allow}}}"#
        )));
        let d = decide(std::slice::from_ref(&p), &c);
        assert_eq!(d.effect, *want, "Allow {allow}");
        let skipped = *want == D::ImplicitDeny;
        assert_eq!(
            d.explanation.unresolved.len(),
            usize::from(skipped),
            "{allow}"
        );
    }
    // With the tag, the entry is an ordinary resource.
    let tagged = RequestContext::new(
        Principal::user(ACCT, "/", "bob", "AIDABOB").with_tag("team", "x"),
        "s3:GetObject",
        bucket,
    );
    let p = with_allow(r#""NotResource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team}""#);
    assert_eq!(effect(&[p], &tagged), D::Allowed);
}
