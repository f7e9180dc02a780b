//! AWS Query protocol parameters: `Action=CreateUser&Version=2010-05-08&UserName=bob`, from an
//! `application/x-www-form-urlencoded` body (`POST /`) or the query string (`GET /?Action=..`).
//!
//! Structured values are flattened as the Query protocol does (botocore `QuerySerializer`):
//! - lists: `Foo.member.1=a&Foo.member.2=b`; an empty list is sent as `Foo=`;
//! - lists of structures: `Tags.member.1.Key=k&Tags.member.1.Value=v`;
//! - maps (rare in IAM/STS): `Attributes.entry.1.key=k&Attributes.entry.1.value=v`.
//!
//! Member indexes start at 1 and are read in numeric order; gaps are tolerated (AWS reads
//! `member.1` and `member.3` as a two-element list). Decoding is strict: a malformed percent
//! escape, invalid UTF-8, an empty name or a repeated name is refused (`MalformedQueryString`),
//! never guessed at and never a panic.

use super::error::AwsError;
use std::collections::BTreeMap;

/// SigV4 presigning parameters: part of the signature, not parameters of the action.
pub const SIGV4_QUERY_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// IAM's default page size for `List*` actions when `MaxItems` is absent.
pub const DEFAULT_MAX_ITEMS: u32 = 100;
/// IAM's largest `MaxItems` (the API reference: "Valid Range: Minimum value of 1. Maximum value
/// of 1000."). A larger page would let one request load an unbounded number of rows.
pub const MAX_MAX_ITEMS: u32 = 1000;

/// Decoded parameters of one Query request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    params: BTreeMap<String, String>,
}

/// One `Tags.member.N` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// `MaxItems` / `Marker` of a `List*` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination<'a> {
    /// Page size, 1..=1000, 100 when absent.
    pub max_items: u32,
    /// Opaque marker from the previous page's `<Marker>`, if any.
    pub marker: Option<&'a str>,
}

/// The fields of one structure in a list (`Prefix.member.N.Field`), see [`QueryParams::members`].
#[derive(Debug, Clone)]
pub struct Member<'a> {
    params: &'a QueryParams,
    prefix: String,
}

/// AWS's name for a parameter in validation messages: `UserName` -> `userName`.
fn member_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {rule}"
/// where `value` is `null` or `'...'`, as IAM and STS word it.
pub fn validation_message(name: &str, value: Option<&str>, constraint: &str) -> String {
    let shown = match value {
        Some(v) => format!("'{v}'"),
        None => "null".to_owned(),
    };
    format!(
        "1 validation error detected: Value {shown} at '{}' failed to satisfy constraint: {constraint}",
        member_name(name)
    )
}

/// Percent-decodes one form or query component strictly: `+` is a space and `%XX` needs two hex
/// digits. `None` on a malformed escape. Shared with the SigV4 canonical query string.
pub(super) fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// [`percent_decode`], then UTF-8, with AWS errors.
fn decode_component(raw: &str) -> Result<String, AwsError> {
    let bytes = percent_decode(raw).ok_or_else(|| {
        AwsError::malformed_query_string(format!("Invalid percent-encoding in '{raw}'"))
    })?;
    String::from_utf8(bytes).map_err(|_| {
        AwsError::malformed_query_string(format!("Parameter '{raw}' is not valid UTF-8"))
    })
}

/// Splits `a=1&b=2` into decoded pairs. Empty segments (`a=1&&b=2`) are skipped; a name
/// without `=` has an empty value.
fn decode_pairs(encoded: &str) -> Result<Vec<(String, String)>, AwsError> {
    encoded
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            let name = decode_component(name)?;
            if name.is_empty() {
                return Err(AwsError::malformed_query_string(format!(
                    "Parameter without a name: '{segment}'"
                )));
            }
            Ok((name, decode_component(value)?))
        })
        .collect()
}

/// Parses a member index: decimal digits only, no sign, at least 1.
fn parse_index(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>().ok().filter(|n| *n >= 1)
}

/// `{prefix}.{N}{rest}` parameters grouped by N: `(rest, value)` pairs.
type Indexed<'a> = BTreeMap<u32, Vec<(&'a str, &'a str)>>;

