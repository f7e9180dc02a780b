//! What every session-issuing action checks the same way: session names, durations, session
//! policies, session tags (with the transitive tags and source identity a chained session
//! inherits), MFA codes, and the packed size of it all.

use super::StsError;
use crate::context::ServiceContext;
use crate::credentials::SessionClaims;
use crate::iam::{policies, tags};
use crate::policy::{policy_size, Policy, PolicyKind, RequestContext};

/// IAM's limits on session policies and tags.
pub const MAX_POLICY_CHARS: usize = 2048;
pub const MAX_POLICY_ARNS: usize = 10;
pub const MAX_SESSION_TAGS: usize = 50;

/// The space session policies and tags may take in a token, in bytes of their compact text;
/// `PackedPolicySize` is the share used, in percent.
const PACKED_BUDGET: usize = 4096;

/// Session policies, tags and source identity as a session-issuing action receives them.
#[derive(Debug, Clone, Default)]
pub struct SessionRequest {
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
}

/// A checked request, with what the calling session passes on.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Every tag of the new session: inherited transitive tags, then the new ones.
    pub tags: Vec<(String, String)>,
    /// The tags passed in this request (what `sts:TagSession` governs).
    pub new_tags: Vec<(String, String)>,
    pub transitive_keys: Vec<String>,
    pub source_identity: Option<String>,
    pub packed_percent: u32,
}

impl Checked {
    /// Adds the request's `aws:RequestTag/*`, `aws:TagKeys`, `sts:TransitiveTagKeys` and
    /// `sts:SourceIdentity` to a trust-policy evaluation context.
    pub fn add_request_keys(&self, context: &mut RequestContext) {
        for (key, value) in &self.new_tags {
            context.insert(&format!("aws:RequestTag/{key}"), value.as_str());
        }
        if !self.new_tags.is_empty() {
            let keys: Vec<String> = self.new_tags.iter().map(|(k, _)| k.clone()).collect();
            context.insert("aws:TagKeys", keys);
        }
        if !self.transitive_keys.is_empty() {
            context.insert("sts:TransitiveTagKeys", self.transitive_keys.clone());
        }
        if let Some(source) = &self.source_identity {
            context.insert("sts:SourceIdentity", source.as_str());
        }
    }
}

fn pattern_error(field: &str, value: &str, pattern: &str) -> StsError {
    StsError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: {pattern}"
    ))
}

fn length_error(field: &str, value: &str, min: usize, max: usize) -> StsError {
    StsError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy \
         constraint: Member must have length between {min} and {max}"
    ))
}

fn word_chars(text: &str, extra: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
}

/// Session names (and source identities, federated user names): 2-64 of `[\w+=,.@-]`.
pub fn check_name(field: &str, name: &str) -> Result<(), StsError> {
    check_name_len(field, name, 2, 64)
}

pub fn check_name_len(field: &str, name: &str, min: usize, max: usize) -> Result<(), StsError> {
    let len = name.chars().count();
    if !(min..=max).contains(&len) {
        return Err(length_error(field, name, min, max));
    }
    if !word_chars(name, "+=,.@-") {
        return Err(pattern_error(field, name, "[\\w+=,.@-]*"));
    }
    Ok(())
}

