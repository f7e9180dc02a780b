//! Parsing a policy document into its compiled form.
//!
//! AWS "IAM JSON policy element reference" and "Grammar of the IAM JSON policy language": a
//! document has `Version`, `Id` and `Statement` (one object or an array); a statement has `Sid`,
//! `Effect`, `Principal`/`NotPrincipal`, `Action`/`NotAction`, `Resource`/`NotResource` and
//! `Condition`. Element names are case-sensitive; anything else is rejected.
//!
//! Compilation does all the work once: actions are lowercased and turned into wildcard matchers,
//! ARNs are split into per-segment matchers, condition values are parsed into numbers, dates,
//! networks and bytes, and policy variables into templates. Evaluation then only reads.

#![deny(clippy::indexing_slicing)]

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::arn::ArnPattern;
use super::condition::Condition;
use super::error::{Finding, PolicyError};
use super::matching::Pattern;
use super::principal::PrincipalSpec;
use super::supplied_keys::StoredKeys;
use super::validate::{policy_size, ValidationLimit};
use super::variables::Template;

mod statement;
use statement::StatementCx;

/// What a document is used as; decides which elements are required or forbidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group or role (managed or inline). No `Principal`.
    Identity,
    /// Attached to a resource. `Principal` required.
    Resource,
    /// A role's trust policy (a resource policy on the role). `Principal` required, no `Resource`.
    Trust,
    /// A permissions boundary (identity-style).
    Boundary,
    /// A session policy passed to `AssumeRole*`/`GetFederationToken` (identity-style).
    Session,
}

impl PolicyKind {
    /// True for the kinds that name a principal.
    pub fn has_principal(self) -> bool {
        matches!(self, PolicyKind::Resource | PolicyKind::Trust)
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// The `Version` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2012_10_17,
    V2008_10_17,
    Absent,
}

/// One compiled `Resource` entry.
#[derive(Debug, Clone)]
pub(crate) enum ResourcePattern {
    Arn(ArnPattern),
    Template(Template),
}

/// A list of matchers with the `Not...` flag.
#[derive(Debug, Clone)]
pub(crate) struct Matchers<T> {
    pub negated: bool,
    pub list: Vec<T>,
}

/// One compiled statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub index: usize,
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
    /// `(negated, spec)`: `Principal` or `NotPrincipal`.
    pub(crate) principal: Option<(bool, PrincipalSpec)>,
    pub(crate) actions: Matchers<Pattern>,
    /// `None` when the statement has no `Resource` (trust policies): it applies to the resource
    /// the policy is attached to.
    pub(crate) resources: Option<Matchers<ResourcePattern>>,
    pub(crate) conditions: Vec<Condition>,
}

#[derive(Debug)]
pub(crate) struct Compiled {
    kind: PolicyKind,
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
}

/// A compiled policy: cheap to clone and share (one `Arc`), with a label (its ARN or a name such
/// as `inline:user/bob/S3Access`) used in explanations.
#[derive(Debug, Clone)]
pub struct Policy {
    label: Arc<str>,
    inner: Arc<Compiled>,
    /// The store-backed keys the document names (see [`StoredKeys`]).
    stored_keys: StoredKeys,
}

