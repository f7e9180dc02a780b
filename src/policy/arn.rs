//! Amazon Resource Names: `arn:partition:service:region:account-id:resource`.
//!
//! AWS "Condition operators / ARN condition operators": "Each of the six colon-delimited components
//! of the ARN is checked separately and each can include multi-character match wildcards (*) or
//! single-character match wildcards (?)". The sixth component is everything after the fifth colon,
//! so a `*` there may span `/` and `:` (AWS "IAM JSON policy elements: Resource" shows
//! `arn:aws:s3:::amzn-s3-demo-bucket/*` matching nested keys). The same segment-wise rule is used for
//! `Resource`/`NotResource`. A pattern that is not six-segment (for example `*`) is matched as one
//! glob against the whole text.

#![deny(clippy::indexing_slicing)]

use super::matching::Pattern;

/// A parsed ARN borrowing its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Parses `text`; `None` unless it starts with `arn:` and has at least six segments.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut it = text.splitn(6, ':');
        let (arn, partition, service, region, account, resource) = (
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
        );
        if arn != "arn" {
            return None;
        }
        Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }
}

/// Byte offsets of the six segments of an ARN, so a request's resource is split once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArnSplit {
    /// End offsets of segments 0..5 (the start of segment i+1 is `ends[i] + 1`).
    ends: [usize; 5],
}

impl ArnSplit {
    /// Splits `text` when it is a six-segment ARN.
    pub fn of(text: &str) -> Option<ArnSplit> {
        let mut ends = [0usize; 5];
        let mut n = 0usize;
        for (i, b) in text.bytes().enumerate() {
            if b == b':' {
                if let Some(slot) = ends.get_mut(n) {
                    *slot = i;
                    n += 1;
                } else {
                    break;
                }
            }
        }
        (n == 5 && text.starts_with("arn:")).then_some(ArnSplit { ends })
    }

    /// Segment `i` (0..=5) of `text`.
    #[inline]
    pub fn segment<'t>(&self, text: &'t str, i: usize) -> &'t str {
        let start = match i.checked_sub(1) {
            None => 0,
            Some(p) => self.ends.get(p).map_or(text.len(), |e| e + 1),
        };
        let end = self.ends.get(i).copied().unwrap_or(text.len());
        text.get(start..end).unwrap_or("")
    }
}

/// An ARN pattern compiled once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnPattern {
    /// Six segments, each its own pattern (`[arn, partition, service, region, account, resource]`).
    Segments(Box<[Pattern; 6]>),
    /// Anything else (notably `*`): one glob over the whole text.
    Whole(Pattern),
}

impl ArnPattern {
    /// Compiles `pattern` (wildcards `*` and `?`).
    pub fn compile(pattern: &str) -> ArnPattern {
        match ArnSplit::of(pattern) {
            Some(split) => {
                let seg = |i| Pattern::compile(split.segment(pattern, i));
                ArnPattern::Segments(Box::new([seg(0), seg(1), seg(2), seg(3), seg(4), seg(5)]))
            }
            None => ArnPattern::Whole(Pattern::compile(pattern)),
        }
    }

    /// Matches `text`, whose split (if it is an ARN) the caller computed once.
    #[inline]
    pub fn matches_split(&self, text: &str, split: Option<&ArnSplit>) -> bool {
        match self {
            ArnPattern::Whole(p) => p.matches(text),
            ArnPattern::Segments(segs) => match split {
                None => false,
                Some(sp) => segs
                    .iter()
                    .enumerate()
                    .all(|(i, p)| p.matches(sp.segment(text, i))),
            },
        }
    }

    /// Matches `text`, splitting it here.
    pub fn matches(&self, text: &str) -> bool {
        self.matches_split(text, ArnSplit::of(text).as_ref())
    }
}

/// True when `text` is acceptable as an ARN in a policy: `arn:` plus six segments, a non-empty
/// partition, service and resource.
pub fn is_valid_arn(text: &str) -> bool {
    Arn::parse(text)
        .is_some_and(|a| !a.partition.is_empty() && !a.service.is_empty() && !a.resource.is_empty())
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
    fn parse_and_split() {
        let a = Arn::parse("arn:aws:iam::123456789012:user/division/bob").unwrap();
        assert_eq!(a.service, "iam");
        assert_eq!(a.region, "");
        assert_eq!(a.account, "123456789012");
        assert_eq!(a.resource, "user/division/bob");
        assert!(Arn::parse("arn:aws:iam").is_none());
        assert!(Arn::parse("urn:aws:iam::1:x").is_none());
        let t = "arn:aws:s3:::bucket/a:b/c";
        let s = ArnSplit::of(t).unwrap();
        assert_eq!(s.segment(t, 2), "s3");
        assert_eq!(s.segment(t, 5), "bucket/a:b/c");
        assert!(ArnSplit::of("*").is_none());
    }

    #[test]
    fn segment_matching_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "arn:aws:s3:::b/k", true),
            ("*", "*", true),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/l:m", true),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::c/k", false),
            ("arn:aws:s3:::b*", "arn:aws:s3:::b", true),
            ("arn:aws:iam::*:user/*", "arn:aws:iam::123:user/bob", true),
            // A `*` in the account segment does not span into the resource segment.
            (
                "arn:aws:iam::*:user/bob",
                "arn:aws:iam::1:x:user/bob",
                false,
            ),
            (
                "arn:aws:iam::123:user/?ob",
                "arn:aws:iam::123:user/bob",
                true,
            ),
            (
                "arn:aws:iam::123:user/?ob",
                "arn:aws:iam::123:user/Bob",
                true,
            ),
            (
                "arn:aws:iam::123:user/bob",
                "arn:aws:iam::123:user/Bob",
                false,
            ),
            ("arn:aws:iam::123:*", "*", false),
            (
                "arn:*:ec2:*:*:instance/*",
                "arn:aws:ec2:us-east-1:1:instance/i-1",
                true,
            ),
        ];
        for (p, t, want) in cases {
            assert_eq!(ArnPattern::compile(p).matches(t), *want, "{p} vs {t}");
        }
    }

    #[test]
    fn validity() {
        assert!(is_valid_arn("arn:aws:s3:::bucket"));
        assert!(!is_valid_arn("arn:aws:s3:::"));
        assert!(!is_valid_arn("bucket"));
        assert!(!is_valid_arn("arn::s3:::b"));
    }
}
