//! ARNs of IAM entities, as AWS forms them: `arn:aws:iam::<account>:<kind><path><name>`.

/// `arn:aws:iam::123456789012:user/division/alice` for path `/division/` and name `alice`.
pub fn entity(account_id: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:{kind}{path}{name}")
}

pub fn user(account_id: &str, path: &str, name: &str) -> String {
    entity(account_id, "user", path, name)
}

pub fn group(account_id: &str, path: &str, name: &str) -> String {
    entity(account_id, "group", path, name)
}

pub fn role(account_id: &str, path: &str, name: &str) -> String {
    entity(account_id, "role", path, name)
}

pub fn policy(account_id: &str, path: &str, name: &str) -> String {
    entity(account_id, "policy", path, name)
}

/// The root user of an account.
pub fn root(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:root")
}

#[cfg(test)]
mod tests {
    #[test]
    fn arns_join_path_and_name() {
        assert_eq!(
            super::user("123456789012", "/division/", "alice"),
            "arn:aws:iam::123456789012:user/division/alice"
        );
        assert_eq!(
            super::root("123456789012"),
            "arn:aws:iam::123456789012:root"
        );
        assert_eq!(
            super::policy("aws", "/", "ReadOnlyAccess"),
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        );
    }
}
