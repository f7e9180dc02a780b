//! `StringEquals`, `StringNotEquals` (case-sensitive), `StringEqualsIgnoreCase`,
//! `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike` (case-sensitive, `*` and `?`).
//!
//! AWS "Condition operators / String condition operators". Policy variables are resolved in the
//! values (Version 2012-10-17 only); an unresolvable variable makes the statement not match.

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

    pub fn matches(&self, s: Scalar<'_>, ctx: &RequestContext) -> Option<bool> {
        let text = s.to_text();
        let mut unresolved = false;
        let hit = self.0.iter().any(|v| match v {
            Val::Plain(p) => p.as_ref() == text.as_ref(),
            Val::Tpl(t) => match t.resolve_string(ctx) {
                Some(r) => r == text.as_ref(),
                None => {
                    unresolved = true;
                    false
                }
            },
        });
        (hit || !unresolved).then_some(hit)
    }
}

/// Case-insensitive equality (values lowercased once at compile time).
#[derive(Debug, Clone)]
pub struct IgnoreCase(Vec<Val<Box<str>>>);

impl IgnoreCase {
    pub fn compile(values: &[String], variables: bool) -> Result<IgnoreCase, String> {
        compile_vals(values, variables, |s| s.to_lowercase().into_boxed_str()).map(IgnoreCase)
    }

    pub fn matches(&self, s: Scalar<'_>, ctx: &RequestContext) -> Option<bool> {
        let text = s.to_text();
        let lower;
        let text: &str = if text.bytes().any(|b| b.is_ascii_uppercase()) || !text.is_ascii() {
            lower = text.to_lowercase();
            &lower
        } else {
            text.as_ref()
        };
        let mut unresolved = false;
        let hit = self.0.iter().any(|v| match v {
            Val::Plain(p) => p.as_ref() == text,
            Val::Tpl(t) => match t.resolve_string(ctx) {
                Some(r) => r.to_lowercase() == text,
                None => {
                    unresolved = true;
                    false
                }
            },
        });
        (hit || !unresolved).then_some(hit)
    }
}

/// Case-sensitive wildcard match.
#[derive(Debug, Clone)]
pub struct Like(Vec<Val<Pattern>>);

impl Like {
    pub fn compile(values: &[String], variables: bool) -> Result<Like, String> {
        compile_vals(values, variables, Pattern::compile).map(Like)
    }

    pub fn matches(&self, s: Scalar<'_>, ctx: &RequestContext) -> Option<bool> {
        let text = s.to_text();
        let mut unresolved = false;
        let hit = self.0.iter().any(|v| match v {
            Val::Plain(p) => p.matches(&text),
            Val::Tpl(t) => match t.resolve_tokens(ctx) {
                Some(toks) => glob_match(&toks, &text),
                None => {
                    unresolved = true;
                    false
                }
            },
        });
        (hit || !unresolved).then_some(hit)
    }
}