pub fn check_duration(seconds: i64, min: i64, max: i64) -> Result<(), StsError> {
    if seconds < min {
        return Err(StsError::Validation(format!(
            "1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to \
             satisfy constraint: Member must have value greater than or equal to {min}"
        )));
    }
    if seconds > max {
        return Err(StsError::Validation(format!(
            "1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to \
             satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(())
}

/// External ids: 2-1224 of `[\w+=,.@:/-]`.
pub fn check_external_id(external_id: &str) -> Result<(), StsError> {
    let len = external_id.chars().count();
    if !(2..=1224).contains(&len) {
        return Err(length_error("externalId", external_id, 2, 1224));
    }
    if !word_chars(external_id, "+=,.@:/-") {
        return Err(pattern_error("externalId", external_id, "[\\w+=,.@:/-]*"));
    }
    Ok(())
}

/// MFA codes: six digits.
pub fn check_token_code(code: &str) -> Result<(), StsError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(pattern_error("tokenCode", code, "[\\d]*"));
    }
    Ok(())
}

/// Checks session policies, tags and source identity against IAM's rules and what the prior
/// session (the calling one, if the caller has one) passes on; `account_id` owns the managed
/// session policies.
pub fn check_request(
    ctx: &ServiceContext,
    prior: Option<&SessionClaims>,
    account_id: &str,
    request: &SessionRequest,
) -> Result<Checked, StsError> {
    let checked = check_inputs(prior, request)?;
    check_policy_arns(ctx, account_id, &request.policy_arns)?;
    Ok(checked)
}

/// Checks that each managed session policy exists in `account_id`. AssumeRole asks only once
/// the caller is trusted, so that nobody learns which policies another account has.
pub fn check_policy_arns(
    ctx: &ServiceContext,
    account_id: &str,
    arns: &[String],
) -> Result<(), StsError> {
    for arn in arns {
        let found = ctx
            .store
            .query(|conn| policies::find(conn, account_id, arn));
        match found {
            Ok(_) => {}
            Err(crate::iam::IamError::NoSuchEntity(_)) => {
                return Err(StsError::InvalidParameterValue(format!(
                    "Policy {arn} does not exist or is not attachable."
                )))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// [`check_request`] without the store: everything that depends on the request and the prior
/// session's claims only (its transitive tags and its source identity; the managed session
/// policies are counted, not looked up).
pub fn check_inputs(
    prior: Option<&SessionClaims>,
    request: &SessionRequest,
) -> Result<Checked, StsError> {
    let mut packed = 0;
    if let Some(document) = &request.policy {
        if document.chars().count() > MAX_POLICY_CHARS {
            return Err(StsError::Validation(format!(
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: \
                 Member must have length less than or equal to {MAX_POLICY_CHARS}"
            )));
        }
        Policy::parse(document, PolicyKind::Session)
            .map_err(|e| StsError::MalformedPolicyDocument(e.to_string()))?;
        packed += policy_size(document);
    }
    if request.policy_arns.len() > MAX_POLICY_ARNS {
        return Err(StsError::Validation(format!(
            "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: \
             Member must have length less than or equal to {MAX_POLICY_ARNS}"
        )));
    }
    packed += request.policy_arns.iter().map(String::len).sum::<usize>();

    let inherited: Vec<(String, String)> = prior
        .map(|s| {
            s.tags
                .iter()
                .filter(|(k, _)| s.transitive_keys.iter().any(|t| t.eq_ignore_ascii_case(k)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();

    if request.tags.len() > MAX_SESSION_TAGS {
        return Err(StsError::Validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: \
             Member must have length less than or equal to {MAX_SESSION_TAGS}"
        )));
    }
    let as_tags: Vec<tags::Tag> = request
        .tags
        .iter()
        .map(|(key, value)| tags::Tag {
            key: key.clone(),
            value: value.clone(),
        })
        .collect();
    tags::check(&as_tags, MAX_SESSION_TAGS).map_err(|e| match e {
        crate::iam::IamError::InvalidInput(m) => StsError::InvalidParameterValue(m),
        other => StsError::Validation(other.to_string()),
    })?;
    for (key, _) in &request.tags {
        if inherited.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(StsError::InvalidParameterValue(format!(
                "The session tag {key} is inherited as a transitive tag from the calling \
                 session and cannot be set again."
            )));
        }
    }
    for key in &request.transitive_tag_keys {
        if !request
            .tags
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            return Err(StsError::InvalidParameterValue(format!(
                "The transitive tag key {key} is not one of the session tags."
            )));
        }
    }

    let source_identity = match (
        &request.source_identity,
        prior.and_then(|s| s.source_identity.as_ref()),
    ) {
        (Some(new), Some(old)) if new != old => {
            return Err(StsError::InvalidParameterValue(
                "The source identity of a session cannot be changed once it is set.".to_string(),
            ))
        }
        (Some(new), _) => {
            check_name("sourceIdentity", new)?;
            if new.to_ascii_lowercase().starts_with("aws:") {
                return Err(StsError::InvalidParameterValue(
                    "A source identity cannot start with 'aws:'.".to_string(),
                ));
            }
            Some(new.clone())
        }
        (None, old) => old.cloned(),
    };

    let mut all_tags = inherited.clone();
    all_tags.extend(request.tags.iter().cloned());
    let mut transitive_keys: Vec<String> =
        prior.map(|s| s.transitive_keys.clone()).unwrap_or_default();
    transitive_keys.extend(request.transitive_tag_keys.iter().cloned());
    packed += all_tags
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>();
    let packed_percent =
        u32::try_from(packed.saturating_mul(100).div_ceil(PACKED_BUDGET)).unwrap_or(u32::MAX);
    if packed_percent > 100 {
        return Err(StsError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {packed_percent}% of allotted space, please use smaller \
             policy."
        )));
    }
    Ok(Checked {
        tags: all_tags,
        new_tags: request.tags.clone(),
        transitive_keys,
        source_identity,
        packed_percent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_durations_external_ids_and_codes() {
        assert!(check_name("roleSessionName", "ci-build@example.com").is_ok());
        assert!(check_name("roleSessionName", "a").is_err());
        assert!(check_name("roleSessionName", &"a".repeat(65)).is_err());
        assert!(check_name("roleSessionName", "has space").is_err());
        assert!(check_duration(900, 900, 3600).is_ok());
        assert!(check_duration(899, 900, 3600).is_err());
        assert!(check_duration(3601, 900, 3600).is_err());
        assert!(check_external_id("partner:42/x").is_ok());
        assert!(check_external_id("x").is_err());
        assert!(check_external_id("no spaces").is_err());
        assert!(check_token_code("123456").is_ok());
        assert!(check_token_code("12345").is_err());
        assert!(check_token_code("12345a").is_err());
    }
}
