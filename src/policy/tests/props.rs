//! Property tests: invariants of evaluation that hold for every policy and request.

use proptest::prelude::*;

use super::{bob, doc, identity};
use crate::policy::{
    evaluate, DecisionEffect, EvaluationInput, Policy, PolicyKind, RequestContext,
};

const ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:PutObject",
    "iam:CreateUser",
    "iam:GetUser",
    "ec2:RunInstances",
    "sts:AssumeRole",
];
const RESOURCES: [&str; 4] = [
    "*",
    "arn:aws:s3:::b/k",
    "arn:aws:iam::111122223333:user/x",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
];
const ACTION_PATTERNS: [&str; 8] = [
    "*",
    "s3:*",
    "s3:Get*",
    "iam:*User",
    "iam:?etUser",
    "ec2:RunInstances",
    "sts:*",
    "s3:PutObject",
];
const RESOURCE_PATTERNS: [&str; 6] = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:iam::*:user/*",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:s3:::other",
    "arn:aws:iam::111122223333:user/x",
];
const CONDITIONS: [&str; 5] = [
    "",
    r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}"#,
    r#","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"team*"}}"#,
];

fn statement() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        0..ACTION_PATTERNS.len(),
        any::<bool>(),
        0..RESOURCE_PATTERNS.len(),
        0..CONDITIONS.len(),
    )
        .prop_map(|(allow, not_action, a, not_res, r, c)| {
            format!(
                r#"{{"Effect":"{}","{}":"{}","{}":"{}"{}}}"#,
                if allow { "Allow" } else { "Deny" },
                if not_action { "NotAction" } else { "Action" },
                ACTION_PATTERNS[a],
                if not_res { "NotResource" } else { "Resource" },
                RESOURCE_PATTERNS[r],
                CONDITIONS[c]
            )
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    prop::collection::vec(statement(), 1..6).prop_map(|s| identity(&doc(&s.join(","))))
}

fn request() -> impl Strategy<Value = RequestContext> {
    (
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(a, r, tls, ip, tags)| {
            let mut c = RequestContext::new(bob(), ACTIONS[a], RESOURCES[r])
                .with("aws:SecureTransport", tls);
            if ip {
                c.insert("aws:SourceIp", "10.1.2.3");
            }
            if tags {
                c.insert("aws:TagKeys", vec!["team".to_owned(), "cost".to_owned()]);
            }
            c
        })
}

fn decide(ps: &[Policy], boundary: Option<&Policy>, c: &RequestContext) -> DecisionEffect {
    evaluate(&EvaluationInput {
        context: c,
        identity: ps,
        boundary,
        session: &[],
        resource: None,
        resource_account: None,
    })
    .effect
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Adding a Deny statement (as another policy) never turns a deny into an allow, and never
    /// turns an explicit deny into anything else.
    #[test]
    fn adding_a_deny_never_allows(ps in prop::collection::vec(policy(), 1..4), deny in statement(), c in request()) {
        let before = decide(&ps, None, &c);
        let deny = deny.replacen("\"Allow\"", "\"Deny\"", 1);
        let mut more = ps.clone();
        more.push(identity(&doc(&deny)));
        let after = decide(&more, None, &c);
        if before != DecisionEffect::Allowed {
            prop_assert_ne!(after, DecisionEffect::Allowed);
        }
        if before == DecisionEffect::ExplicitDeny {
            prop_assert_eq!(after, DecisionEffect::ExplicitDeny);
        }
    }

    /// A policy that allows `*` on `*` with no conditions allows every request unless denied.
    #[test]
    fn allow_all_allows_unless_denied(ps in prop::collection::vec(policy(), 0..3), c in request()) {
        let before = decide(&ps, None, &c);
        let mut more = ps.clone();
        more.push(identity(&doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#)));
        let after = decide(&more, None, &c);
        if before == DecisionEffect::ExplicitDeny {
            prop_assert_eq!(after, DecisionEffect::ExplicitDeny);
        } else {
            prop_assert_eq!(after, DecisionEffect::Allowed);
        }
    }

    /// A permissions boundary only takes permissions away.
    #[test]
    fn boundary_never_adds(ps in prop::collection::vec(policy(), 1..3), b in policy(), c in request()) {
        let boundary = Policy::parse(&doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#), PolicyKind::Boundary).unwrap();
        let _ = boundary;
        let without = decide(&ps, None, &c);
        let with = decide(&ps, Some(&b), &c);
        if without != DecisionEffect::Allowed {
            prop_assert_ne!(with, DecisionEffect::Allowed);
        }
    }

    /// Statement order and policy order do not change the decision.
    #[test]
    fn order_does_not_matter(ps in prop::collection::vec(policy(), 1..4), c in request()) {
        let mut rev = ps.clone();
        rev.reverse();
        prop_assert_eq!(decide(&ps, None, &c), decide(&rev, None, &c));
    }

    /// Action matching is case-insensitive.
    #[test]
    fn action_case_does_not_matter(ps in prop::collection::vec(policy(), 1..3), c in request()) {
        let upper = RequestContext::new(bob(), &c.action().to_uppercase(), c.resource());
        let lower = RequestContext::new(bob(), &c.action().to_lowercase(), c.resource());
        prop_assert_eq!(decide(&ps, None, &upper), decide(&ps, None, &lower));
    }

    /// Parsing and validating arbitrary text never panics.
    #[test]
    fn parse_never_panics(s in ".{0,200}") {
        let _ = Policy::parse(&s, PolicyKind::Identity);
        let _ = crate::policy::validate(&s, PolicyKind::Resource, crate::policy::ValidationLimit::Managed);
    }
}
