//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, any context key, a default value
//! `${key, 'default'}`, and the escapes `${*}`, `${?}`, `${$}`.
//!
//! AWS "IAM policy elements: Variables and tags":
//! - variables are recognised only when `Version` is `2012-10-17`; under other versions `${...}` is
//!   literal text;
//! - they may appear in `Resource`/`NotResource` and in condition values of string and ARN
//!   operators;
//! - a variable whose key is absent from the request context (or is multivalued) has no value;
//!   a default (`${key, 'default'}`) applies first. Otherwise the template resolves to `None`,
//!   which callers treat as AWS's null value ("Policy variables with no value"): in a condition
//!   it equals and is like nothing (so negated operators match, see `condition/mod.rs`); in
//!   `Resource`/`NotResource` the entry matches no resource (see `evaluate.rs`).
//! - The value a variable resolves to is literal text: a `*` inside a tag value is not a wildcard.

#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;

use super::context::RequestContext;
use super::matching::{tokenize, Tok};

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Policy text (may hold wildcards, depending on the operator).
    Text(Box<str>),
    /// A variable; `key_lc` is the lowercased context key name.
    Var {
        key_lc: Box<str>,
        default: Option<Box<str>>,
    },
    /// `${*}`, `${?}` or `${$}`: a literal character.
    Escaped(char),
}

/// A string holding at least one policy variable or escape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Box<[Part]>,
}

/// Why a `${` did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadVariable(pub String);

impl Template {
    /// Parses `s`. `Ok(None)` when it holds no `${`, so callers keep the plain fast path.
    pub fn parse(s: &str) -> Result<Option<Template>, BadVariable> {
        if !s.contains("${") {
            return Ok(None);
        }
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            let (before, after) = rest.split_at(start);
            if !before.is_empty() {
                parts.push(Part::Text(before.into()));
            }
            let body_and_more = after.get(2..).unwrap_or("");
            let Some(end) = body_and_more.find('}') else {
                return Err(BadVariable(format!("unterminated policy variable in {s}")));
            };
            let body = body_and_more.get(..end).unwrap_or("");
            parts.push(parse_body(body).ok_or_else(|| {
                BadVariable(format!("invalid policy variable ${{{body}}} in {s}"))
            })?);
            rest = body_and_more.get(end + 1..).unwrap_or("");
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.into()));
        }
        Ok(Some(Template {
            parts: parts.into_boxed_slice(),
        }))
    }

    /// Resolves to plain text; `None` when a variable cannot be resolved.
    pub fn resolve_string(&self, ctx: &RequestContext) -> Option<String> {
        let mut out = String::new();
        for part in self.parts.iter() {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Escaped(c) => out.push(*c),
                Part::Var { key_lc, default } => out.push_str(&lookup(ctx, key_lc, default)?),
            }
        }
        Some(out)
    }

    /// Resolves to glob tokens: wildcards only from policy text, variable values literal.
    pub fn resolve_tokens(&self, ctx: &RequestContext) -> Option<Vec<Tok<'_>>> {
        let mut out: Vec<Tok<'_>> = Vec::new();
        for part in self.parts.iter() {
            match part {
                Part::Text(t) => out.extend(tokenize(t)),
                Part::Escaped(c) => out.push(Tok::Lit(Cow::Owned(c.to_string()))),
                Part::Var { key_lc, default } => out.push(Tok::Lit(lookup(ctx, key_lc, default)?)),
            }
        }
        Some(out)
    }
}

fn lookup<'a>(
    ctx: &RequestContext,
    key_lc: &str,
    default: &'a Option<Box<str>>,
) -> Option<Cow<'a, str>> {
    match ctx.get_lc(key_lc).and_then(|v| v.as_variable()) {
        Some(v) => Some(Cow::Owned(v)),
        None => default.as_deref().map(Cow::Borrowed),
    }
}

/// `*`, `?`, `$`, `key` or `key, 'default'`.
fn parse_body(body: &str) -> Option<Part> {
    match body {
        "*" => return Some(Part::Escaped('*')),
        "?" => return Some(Part::Escaped('?')),
        "$" => return Some(Part::Escaped('$')),
        _ => {}
    }
    let (key, default) = match body.split_once(',') {
        None => (body.trim(), None),
        Some((k, d)) => {
            let d = d.trim();
            let inner = d.strip_prefix('\'')?.strip_suffix('\'')?;
            (k.trim(), Some(inner.into()))
        }
    };
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/_-.@+=".contains(c));
    valid.then(|| Part::Var {
        key_lc: key.to_lowercase().into_boxed_str(),
        default,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::policy::context::Principal;
    use crate::policy::matching::glob_match;

    fn ctx() -> RequestContext {
        RequestContext::new(
            Principal::user("123456789012", "/", "bob", "AIDAEXAMPLE").with_tag("team", "a*b"),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
        )
    }

    #[test]
    fn plain_strings_are_not_templates() {
        assert_eq!(Template::parse("home/bob").unwrap(), None);
    }

    #[test]
    fn resolves_keys_defaults_and_escapes() {
        let c = ctx();
        let cases: &[(&str, Option<&str>)] = &[
            ("home/${aws:username}/", Some("home/bob/")),
            ("${AWS:UserName}", Some("bob")),
            ("${aws:userid}", Some("AIDAEXAMPLE")),
            ("${aws:PrincipalTag/team}", Some("a*b")),
            ("${aws:PrincipalTag/missing}", None),
            ("${aws:PrincipalTag/missing, 'none'}", Some("none")),
            ("${aws:PrincipalTag/missing,'x y'}", Some("x y")),
            ("a${*}b${?}c${$}", Some("a*b?c$")),
        ];
        for (tpl, want) in cases {
            let t = Template::parse(tpl).unwrap().unwrap();
            assert_eq!(t.resolve_string(&c).as_deref(), *want, "{tpl}");
        }
    }

    #[test]
    fn bad_syntax_is_rejected() {
        for bad in ["${aws:username", "${}", "${a b}", "${k, default}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolved_values_are_literal_in_globs() {
        let c = ctx();
        let t = Template::parse("x/${aws:PrincipalTag/team}/*")
            .unwrap()
            .unwrap();
        let toks = t.resolve_tokens(&c).unwrap();
        assert!(glob_match(&toks, "x/a*b/anything"));
        assert!(!glob_match(&toks, "x/aZZb/anything"));
        let t = Template::parse("x${*}").unwrap().unwrap();
        let toks = t.resolve_tokens(&c).unwrap();
        assert!(glob_match(&toks, "x*"));
        assert!(!glob_match(&toks, "xy"));
    }
}
