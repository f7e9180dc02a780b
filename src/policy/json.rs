//! Reading a policy document's JSON, refusing duplicate object keys.
//!
//! RFC 8259 leaves the meaning of repeated names in one object to the reader, and `serde_json`
//! keeps the last one. In a policy that is dangerous: `{"Effect":"Deny", ..., "Effect":"Allow"}`
//! or two `Condition` blocks read one way to a reviewer and another way to the engine. IAM refuses
//! such documents with `MalformedPolicyDocument`, and so does Keyward: every object (the
//! document, each statement, `Condition`, each operator block, `Principal`) is built here with a
//! check that no name appears twice. Names are compared after JSON unescaping, so `"Eff\u0065ct"`
//! is a second `Effect`.
//!
//! The reader is `serde_json`'s own (with its nesting limit); only the building of the value is
//! ours.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `json` into a value; any object with a repeated key is an error naming the key.
pub(crate) fn parse(json: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = Strict.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// A seed that builds a [`Value`] and refuses duplicate keys at every depth.
#[derive(Clone, Copy)]
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(A::Error::custom(format_args!("Duplicate key {key}")));
            }
            let value = map.next_value_seed(Strict)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn same_value_as_serde_json_without_duplicates() {
        let docs = [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"*","Condition":{"NumericLessThan":{"k":[1,-2,3.5,1e3]},"Bool":{"b":true}}}]}"#,
            r#"[null, {"a": {"b": [{}]}}, "x\u0041"]"#,
            "12345678901234567890",
        ];
        for d in docs {
            assert_eq!(
                parse(d).unwrap(),
                serde_json::from_str::<Value>(d).unwrap(),
                "{d}"
            );
        }
    }

    #[test]
    fn duplicates_are_refused_at_every_depth() {
        let docs = [
            r#"{"Version":"2012-10-17","Version":"2012-10-17","Statement":[]}"#,
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Effect":"Allow"}}"#,
            r#"{"Statement":{"Condition":{"Bool":{"a":"true"}},"Condition":{}}}"#,
            r#"{"Statement":{"Condition":{"StringEquals":{"k":"a","k":"b"}}}}"#,
            r#"{"Statement":{"Condition":{"Bool":{},"Bool":{}}}}"#,
            r#"{"Statement":{"Principal":{"AWS":"a","AWS":"b"}}}"#,
            r#"{"Statement":{"Effect":"Deny","Eff\u0065ct":"Allow"}}"#,
        ];
        for d in docs {
            let e = parse(d).expect_err(d).to_string();
            assert!(e.starts_with("Duplicate key "), "{d}: {e}");
        }
    }

    #[test]
    fn trailing_text_and_deep_nesting_are_errors_not_panics() {
        assert!(parse(r#"{"a":1} x"#).is_err());
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
    }
}
