//! Keyward's policy engine against `cedar-policy`, deciding the same permissions in the same
//! criterion run. See docs/PERFORMANCE.md ("Policy engine") for the method and the numbers.
//!
//! Both policy sets are generated from one list of `Rule`s:
//! - IAM: one statement per rule, `Action` a list of wildcard patterns, `Resource` an ARN pattern,
//!   `StringEquals` on `aws:PrincipalTag/team` plus one of `IpAddress` on `aws:SourceIp`,
//!   `Bool` on `aws:SecureTransport` or `NumericLessThan` on `aws:MultiFactorAuthAge`;
//!   every tenth rule is a `Deny`.
//! - Cedar: one `permit` (or `forbid`) per rule whose `when` clause is the same test:
//!   `context.action like "..."` (lowercased, as IAM actions are case-insensitive) OR'ed over the
//!   patterns, `context.resource like "..."`, `context.tags.team == "..."`, and
//!   `context.source_ip.isInRange(ip("..."))`, `context.secure_transport == true` or
//!   `context.mfa_age < 3600`.
//!
//! Before timing, both engines decide a grid of requests and must agree on every one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code, unused_imports)]
#[path = "../../src/policy/mod.rs"]
mod policy;

use std::hint::black_box;
use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request};
use criterion::{criterion_group, criterion_main, Criterion};
use policy::{evaluate, EvaluationInput, Policy, PolicyKind, Principal, RequestContext};

const SERVICES: [&str; 8] = [
    "s3", "ec2", "iam", "dynamodb", "sqs", "sns", "lambda", "kms",
];
const VERBS: [&str; 6] = ["Get", "List", "Describe", "Put", "Create", "Delete"];

/// One permission, rendered both as an IAM statement and as a Cedar policy.
struct Rule {
    deny: bool,
    actions: Vec<String>,
    resource: String,
    team: String,
    extra: Extra,
}

enum Extra {
    Ip(String),
    SecureTransport,
    MfaAge(i64),
}

fn rules(n: usize) -> Vec<Rule> {
    (0..n)
        .map(|i| {
            let svc = SERVICES[i % SERVICES.len()];
            let v1 = VERBS[i % VERBS.len()];
            let v2 = VERBS[(i / 3 + 1) % VERBS.len()];
            Rule {
                deny: i % 10 == 9,
                actions: vec![format!("{svc}:{v1}*"), format!("{svc}:{v2}*Object*")],
                resource: format!("arn:aws:{svc}:us-east-1:111122223333:thing-{i}/*"),
                team: format!("team-{}", i % 5),
                extra: match i % 3 {
                    0 => Extra::Ip(format!("10.{}.0.0/16", i % 250)),
                    1 => Extra::SecureTransport,
                    _ => Extra::MfaAge(3600),
                },
            }
        })
        .collect()
}

