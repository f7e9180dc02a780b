//! `BinaryEquals`: AWS "Condition operators / Binary condition operators" compares base64-encoded
//! values byte for byte. Policy values are decoded once; a request string is decoded as base64, and
//! one that does not decode does not match.

#![deny(clippy::indexing_slicing)]

use data_encoding::{BASE64, BASE64_NOPAD};

use crate::policy::context::Scalar;

fn decode(s: &str) -> Option<Vec<u8>> {
    BASE64
        .decode(s.as_bytes())
        .or_else(|_| BASE64_NOPAD.decode(s.as_bytes()))
        .ok()
}

#[derive(Debug, Clone)]
pub struct Binaries(Vec<Vec<u8>>);

impl Binaries {
    pub fn compile(values: &[String]) -> Result<Binaries, String> {
        values
            .iter()
            .map(|v| decode(v).ok_or_else(|| format!("{v:?} is not base64")))
            .collect::<Result<_, _>>()
            .map(Binaries)
    }

    pub fn matches(&self, s: Scalar<'_>) -> bool {
        match s {
            Scalar::Binary(b) => self.0.iter().any(|p| p.as_slice() == b),
            Scalar::Str(t) => match decode(t) {
                Some(b) => self.0.contains(&b),
                None => false,
            },
            _ => false,
        }
    }
}
