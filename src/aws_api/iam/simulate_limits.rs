//! How much one policy simulation may ask for, and how its results are paged.
//!
//! `SimulatePrincipalPolicy` and `SimulateCustomPolicy` decide every action of `ActionNames` on
//! every resource of `ResourceArns`, so the work of one request grows with the product of two
//! lists the client chooses. [`check`] counts the lists and measures their entries before
//! anything is loaded, parsed or evaluated, and refuses a request over a limit with
//! `InvalidInput` (lengths the `iam` service model constrains get its `ValidationError`).
//! An accepted simulation is then decided one page at a time, as IAM pages it: `MaxItems`
//! actions (100 unless asked, 1000 at most) from the position the `Marker` names, each on every
//! resource, so a request evaluates at most one page of actions and never more than
//! [`MAX_PAIRS`] pairs in all.
//!
//! ```text
//!  params ─> check (counts, lengths, product) ─> authorize ─> load policies ─> page(range)
//!         ─> EvaluationResults of the page (one per action), IsTruncated, Marker of the next
//! ```

use crate::authz::simulate::ActionRange;
use crate::aws_api::error::AwsError;
use crate::aws_api::query::{validation_message, QueryParams};
use data_encoding::BASE64URL_NOPAD;

/// Most entries of `ActionNames`. IAM's API reference publishes no number; this is above the
/// action count of the largest AWS service, so "every action of a service" fits. Raising it
/// raises what one request may make Keyward evaluate.
pub const MAX_ACTION_NAMES: usize = 1000;
/// Most entries of `ResourceArns`; the same reasoning as [`MAX_ACTION_NAMES`].
pub const MAX_RESOURCE_ARNS: usize = 1000;
/// Most (action, resource) pairs in one simulation. Pages bound the work of each request, but
/// a client walking the pages still makes Keyward evaluate the whole product: without this, two
/// lists at their limits would be a million evaluations for one question.
pub const MAX_PAIRS: usize = 10_000;
/// Most documents in `PolicyInputList`. Every pair is evaluated against every document, so the
/// cost of a page grows with this.
pub const MAX_POLICY_INPUTS: usize = 20;
/// Most entries of `ContextEntries`, and of one entry's `ContextKeyValues`; each entry is
/// copied into the request context of every pair.
pub const MAX_CONTEXT_ENTRIES: usize = 100;
pub const MAX_CONTEXT_VALUES: usize = 100;

/// Lengths the `iam` model gives: `ActionNameType` 3..=128, `ResourceNameType` 1..=2048,
/// `policyDocumentType` 1..=131072, `ContextKeyNameType` 5..=256.
const ACTION_NAME_LENGTH: (usize, usize) = (3, 128);
const RESOURCE_NAME_LENGTH: (usize, usize) = (1, 2048);
const POLICY_DOCUMENT_LENGTH: (usize, usize) = (1, 131_072);
const CONTEXT_KEY_NAME_LENGTH: (usize, usize) = (5, 256);

fn too_many(list: &str, count: usize, max: usize) -> AwsError {
    AwsError::invalid_input(format!(
        "{list} has {count} entries; a simulation takes at most {max}."
    ))
}

/// `ValidationError` when an entry's length is outside the model's range (counted in
/// characters, as the model counts).
fn check_length(name: &str, value: &str, (min, max): (usize, usize)) -> Result<(), AwsError> {
    let length = value.chars().count();
    let rule = if length < min {
        format!("Member must have length greater than or equal to {min}")
    } else if length > max {
        format!("Member must have length less than or equal to {max}")
    } else {
        return Ok(());
    };
    // A long value is shown by its start only: it may be a whole policy document.
    let shown: String = if length > 64 {
        value.chars().take(64).chain("...".chars()).collect()
    } else {
        value.to_string()
    };
    Err(AwsError::validation_error(validation_message(
        name,
        Some(&shown),
        &rule,
    )))
}

/// A list parameter, refused when it has more than `max` entries or an entry of the wrong length.
fn bounded_list<'a>(
    params: &'a QueryParams,
    name: &str,
    max: usize,
    length: (usize, usize),
) -> Result<Vec<&'a str>, AwsError> {
    let values = params.list(name)?;
    if values.len() > max {
        return Err(too_many(name, values.len(), max));
    }
    for value in &values {
        check_length(name, value, length)?;
    }
    Ok(values)
}

fn check_context(params: &QueryParams) -> Result<(), AwsError> {
    let entries = params.members("ContextEntries")?;
    if entries.len() > MAX_CONTEXT_ENTRIES {
        return Err(too_many(
            "ContextEntries",
            entries.len(),
            MAX_CONTEXT_ENTRIES,
        ));
    }
    for entry in entries {
        if let Some(key) = entry.get("ContextKeyName") {
            check_length("ContextKeyName", key, CONTEXT_KEY_NAME_LENGTH)?;
        }
        let values = entry.list("ContextKeyValues")?;
        if values.len() > MAX_CONTEXT_VALUES {
            return Err(too_many(
                "ContextKeyValues",
                values.len(),
                MAX_CONTEXT_VALUES,
            ));
        }
    }
    Ok(())
}

