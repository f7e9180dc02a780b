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
const RESOURCE_PATTERNS: [&str; 7] = [
    "arn:aws:s3:::b/${aws:PrincipalTag/region}",
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:iam::*:user/*",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:s3:::other",
    "arn:aws:iam::111122223333:user/x",
];
const CONDITIONS: [&str; 8] = [
    "",
    r#","Condition":{"StringNotEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}"#,
    r#","Condition":{"StringEquals":{"aws:RequestedRegion":"${aws:PrincipalTag/region}"}}"#,
    r#","Condition":{"Null":{"aws:PrincipalTag/region":"true"}}"#,
    r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}"#,
    r#","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"team*"}}"#,
];

/// Negated operators (with and without a set qualifier) that accept policy variables.
const NEGATED: [&str; 7] = [
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "ForAllValues:StringNotEquals",
    "StringNotEqualsIfExists",
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

/// What a request carries; `build` makes the context, with or without the `region` tag.
#[derive(Debug, Clone)]
struct Req {
    action: usize,
    resource: usize,
    tls: bool,
    ip: bool,
    tags: bool,
    region_tag: Option<&'static str>,
    region: Option<&'static str>,
}

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

impl Req {
    fn build(&self, with_tag: bool) -> RequestContext {
        let mut p = bob();
        if let (true, Some(t)) = (with_tag, self.region_tag) {
            p = p.with_tag("region", t);
        }
        let mut c = RequestContext::new(p, ACTIONS[self.action], RESOURCES[self.resource])
            .with("aws:SecureTransport", self.tls);
        if self.ip {
            c.insert("aws:SourceIp", "10.1.2.3");
        }
        if self.tags {
            c.insert("aws:TagKeys", vec!["team".to_owned(), "cost".to_owned()]);
        }
        if let Some(r) = self.region {
            c.insert("aws:RequestedRegion", r);
        }
        c
    }
}

fn req() -> impl Strategy<Value = Req> {
    (
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        any::<(bool, bool, bool)>(),
        prop::option::of(prop::sample::select(&REGIONS[..])),
        prop::option::of(prop::sample::select(&REGIONS[..])),
    )
        .prop_map(
            |(action, resource, (tls, ip, tags), region_tag, region)| Req {
                action,
                resource,
                tls,
                ip,
                tags,
                region_tag,
                region,
            },
        )
}

fn request() -> impl Strategy<Value = RequestContext> {
    req().prop_map(|r| r.build(true))
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

    /// Adding an Allow statement (as another policy) never turns an allowed request into a denied
    /// one.
    #[test]
    fn adding_an_allow_never_denies(ps in prop::collection::vec(policy(), 1..4), allow in statement(), c in request()) {
        let before = decide(&ps, None, &c);
        let allow = allow.replacen("\"Deny\"", "\"Allow\"", 1);
        let mut more = ps.clone();
        more.push(identity(&doc(&allow)));
        if before == DecisionEffect::Allowed {
            prop_assert_eq!(decide(&more, None, &c), DecisionEffect::Allowed);
        }
    }

    /// Removing a context key (here the principal's `region` tag) never makes a Deny that
    /// compares another key against that key's variable with a negated operator stop applying:
    /// with the variable unset the guard always applies (AWS "Policy variables with no value").
    #[test]
    fn removing_a_key_keeps_a_negated_guard(
        ps in prop::collection::vec(policy(), 0..3),
        op in prop::sample::select(&NEGATED[..]),
        key in prop::sample::select(&["aws:RequestedRegion", "aws:TagKeys", "test:Missing"][..]),
        r in req(),
    ) {
        let guard = identity(&doc(&format!(
            r#"{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"{op}":{{"{key}":"${{aws:PrincipalTag/region}}"}}}}}}"#
        )));
        let mut all = ps.clone();
        all.push(guard);
        let with = decide(&all, None, &r.build(true));
        let without = decide(&all, None, &r.build(false));
        if with == DecisionEffect::ExplicitDeny {
            prop_assert_eq!(without, DecisionEffect::ExplicitDeny);
        }
        prop_assert_eq!(without, DecisionEffect::ExplicitDeny, "an unset variable makes the guard apply");
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
