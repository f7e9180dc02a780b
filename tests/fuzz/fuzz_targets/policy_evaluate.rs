//! Evaluator: a fuzzed policy (identity and resource) against a fuzzed request. The input is
//! `policy JSON \0 action \0 resource \0 key=value \0 key=value ...`. Must never panic or hang.
#![no_main]

#[allow(dead_code, unused_imports)]
#[path = "../../../src/policy/mod.rs"]
mod policy;

use libfuzzer_sys::fuzz_target;
use policy::{
    evaluate, ContextValue, EvaluationInput, Policy, PolicyKind, Principal, RequestContext,
};

fn value(v: &str) -> ContextValue {
    match v.split_once(':') {
        Some(("b", x)) => ContextValue::Bool(x == "true"),
        Some(("n", x)) => ContextValue::Number(x.parse().unwrap_or(0.0)),
        Some(("l", x)) => ContextValue::Strings(x.split(',').map(str::to_owned).collect()),
        Some(("i", x)) => x
            .parse()
            .map(ContextValue::Ip)
            .unwrap_or_else(|_| ContextValue::String(x.to_owned())),
        _ => ContextValue::String(v.to_owned()),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let json = parts.next().unwrap_or("");
    let action = parts.next().unwrap_or("s3:GetObject");
    let resource = parts.next().unwrap_or("*");
    let principal = Principal::assumed_role("111122223333", "/", "Dev", "AROADEV", "s")
        .with_tag("team", "blue");
    let mut ctx = RequestContext::new(principal, action, resource);
    for kv in parts {
        if let Some((k, v)) = kv.split_once('=') {
            ctx.insert(k, value(v));
        }
    }
    let identity: Vec<Policy> = Policy::parse(json, PolicyKind::Identity)
        .into_iter()
        .collect();
    let resource_policy = Policy::parse(json, PolicyKind::Resource).ok();
    for owner in [None, Some("111122223333"), Some("444455556666")] {
        let d = evaluate(&EvaluationInput {
            context: &ctx,
            identity: &identity,
            boundary: identity.first(),
            session: &identity,
            resource: resource_policy.as_ref(),
            resource_account: owner,
        });
        let _ = d.access_denied_message(&ctx);
        let _ = d.to_string();
    }
});
