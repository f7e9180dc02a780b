//! Evaluation logic: layers, NotAction/NotResource, resource and trust policies, explanations.

use super::{bob, ctx, decide, doc, effect, identity, resource, ACCT, OTHER};
use crate::policy::{
    evaluate, evaluate_assume_role, AllowedBy, AssumeRoleInput, DecisionEffect as D,
    EvaluationInput, Layer, Policy, PolicyKind, Principal, Reason, RequestContext,
};

fn stmt(effect: &str, action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"{effect}","{action}","{resource}"}}"#)
}

#[test]
fn actions_are_case_insensitive_and_resources_case_sensitive() {
    let p = identity(&doc(
        r#"{"Effect":"Allow","Action":"S3:get*","Resource":"arn:aws:s3:::Bucket/*"}"#,
    ));
    let cases = [
        ("s3:GetObject", "arn:aws:s3:::Bucket/k", D::Allowed),
        ("S3:GETOBJECT", "arn:aws:s3:::Bucket/a/b:c", D::Allowed),
        ("s3:PutObject", "arn:aws:s3:::Bucket/k", D::ImplicitDeny),
        ("s3:GetObject", "arn:aws:s3:::bucket/k", D::ImplicitDeny),
        ("s3:GetObject", "arn:aws:s3:::Bucket", D::ImplicitDeny),
    ];
    for (a, r, want) in cases {
        assert_eq!(
            effect(std::slice::from_ref(&p), &ctx(a, r)),
            want,
            "{a} {r}"
        );
    }
}

