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
