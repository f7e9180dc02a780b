//! IAM's policy simulator: the decision for each action and resource, with the statements that
//! decided it, the context keys that were missing and whether the permissions boundary allowed.
//! The same engine decides real requests, so a simulation answers what a call would get.
//!
//! Results come in IAM's current shape: one [`ActionResult`] per action, whose decision is the
//! most restrictive of its resources' decisions (`explicitDeny` over `implicitDeny` over
//! `allowed`), with each resource's own decision under it ([`ResourceResult`]).

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

/// The decision for one action on one resource.
#[derive(Debug, Clone)]
pub struct ResourceResult {
    pub resource: String,
    pub decision: DecisionEffect,
    pub matched: Vec<PolicySource>,
    pub missing: Vec<String>,
    /// `None` when no boundary applies.
    pub allowed_by_boundary: Option<bool>,
}

/// The decision for one action across every resource of the simulation.
#[derive(Debug, Clone)]
pub struct ActionResult {
    pub action: String,
    /// The most restrictive decision of [`ActionResult::resources`].
    pub decision: DecisionEffect,
    /// The statements that decided the resources whose decision is the aggregate one.
    pub matched: Vec<PolicySource>,
    /// Every context key missing for any resource.
    pub missing: Vec<String>,
    /// Whether the boundary allowed the action on every resource; `None` when no boundary
    /// applies.
    pub allowed_by_boundary: Option<bool>,
    /// Each resource's own result, in the order given.
    pub resources: Vec<ResourceResult>,
}

impl ActionResult {
    fn aggregate(action: &str, resources: Vec<ResourceResult>) -> ActionResult {
        let decision = resources
            .iter()
            .map(|r| r.decision)
            .reduce(DecisionEffect::most_restrictive)
            .unwrap_or(DecisionEffect::ImplicitDeny);
        let mut matched: Vec<PolicySource> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        for r in &resources {
            if r.decision == decision {
                for m in &r.matched {
                    if !matched.contains(m) {
                        matched.push(m.clone());
                    }
                }
            }
            for k in &r.missing {
                if !missing.contains(k) {
                    missing.push(k.clone());
                }
            }
        }
        let allowed_by_boundary = resources
            .iter()
            .map(|r| r.allowed_by_boundary)
            .reduce(|a, b| Some(a? && b?))
            .flatten();
        ActionResult {
            action: action.to_string(),
            decision,
            matched,
            missing,
            allowed_by_boundary,
            resources,
        }
    }
}

/// Which actions of a simulation to decide: `take` actions from position `skip`, each on every
/// resource. IAM pages a simulation's results by action.
#[derive(Debug, Clone, Copy)]
pub struct ActionRange {
    pub skip: usize,
    pub take: usize,
}

/// Decides the actions of `range` on every resource. Only those actions are evaluated and held.
pub fn simulate(
    sim: &Simulation<'_>,
    actions: &[String],
    resources: &[String],
    range: ActionRange,
) -> Vec<ActionResult> {
    actions
        .iter()
        .skip(range.skip)
        .take(range.take)
        .map(|action| {
            let per_resource = resources.iter().map(|r| one(sim, action, r)).collect();
            ActionResult::aggregate(action, per_resource)
        })
        .collect()
}

