//! Compiled wildcard matchers for `*` (any run of characters, possibly empty) and `?` (exactly one
//! character), as used by `Action`, `Resource`, `StringLike` and `ArnLike`.
//!
//! AWS "IAM JSON policy elements: Action/Resource": `*` matches any combination of characters and
//! `?` any single character; there is no escape inside a pattern (policy variables `${*}`, `${?}`
//! provide literal characters, see `variables.rs`). Matching is linear-space and at most
//! O(pattern × text) time (greedy with single backtrack point), so no input can make it hang.
//!
//! Case folding is the caller's business: action patterns and action names are both lowercased
//! before they reach this module; resources and `StringLike` are case-sensitive.

#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;

/// One piece of a glob pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok<'a> {
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
    /// Literal text, matched exactly.
    Lit(Cow<'a, str>),
}

/// A pattern compiled once, with fast paths for the common shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// `*` alone: matches everything.
    Any,
    /// No wildcard at all.
    Exact(Box<str>),
    /// `prefix*` with no other wildcard.
    Prefix(Box<str>),
    /// `*suffix` with no other wildcard.
    Suffix(Box<str>),
    /// Anything else.
    Glob(Box<[Tok<'static>]>),
}

impl Pattern {
    /// Compiles `pattern`, treating `*` and `?` as wildcards.
    pub fn compile(pattern: &str) -> Pattern {
        let toks = tokenize(pattern);
        match toks.as_slice() {
            [Tok::Star] => Pattern::Any,
            [] => Pattern::Exact("".into()),
            [Tok::Lit(s)] => Pattern::Exact(s.as_ref().into()),
            [Tok::Lit(s), Tok::Star] => Pattern::Prefix(s.as_ref().into()),
            [Tok::Star, Tok::Lit(s)] => Pattern::Suffix(s.as_ref().into()),
            _ => Pattern::Glob(toks.into_boxed_slice()),
        }
    }

    /// Compiles `text` as a literal (no wildcard).
    pub fn literal(text: &str) -> Pattern {
        Pattern::Exact(text.into())
    }

    /// True when `text` matches the whole pattern.
    #[inline]
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(s) => text == s.as_ref(),
            Pattern::Prefix(p) => text.starts_with(p.as_ref()),
            Pattern::Suffix(p) => text.ends_with(p.as_ref()),
            Pattern::Glob(toks) => glob_match(toks, text),
        }
    }
}

/// Splits `pattern` into tokens; consecutive `*` collapse into one.
pub fn tokenize(pattern: &str) -> Vec<Tok<'static>> {
    let mut toks: Vec<Tok<'static>> = Vec::new();
    let mut lit = String::new();
    for c in pattern.chars() {
        match c {
            '*' | '?' => {
                if !lit.is_empty() {
                    toks.push(Tok::Lit(Cow::Owned(std::mem::take(&mut lit))));
                }
                if c == '?' {
                    toks.push(Tok::One);
                } else if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        toks.push(Tok::Lit(Cow::Owned(lit)));
    }
    toks
}

/// Length in bytes of the first character of `s` (0 when empty).
#[inline]
fn first_char_len(s: &str) -> usize {
    s.chars().next().map_or(0, char::len_utf8)
}

/// Matches `text` against a token list. Greedy with one backtrack point (the last `*`): each
/// literal token is a fixed sequence of single-character matchers, so the classic algorithm stays
/// correct and runs in O(tokens × text).
pub fn glob_match(toks: &[Tok<'_>], text: &str) -> bool {
    let mut ti = 0usize; // token index
    let mut pos = 0usize; // byte offset in text
    let mut star: Option<(usize, usize)> = None; // (token index after star, text offset)
    loop {
        let rest = text.get(pos..).unwrap_or("");
        let step = match toks.get(ti) {
            Some(Tok::Star) => {
                star = Some((ti + 1, pos));
                ti += 1;
                continue;
            }
            Some(Tok::One) if !rest.is_empty() => Some(first_char_len(rest)),
            Some(Tok::Lit(l)) if rest.starts_with(l.as_ref()) => Some(l.len()),
            Some(_) => None,
            None if rest.is_empty() => return true,
            None => None,
        };
        match step {
            Some(n) => {
                ti += 1;
                pos += n;
            }
            None => {
                // Backtrack: let the last star swallow one more character.
                let Some((after, start)) = star else {
                    return false;
                };
                let n = first_char_len(text.get(start..).unwrap_or(""));
                if n == 0 {
                    return false;
                }
                star = Some((after, start + n));
                ti = after;
                pos = start + n;
            }
        }
    }
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

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything:at/all", true),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("ab*", "abcd", true),
            ("ab*", "a", false),
            ("*cd", "abcd", true),
            ("*cd", "abc", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            (
                "a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("*?", "", false),
            ("*?", "x", true),
            ("??", "x", false),
            ("a**b", "ab", true),
            ("*/*", "bucket/key", true),
            ("*/*", "bucket", false),
            ("", "", true),
            ("", "x", false),
            ("s3:get*", "s3:getobject", true),
            ("s3:*object", "s3:getobject", true),
            ("s3:*object", "s3:getobjectacl", false),
        ];
        for (pat, text, want) in cases {
            assert_eq!(
                Pattern::compile(pat).matches(text),
                *want,
                "pattern {pat:?} text {text:?}"
            );
        }
    }

    #[test]
    fn fast_paths_are_chosen() {
        assert_eq!(Pattern::compile("*"), Pattern::Any);
        assert_eq!(Pattern::compile("***"), Pattern::Any);
        assert_eq!(Pattern::compile("ab*"), Pattern::Prefix("ab".into()));
        assert_eq!(Pattern::compile("*ab"), Pattern::Suffix("ab".into()));
        assert_eq!(Pattern::compile("ab"), Pattern::Exact("ab".into()));
        assert!(matches!(Pattern::compile("a?b"), Pattern::Glob(_)));
    }
}
