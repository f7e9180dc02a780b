//! `StringEquals`, `StringNotEquals` (case-sensitive), `StringEqualsIgnoreCase`,
//! `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike` (case-sensitive, `*` and `?`).
//!
//! AWS "Condition operators / String condition operators". Policy variables are resolved in the
//! values (Version 2012-10-17 only). A value whose variable has no value (and no default) is
//! null: AWS "Policy variables with no value": "There is no equal or like value", so it matches
//! no request value; the negated operators, which take the negation, then match.

#![deny(clippy::indexing_slicing)]

use crate::policy::context::{RequestContext, Scalar};
use crate::policy::matching::{glob_match, Pattern};
use crate::policy::variables::Template;

/// A policy value that is plain text or a template.
#[derive(Debug, Clone)]
enum Val<T> {
    Plain(T),
    Tpl(Template),
}

fn compile_vals<T>(
    values: &[String],
    variables: bool,
    plain: impl Fn(&str) -> T,
) -> Result<Vec<Val<T>>, String> {
    values
        .iter()
        .map(|v| {
            if variables {
                if let Some(t) = Template::parse(v).map_err(|e| e.0)? {
                    return Ok(Val::Tpl(t));
                }
            }
            Ok(Val::Plain(plain(v)))
        })
        .collect()
}

/// Case-sensitive equality.
#[derive(Debug, Clone)]
pub struct Exact(Vec<Val<Box<str>>>);

impl Exact {
    pub fn compile(values: &[String], variables: bool) -> Result<Exact, String> {
        compile_vals(values, variables, |s: &str| Box::<str>::from(s)).map(Exact)
    }

    /// Whether the request value equals any policy value (a null policy value equals nothing).
    pub fn matches(&self, s: Scalar<'_>, ctx: &RequestContext) -> bool {
        let text = s.to_text();
        self.0.iter().any(|v| match v {
            Val::Plain(p) => p.as_ref() == text.as_ref(),
            Val::Tpl(t) => t.resolve_string(ctx).is_some_and(|r| r == text.as_ref()),
        })
    }
}

/// Case-insensitive equality (values lowercased once at compile time).
#[derive(Debug, Clone)]
pub struct IgnoreCase(Vec<Val<Box<str>>>);

impl IgnoreCase {
    pub fn compile(values: &[String], variables: bool) -> Result<IgnoreCase, String> {
        compile_vals(values, variables, |s| s.to_lowercase().into_boxed_str()).map(IgnoreCase)
    }

    /// Whether the request value equals any policy value ignoring case (null equals nothing).
    pub fn matches(&self, s: Scalar<'_>, ctx: &RequestContext) -> bool {
        let text = s.to_text();
        let lower;
        let text: &str = if text.bytes().any(|b| b.is_ascii_uppercase()) || !text.is_ascii() {
            lower = text.to_lowercase();
            &lower
        } else {
            text.as_ref()
        };
        self.0.iter().any(|v| match v {
            Val::Plain(p) => p.as_ref() == text,
            Val::Tpl(t) => t
                .resolve_string(ctx)
                .is_some_and(|r| r.to_lowercase() == text),
        })
    }
}

/// Case-sensitive wildcard match.
#[derive(Debug, Clone)]
pub struct Like(Vec<Val<Pattern>>);

impl Like {
    pub fn compile(values: &[String], variables: bool) -> Result<Like, String> {
        compile_vals(values, variables, Pattern::compile).map(Like)
    }

    /// Whether the request value is like any policy value (null is like nothing).
    pub fn matches(&self, s: Scalar<'_>, ctx: &RequestContext) -> bool {
        let text = s.to_text();
        self.0.iter().any(|v| match v {
            Val::Plain(p) => p.matches(&text),
            Val::Tpl(t) => t
                .resolve_tokens(ctx)
                .is_some_and(|toks| glob_match(&toks, &text)),
        })
    }
}