impl QueryParams {
    /// From already decoded pairs; a repeated name is refused.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self, AwsError> {
        let mut params = BTreeMap::new();
        for (name, value) in pairs {
            if params.contains_key(&name) {
                return Err(AwsError::malformed_query_string(format!(
                    "Parameter '{name}' appears more than once"
                )));
            }
            params.insert(name, value);
        }
        Ok(Self { params })
    }

    /// From an `application/x-www-form-urlencoded` body.
    pub fn from_form_body(body: &[u8]) -> Result<Self, AwsError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| AwsError::malformed_query_string("The request body is not valid UTF-8"))?;
        Self::from_pairs(decode_pairs(text)?)
    }

    /// From a raw (still percent-encoded) query string, without the SigV4 `X-Amz-*`
    /// presigning parameters.
    pub fn from_query_string(query: &str) -> Result<Self, AwsError> {
        let pairs = decode_pairs(query)?
            .into_iter()
            .filter(|(name, _)| !SIGV4_QUERY_PARAMS.contains(&name.as_str()));
        Self::from_pairs(pairs)
    }

    /// Query string and form body together (AWS accepts parameters in both); a name in both is
    /// refused like any repeated name.
    pub fn from_query_and_body(query: &str, body: &[u8]) -> Result<Self, AwsError> {
        let mut params = Self::from_query_string(query)?;
        for (name, value) in Self::from_form_body(body)?.params {
            if params.params.contains_key(&name) {
                return Err(AwsError::malformed_query_string(format!(
                    "Parameter '{name}' appears more than once"
                )));
            }
            params.params.insert(name, value);
        }
        Ok(params)
    }

    /// `Action`, if present.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// `Version`, if present.
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    /// A parameter's value, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// All decoded parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A required parameter: `ValidationError` "Value null at 'userName' ..." when absent.
    pub fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.get(name).ok_or_else(|| {
            AwsError::validation_error(validation_message(name, None, "Member must not be null"))
        })
    }

    /// Indexes and remainders of `{prefix}.{N}{rest}` names, sorted by N.
    fn indexed<'a>(&'a self, prefix: &str) -> Result<Indexed<'a>, AwsError> {
        let start = format!("{prefix}.");
        let mut found: Indexed<'a> = BTreeMap::new();
        for (name, value) in self.params.range(start.clone()..) {
            let Some(tail) = name.strip_prefix(&start) else {
                break;
            };
            let (index, rest) = match tail.find('.') {
                Some(dot) => tail.split_at(dot),
                None => (tail, ""),
            };
            let index = parse_index(index).ok_or_else(|| {
                AwsError::validation_error(format!("Invalid list index in parameter '{name}'"))
            })?;
            found.entry(index).or_default().push((rest, value.as_str()));
        }
        Ok(found)
    }

    /// `{name}.member.1..N` in index order. `{name}` alone (`Foo=`, botocore's empty list) or
    /// no parameter at all yields an empty list.
    pub fn list(&self, name: &str) -> Result<Vec<&str>, AwsError> {
        self.indexed(&format!("{name}.member"))?
            .into_values()
            .map(|entries| match entries.as_slice() {
                [("", value)] => Ok(*value),
                _ => Err(AwsError::validation_error(format!(
                    "Parameter '{name}.member' mixes values and structures"
                ))),
            })
            .collect()
    }

    /// `{name}.member.N.*` structures in index order (e.g. `PolicyArns.member.N.arn`).
    pub fn members(&self, name: &str) -> Result<Vec<Member<'_>>, AwsError> {
        Ok(self
            .indexed(&format!("{name}.member"))?
            .into_keys()
            .map(|n| Member {
                params: self,
                prefix: format!("{name}.member.{n}"),
            })
            .collect())
    }

    /// `{name}.member.N.Key` / `.Value` (IAM and STS tags). A tag without `Key` is a
    /// `ValidationError`; a missing `Value` is the empty string, as IAM allows empty values.
    pub fn tags(&self, name: &str) -> Result<Vec<Tag>, AwsError> {
        self.members(name)?
            .into_iter()
            .map(|member| {
                Ok(Tag {
                    key: member.required("Key")?.to_owned(),
                    value: member.get("Value").unwrap_or_default().to_owned(),
                })
            })
            .collect()
    }

    /// `{name}.entry.N.key` / `.value` pairs in index order.
    pub fn map(&self, name: &str) -> Result<Vec<(&str, &str)>, AwsError> {
        self.indexed(&format!("{name}.entry"))?
            .into_keys()
            .map(|n| {
                let member = Member {
                    params: self,
                    prefix: format!("{name}.entry.{n}"),
                };
                Ok((
                    member.required("key")?,
                    member.get("value").unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// An optional integer within `min..=max`; `ValidationError` otherwise.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, AwsError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let value = raw.trim().parse::<i64>().map_err(|_| {
            AwsError::validation_error(validation_message(
                name,
                Some(raw),
                "Member must be a number",
            ))
        })?;
        if value < min {
            return Err(AwsError::validation_error(validation_message(
                name,
                Some(raw),
                &format!("Member must have value greater than or equal to {min}"),
            )));
        }
        if value > max {
            return Err(AwsError::validation_error(validation_message(
                name,
                Some(raw),
                &format!("Member must have value less than or equal to {max}"),
            )));
        }
        Ok(Some(value))
    }

    /// An optional boolean: `true` / `false` (case-insensitive, as AWS's parsers accept).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) if raw.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(raw) if raw.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(raw) => Err(AwsError::validation_error(validation_message(
                name,
                Some(raw),
                "Member must be a boolean (true or false)",
            ))),
        }
    }

    /// `MaxItems` (1..=1000, default 100) and `Marker` (non-empty when present).
    pub fn pagination(&self) -> Result<Pagination<'_>, AwsError> {
        let max_items = self
            .int("MaxItems", 1, i64::from(MAX_MAX_ITEMS))?
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(DEFAULT_MAX_ITEMS);
        let marker = match self.get("Marker") {
            Some("") => {
                return Err(AwsError::validation_error(validation_message(
                    "Marker",
                    Some(""),
                    "Member must have length greater than or equal to 1",
                )))
            }
            other => other,
        };
        Ok(Pagination { max_items, marker })
    }
}

impl<'a> Member<'a> {
    fn field(&self, field: &str) -> String {
        format!("{}.{field}", self.prefix)
    }

    /// A field of this structure.
    pub fn get(&self, field: &str) -> Option<&'a str> {
        self.params.get(&self.field(field))
    }

    /// A required field: `ValidationError` naming the field when absent.
    pub fn required(&self, field: &str) -> Result<&'a str, AwsError> {
        self.get(field).ok_or_else(|| {
            AwsError::validation_error(validation_message(
                &self.field(field),
                None,
                "Member must not be null",
            ))
        })
    }

    /// A list inside this structure (`Prefix.member.N.Field.member.M`).
    pub fn list(&self, field: &str) -> Result<Vec<&'a str>, AwsError> {
        self.params.list(&self.field(field))
    }
}

#[cfg(test)]
mod tests;
