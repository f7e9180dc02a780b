//! `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike`: AWS "Condition operators / Amazon Resource
//! Name (ARN) condition operators": case-sensitive, each of the six colon-delimited components
//! checked separately, `*` and `?` allowed in each (Equals and Like behave alike). Values with
//! policy variables are resolved per request and matched as one glob (resolved text literal); a
//! value whose variable has no value is null and matches no ARN (so `ArnNot*` match), as AWS
//! "Policy variables with no value" says of the string operators.

#![deny(clippy::indexing_slicing)]

use crate::policy::arn::ArnPattern;
use crate::policy::context::{RequestContext, Scalar};
use crate::policy::matching::glob_match;
use crate::policy::variables::Template;

#[derive(Debug, Clone)]
enum Val {
    Plain(ArnPattern),
    Tpl(Template),
}

#[derive(Debug, Clone)]
pub struct Arns(Vec<Val>);

impl Arns {
    pub fn compile(values: &[String], variables: bool) -> Result<Arns, String> {
        values
            .iter()
            .map(|v| {
                if variables {
                    if let Some(t) = Template::parse(v).map_err(|e| e.0)? {
                        return Ok(Val::Tpl(t));
                    }
                }
                Ok(Val::Plain(ArnPattern::compile(v)))
            })
            .collect::<Result<_, String>>()
            .map(Arns)
    }

    /// Whether the request ARN matches any policy value (a null value matches none).
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
