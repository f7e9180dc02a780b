//! Evaluation: AWS "Policy evaluation logic" for identity-based policies, permissions boundaries,
//! session policies and resource-based (including trust) policies. No SCPs/RCPs: Keyward has no
//! organizations.
//!
//! 1. Every statement of every supplied policy is matched (action, resource, principal for
//!    resource policies, conditions). A matching `Deny` anywhere is an explicit deny.
//! 2. Same account (the principal's account is the resource owner's, or there is no owner):
//!    - a resource-based policy that names the principal itself (user ARN, role-session ARN,
//!      federated-user ARN, provider, service, or `*` for non-session principals) allows on its
//!      own: AWS "Permissions boundaries" and "Session policies" say neither limits such a grant;
//!    - one that names the role of a role session (or `*` for a session) allows if the boundary
//!      and the session policies allow too;
//!    - one that names only the account delegates: the identity-based policies must allow;
//!    - otherwise the identity-based policies must allow, and so must the boundary (if any) and
//!      the session policies (if any: their union, intersected with the identity policies).
//! 3. Cross account: the identity side (identity ∩ boundary ∩ session) must allow AND the
//!    resource-based policy must allow this principal (by any form of `Principal`). AWS "Cross-account
//!    policy evaluation logic".
//! 4. Anything else is an implicit deny.

use std::sync::Arc;

use super::context::{PrincipalType, RequestContext};
use super::decision::{
    AllowedBy, Decision, DecisionEffect, Explanation, Layer, MatchedStatement, Reason,
};
use super::document::{Effect, Policy, ResourcePattern, Statement};
use super::matching::glob_match;
use super::principal::PrincipalMatch;

/// Everything one decision needs. Policies are borrowed; compiled policies are cheap to clone.
#[derive(Debug, Clone, Copy)]
pub struct EvaluationInput<'a> {
    pub context: &'a RequestContext,
    /// The principal's identity-based policies (managed and inline, user and groups, or role).
    pub identity: &'a [Policy],
    /// The principal's permissions boundary, if one is set.
    pub boundary: Option<&'a Policy>,
    /// Session policies of a temporary session (empty: none were passed).
    pub session: &'a [Policy],
    /// The resource-based policy of the target resource (a role's trust policy for
    /// `sts:AssumeRole*`).
    pub resource: Option<&'a Policy>,
    /// The account that owns the resource; `None` means the principal's own account.
    pub resource_account: Option<&'a str>,
}

/// What one layer found.
#[derive(Debug, Clone, Copy, Default)]
struct LayerHits {
    allow: bool,
    deny: bool,
    /// For the resource layer: the strongest principal match among matching `Allow`s.
    grant: Option<PrincipalMatch>,
}

/// Whether a statement applies.
enum Applies {
    No,
    Yes(PrincipalMatch),
    /// An `Allow` whose `Resource`/`NotResource` holds a variable with no value: it does not
    /// apply, and the explanation says why.
    Unresolved,
}

/// Whether a statement's `Resource`/`NotResource` covers the request's resource.
enum Covers {
    Yes,
    No,
    /// An `Allow` with an entry whose policy variable has no value.
    Unresolved,
}

/// Decides the request. Pure: reads only its input.
pub fn evaluate(input: &EvaluationInput<'_>) -> Decision {
    let ctx = input.context;
    let mut ex = Explanation {
        reason: Reason::NoAllow(Layer::Identity),
        matched: Vec::new(),
        missing_keys: Vec::new(),
        unresolved: Vec::new(),
        cross_account: false,
    };
    let identity = scan_all(Layer::Identity, input.identity, ctx, &mut ex);
    let boundary = input
        .boundary
        .map(|b| scan_all(Layer::Boundary, std::slice::from_ref(b), ctx, &mut ex));
    let session =
        (!input.session.is_empty()).then(|| scan_all(Layer::Session, input.session, ctx, &mut ex));
    let resource = input
        .resource
        .map(|r| scan_all(Layer::Resource, std::slice::from_ref(r), ctx, &mut ex));

    let principal = ctx.principal();
    let same_account = match (input.resource_account, principal.account.as_deref()) {
        (Some(owner), Some(mine)) => owner == mine,
        _ => true,
    };
    ex.cross_account = !same_account;
    ex.reason = decide(
        identity,
        boundary,
        session,
        resource,
        same_account,
        principal.kind,
    );
    let effect = match ex.reason {
        Reason::Allowed(_) => DecisionEffect::Allowed,
        Reason::ExplicitDeny(_) => DecisionEffect::ExplicitDeny,
        Reason::NoAllow(_) => DecisionEffect::ImplicitDeny,
    };
    Decision {
        effect,
        explanation: ex,
    }
}

