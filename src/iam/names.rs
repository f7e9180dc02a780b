//! IAM's rules for names and paths (from the IAM API reference's parameter constraints).

use super::IamError;

/// User, group, role and policy names: 1 to `max` characters of `[\w+=,.@-]`.
pub fn check_name(kind: &str, name: &str, max: usize) -> Result<(), IamError> {
    let ok = !name.is_empty()
        && name.chars().count() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(IamError::Validation(format!(
            "The specified value for {kind} is invalid. It must contain only alphanumeric \
             characters and/or the following: +=,.@_- and be 1 to {max} characters long."
        )))
    }
}

/// Paths: `/`, or `/` + segments + `/`, at most 512 characters of printable ASCII.
pub fn check_path(path: &str) -> Result<(), IamError> {
    let ok = path.len() <= 512
        && path.starts_with('/')
        && path.ends_with('/')
        && path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(IamError::Validation(
            "The specified value for path is invalid. It must begin and end with / and contain \
             only alphanumeric characters and/or / characters."
                .to_string(),
        ))
    }
}

/// The name of one of Keyward's own entities that is part of a URL (a sign-in provider, a
/// directory): 1 to 64 letters, digits, `.`, `_` and `-`.
pub fn check_url_name(kind: &str, name: &str) -> Result<(), IamError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(IamError::Validation(format!(
            "The {kind} name must be 1 to 64 letters, digits, '.', '_' or '-'."
        )))
    }
}

/// A setting's text: 1 to `max` characters, none of them control characters.
pub fn check_text(what: &str, value: &str, max: usize) -> Result<(), IamError> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(IamError::Validation(format!(
            "The {what} must be 1 to {max} characters, without control characters."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_iam_rules() {
        assert!(check_name("userName", "alice.b+c=d,e@f_g-h", 64).is_ok());
        assert!(check_name("userName", "", 64).is_err());
        assert!(check_name("userName", "has space", 64).is_err());
        assert!(check_name("userName", &"a".repeat(65), 64).is_err());
        assert!(check_path("/").is_ok());
        assert!(check_path("/a/b/").is_ok());
        assert!(check_path("a/").is_err());
        assert!(check_path("/a").is_err());
    }
}