#[test]
fn not_action_and_not_resource() {
    let r = "arn:aws:iam::111122223333:user/alice";
    let rows: Vec<(String, &str, &str, D)> = vec![
        // Allow + NotAction: everything except the listed actions.
        (
            stmt("Allow", r#"NotAction":"iam:*"#, r#"Resource":"*"#),
            "s3:GetObject",
            r,
            D::Allowed,
        ),
        (
            stmt("Allow", r#"NotAction":"iam:*"#, r#"Resource":"*"#),
            "iam:GetUser",
            r,
            D::ImplicitDeny,
        ),
        // Deny + NotAction: denies everything except the listed actions (no allow for those here).
        (
            stmt("Deny", r#"NotAction":"iam:*"#, r#"Resource":"*"#),
            "s3:GetObject",
            r,
            D::ExplicitDeny,
        ),
        (
            stmt("Deny", r#"NotAction":"iam:*"#, r#"Resource":"*"#),
            "iam:GetUser",
            r,
            D::ImplicitDeny,
        ),
        // Allow + NotResource.
        (
            stmt(
                "Allow",
                r#"Action":"iam:*"#,
                r#"NotResource":"arn:aws:iam::*:user/admin*"#,
            ),
            "iam:GetUser",
            r,
            D::Allowed,
        ),
        (
            stmt(
                "Allow",
                r#"Action":"iam:*"#,
                r#"NotResource":"arn:aws:iam::*:user/admin*"#,
            ),
            "iam:GetUser",
            "arn:aws:iam::111122223333:user/admin1",
            D::ImplicitDeny,
        ),
        // Deny + NotResource.
        (
            stmt(
                "Deny",
                r#"Action":"iam:*"#,
                r#"NotResource":"arn:aws:iam::*:user/alice"#,
            ),
            "iam:GetUser",
            "arn:aws:iam::111122223333:user/carol",
            D::ExplicitDeny,
        ),
        (
            stmt(
                "Deny",
                r#"Action":"iam:*"#,
                r#"NotResource":"arn:aws:iam::*:user/alice"#,
            ),
            "iam:GetUser",
            r,
            D::ImplicitDeny,
        ),
    ];
    for (s, a, res, want) in rows {
        let p = identity(&doc(&s));
        assert_eq!(effect(&[p], &ctx(a, res)), want, "{s} {a} {res}");
    }
}

#[test]
fn explicit_deny_wins_across_policies() {
    let allow = identity(&doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#));
    let deny = identity(&doc(
        r#"{"Sid":"NoIam","Effect":"Deny","Action":"iam:*","Resource":"*"}"#,
    ))
    .with_label("arn:aws:iam::111122223333:policy/NoIam");
    let c = ctx("iam:CreateUser", "arn:aws:iam::111122223333:user/x");
    let d = decide(&[allow, deny], &c);
    assert_eq!(d.effect, D::ExplicitDeny);
    assert_eq!(d.explanation.reason, Reason::ExplicitDeny(Layer::Identity));
    assert_eq!(d.explanation.matched.len(), 2);
    assert_eq!(
        d.access_denied_message(&c).unwrap(),
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/x with an explicit deny in an identity-based policy: arn:aws:iam::111122223333:policy/NoIam"
    );
}

#[test]
fn implicit_deny_message_and_explanation() {
    let p = identity(&doc(
        r#"{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
    ));
    let c = ctx("iam:CreateUser", "arn:aws:iam::111122223333:user/x");
    let d = decide(std::slice::from_ref(&p), &c);
    assert_eq!(d.effect, D::ImplicitDeny);
    assert!(d.explanation.matched.is_empty());
    assert_eq!(
        d.access_denied_message(&c).unwrap(),
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/x because no identity-based policy allows the iam:CreateUser action"
    );
    let c = ctx("s3:GetObject", "arn:aws:s3:::b/k");
    let d = decide(&[p], &c);
    assert_eq!(d.effect, D::Allowed);
    assert!(d.access_denied_message(&c).is_none());
    let m = &d.explanation.matched[0];
    assert_eq!(
        (m.index, m.sid.as_deref(), m.layer),
        (0, Some("S3"), Layer::Identity)
    );
    assert_eq!(&*m.policy, "arn:aws:iam::111122223333:policy/Test");
    assert_eq!(d.explanation.reason, Reason::Allowed(AllowedBy::Identity));
}

#[test]
fn no_policies_is_an_implicit_deny() {
    assert_eq!(effect(&[], &ctx("s3:GetObject", "*")), D::ImplicitDeny);
}

fn with_layers(
    identity: &[Policy],
    boundary: Option<&Policy>,
    session: &[Policy],
    c: &RequestContext,
) -> crate::policy::Decision {
    evaluate(&EvaluationInput {
        context: c,
        identity,
        boundary,
        session,
        resource: None,
        resource_account: None,
    })
}

#[test]
fn boundary_and_session_intersect() {
    let all = identity(&doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#));
    let s3_only = Policy::parse(
        &doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
        PolicyKind::Boundary,
    )
    .unwrap();
    let get_only = Policy::parse(
        &doc(r#"{"Effect":"Allow","Action":["s3:Get*","iam:Get*"],"Resource":"*"}"#),
        PolicyKind::Session,
    )
    .unwrap();
    let rows = [
        ("s3:GetObject", D::Allowed, None),
        ("s3:PutObject", D::ImplicitDeny, Some(Layer::Session)),
        ("iam:GetUser", D::ImplicitDeny, Some(Layer::Boundary)),
        ("ec2:RunInstances", D::ImplicitDeny, Some(Layer::Boundary)),
    ];
    for (a, want, layer) in rows {
        let c = ctx(a, "*");
        let d = with_layers(
            std::slice::from_ref(&all),
            Some(&s3_only),
            std::slice::from_ref(&get_only),
            &c,
        );
        assert_eq!(d.effect, want, "{a}");
        if let Some(l) = layer {
            assert_eq!(d.explanation.reason, Reason::NoAllow(l), "{a}");
            let msg = d.access_denied_message(&c).unwrap();
            assert!(
                msg.ends_with(&format!(
                    "because no {} allows the {a} action",
                    l.policy_type()
                )),
                "{msg}"
            );
        }
    }
    // The boundary alone grants nothing.
    let c = ctx("s3:GetObject", "*");
    let d = with_layers(&[], Some(&s3_only), &[], &c);
    assert_eq!(d.explanation.reason, Reason::NoAllow(Layer::Identity));
    // A deny in the boundary is an explicit deny.
    let deny_b = Policy::parse(&doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}"#), PolicyKind::Boundary).unwrap();
    let c = ctx("s3:DeleteBucket", "*");
    let d = with_layers(std::slice::from_ref(&all), Some(&deny_b), &[], &c);
    assert_eq!(d.explanation.reason, Reason::ExplicitDeny(Layer::Boundary));
    assert!(d
        .access_denied_message(&c)
        .unwrap()
        .ends_with("with an explicit deny in a permissions boundary"));
}

fn with_resource(
    c: &RequestContext,
    ident: &[Policy],
    boundary: Option<&Policy>,
    session: &[Policy],
    res: &Policy,
    owner: &str,
) -> crate::policy::Decision {
    evaluate(&EvaluationInput {
        context: c,
        identity: ident,
        boundary,
        session,
        resource: Some(res),
        resource_account: Some(owner),
    })
}

#[test]
fn resource_policies_same_account() {
    let bucket = "arn:aws:s3:::b/k";
    let res = |principal: &str| {
        resource(&doc(&format!(
            r#"{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
        )))
    };
    let session = Principal::assumed_role(ACCT, "/", "Dev", "AROADEV", "s1");
    let none_b = Policy::parse(
        &doc(r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#),
        PolicyKind::Boundary,
    )
    .unwrap();
    let rows: Vec<(&str, Principal, Option<&Policy>, D)> = vec![
        // Names the user: allowed without identity policy, even outside the boundary.
        (
            r#"{"AWS":"arn:aws:iam::111122223333:user/bob"}"#,
            bob(),
            None,
            D::Allowed,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:user/bob"}"#,
            bob(),
            Some(&none_b),
            D::Allowed,
        ),
        // Names only the account: delegation, the identity policy must allow.
        (r#"{"AWS":"111122223333"}"#, bob(), None, D::ImplicitDeny),
        (r#""*""#, bob(), None, D::Allowed),
        // Names the role of a session: allowed, but limited by the boundary.
        (
            r#"{"AWS":"arn:aws:iam::111122223333:role/Dev"}"#,
            session.clone(),
            None,
            D::Allowed,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:role/Dev"}"#,
            session.clone(),
            Some(&none_b),
            D::ImplicitDeny,
        ),
        // Names the session itself: not limited by the boundary.
        (
            r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/Dev/s1"}"#,
            session.clone(),
            Some(&none_b),
            D::Allowed,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
            bob(),
            None,
            D::ImplicitDeny,
        ),
    ];
    for (principal, who, boundary, want) in rows {
        let c = RequestContext::new(who.clone(), "s3:GetObject", bucket);
        let d = with_resource(&c, &[], boundary, &[], &res(principal), ACCT);
        assert_eq!(
            d.effect,
            want,
            "{principal} {} boundary={}",
            who.arn,
            boundary.is_some()
        );
        assert!(!d.explanation.cross_account);
    }
}

#[test]
fn resource_policies_cross_account_need_both() {
    let bucket = "arn:aws:s3:::b/k";
    let res = resource(&doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    ));
    let allow = identity(&doc(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
    ));
    let c = ctx("s3:GetObject", bucket);
    let d = with_resource(&c, std::slice::from_ref(&allow), None, &[], &res, OTHER);
    assert_eq!(d.effect, D::Allowed);
    assert_eq!(
        d.explanation.reason,
        Reason::Allowed(AllowedBy::IdentityAndResource)
    );
    assert!(d.explanation.cross_account);
    // Identity alone is not enough.
    let other = resource(&doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"s3:GetObject","Resource":"*"}"#,
    ));
    let d = with_resource(&c, std::slice::from_ref(&allow), None, &[], &other, OTHER);
    assert_eq!(d.explanation.reason, Reason::NoAllow(Layer::Resource));
    assert!(d
        .access_denied_message(&c)
        .unwrap()
        .ends_with("because no resource-based policy allows the s3:GetObject action"));
    // Resource alone is not enough, even naming the user.
    let named = resource(&doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:GetObject","Resource":"*"}"#,
    ));
    let d = with_resource(&c, &[], None, &[], &named, OTHER);
    assert_eq!(d.explanation.reason, Reason::NoAllow(Layer::Identity));
    // A deny in the resource policy wins.
    let deny = resource(&doc(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#,
    ));
    let d = with_resource(&c, std::slice::from_ref(&allow), None, &[], &deny, ACCT);
    assert_eq!(d.explanation.reason, Reason::ExplicitDeny(Layer::Resource));
}

#[test]
fn not_principal_with_deny() {
    let res = resource(&doc(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},
        {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/bob","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}"#,
    ));
    let c = ctx("s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(
        with_resource(&c, &[], None, &[], &res, ACCT).effect,
        D::Allowed
    );
    let alice = RequestContext::new(
        Principal::user(ACCT, "/", "alice", "AIDAA"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    );
    assert_eq!(
        with_resource(&alice, &[], None, &[], &res, ACCT).effect,
        D::ExplicitDeny
    );
}

#[test]
fn trust_policies() {
    let role = "arn:aws:iam::111122223333:role/Dev";
    let trust = |p: &str| {
        Policy::parse(
            &doc(&format!(
                r#"{{"Effect":"Allow","Principal":{p},"Action":"sts:AssumeRole"}}"#
            )),
            PolicyKind::Trust,
        )
        .unwrap()
    };
    let allow_assume = identity(&doc(
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/Dev"}"#,
    ));
    let other_user = Principal::user(OTHER, "/", "eve", "AIDAEVE");
    let run = |who: &Principal, t: &Policy, ident: &[Policy]| {
        let c = RequestContext::new(who.clone(), "sts:AssumeRole", role);
        evaluate_assume_role(&AssumeRoleInput {
            context: &c,
            trust_policy: t,
            role_account: ACCT,
            caller_identity: ident,
            caller_boundary: None,
            caller_session: &[],
        })
        .effect
    };
    let by_arn = trust(r#"{"AWS":"arn:aws:iam::111122223333:user/bob"}"#);
    let by_acct = trust(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#);
    let by_other = trust(r#"{"AWS":"444455556666"}"#);
    // Same account: naming the user is enough; naming the account needs the identity policy.
    assert_eq!(run(&bob(), &by_arn, &[]), D::Allowed);
    assert_eq!(run(&bob(), &by_acct, &[]), D::ImplicitDeny);
    // A trust policy that names someone else keeps out a caller whose own policies allow
    // sts:AssumeRole everywhere: the trust policy is a gate, not one option among two.
    let alice = Principal::user(ACCT, "/", "alice", "AIDAALICE");
    assert_eq!(
        run(&alice, &by_arn, std::slice::from_ref(&allow_assume)),
        D::ImplicitDeny
    );
    assert_eq!(
        run(&bob(), &by_acct, std::slice::from_ref(&allow_assume)),
        D::Allowed
    );
    // Cross account: both sides.
    assert_eq!(run(&other_user, &by_other, &[]), D::ImplicitDeny);
    assert_eq!(
        run(&other_user, &by_other, std::slice::from_ref(&allow_assume)),
        D::Allowed
    );
    assert_eq!(
        run(&other_user, &by_acct, std::slice::from_ref(&allow_assume)),
        D::ImplicitDeny
    );
    // The wrong action is not granted.
    let c = RequestContext::new(bob(), "sts:TagSession", role);
    let d = evaluate_assume_role(&AssumeRoleInput {
        context: &c,
        trust_policy: &by_arn,
        role_account: ACCT,
        caller_identity: &[],
        caller_boundary: None,
        caller_session: &[],
    });
    assert_eq!(d.effect, D::ImplicitDeny);
}

#[test]
fn web_identity_trust_with_provider_claims() {
    let role = "arn:aws:iam::111122223333:role/Web";
    let trust = Policy::parse(&doc(r#"{"Effect":"Allow","Principal":{"Federated":"accounts.example.com"},"Action":"sts:AssumeRoleWithWebIdentity",
        "Condition":{"StringEquals":{"accounts.example.com:aud":"client-1"},"ForAnyValue:StringEquals":{"accounts.example.com:amr":"mfa"}}}"#), PolicyKind::Trust).unwrap();
    let run = |aud: &str, amr: &[&str]| {
        let c = RequestContext::new(
            Principal::web_identity("accounts.example.com", "user-1"),
            "sts:AssumeRoleWithWebIdentity",
            role,
        )
        .with("accounts.example.com:aud", aud)
        .with("accounts.example.com:sub", "user-1")
        .with(
            "accounts.example.com:amr",
            amr.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        evaluate_assume_role(&AssumeRoleInput {
            context: &c,
            trust_policy: &trust,
            role_account: ACCT,
            caller_identity: &[],
            caller_boundary: None,
            caller_session: &[],
        })
        .effect
    };
    assert_eq!(run("client-1", &["pwd", "mfa"]), D::Allowed);
    assert_eq!(run("client-2", &["pwd", "mfa"]), D::ImplicitDeny);
    assert_eq!(run("client-1", &["pwd"]), D::ImplicitDeny);
    let c = RequestContext::new(
        Principal::web_identity("other.example.com", "u"),
        "sts:AssumeRoleWithWebIdentity",
        role,
    )
    .with("accounts.example.com:aud", "client-1");
    let d = evaluate_assume_role(&AssumeRoleInput {
        context: &c,
        trust_policy: &trust,
        role_account: ACCT,
        caller_identity: &[],
        caller_boundary: None,
        caller_session: &[],
    });
    assert_eq!(d.effect, D::ImplicitDeny);
}

#[test]
fn variables_in_resources() {
    let p = identity(&doc(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#,
    ));
    assert_eq!(
        effect(
            std::slice::from_ref(&p),
            &ctx("s3:GetObject", "arn:aws:s3:::home/bob/x")
        ),
        D::Allowed
    );
    assert_eq!(
        effect(
            std::slice::from_ref(&p),
            &ctx("s3:GetObject", "arn:aws:s3:::home/alice/x")
        ),
        D::ImplicitDeny
    );
    // A role session has no aws:username: the statement does not match.
    let s = RequestContext::new(
        Principal::assumed_role(ACCT, "/", "Dev", "AROADEV", "bob"),
        "s3:GetObject",
        "arn:aws:s3:::home/bob/x",
    );
    let d = decide(std::slice::from_ref(&p), &s);
    assert_eq!(d.effect, D::ImplicitDeny);
    assert_eq!(d.explanation.unresolved.len(), 1);
    // Same document under 2008-10-17: the variable is literal text.
    let old = identity(
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}"#,
    );
    assert_eq!(
        effect(
            std::slice::from_ref(&old),
            &ctx("s3:GetObject", "arn:aws:s3:::home/bob/x")
        ),
        D::ImplicitDeny
    );
    assert_eq!(
        effect(
            &[old],
            &ctx("s3:GetObject", "arn:aws:s3:::home/${aws:username}/x")
        ),
        D::Allowed
    );
    // An unresolvable variable in a Deny does not match either (AWS: the statement doesn't apply).
    let deny = identity(&doc(
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::${aws:PrincipalTag/x}"}"#,
    ));
    assert_eq!(
        effect(&[deny], &ctx("s3:GetObject", "arn:aws:s3:::b")),
        D::Allowed
    );
}

#[test]
fn missing_condition_keys_are_explained() {
    let p = identity(&doc(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
        {"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}"#,
    ));
    let c = ctx("s3:GetObject", "*").with("aws:SourceIp", "10.0.0.1");
    let d = decide(std::slice::from_ref(&p), &c);
    assert_eq!(d.effect, D::ImplicitDeny);
    let keys: Vec<&str> = d.explanation.missing_keys.iter().map(|k| &**k).collect();
    assert_eq!(
        keys,
        vec!["aws:MultiFactorAuthPresent"],
        "only statements whose action matched"
    );
    let c = c.with("AWS:MULTIFACTORAUTHPRESENT", true);
    assert_eq!(decide(&[p], &c).effect, D::Allowed);
}

#[test]
fn root_user_is_allowed_in_its_account_unless_denied() {
    let c = RequestContext::new(Principal::root(ACCT), "iam:CreateUser", "*");
    let d = decide(&[], &c);
    assert_eq!(
        d.explanation.reason,
        Reason::Allowed(AllowedBy::AccountRoot)
    );
    let deny = identity(&doc(r#"{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#));
    assert_eq!(decide(&[deny], &c).effect, D::ExplicitDeny);
}

#[test]
fn time_comes_from_the_context() {
    // AWS "Revoking IAM role temporary security credentials": deny tokens issued before a date.
    let p = identity(&doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-05-01T00:00:00Z"}}}"#));
    let issued = |t: &str| ctx("s3:GetObject", "*").with("aws:TokenIssueTime", t);
    assert_eq!(
        effect(std::slice::from_ref(&p), &issued("2024-04-30T23:59:59Z")),
        D::ExplicitDeny
    );
    assert_eq!(
        effect(std::slice::from_ref(&p), &issued("2024-05-01T00:00:00Z")),
        D::Allowed
    );
    // Long-term credentials carry no token issue time: the Deny does not apply.
    assert_eq!(effect(&[p], &ctx("s3:GetObject", "*")), D::Allowed);
}
