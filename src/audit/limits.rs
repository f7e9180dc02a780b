//! Bounds on what one audit event may store. Anyone can send a request, and failures are
//! audited before (or without) authentication, so nothing a client sends may reach the trail
//! at its own length: every string is cut to [`MAX_AUDITED_CHARS`], every JSON document to
//! [`MAX_AUDITED_JSON_BYTES`], and the `Authorization` header that AWS's signature errors quote
//! is left out.
//!
//! Pure: strings and JSON values in, the same out.

use serde_json::Value;

/// Characters kept of any one audited string (an action name, a parameter, a user agent, an
/// error message). Longer values keep their start and a marker. Raising it lets each
/// unauthenticated request write more to the store; lowering it below the longest legitimate
/// value (an ARN is at most 2,048 characters in IAM, most are far shorter) cuts real values.
pub const MAX_AUDITED_CHARS: usize = 1024;

/// Bytes at most of an event's request parameters or response elements as stored JSON,
/// after each string in them is cut. A larger document (many parameters) is replaced by a
/// note of its size. Raising it raises what one signed read can write to the trail.
pub const MAX_AUDITED_JSON_BYTES: usize = 16 * 1024;

/// What replaces the cut part of a string.
pub const TRUNCATED: &str = "...[truncated]";

/// `text`, cut to [`MAX_AUDITED_CHARS`] characters (and [`TRUNCATED`]) when longer.
pub fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_AUDITED_CHARS) {
        Some((cut, _)) => format!("{}{TRUNCATED}", text.get(..cut).unwrap_or_default()),
        None => text.to_string(),
    }
}

/// Cuts every string in `value`, keys included.
pub fn truncate_json(value: &mut Value) {
    match value {
        Value::String(s) if s.len() > MAX_AUDITED_CHARS => *s = truncate(s),
        Value::Array(items) => items.iter_mut().for_each(truncate_json),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut v) in entries {
                truncate_json(&mut v);
                map.insert(truncate(&key), v);
            }
        }
        _ => {}
    }
}

/// The stored text of a JSON document: strings cut, and the whole replaced by
/// `{"truncated":true,"bytes":N}` when still larger than [`MAX_AUDITED_JSON_BYTES`].
pub fn json_text(mut value: Value) -> String {
    truncate_json(&mut value);
    let text = value.to_string();
    if text.len() > MAX_AUDITED_JSON_BYTES {
        serde_json::json!({"truncated": true, "bytes": text.len()}).to_string()
    } else {
        text
    }
}

/// An error message without the `Authorization` header that AWS's signature errors quote at
/// their end (`... Authorization=AWS4-HMAC-SHA256 Credential=...`): the client got it back,
/// the trail keeps only that it was there. Then cut like any string.
pub fn error_message(message: &str) -> String {
    match message.find("Authorization=") {
        Some(at) => truncate(&format!(
            "{}Authorization=[not recorded]",
            message.get(..at).unwrap_or_default()
        )),
        None => truncate(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_strings_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("ListUsers"), "ListUsers");
        let exact = "a".repeat(MAX_AUDITED_CHARS);
        assert_eq!(truncate(&exact), exact, "the limit itself is kept whole");
        let long = "é".repeat(MAX_AUDITED_CHARS + 1);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_AUDITED_CHARS + TRUNCATED.len());
        assert!(cut.ends_with(TRUNCATED) && cut.starts_with("éé"));
        let megabyte = "A".repeat(1 << 20);
        assert!(truncate(&megabyte).len() < 2 * MAX_AUDITED_CHARS);
    }

    #[test]
    fn json_strings_and_keys_are_cut_and_large_documents_replaced() {
        let long = "x".repeat(5000);
        let mut doc = json!({"UserName": long, long.clone(): [long.clone(), 1]});
        truncate_json(&mut doc);
        assert_eq!(doc["UserName"], json!(truncate(&long)));
        assert_eq!(doc[truncate(&long)][0], json!(truncate(&long)));
        assert_eq!(doc[truncate(&long)][1], json!(1));

        let small = json!({"UserName": "alice"});
        assert_eq!(json_text(small.clone()), small.to_string());
        let many: serde_json::Map<String, Value> = (0..1000)
            .map(|i| (format!("Tag.member.{i}"), json!("v".repeat(100))))
            .collect();
        let text = json_text(Value::Object(many));
        assert!(text.len() <= MAX_AUDITED_JSON_BYTES, "{}", text.len());
        assert!(text.starts_with(r#"{"bytes":"#) || text.contains(r#""truncated":true"#));
    }

    #[test]
    fn the_authorization_header_is_never_recorded() {
        let message = "Authorization header requires 'Signature' parameter. \
                       Authorization=AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/iam/aws4_request";
        let recorded = error_message(message);
        assert_eq!(
            recorded,
            "Authorization header requires 'Signature' parameter. Authorization=[not recorded]"
        );
        assert_eq!(
            error_message("The security token is invalid."),
            "The security token is invalid."
        );
        let huge = format!("x{}", "y".repeat(1 << 20));
        assert!(error_message(&huge).len() < 2 * MAX_AUDITED_CHARS);
    }
}
