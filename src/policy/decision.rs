//! The decision and its explanation, and AWS's `AccessDenied` reason text.
//!
//! AWS "Access denied error messages": "User: ARN is not authorized to perform: ACTION on
//! resource: RESOURCE because no identity-based policy allows the ACTION action", or "... with an
//! explicit deny in an identity-based policy"; the policy type is one of identity-based policy,
//! resource-based policy, permissions boundary, session policy.

use std::fmt;
use std::sync::Arc;

use super::context::RequestContext;
use super::document::Effect;

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionEffect {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl DecisionEffect {
    /// IAM's name for the decision, as the simulator reports it (`EvalDecision`).
    pub fn iam_name(self) -> &'static str {
        match self {
            DecisionEffect::Allowed => "allowed",
            DecisionEffect::ExplicitDeny => "explicitDeny",
            DecisionEffect::ImplicitDeny => "implicitDeny",
        }
    }

    /// The more restrictive of two decisions: `explicitDeny` over `implicitDeny` over
    /// `allowed`, as IAM aggregates one action's decisions across resources.
    pub fn most_restrictive(self, other: DecisionEffect) -> DecisionEffect {
        let rank = |d: DecisionEffect| match d {
            DecisionEffect::Allowed => 0,
            DecisionEffect::ImplicitDeny => 1,
            DecisionEffect::ExplicitDeny => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// A policy layer of the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Identity,
    Boundary,
    Session,
    Resource,
}

impl Layer {
    /// The policy type as AWS names it in `AccessDenied` messages.
    pub fn policy_type(self) -> &'static str {
        match self {
            Layer::Identity => "identity-based policy",
            Layer::Boundary => "permissions boundary",
            Layer::Session => "session policy",
            Layer::Resource => "resource-based policy",
        }
    }
}

/// What allowed the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowedBy {
    /// Identity-based policies (within the boundary and session policies, if any).
    Identity,
    /// A same-account resource-based (or trust) policy that names the principal.
    Resource,
    /// Cross-account: the identity-based policies and the resource-based policy both allowed.
    IdentityAndResource,
    /// The account root user acting in its own account (AWS: the root user has full access).
    AccountRoot,
}

/// Why the decision is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Allowed(AllowedBy),
    /// A matching `Deny` statement in this layer (the first in the order identity, resource,
    /// boundary, session).
    ExplicitDeny(Layer),
    /// No `Allow` in this layer, which was required.
    NoAllow(Layer),
}

/// One statement that applied to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub layer: Layer,
    /// The policy's label (ARN or name).
    pub policy: Arc<str>,
    /// Zero-based statement index.
    pub index: usize,
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
}

/// Everything the simulator and `AccessDenied` messages need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub reason: Reason,
    /// Statements whose action, resource, principal and conditions all matched.
    pub matched: Vec<MatchedStatement>,
    /// Condition keys that were absent from the context in statements whose action and resource
    /// matched (lowercased names as written in the policy are kept as written).
    pub missing_keys: Vec<Arc<str>>,
    /// Statements skipped because a policy variable could not be resolved.
    pub unresolved: Vec<MatchedStatement>,
    /// True when the principal's account differs from the resource owner's.
    pub cross_account: bool,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub effect: DecisionEffect,
    pub explanation: Explanation,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        self.effect == DecisionEffect::Allowed
    }

    /// AWS's `AccessDenied` message for this decision; `None` when allowed.
    pub fn access_denied_message(&self, ctx: &RequestContext) -> Option<String> {
        let action = ctx.action();
        let head = format!(
            "{}: {} is not authorized to perform: {} on resource: {}",
            principal_word(ctx),
            ctx.principal().arn,
            action,
            ctx.resource()
        );
        match self.explanation.reason {
            Reason::Allowed(_) => None,
            Reason::ExplicitDeny(layer) => {
                let label = self
                    .explanation
                    .matched
                    .iter()
                    .find(|m| m.layer == layer && m.effect == Effect::Deny)
                    .map(|m| m.policy.clone())
                    .filter(|l| l.starts_with("arn:"));
                let article = article(layer);
                Some(match label {
                    Some(l) => format!(
                        "{head} with an explicit deny in {article} {}: {l}",
                        layer.policy_type()
                    ),
                    None => format!(
                        "{head} with an explicit deny in {article} {}",
                        layer.policy_type()
                    ),
                })
            }
            Reason::NoAllow(layer) => Some(format!(
                "{head} because no {} allows the {action} action",
                layer.policy_type()
            )),
        }
    }
}

fn article(layer: Layer) -> &'static str {
    match layer {
        Layer::Identity => "an",
        _ => "a",
    }
}

fn principal_word(ctx: &RequestContext) -> &'static str {
    use super::context::PrincipalType::*;
    match ctx.principal().kind {
        Anonymous => "Anonymous",
        _ => "User",
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Decision: {}", self.effect.iam_name())?;
        let ex = &self.explanation;
        let reason = match ex.reason {
            Reason::Allowed(AllowedBy::Identity) => "allowed by the identity-based policies".into(),
            Reason::Allowed(AllowedBy::Resource) => {
                "allowed by a resource-based policy that names the principal".into()
            }
            Reason::Allowed(AllowedBy::IdentityAndResource) => {
                "cross-account: allowed by both the identity-based and the resource-based policy"
                    .into()
            }
            Reason::Allowed(AllowedBy::AccountRoot) => "the account root user".into(),
            Reason::ExplicitDeny(l) => {
                format!("explicit deny in {} {}", article(l), l.policy_type())
            }
            Reason::NoAllow(l) => format!("no {} allows the action", l.policy_type()),
        };
        writeln!(f, "Reason: {reason}")?;
        if ex.cross_account {
            writeln!(
                f,
                "Cross-account request: the resource owner's account differs"
            )?;
        }
        for m in &ex.matched {
            writeln!(f, "Matched: {}", describe(m))?;
        }
        for m in &ex.unresolved {
            writeln!(f, "Skipped (unresolved policy variable): {}", describe(m))?;
        }
        for k in &ex.missing_keys {
            writeln!(f, "Missing context key: {k}")?;
        }
        Ok(())
    }
}

fn describe(m: &MatchedStatement) -> String {
    let effect = match m.effect {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    };
    let sid = m
        .sid
        .as_deref()
        .map(|s| format!(" (Sid {s})"))
        .unwrap_or_default();
    format!(
        "{effect} in {} {} statement {}{sid}",
        m.layer.policy_type(),
        m.policy,
        m.index
    )
}

#[cfg(test)]
mod tests {
    use super::DecisionEffect::{self, *};

    #[test]
    fn the_most_restrictive_decision_wins_in_either_order() {
        let all = [Allowed, ImplicitDeny, ExplicitDeny];
        let expected = |a: DecisionEffect, b: DecisionEffect| {
            if a == ExplicitDeny || b == ExplicitDeny {
                ExplicitDeny
            } else if a == ImplicitDeny || b == ImplicitDeny {
                ImplicitDeny
            } else {
                Allowed
            }
        };
        for a in all {
            for b in all {
                assert_eq!(a.most_restrictive(b), expected(a, b), "{a:?} {b:?}");
            }
        }
        assert_eq!(ExplicitDeny.iam_name(), "explicitDeny");
    }
}