fn iam_statement(r: &Rule) -> String {
    let actions: Vec<String> = r.actions.iter().map(|a| format!("\"{a}\"")).collect();
    let extra = match &r.extra {
        Extra::Ip(cidr) => format!(r#""IpAddress":{{"aws:SourceIp":"{cidr}"}}"#),
        Extra::SecureTransport => r#""Bool":{"aws:SecureTransport":"true"}"#.to_owned(),
        Extra::MfaAge(n) => format!(r#""NumericLessThan":{{"aws:MultiFactorAuthAge":"{n}"}}"#),
    };
    format!(
        r#"{{"Effect":"{}","Action":[{}],"Resource":"{}","Condition":{{"StringEquals":{{"aws:PrincipalTag/team":"{}"}},{extra}}}}}"#,
        if r.deny { "Deny" } else { "Allow" },
        actions.join(","),
        r.resource,
        r.team
    )
}

/// IAM policies of `per_policy` statements each.
fn iam_policies(rules: &[Rule], per_policy: usize) -> Vec<Policy> {
    rules
        .chunks(per_policy)
        .enumerate()
        .map(|(i, chunk)| {
            let body: Vec<String> = chunk.iter().map(iam_statement).collect();
            let json = format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                body.join(",")
            );
            Policy::parse(&json, PolicyKind::Identity)
                .expect("generated IAM policy parses")
                .with_label(&format!("arn:aws:iam::111122223333:policy/P{i}"))
        })
        .collect()
}

fn cedar_policy(r: &Rule) -> String {
    let actions: Vec<String> = r
        .actions
        .iter()
        .map(|a| format!("context.action like \"{}\"", a.to_ascii_lowercase()))
        .collect();
    let extra = match &r.extra {
        Extra::Ip(cidr) => format!("context.source_ip.isInRange(ip(\"{cidr}\"))"),
        Extra::SecureTransport => "context.secure_transport == true".to_owned(),
        Extra::MfaAge(n) => format!("context.mfa_age < {n}"),
    };
    format!(
        "{}(principal, action, resource) when {{ ({}) && context.resource like \"{}\" && context.tags.team == \"{}\" && {extra} }};\n",
        if r.deny { "forbid" } else { "permit" },
        actions.join(" || "),
        r.resource,
        r.team
    )
}

fn cedar_policies(rules: &[Rule]) -> PolicySet {
    let text: String = rules.iter().map(cedar_policy).collect();
    PolicySet::from_str(&text).expect("generated Cedar policies parse")
}

/// One request, in both forms.
struct Req {
    keyward: RequestContext,
    cedar: Request,
}

fn request(action: &str, resource: &str, team: &str, ip: &str, tls: bool, mfa_age: i64) -> Req {
    let principal = Principal::user("111122223333", "/", "bob", "AIDABOB").with_tag("team", team);
    let keyward = RequestContext::new(principal, action, resource)
        .with("aws:SourceIp", ip.parse::<std::net::IpAddr>().expect("ip"))
        .with("aws:SecureTransport", tls)
        .with("aws:MultiFactorAuthAge", mfa_age);
    let context = Context::from_json_value(
        serde_json::json!({
            "action": action.to_ascii_lowercase(),
            "resource": resource,
            "tags": { "team": team },
            "source_ip": { "__extn": { "fn": "ip", "arg": ip } },
            "secure_transport": tls,
            "mfa_age": mfa_age,
        }),
        None,
    )
    .expect("cedar context");
    let cedar = Request::new(
        EntityUid::from_str(r#"User::"bob""#).expect("principal"),
        EntityUid::from_str(r#"Action::"call""#).expect("action"),
        EntityUid::from_str(r#"Resource::"r""#).expect("resource"),
        context,
        None,
    )
    .expect("cedar request");
    Req { keyward, cedar }
}

/// A request that statement `k` allows (for `k % 10 != 9`).
fn typical_request(k: usize) -> Req {
    let svc = SERVICES[k % SERVICES.len()];
    let verb = VERBS[k % VERBS.len()];
    request(
        &format!("{svc}:{verb}Thing"),
        &format!("arn:aws:{svc}:us-east-1:111122223333:thing-{k}/obj"),
        &format!("team-{}", k % 5),
        &format!("10.{}.1.2", k % 250),
        true,
        60,
    )
}

fn keyward_allows(ps: &[Policy], r: &RequestContext) -> bool {
    evaluate(&EvaluationInput {
        context: r,
        identity: ps,
        boundary: None,
        session: &[],
        resource: None,
        resource_account: None,
    })
    .is_allowed()
}

fn cedar_allows(auth: &Authorizer, ps: &PolicySet, ents: &Entities, r: &Request) -> bool {
    auth.is_authorized(r, ps, ents).decision() == cedar_policy::Decision::Allow
}

/// Both engines must agree on a grid of requests, allowed and denied.
fn check_equivalent(rules: &[Rule], ks: &[Policy], cs: &PolicySet) {
    let (auth, ents) = (Authorizer::new(), Entities::empty());
    let mut allowed = 0;
    let n = rules.len();
    for k in (0..n).step_by((n / 40).max(1)).chain([9, 19]) {
        for (team, ip, tls, age) in [
            (k % 5, k % 250, true, 60),
            ((k + 1) % 5, k % 250, true, 60),
            (k % 5, (k + 1) % 250, true, 60),
            (k % 5, k % 250, false, 7200),
        ] {
            let svc = SERVICES[k % SERVICES.len()];
            for verb in VERBS {
                let r = request(
                    &format!("{svc}:{verb}Object"),
                    &format!("arn:aws:{svc}:us-east-1:111122223333:thing-{k}/obj"),
                    &format!("team-{team}"),
                    &format!("10.{ip}.1.2"),
                    tls,
                    age,
                );
                let a = keyward_allows(ks, &r.keyward);
                let b = cedar_allows(&auth, cs, &ents, &r.cedar);
                assert_eq!(a, b, "engines disagree on {:?}", r.keyward.action());
                allowed += usize::from(a);
            }
        }
    }
    assert!(allowed > 0, "the grid must contain allowed requests");
}

fn bench_set(c: &mut Criterion, name: &str, n: usize, per_policy: usize, k: usize) {
    let rules = rules(n);
    let ks = iam_policies(&rules, per_policy);
    let cs = cedar_policies(&rules);
    check_equivalent(&rules, &ks, &cs);
    let req = typical_request(k);
    let (auth, ents) = (Authorizer::new(), Entities::empty());
    assert!(keyward_allows(&ks, &req.keyward));
    assert!(cedar_allows(&auth, &cs, &ents, &req.cedar));

    let mut g = c.benchmark_group(name);
    g.bench_function("keyward", |b| {
        b.iter(|| {
            evaluate(black_box(&EvaluationInput {
                context: &req.keyward,
                identity: &ks,
                boundary: None,
                session: &[],
                resource: None,
                resource_account: None,
            }))
        })
    });
    g.bench_function("cedar", |b| {
        b.iter(|| auth.is_authorized(black_box(&req.cedar), &cs, &ents))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    // A typical principal: 3 managed policies + 1 inline, 25 statements in all.
    bench_set(c, "typical_25_statements", 25, 7, 12);
    // A large principal: 1,000 statements in 40 policies.
    bench_set(c, "large_1000_statements", 1000, 25, 512);
}

criterion_group!(policy_benches, benches);
criterion_main!(policy_benches);
