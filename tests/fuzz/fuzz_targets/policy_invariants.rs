//! Invariants a fail-open would break, checked on fuzzed policies and requests (the property
//! tests of `src/policy/tests/props.rs`, run on inputs libFuzzer finds):
//! - adding a Deny statement never turns a request that was not allowed into an allowed one,
//!   and never lifts an explicit deny;
//! - adding an Allow statement never turns an allowed request into a denied one;
//! - removing a context key never makes a Deny that compares a key against that key's variable
//!   with a negated operator stop applying (with the variable unset it always applies).
//!
//! The input is `policy JSON \0 extra statement JSON \0 action \0 resource \0 key=value ...`.
#![no_main]

#[allow(dead_code, unused_imports)]
#[path = "../../../src/policy/mod.rs"]
mod policy;

use libfuzzer_sys::fuzz_target;
use policy::{
    evaluate, ContextValue, DecisionEffect, Effect, EvaluationInput, Policy, PolicyKind, Principal,
    RequestContext,
};

const NEGATED: [&str; 5] = [
    "StringNotEquals",
    "StringNotLike",
    "ArnNotLike",
    "ForAllValues:StringNotEqualsIgnoreCase",
    "StringNotEqualsIfExists",
];

fn value(v: &str) -> ContextValue {
    match v.split_once(':') {
        Some(("b", x)) => ContextValue::Bool(x == "true"),
        Some(("n", x)) => ContextValue::Number(x.parse().unwrap_or(0.0)),
        Some(("l", x)) => ContextValue::Strings(x.split(',').map(str::to_owned).collect()),
        _ => ContextValue::String(v.to_owned()),
    }
}

fn context(action: &str, resource: &str, pairs: &[(&str, &str)], skip: Option<usize>) -> RequestContext {
    let principal = Principal::user("111122223333", "/", "bob", "AIDABOB").with_tag("team", "blue");
    let mut ctx = RequestContext::new(principal, action, resource);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if Some(i) != skip {
            ctx.insert(k, value(v));
        }
    }
    ctx
}

fn decide(policies: &[Policy], ctx: &RequestContext) -> DecisionEffect {
    evaluate(&EvaluationInput {
        context: ctx,
        identity: policies,
        boundary: None,
        session: &[],
        resource: None,
        resource_account: None,
    })
    .effect
}

/// The statement(s) as a policy whose every statement has `effect` (`None` if that fails).
fn with_effect(statement: &str, effect: Effect) -> Option<Policy> {
    let word = match effect {
        Effect::Allow => "\"Allow\"",
        Effect::Deny => "\"Deny\"",
    };
    let s = statement
        .replace("\"Allow\"", word)
        .replace("\"Deny\"", word);
    let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{s}]}}"#);
    Policy::parse(&doc, PolicyKind::Identity)
        .ok()
        .filter(|p| p.statements().iter().all(|st| st.effect == effect))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let json = parts.next().unwrap_or("");
    let extra = parts.next().unwrap_or("");
    let action = parts.next().unwrap_or("s3:GetObject");
    let resource = parts.next().unwrap_or("*");
    let pairs: Vec<(&str, &str)> = parts.filter_map(|kv| kv.split_once('=')).take(8).collect();
    let Ok(base) = Policy::parse(json, PolicyKind::Identity) else {
        return;
    };
    let ctx = context(action, resource, &pairs, None);
    let policies = vec![base];
    let before = decide(&policies, &ctx);

    if let Some(deny) = with_effect(extra, Effect::Deny) {
        let after = decide(&[policies.clone(), vec![deny]].concat(), &ctx);
        if before != DecisionEffect::Allowed {
            assert_ne!(after, DecisionEffect::Allowed, "a Deny allowed");
        }
        if before == DecisionEffect::ExplicitDeny {
            assert_eq!(after, DecisionEffect::ExplicitDeny, "a Deny lifted a deny");
        }
    }
    if let Some(allow) = with_effect(extra, Effect::Allow) {
        let after = decide(&[policies.clone(), vec![allow]].concat(), &ctx);
        if before == DecisionEffect::Allowed {
            assert_eq!(after, DecisionEffect::Allowed, "an Allow denied");
        }
    }

    // For each key: a guard comparing another key against its variable, then the key removed.
    for (i, (k, _)) in pairs.iter().enumerate() {
        if k.is_empty() || k.contains(['"', '\\', '}', ',', '\'', ' ']) || !k.is_ascii() {
            continue;
        }
        let other = pairs.get((i + 1) % pairs.len()).map_or("test:Other", |(o, _)| *o);
        if other.contains(['"', '\\']) || other.chars().any(char::is_control) {
            continue;
        }
        let op = NEGATED[i % NEGATED.len()];
        let guard = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"{op}":{{"{other}":"${{{k}}}"}}}}}}}}"#
        );
        let Ok(guard) = Policy::parse(&guard, PolicyKind::Identity) else {
            continue;
        };
        let all = [policies.clone(), vec![guard]].concat();
        let without = context(action, resource, &pairs, Some(i));
        // Another pair may set the same key (names are case-insensitive): only check when the
        // key is really gone.
        if without.get(k).is_some() {
            continue;
        }
        assert_eq!(
            decide(&all, &without),
            DecisionEffect::ExplicitDeny,
            "removing {k} let a negated guard against ${{{k}}} stop applying"
        );
    }
});