fn decide(
    identity: LayerHits,
    boundary: Option<LayerHits>,
    session: Option<LayerHits>,
    resource: Option<LayerHits>,
    same_account: bool,
    kind: PrincipalType,
) -> Reason {
    let layers = [
        (Layer::Identity, Some(identity)),
        (Layer::Resource, resource),
        (Layer::Boundary, boundary),
        (Layer::Session, session),
    ];
    if let Some((layer, _)) = layers.iter().find(|(_, h)| h.is_some_and(|h| h.deny)) {
        return Reason::ExplicitDeny(*layer);
    }
    // AWS: the root user of the account has every permission in its own account (boundaries and
    // session policies do not apply to it).
    let root = kind == PrincipalType::Account;
    let id_allow = identity.allow || root;
    let boundary_ok = root || boundary.is_none_or(|b| b.allow);
    let session_ok = root || session.is_none_or(|s| s.allow);
    let identity_ok = id_allow && boundary_ok && session_ok;
    let identity_gap = if !id_allow {
        Layer::Identity
    } else if !boundary_ok {
        Layer::Boundary
    } else {
        Layer::Session
    };
    let grant = resource
        .and_then(|r| r.grant)
        .unwrap_or(PrincipalMatch::None);
    if !same_account {
        return match (identity_ok, grant != PrincipalMatch::None) {
            (true, true) => Reason::Allowed(AllowedBy::IdentityAndResource),
            (false, _) => Reason::NoAllow(identity_gap),
            (true, false) => Reason::NoAllow(Layer::Resource),
        };
    }
    let session_like = matches!(
        kind,
        PrincipalType::AssumedRole | PrincipalType::FederatedUser
    );
    let resource_direct = match grant {
        PrincipalMatch::Exact => true,
        PrincipalMatch::Wildcard if !session_like => true,
        PrincipalMatch::Wildcard | PrincipalMatch::Role => boundary_ok && session_ok,
        PrincipalMatch::Account | PrincipalMatch::None => false,
    };
    if identity_ok {
        Reason::Allowed(if root {
            AllowedBy::AccountRoot
        } else {
            AllowedBy::Identity
        })
    } else if resource_direct {
        Reason::Allowed(AllowedBy::Resource)
    } else {
        Reason::NoAllow(identity_gap)
    }
}

fn scan_all(
    layer: Layer,
    policies: &[Policy],
    ctx: &RequestContext,
    ex: &mut Explanation,
) -> LayerHits {
    let mut hits = LayerHits::default();
    for p in policies {
        for st in p.statements() {
            match applies(st, ctx, ex) {
                Applies::No => {}
                Applies::Unresolved => ex.unresolved.push(matched(layer, p, st)),
                Applies::Yes(m) => {
                    ex.matched.push(matched(layer, p, st));
                    match st.effect {
                        Effect::Deny => hits.deny = true,
                        Effect::Allow => {
                            hits.allow = true;
                            hits.grant = hits.grant.max(Some(m));
                        }
                    }
                }
            }
        }
    }
    hits
}

fn matched(layer: Layer, p: &Policy, st: &Statement) -> MatchedStatement {
    MatchedStatement {
        layer,
        policy: p.label().clone(),
        index: st.index,
        sid: st.sid.clone(),
        effect: st.effect,
    }
}

/// Action, resource, principal, then conditions (cheapest first).
fn applies(st: &Statement, ctx: &RequestContext, ex: &mut Explanation) -> Applies {
    let action = ctx.action_lc();
    let hit = st.actions.list.iter().any(|p| p.matches(action));
    if hit == st.actions.negated {
        return Applies::No;
    }
    match resource_matches(st, ctx) {
        Covers::Yes => {}
        Covers::No => return Applies::No,
        Covers::Unresolved => return Applies::Unresolved,
    }
    let pm = match &st.principal {
        None => PrincipalMatch::Exact,
        Some((false, spec)) => match spec.matches(ctx.principal()) {
            PrincipalMatch::None => return Applies::No,
            m => m,
        },
        Some((true, spec)) if spec.excludes(ctx.principal()) => return Applies::No,
        Some((true, _)) => PrincipalMatch::Wildcard,
    };
    // Every condition is evaluated (no short cut), so that the explanation lists every missing key.
    let mut all = true;
    for c in &st.conditions {
        let mut note = |k: &Arc<str>| {
            if !ex.missing_keys.iter().any(|m| m.eq_ignore_ascii_case(k)) {
                ex.missing_keys.push(k.clone());
            }
        };
        all &= c.eval(ctx, &mut note);
    }
    if all {
        Applies::Yes(pm)
    } else {
        Applies::No
    }
}

/// Whether the statement's `Resource`/`NotResource` covers the request's resource.
///
/// AWS "Policy variables with no value": "If a variable that has no value in the authorization
/// context is used as part of the Resource or NotResource element of a policy, the resource that
/// includes a policy variable with no value will not match any resource." Keyward reads that per
/// entry and keeps it fail-closed:
/// - in a `Deny`, such an entry matches nothing: `Resource` entries with it cover nothing, and a
///   `NotResource` entry with it excludes nothing (the Deny covers more, never less);
/// - an `Allow` with such an entry does not apply at all (reported as unresolved), so a missing
///   tag never widens a grant, whether through `NotResource` or a sibling entry.
fn resource_matches(st: &Statement, ctx: &RequestContext) -> Covers {
    let Some(res) = &st.resources else {
        return Covers::Yes;
    };
    let text = ctx.resource();
    let split = ctx.resource_split();
    let mut hit = false;
    let mut unresolved = false;
    for r in &res.list {
        match r {
            ResourcePattern::Arn(p) => hit = hit || p.matches_split(text, split),
            ResourcePattern::Template(t) => match t.resolve_tokens(ctx) {
                Some(toks) => hit = hit || glob_match(&toks, text),
                None => unresolved = true,
            },
        }
    }
    if unresolved && st.effect == Effect::Allow {
        Covers::Unresolved
    } else if hit != res.negated {
        Covers::Yes
    } else {
        Covers::No
    }
}