impl Policy {
    /// Parses and compiles `json` as `kind`; the first error is returned as
    /// [`PolicyError::Malformed`]. No size quota is applied (see [`Policy::parse_with_limit`]).
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let v = super::json::parse(json).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        let (compiled, findings) = compile(&v, kind);
        if let Some(f) = findings.into_iter().find(Finding::is_error) {
            return Err(PolicyError::Malformed(f));
        }
        compiled
            .map(|c| Policy {
                label: Arc::from(""),
                inner: Arc::new(c),
                stored_keys: StoredKeys::of_document(&v),
            })
            .ok_or_else(|| PolicyError::Syntax("not a policy document".to_owned()))
    }

    /// Like [`Policy::parse`], rejecting documents over the quota of `limit`.
    pub fn parse_with_limit(
        json: &str,
        kind: PolicyKind,
        limit: ValidationLimit,
    ) -> Result<Policy, PolicyError> {
        let size = policy_size(json);
        match limit.max_chars() {
            Some(max) if size > max => Err(PolicyError::TooLarge { limit: max, size }),
            _ => Policy::parse(json, kind),
        }
    }

    /// A policy that denies every action on every resource to every principal, used in place of
    /// a stored document that no longer compiles (for example one saved with duplicate keys
    /// before Keyward refused them): reading it either way could grant what its author denied,
    /// so it grants nothing and denies everything until it is replaced.
    pub fn deny_all(kind: PolicyKind) -> Policy {
        let statement = Statement {
            index: 0,
            sid: None,
            effect: Effect::Deny,
            principal: None,
            actions: Matchers {
                negated: false,
                list: vec![Pattern::Any],
            },
            resources: None,
            conditions: Vec::new(),
        };
        Policy {
            label: Arc::from(""),
            inner: Arc::new(Compiled {
                kind,
                version: Version::V2012_10_17,
                id: None,
                statements: vec![statement],
            }),
            stored_keys: StoredKeys::default(),
        }
    }

    /// The same policy with a label (policy ARN, inline policy name, file name).
    pub fn with_label(mut self, label: &str) -> Policy {
        self.label = Arc::from(label);
        self
    }

    /// The IAM user and role ARNs that the policy's `Principal` and `NotPrincipal` elements
    /// name: those whose unique ids a stored trust policy keeps.
    pub fn principal_arns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for statement in &self.inner.statements {
            if let Some((_, spec)) = &statement.principal {
                for arn in spec.bindable_arns() {
                    if !out.contains(&arn) {
                        out.push(arn);
                    }
                }
            }
        }
        out
    }

    /// The same policy with every IAM user and role ARN of its `Principal` and `NotPrincipal`
    /// elements bound to the unique id `ids` gives for it (`None`: bound to nobody). Such an
    /// entry then matches the principal with that id only, whatever is called by the ARN's name
    /// now, as AWS matches a stored trust policy.
    pub fn with_principal_ids(&self, ids: &dyn Fn(&str) -> Option<String>) -> Policy {
        let mut statements = self.inner.statements.clone();
        for statement in &mut statements {
            if let Some((_, spec)) = &mut statement.principal {
                spec.bind_ids(ids);
            }
        }
        Policy {
            label: self.label.clone(),
            inner: Arc::new(Compiled {
                kind: self.inner.kind,
                version: self.inner.version,
                id: self.inner.id.clone(),
                statements,
            }),
            stored_keys: self.stored_keys,
        }
    }

    pub fn label(&self) -> &Arc<str> {
        &self.label
    }
    pub fn kind(&self) -> PolicyKind {
        self.inner.kind
    }
    pub fn version(&self) -> Version {
        self.inner.version
    }
    pub fn id(&self) -> Option<&str> {
        self.inner.id.as_deref()
    }
    pub fn statements(&self) -> &[Statement] {
        &self.inner.statements
    }
    /// Whether the policy names keys that are read from the store (resource tags, boundary).
    pub fn stored_keys(&self) -> StoredKeys {
        self.stored_keys
    }

    /// The condition keys the policy reads, as first written, once each ignoring case and in
    /// order of appearance (IAM's `GetContextKeysFor*Policy`).
    pub fn condition_keys(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.inner
            .statements
            .iter()
            .flat_map(|s| s.conditions.iter())
            .filter(|c| seen.insert(c.key.to_lowercase()))
            .map(|c| c.key.to_string())
            .collect()
    }
}

/// Compiles a parsed JSON document; returns the compiled form when there was no error, and every
/// finding.
pub(crate) fn compile(v: &Value, kind: PolicyKind) -> (Option<Compiled>, Vec<Finding>) {
    let mut findings = Vec::new();
    let Some(doc) = v.as_object() else {
        findings.push(Finding::error(
            None,
            None,
            "Syntax errors in policy.".into(),
        ));
        return (None, findings);
    };
    for key in doc.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            findings.push(Finding::error(
                None,
                None,
                format!("Syntax errors in policy. Unknown element {key}"),
            ));
        }
    }
    let version = parse_version(doc.get("Version"), &mut findings);
    let id = match doc.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            findings.push(Finding::error(
                None,
                None,
                "Syntax errors in policy. Id must be a string".into(),
            ));
            None
        }
    };
    let raw: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        Some(_) => {
            findings.push(Finding::error(
                None,
                None,
                "Syntax errors in policy. Statement must be an object or an array of objects"
                    .into(),
            ));
            Vec::new()
        }
        None => {
            findings.push(Finding::error(
                None,
                None,
                "Syntax errors in policy. Missing required field Statement".into(),
            ));
            Vec::new()
        }
    };
    let mut sids = HashSet::new();
    let mut statements = Vec::with_capacity(raw.len());
    for (index, s) in raw.into_iter().enumerate() {
        let mut cx = StatementCx {
            index,
            sid: None,
            kind,
            version,
            findings: &mut findings,
        };
        if let Some(st) = cx.statement(s, &mut sids) {
            statements.push(st);
        }
    }
    let ok = !findings.iter().any(Finding::is_error);
    let compiled = ok.then_some(Compiled {
        kind,
        version,
        id,
        statements,
    });
    (compiled, findings)
}

fn parse_version(v: Option<&Value>, findings: &mut Vec<Finding>) -> Version {
    match v {
        None => {
            findings.push(Finding::warning(None, None, "Version is missing: the document is read as 2008-10-17 and policy variables are not recognised. Use \"Version\": \"2012-10-17\".".into()));
            Version::Absent
        }
        Some(Value::String(s)) if s == "2012-10-17" => Version::V2012_10_17,
        Some(Value::String(s)) if s == "2008-10-17" => Version::V2008_10_17,
        Some(_) => {
            // IAM's answer for any other Version value.
            findings.push(Finding::error(
                None,
                None,
                "The policy failed legacy parsing".into(),
            ));
            Version::Absent
        }
    }
}