fn one(sim: &Simulation<'_>, action: &str, resource: &str) -> ResourceResult {
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
    ResourceResult {
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

    const ALL: ActionRange = ActionRange {
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
        assert_eq!(results.len(), 2);
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
        assert_eq!(results[0].decision.iam_name(), "allowed");
        assert_eq!(
            results[0].matched,
            vec![PolicySource {
                id: "team".into(),
                kind: "user"
            }]
        );
    }

    /// One action on three resources, of which one is denied explicitly and one is not allowed:
    /// one result for the action, the most restrictive decision on top, each resource's own
    /// decision under it (IAM API reference, `EvaluationResult`).
    #[test]
    fn one_result_per_action_with_the_most_restrictive_decision_on_top() {
        let policies = PrincipalPolicies {
            identity: vec![
                policy(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
                        "Resource":["arn:aws:s3:::open/*","arn:aws:s3:::secret/*"]}]}"#,
                    "arn:aws:iam::111122223333:policy/Read",
                ),
                policy(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject",
                        "Resource":"arn:aws:s3:::secret/*"}]}"#,
                    "arn:aws:iam::111122223333:policy/NoSecrets",
                ),
            ],
            sources: vec![
                PolicySource {
                    id: "arn:aws:iam::111122223333:policy/Read".into(),
                    kind: "user-managed",
                },
                PolicySource {
                    id: "arn:aws:iam::111122223333:policy/NoSecrets".into(),
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
        let resources = [
            "arn:aws:s3:::open/a".to_string(),
            "arn:aws:s3:::secret/b".to_string(),
            "arn:aws:s3:::other/c".to_string(),
        ];
        let actions = ["s3:GetObject".to_string(), "s3:PutObject".to_string()];
        let results = simulate(&sim, &actions, &resources, ALL);
        assert_eq!(results.len(), 2, "one result per action");
        let get = &results[0];
        assert_eq!(get.decision, DecisionEffect::ExplicitDeny);
        let per: Vec<(&str, DecisionEffect)> = get
            .resources
            .iter()
            .map(|r| (r.resource.as_str(), r.decision))
            .collect();
        assert_eq!(
            per,
            [
                ("arn:aws:s3:::open/a", DecisionEffect::Allowed),
                ("arn:aws:s3:::secret/b", DecisionEffect::ExplicitDeny),
                ("arn:aws:s3:::other/c", DecisionEffect::ImplicitDeny),
            ]
        );
        // The aggregate names what decided it: the Deny, not the Allow of another resource.
        assert_eq!(
            get.matched,
            vec![PolicySource {
                id: "arn:aws:iam::111122223333:policy/NoSecrets".into(),
                kind: "user-managed",
            }]
        );
        assert_eq!(get.resources[0].matched[0].kind, "user-managed");
        assert_eq!(results[1].decision, DecisionEffect::ImplicitDeny);
        assert_eq!(results[1].resources.len(), 3);

        // Without the denied resource the action is implicitly denied on top; with only the
        // open one it is allowed.
        let two = simulate(
            &sim,
            &actions[..1],
            &[resources[0].clone(), resources[2].clone()],
            ALL,
        );
        assert_eq!(two[0].decision, DecisionEffect::ImplicitDeny);
        let one = simulate(&sim, &actions[..1], &resources[..1], ALL);
        assert_eq!(one[0].decision, DecisionEffect::Allowed);
    }

    #[test]
    fn the_boundary_detail_holds_only_when_it_allows_every_resource() {
        let allow_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let policies = PrincipalPolicies {
            identity: vec![policy(allow_all, "inline:user/bob/all")],
            sources: vec![PolicySource {
                id: "all".into(),
                kind: "user",
            }],
            boundary: Some((
                Policy::parse(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::open/*"}]}"#,
                    PolicyKind::Boundary,
                )
                .unwrap()
                .with_label("arn:aws:iam::111122223333:policy/Boundary"),
                PolicySource {
                    id: "arn:aws:iam::111122223333:policy/Boundary".into(),
                    kind: "user-managed",
                },
            )),
            tags: vec![],
        };
        let sim = Simulation {
            policies: &policies,
            principal: Principal::user("111122223333", "/", "bob", "AIDAX"),
            resource_policy: None,
            resource_owner: None,
            context: &[],
        };
        let actions = ["s3:GetObject".to_string()];
        let open = "arn:aws:s3:::open/a".to_string();
        let closed = "arn:aws:s3:::closed/a".to_string();
        let both = simulate(&sim, &actions, &[open.clone(), closed], ALL);
        assert_eq!(both[0].allowed_by_boundary, Some(false));
        assert_eq!(both[0].resources[0].allowed_by_boundary, Some(true));
        assert_eq!(both[0].resources[1].allowed_by_boundary, Some(false));
        let only_open = simulate(&sim, &actions, &[open], ALL);
        assert_eq!(only_open[0].allowed_by_boundary, Some(true));
    }

    #[test]
    fn a_range_decides_only_its_actions_in_order() {
        let policies = PrincipalPolicies::default();
        let sim = Simulation {
            policies: &policies,
            principal: Principal::user("111122223333", "/", "bob", "AIDAX"),
            resource_policy: None,
            resource_owner: None,
            context: &[],
        };
        let actions = ["s3:A".to_string(), "s3:B".to_string(), "s3:C".to_string()];
        let resources = ["r1".to_string(), "r2".to_string()];
        let page = simulate(&sim, &actions, &resources, ActionRange { skip: 1, take: 5 });
        let names: Vec<&str> = page.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(names, ["s3:B", "s3:C"]);
        assert!(page.iter().all(|r| r.resources.len() == 2));
        let past = ActionRange { skip: 3, take: 100 };
        assert!(simulate(&sim, &actions, &resources, past).is_empty());
    }
}
