//! Keyward's IAM policy engine: a pure module (no I/O, no async, no database, no clock).
//!
//! Users bring the policies they run on AWS; the same document gives the same decision here. The
//! authority is AWS's documentation ("Policy evaluation logic", "IAM JSON policy elements
//! reference", "Condition operators", "Policy variables", "Permissions boundaries", "Session
//! policies"), cited next to each rule.
//!
//! # Using it
//!
//! ```text
//! Policy::parse(json, PolicyKind::Identity)?.with_label("arn:aws:iam::123456789012:policy/P")
//! validate(json, kind, ValidationLimit::Managed) -> Vec<Finding>        (errors and warnings)
//! RequestContext::new(principal, "iam:CreateUser", resource_arn).with("aws:SourceIp", ip)
//! evaluate(&EvaluationInput { context, identity, boundary, session, resource, resource_account })
//!     -> Decision { effect: Allowed | ExplicitDeny | ImplicitDeny, explanation }
//! decision.access_denied_message(&ctx)   // AWS's AccessDenied text
//! evaluate_assume_role(&AssumeRoleInput { .. })                         (trust policies)
//! ```
//!
//! # Evaluation order
//!
//! ```text
//!  all statements of identity, boundary, session and resource policies
//!  (action → resource → principal → conditions)
//!          │
//!          ▼
//!  any matching Deny? ──yes──▶ ExplicitDeny (layer: identity, resource, boundary, session)
//!          │ no
//!          ▼
//!  same account as resource owner?
//!     │ yes                                         │ no (cross-account)
//!     ▼                                             ▼
//!  identity Allow ∧ boundary Allow (if any)      identity side allows (identity ∧ boundary ∧
//!   ∧ session Allow (if any)  ──yes──▶ Allowed   session) AND resource policy allows this
//!     │ no                                        principal ──yes──▶ Allowed
//!     ▼                                             │ no
//!  resource policy names the principal itself ──▶ Allowed         ▼
//!  (names a session's role: boundary ∧ session   ImplicitDeny (identity/boundary/session/resource)
//!   must allow too; names the account: no)
//!     │ otherwise
//!     ▼
//!  ImplicitDeny (the first missing layer: identity, boundary, session)
//! ```
//!
//! Policies are compiled once (lowercased, pre-split actions; per-segment ARN matchers; parsed
//! numbers, dates, CIDRs and base64; templates for policy variables) and shared through an `Arc`.
//! Evaluation reads no global state and allocates only for the explanation and for resolving
//! policy variables.

mod arn;
pub mod catalogue;
mod condition;
mod context;
mod decision;
mod document;
mod error;
mod evaluate;
mod json;
mod matching;
mod principal;
pub mod supplied_keys;
mod trust;
mod validate;
mod variables;

pub use arn::{is_valid_arn, Arn, ArnPattern};
pub use context::{ContextValue, Principal, PrincipalType, RequestContext};
pub use decision::{
    AllowedBy, Decision, DecisionEffect, Explanation, Layer, MatchedStatement, Reason,
};
pub use document::{Effect, Policy, PolicyKind, Statement, Version};
pub use error::{Finding, PolicyError, Severity};
pub use evaluate::{evaluate, EvaluationInput};
pub use matching::Pattern;
pub use supplied_keys::StoredKeys;
pub use trust::{evaluate_assume_role, is_trust_action, AssumeRoleInput, TRUST_ACTIONS};
pub use validate::{policy_size, validate, ValidationLimit};

#[cfg(test)]
mod tests;
