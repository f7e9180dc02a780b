//! One statement of a policy document compiled: its elements checked in AWS's grammar
//! (`Sid`, `Effect`, `Principal`/`NotPrincipal`, `Action`/`NotAction`,
//! `Resource`/`NotResource`, `Condition`), each finding tied to the statement's index and Sid.

#![deny(clippy::indexing_slicing)]

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Effect, Matchers, PolicyKind, ResourcePattern, Statement, Version};
use crate::policy::arn::ArnPattern;
use crate::policy::condition::{Condition, ConditionSpec};
use crate::policy::error::Finding;
use crate::policy::matching::Pattern;
use crate::policy::principal::PrincipalSpec;
use crate::policy::validate::{
    check_action, check_resource, check_sid, condition_values, string_list,
};
use crate::policy::variables::Template;
use std::sync::Arc;

/// Per-statement compilation state.
pub(super) struct StatementCx<'a> {
    pub(super) index: usize,
    pub(super) sid: Option<String>,
    pub(super) kind: PolicyKind,
    pub(super) version: Version,
    pub(super) findings: &'a mut Vec<Finding>,
}

const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

impl StatementCx<'_> {
    fn error(&mut self, message: String) {
        let f = Finding::error(Some(self.index), self.sid.as_deref(), message);
        self.findings.push(f);
    }

    fn warning(&mut self, message: String) {
        let f = Finding::warning(Some(self.index), self.sid.as_deref(), message);
        self.findings.push(f);
    }

    pub(super) fn statement(&mut self, v: &Value, sids: &mut HashSet<String>) -> Option<Statement> {
        let Some(m) = v.as_object() else {
            self.error("Syntax errors in policy. Statement must be an object".into());
            return None;
        };
        self.sid(m, sids);
        for key in m.keys() {
            if !STATEMENT_KEYS.contains(&key.as_str()) {
                self.error(format!("Syntax errors in policy. Unknown field {key}"));
            }
        }
        let effect = self.effect(m);
        let principal = self.principal(m, effect);
        let actions = self.actions(m);
        let resources = self.resources(m);
        let conditions = self.conditions(m);
        Some(Statement {
            index: self.index,
            sid: self.sid.as_deref().map(Arc::from),
            effect: effect?,
            principal,
            actions: actions?,
            resources: resources?,
            conditions: conditions?,
        })
    }

    fn sid(&mut self, m: &Map<String, Value>, sids: &mut HashSet<String>) {
        match m.get("Sid") {
            None => {}
            Some(Value::String(s)) => {
                self.sid = Some(s.clone());
                if let Err(e) = check_sid(s, self.kind) {
                    self.error(e);
                }
                if !s.is_empty() && !sids.insert(s.clone()) {
                    self.error("Statement IDs (SID) in a single policy must be unique.".into());
                }
            }
            Some(_) => self.error("Syntax errors in policy. Sid must be a string".into()),
        }
    }

    fn effect(&mut self, m: &Map<String, Value>) -> Option<Effect> {
        match m.get("Effect") {
            None => {
                self.error("Missing required field Effect".into());
                None
            }
            Some(Value::String(s)) if s == "Allow" => Some(Effect::Allow),
            Some(Value::String(s)) if s == "Deny" => Some(Effect::Deny),
            Some(other) => {
                self.error(format!("Invalid effect: {}", other.as_str().unwrap_or("")));
                None
            }
        }
    }

    fn principal(
        &mut self,
        m: &Map<String, Value>,
        effect: Option<Effect>,
    ) -> Option<(bool, PrincipalSpec)> {
        let (p, np) = (m.get("Principal"), m.get("NotPrincipal"));
        if !self.kind.has_principal() {
            if p.is_some() || np.is_some() {
                self.error("Policy document should not specify a principal.".into());
            }
            return None;
        }
        let (negated, v) = match (p, np) {
            (Some(_), Some(_)) => {
                self.error("Statement cannot contain both Principal and NotPrincipal".into());
                return None;
            }
            (None, None) => {
                self.error("Statement/Principal is missing".into());
                return None;
            }
            (Some(v), None) => (false, v),
            (None, Some(v)) => (true, v),
        };
        if negated && effect == Some(Effect::Allow) {
            self.warning("NotPrincipal with Allow grants access to every principal not listed, including anonymous users; AWS strongly recommends against it.".into());
        }
        match PrincipalSpec::parse(v) {
            Ok(spec) => Some((negated, spec)),
            Err(e) => {
                self.error(e);
                None
            }
        }
    }

    fn actions(&mut self, m: &Map<String, Value>) -> Option<Matchers<Pattern>> {
        let (negated, v) = match (m.get("Action"), m.get("NotAction")) {
            (Some(_), Some(_)) => {
                self.error("Statement cannot contain both Action and NotAction".into());
                return None;
            }
            (None, None) => {
                self.error("Policy statement must contain actions.".into());
                return None;
            }
            (Some(v), None) => (false, v),
            (None, Some(v)) => (true, v),
        };
        let Some(list) = string_list(v).filter(|l| !l.is_empty()) else {
            self.error("Policy statement must contain actions.".into());
            return None;
        };
        let mut out = Vec::with_capacity(list.len());
        for a in list {
            match check_action(a) {
                Ok(()) => out.push(Pattern::compile(&a.to_ascii_lowercase())),
                Err(e) => self.error(e),
            }
        }
        Some(Matchers { negated, list: out })
    }

    fn resources(&mut self, m: &Map<String, Value>) -> Option<Option<Matchers<ResourcePattern>>> {
        let (negated, v) = match (m.get("Resource"), m.get("NotResource")) {
            (Some(_), Some(_)) => {
                self.error("Statement cannot contain both Resource and NotResource".into());
                return None;
            }
            (None, None) if self.kind.has_principal() => return Some(None),
            (None, None) => {
                self.error("Policy statement must contain resources.".into());
                return None;
            }
            (Some(v), None) => (false, v),
            (None, Some(v)) => (true, v),
        };
        if self.kind == PolicyKind::Trust {
            let field = if negated { "NotResource" } else { "Resource" };
            self.error(format!("Has prohibited field {field}"));
            return None;
        }
        let Some(list) = string_list(v).filter(|l| !l.is_empty()) else {
            self.error("Policy statement must contain resources.".into());
            return None;
        };
        let mut out = Vec::with_capacity(list.len());
        for r in list {
            if let Some(p) = self.resource(r) {
                out.push(p);
            }
        }
        Some(Some(Matchers { negated, list: out }))
    }

    fn resource(&mut self, r: &str) -> Option<ResourcePattern> {
        if let Err(e) = check_resource(r) {
            self.error(e);
            return None;
        }
        if self.version != Version::V2012_10_17 {
            if r.contains("${") {
                self.warning(format!("Resource {r} contains \"${{\" but policy variables need \"Version\": \"2012-10-17\"; it is matched literally."));
            }
            return Some(ResourcePattern::Arn(ArnPattern::compile(r)));
        }
        match Template::parse(r) {
            Ok(None) => Some(ResourcePattern::Arn(ArnPattern::compile(r))),
            Ok(Some(t)) => Some(ResourcePattern::Template(t)),
            Err(e) => {
                self.error(e.0);
                None
            }
        }
    }

    fn conditions(&mut self, m: &Map<String, Value>) -> Option<Vec<Condition>> {
        let Some(v) = m.get("Condition") else {
            return Some(Vec::new());
        };
        let Some(ops) = v.as_object() else {
            self.error("Syntax errors in policy. Condition must be an object".into());
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (op, block) in ops {
            let Some(keys) = block.as_object() else {
                self.error(format!(
                    "Syntax errors in policy. Condition {op} must be an object"
                ));
                ok = false;
                continue;
            };
            for (key, vals) in keys {
                match self.condition(op, key, vals) {
                    Some(c) => out.push(c),
                    None => ok = false,
                }
            }
        }
        ok.then_some(out)
    }

    fn condition(&mut self, op: &str, key: &str, vals: &Value) -> Option<Condition> {
        let Some(values) = condition_values(vals).filter(|v| !v.is_empty()) else {
            self.error(format!("Syntax errors in policy. Condition {op}/{key} must have a string, number or boolean value, or a non-empty list of them"));
            return None;
        };
        let spec = ConditionSpec {
            operator: op,
            key,
            values: &values,
            variables: self.version == Version::V2012_10_17,
        };
        match Condition::compile(&spec) {
            Ok(c) => Some(c),
            Err(e) => {
                self.error(e);
                None
            }
        }
    }
}