/// Refuses a simulation over any limit; called before anything else is done for the request.
pub fn check(params: &QueryParams) -> Result<(), AwsError> {
    let actions = bounded_list(params, "ActionNames", MAX_ACTION_NAMES, ACTION_NAME_LENGTH)?;
    let resources = bounded_list(
        params,
        "ResourceArns",
        MAX_RESOURCE_ARNS,
        RESOURCE_NAME_LENGTH,
    )?;
    let pairs = actions.len().saturating_mul(resources.len().max(1));
    if pairs > MAX_PAIRS {
        return Err(AwsError::invalid_input(format!(
            "The simulation asks for {pairs} action and resource pairs ({} actions by {} \
             resources); one simulation decides at most {MAX_PAIRS}.",
            actions.len(),
            resources.len()
        )));
    }
    bounded_list(
        params,
        "PolicyInputList",
        MAX_POLICY_INPUTS,
        POLICY_DOCUMENT_LENGTH,
    )?;
    // IAM simulates one permissions boundary, as an entity has at most one.
    bounded_list(
        params,
        "PermissionsBoundaryPolicyInputList",
        1,
        POLICY_DOCUMENT_LENGTH,
    )?;
    for (name, length) in [
        ("ResourcePolicy", POLICY_DOCUMENT_LENGTH),
        ("CallerArn", RESOURCE_NAME_LENGTH),
        ("ResourceOwner", RESOURCE_NAME_LENGTH),
    ] {
        if let Some(value) = params.get(name) {
            check_length(name, value, length)?;
        }
    }
    check_context(params)
}

/// The actions this request asks for: from the `Marker`'s position (0 without one), `MaxItems`
/// of them. A marker that is not one this endpoint gave for `total` actions is refused.
pub fn page(params: &QueryParams, total: usize) -> Result<ActionRange, AwsError> {
    let pagination = params.pagination()?;
    let skip = match pagination.marker {
        None => 0,
        Some(marker) => decode_marker(marker)
            .filter(|position| *position > 0 && *position < total)
            .ok_or_else(|| AwsError::validation_error("Invalid Marker."))?,
    };
    Ok(ActionRange {
        skip,
        take: usize::try_from(pagination.max_items).unwrap_or(1),
    })
}

/// The `Marker` of the page after `range`, when actions remain.
pub fn next_marker(range: ActionRange, total: usize) -> Option<String> {
    let next = range.skip.saturating_add(range.take);
    (next < total).then(|| BASE64URL_NOPAD.encode(next.to_string().as_bytes()))
}

fn decode_marker(marker: &str) -> Option<usize> {
    let bytes = BASE64URL_NOPAD.decode(marker.as_bytes()).ok()?;
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(String, String)]) -> QueryParams {
        QueryParams::from_pairs(pairs.iter().cloned()).unwrap()
    }

    fn list(name: &str, count: usize, value: &str) -> Vec<(String, String)> {
        (1..=count)
            .map(|i| (format!("{name}.member.{i}"), value.to_string()))
            .collect()
    }

    fn code(params: &QueryParams) -> Option<String> {
        check(params).err().map(|e| e.code().to_string())
    }

    #[test]
    fn lists_over_their_limits_are_refused_before_any_work() {
        let at_limit = [
            list("ActionNames", 100, "s3:GetObject"),
            list("ResourceArns", 100, "arn:aws:s3:::b"),
        ]
        .concat();
        assert_eq!(code(&params(&at_limit)), None);
        let over = [
            list("ActionNames", 5000, "s3:GetObject"),
            list("ResourceArns", 5000, "arn:aws:s3:::b"),
        ]
        .concat();
        assert_eq!(code(&params(&over)).as_deref(), Some("InvalidInput"));
        let product = [
            list("ActionNames", 101, "s3:GetObject"),
            list("ResourceArns", 100, "arn:aws:s3:::b"),
        ]
        .concat();
        let error = check(&params(&product)).unwrap_err();
        assert_eq!(error.code(), "InvalidInput");
        assert!(error.message().contains("10100"), "{}", error.message());
        let policies = list("PolicyInputList", MAX_POLICY_INPUTS + 1, "{}");
        assert_eq!(code(&params(&policies)).as_deref(), Some("InvalidInput"));
        let boundaries = list("PermissionsBoundaryPolicyInputList", 2, "{}");
        assert_eq!(code(&params(&boundaries)).as_deref(), Some("InvalidInput"));
        let context: Vec<(String, String)> = (1..=MAX_CONTEXT_ENTRIES + 1)
            .map(|i| {
                (
                    format!("ContextEntries.member.{i}.ContextKeyName"),
                    "aws:SourceIp".to_string(),
                )
            })
            .collect();
        assert_eq!(code(&params(&context)).as_deref(), Some("InvalidInput"));
    }

    #[test]
    fn entry_lengths_follow_the_service_model() {
        let short = list("ActionNames", 1, "s3");
        assert_eq!(code(&params(&short)).as_deref(), Some("ValidationError"));
        let long = list("ResourceArns", 1, &"a".repeat(2049));
        assert_eq!(code(&params(&long)).as_deref(), Some("ValidationError"));
        let document = list("PolicyInputList", 1, &"a".repeat(131_073));
        let error = check(&params(&document)).unwrap_err();
        assert_eq!(error.code(), "ValidationError");
        assert!(error.message().len() < 250, "the document is not echoed");
        let error = check(&params(&short)).unwrap_err();
        assert!(
            error.message().contains("Value 's3' at 'actionNames'"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn markers_name_the_next_action() {
        let first = ActionRange { skip: 0, take: 4 };
        let marker = next_marker(first, 10).unwrap();
        assert_eq!(decode_marker(&marker), Some(4));
        assert_eq!(next_marker(ActionRange { skip: 8, take: 4 }, 10), None);
        assert_eq!(decode_marker("not a marker"), None);
    }
}
