//! IAM's policy simulator: the decision for each action and resource, with the statements that
//! decided it, the context keys that were missing and whether the permissions boundary allowed.
//! The same engine decides real requests, so a simulation answers what a call would get.

use super::load::{PolicySource, PrincipalPolicies};
use crate::policy::{
    evaluate, ContextValue, DecisionEffect, Effect, EvaluationInput, Layer, Policy, Principal,
    RequestContext,
};

/// What to simulate, beyond the actions and resources.
pub struct Simulation<'a> {
    pub policies: &'a PrincipalPolicies,
    pub principal: Principal,
    pub resource_policy: Option<&'a Policy>,
    pub resource_owner: Option<&'a str>,
    pub context: &'a [(String, ContextValue)],
}

#[derive(Debug, Clone)]
pub struct EvalResult {
    pub action: String,
    pub resource: String,
    pub decision: DecisionEffect,
    pub matched: Vec<PolicySource>,
    pub missing: Vec<String>,
    /// `None` when no boundary applies.
    pub allowed_by_boundary: Option<bool>,
}

/// IAM's names for decisions (`EvalDecision`).
pub fn decision_name(effect: DecisionEffect) -> &'static str {
    match effect {
        DecisionEffect::Allowed => "allowed",
        DecisionEffect::ExplicitDeny => "explicitDeny",
        DecisionEffect::ImplicitDeny => "implicitDeny",
    }
}

/// Which (action, resource) pairs of a simulation to decide: `take` pairs from position `skip`
/// of the product, in IAM's order (each action with every resource, one action after another).
#[derive(Debug, Clone, Copy)]
pub struct PairRange {
    pub skip: usize,
    pub take: usize,
}

/// Decides the pairs of `range`. Only those pairs are evaluated and only they are held: the
/// product of the lists, which a client chooses, is never allocated.
pub fn simulate(
    sim: &Simulation<'_>,
    actions: &[String],
    resources: &[String],
    range: PairRange,
) -> Vec<EvalResult> {
    actions
        .iter()
        .flat_map(|action| resources.iter().map(move |resource| (action, resource)))
        .skip(range.skip)
        .take(range.take)
        .map(|(action, resource)| one(sim, action, resource))
        .collect()
}

fn one(sim: &Simulation<'_>, action: &str, resource: &str) -> EvalResult {
    let mut principal = sim.principal.clone();
    for (k, v) in &sim.policies.tags {
        principal = principal.with_tag(k, v);
    }
    let mut ctx = RequestContext::new(principal, action, resource);
    for (key, value) in sim.context {
        ctx.insert(key, value.clone());
    }
    let decision = evaluate(&EvaluationInput {
        context: &ctx,
        identity: &sim.policies.identity,
        boundary: sim.policies.boundary_policy(),
        session: &[],
        resource: sim.resource_policy,
        resource_account: sim.resource_owner,
    });
    let wanted = match decision.effect {
        DecisionEffect::Allowed => Some(Effect::Allow),
        DecisionEffect::ExplicitDeny => Some(Effect::Deny),
        DecisionEffect::ImplicitDeny => None,
    };
    let ex = &decision.explanation;
    let mut matched: Vec<PolicySource> = Vec::new();
    for m in ex
        .matched
        .iter()
        .filter(|m| Some(m.effect) == wanted && m.layer != Layer::Boundary)
    {
        let source = if m.layer == Layer::Resource {
            PolicySource {
                id: "ResourcePolicy".into(),
                kind: "resource",
            }
        } else {
            sim.policies
                .source_of(&m.policy)
                .cloned()
                .unwrap_or_else(|| PolicySource {
                    id: m.policy.to_string(),
                    kind: "none",
                })
        };
        if !matched.contains(&source) {
            matched.push(source);
        }
    }
    // Whether the boundary on its own allows the request, as IAM reports it whatever the
    // identity policies say.
    let allowed_by_boundary = sim.policies.boundary_policy().map(|boundary| {
        evaluate(&EvaluationInput {
            context: &ctx,
            identity: std::slice::from_ref(boundary),
            boundary: None,
            session: &[],
            resource: None,
            resource_account: None,
        })
        .is_allowed()
    });
    EvalResult {
        action: action.to_string(),
        resource: resource.to_string(),
        decision: decision.effect,
        matched,
        missing: ex.missing_keys.iter().map(|k| k.to_string()).collect(),
        allowed_by_boundary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyKind;

    const ALL: PairRange = PairRange {
        skip: 0,
        take: usize::MAX,
    };

    fn policy(json: &str, label: &str) -> Policy {
        Policy::parse(json, PolicyKind::Identity)
            .unwrap()
            .with_label(label)
    }

    #[test]
    fn results_name_the_deciding_policies_and_missing_keys() {
        let allow = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
                "Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}"#,
            "inline:user/bob/team",
        );
        let deny = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#,
            "arn:aws:iam::111122223333:policy/NoDelete",
        );
        let policies = PrincipalPolicies {
            identity: vec![allow, deny],
            sources: vec![
                PolicySource {
                    id: "team".into(),
                    kind: "user",
                },
                PolicySource {
                    id: "arn:aws:iam::111122223333:policy/NoDelete".into(),
                    kind: "user-managed",
                },
            ],
            boundary: None,
            tags: vec![],
        };
        let sim = Simulation {
            policies: &policies,
            principal: Principal::user("111122223333", "/", "bob", "AIDAX"),
            resource_policy: None,
            resource_owner: None,
            context: &[],
        };
        let actions = ["s3:GetObject".to_string(), "s3:DeleteBucket".to_string()];
        let results = simulate(&sim, &actions, &["*".to_string()], ALL);
        assert_eq!(results[0].decision, DecisionEffect::ImplicitDeny);
        assert_eq!(
            results[0].missing,
            vec!["aws:PrincipalTag/team".to_string()]
        );
        assert_eq!(results[1].decision, DecisionEffect::ExplicitDeny);
        assert_eq!(results[1].matched[0].kind, "user-managed");

        let tagged = PrincipalPolicies {
            identity: policies.identity.clone(),
            sources: policies.sources.clone(),
            boundary: None,
            tags: vec![("team".into(), "blue".into())],
        };
        let sim = Simulation {
            policies: &tagged,
            principal: sim.principal.clone(),
            resource_policy: None,
            resource_owner: None,
            context: &[],
        };
        let results = simulate(&sim, &actions[..1], &["*".to_string()], ALL);
        assert_eq!(decision_name(results[0].decision), "allowed");
        assert_eq!(
            results[0].matched,
            vec![PolicySource {
                id: "team".into(),
                kind: "user"
            }]
        );
    }

    #[test]
    fn a_range_decides_only_its_pairs_in_iam_order() {
        let policies = PrincipalPolicies::default();
        let sim = Simulation {
            policies: &policies,
            principal: Principal::user("111122223333", "/", "bob", "AIDAX"),
            resource_policy: None,
            resource_owner: None,
            context: &[],
        };
        let actions = ["s3:A".to_string(), "s3:B".to_string()];
        let resources = ["r1".to_string(), "r2".to_string(), "r3".to_string()];
        let page = simulate(&sim, &actions, &resources, PairRange { skip: 2, take: 3 });
        let pairs: Vec<(&str, &str)> = page
            .iter()
            .map(|r| (r.action.as_str(), r.resource.as_str()))
            .collect();
        assert_eq!(pairs, [("s3:A", "r3"), ("s3:B", "r1"), ("s3:B", "r2")]);
        let past = PairRange { skip: 6, take: 100 };
        assert!(simulate(&sim, &actions, &resources, past).is_empty());
    }
}
