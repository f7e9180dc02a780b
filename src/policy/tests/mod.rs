//! Table-driven tests of the policy engine (the large tables live here, beside the code).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod aws_examples;
mod evaluate;
mod no_value;
mod parse;
mod props;
mod purity;

use super::{
    evaluate as run_evaluate, Decision, DecisionEffect, EvaluationInput, Policy, PolicyKind,
    Principal, RequestContext,
};

pub(crate) const ACCT: &str = "111122223333";
pub(crate) const OTHER: &str = "444455556666";

pub(crate) fn identity(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Identity)
        .unwrap_or_else(|e| panic!("{e}: {json}"))
        .with_label("arn:aws:iam::111122223333:policy/Test")
}

pub(crate) fn resource(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Resource)
        .unwrap_or_else(|e| panic!("{e}: {json}"))
        .with_label("resource-policy")
}

pub(crate) fn bob() -> Principal {
    Principal::user(ACCT, "/", "bob", "AIDABOB")
}

pub(crate) fn ctx(action: &str, resource: &str) -> RequestContext {
    RequestContext::new(bob(), action, resource)
}

/// Identity policies only.
pub(crate) fn decide(policies: &[Policy], ctx: &RequestContext) -> Decision {
    run_evaluate(&EvaluationInput {
        context: ctx,
        identity: policies,
        boundary: None,
        session: &[],
        resource: None,
        resource_account: None,
    })
}

pub(crate) fn effect(policies: &[Policy], ctx: &RequestContext) -> DecisionEffect {
    decide(policies, ctx).effect
}

/// `{"Version":"2012-10-17","Statement":[...]}` around statements.
pub(crate) fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}
