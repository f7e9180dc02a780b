//! IAM pagination: `Marker` / `MaxItems` / `IsTruncated`. A marker is opaque to clients; here it
//! is the sort key of the last item returned, so pages stay stable while entities are added.

use super::IamError;
use data_encoding::BASE64URL_NOPAD;

/// IAM's default and maximum page size.
pub const DEFAULT_MAX_ITEMS: i64 = 100;
pub const MAX_MAX_ITEMS: i64 = 1000;

#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

impl PageRequest {
    /// The validated page size.
    pub fn limit(&self) -> Result<i64, IamError> {
        match self.max_items {
            None => Ok(DEFAULT_MAX_ITEMS),
            Some(n) if (1..=MAX_MAX_ITEMS).contains(&n) => Ok(n),
            Some(n) => Err(IamError::Validation(format!(
                "1 validation error detected: Value '{n}' at 'maxItems' failed to satisfy \
                 constraint: Member must have value between 1 and {MAX_MAX_ITEMS}"
            ))),
        }
    }

    /// The sort key to continue after, decoded from the marker.
    pub fn after(&self) -> Result<Option<String>, IamError> {
        self.marker
            .as_deref()
            .map(|m| {
                BASE64URL_NOPAD
                    .decode(m.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| IamError::Validation("Invalid Marker.".to_string()))
            })
            .transpose()
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more items follow.
    pub marker: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order; `key` gives the sort key.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if rows.len() > limit {
            rows.truncate(limit);
            let marker = rows
                .last()
                .map(|last| BASE64URL_NOPAD.encode(key(last).as_bytes()));
            Self {
                items: rows,
                marker,
            }
        } else {
            Self {
                items: rows,
                marker: None,
            }
        }
    }

    pub fn is_truncated(&self) -> bool {
        self.marker.is_some()
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            marker: self.marker,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_carry_a_marker_only_when_truncated() {
        let p = Page::from_rows(vec!["a", "b", "c"], 2, |s| s.to_string());
        assert_eq!(p.items, vec!["a", "b"]);
        let req = PageRequest {
            marker: p.marker.clone(),
            max_items: Some(2),
        };
        assert_eq!(req.after().unwrap().as_deref(), Some("b"));
        let last = Page::from_rows(vec!["c"], 2, |s| s.to_string());
        assert!(!last.is_truncated());
        assert!(PageRequest {
            marker: Some("%%%".into()),
            max_items: None
        }
        .after()
        .is_err());
        assert!(PageRequest {
            marker: None,
            max_items: Some(0)
        }
        .limit()
        .is_err());
    }
}
