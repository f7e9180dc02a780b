//! The account password policy and the check every new password goes through. Pure.

/// An account's password policy (IAM `PasswordPolicy`). Without one, IAM's default applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    /// Days a password stays valid; `None`: forever.
    pub max_age_days: Option<u32>,
    /// How many earlier passwords may not be reused; `None`: no rule.
    pub reuse_prevention: Option<u32>,
    /// When a password has expired, only an administrator can set a new one.
    pub hard_expiry: bool,
}

/// The symbols IAM counts as non-alphanumeric characters.
pub const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// IAM's bounds for the policy's numbers.
pub const MIN_LENGTH_RANGE: std::ops::RangeInclusive<u32> = 6..=128;
pub const MAX_AGE_RANGE: std::ops::RangeInclusive<u32> = 1..=1095;
pub const REUSE_RANGE: std::ops::RangeInclusive<u32> = 1..=24;

/// Which policy applies: the account's own, or IAM's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicable {
    Account(PasswordPolicy),
    /// IAM's default: at least 8 characters, at least three of the four character classes, and
    /// not the user name.
    Default,
}

/// Why a password is refused; the messages are what IAM's `PasswordPolicyViolation` says.
pub fn violations(policy: &Applicable, password: &str, user_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let length = password.chars().count();
    let has_upper = password.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = password.chars().any(|c| c.is_ascii_lowercase());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    let has_symbol = password.chars().any(|c| SYMBOLS.contains(c));
    if password.eq_ignore_ascii_case(user_name) {
        out.push("Password must not be the same as the user name.".to_string());
    }
    if length > 128 {
        out.push("Password should have at most 128 characters.".to_string());
    }
    match policy {
        Applicable::Default => {
            if length < 8 {
                out.push("Password should have at least 8 characters.".to_string());
            }
            let classes = [has_upper, has_lower, has_digit, has_symbol]
                .iter()
                .filter(|b| **b)
                .count();
            if classes < 3 {
                out.push(
                    "Password should include at least three of: upper case letters, lower case \
                     letters, numbers, symbols."
                        .to_string(),
                );
            }
        }
        Applicable::Account(p) => {
            if length < p.minimum_length as usize {
                out.push(format!(
                    "Password should have at least {} characters.",
                    p.minimum_length
                ));
            }
            let rules = [
                (p.require_uppercase, has_upper, "one uppercase letter"),
                (p.require_lowercase, has_lower, "one lowercase letter"),
                (p.require_numbers, has_digit, "one number"),
                (p.require_symbols, has_symbol, "one symbol"),
            ];
            for (required, present, what) in rules {
                if required && !present {
                    out.push(format!("Password should have at least {what}."));
                }
            }
        }
    }
    out
}

/// The rules of a policy in one sentence, for the change-password page.
pub fn describe(policy: &Applicable) -> String {
    match policy {
        Applicable::Default => {
            "Passwords need at least 8 characters with at least three of: upper \
             case letters, lower case letters, numbers, symbols; not the user name."
                .to_string()
        }
        Applicable::Account(p) => {
            let mut needs: Vec<&str> = Vec::new();
            for (required, what) in [
                (p.require_uppercase, "an uppercase letter"),
                (p.require_lowercase, "a lowercase letter"),
                (p.require_numbers, "a number"),
                (p.require_symbols, "a symbol"),
            ] {
                if required {
                    needs.push(what);
                }
            }
            let mut text = format!("Passwords need at least {} characters", p.minimum_length);
            if !needs.is_empty() {
                text.push_str(" including ");
                text.push_str(&needs.join(", "));
            }
            text.push('.');
            if let Some(n) = p.reuse_prevention {
                text.push_str(&format!(" The last {n} passwords cannot be reused."));
            }
            text
        }
    }
}

/// How `new` would relax the rules `in_force`: each rule under which it accepts a password
/// (or keeps one longer, or lets one be reused sooner) that the rules in force refuse. Empty
/// when `new` is at least as strict. Against IAM's default ("any three of four classes"), a
/// policy is weaker when it is shorter or names fewer than three classes.
pub fn weakened(in_force: &Applicable, new: &PasswordPolicy) -> Vec<String> {
    let mut out = Vec::new();
    let classes = [
        (new.require_uppercase, "uppercase letters"),
        (new.require_lowercase, "lowercase letters"),
        (new.require_numbers, "numbers"),
        (new.require_symbols, "symbols"),
    ];
    match in_force {
        Applicable::Default => {
            if new.minimum_length < 8 {
                out.push(format!(
                    "it allows {} characters where 8 are needed now",
                    new.minimum_length
                ));
            }
            let required = classes.iter().filter(|(on, _)| *on).count();
            if required < 3 {
                out.push(format!(
                    "it requires {required} of the four character classes where any three are                      needed now"
                ));
            }
        }
        Applicable::Account(old) => {
            if new.minimum_length < old.minimum_length {
                out.push(format!(
                    "it allows {} characters where {} are needed now",
                    new.minimum_length, old.minimum_length
                ));
            }
            let before = [
                old.require_uppercase,
                old.require_lowercase,
                old.require_numbers,
                old.require_symbols,
            ];
            for ((now, what), was) in classes.iter().zip(before) {
                if was && !now {
                    out.push(format!("it no longer requires {what}"));
                }
            }
            match (old.max_age_days, new.max_age_days) {
                (Some(was), None) => {
                    out.push(format!("passwords no longer expire (now after {was} days)"))
                }
                (Some(was), Some(now)) if now > was => out.push(format!(
                    "passwords expire after {now} days instead of {was}"
                )),
                _ => {}
            }
            match (old.reuse_prevention, new.reuse_prevention) {
                (Some(was), None) => out.push(format!(
                    "earlier passwords may be reused (now the last {was} may not)"
                )),
                (Some(was), Some(now)) if now < was => out.push(format!(
                    "only the last {now} passwords are kept from reuse instead of {was}"
                )),
                _ => {}
            }
            if old.hard_expiry && !new.hard_expiry {
                out.push("users may renew an expired password themselves".to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_every_rule() {
        let text = describe(&Applicable::Account(strict()));
        assert_eq!(
            text,
            "Passwords need at least 12 characters including an uppercase letter, a lowercase \
             letter, a number, a symbol. The last 3 passwords cannot be reused."
        );
        assert!(describe(&Applicable::Default).contains("at least 8 characters"));
    }

    fn strict() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 12,
            require_symbols: true,
            require_numbers: true,
            require_uppercase: true,
            require_lowercase: true,
            allow_users_to_change: true,
            max_age_days: None,
            reuse_prevention: Some(3),
            hard_expiry: false,
        }
    }

    #[test]
    fn default_policy_wants_eight_characters_of_three_classes() {
        assert!(violations(&Applicable::Default, "Abcdefg1", "bob").is_empty());
        assert_eq!(violations(&Applicable::Default, "abcdefgh", "bob").len(), 1);
        assert_eq!(violations(&Applicable::Default, "Ab1", "bob").len(), 1);
        assert!(!violations(&Applicable::Default, "Bob", "bob").is_empty());
    }

    #[test]
    fn account_policy_checks_each_rule() {
        let p = Applicable::Account(strict());
        assert!(violations(&p, "Correct-Horse-9", "bob").is_empty());
        let v = violations(&p, "short", "bob");
        assert!(v.iter().any(|m| m.contains("at least 12 characters")));
        assert!(v.iter().any(|m| m.contains("uppercase")));
        assert!(v.iter().any(|m| m.contains("number")));
        assert!(v.iter().any(|m| m.contains("symbol")));
        assert!(!v.iter().any(|m| m.contains("lowercase")));
    }

    #[test]
    fn a_policy_weaker_than_the_rules_in_force_says_how() {
        let lax = PasswordPolicy {
            minimum_length: 8,
            require_symbols: false,
            require_numbers: false,
            require_uppercase: false,
            require_lowercase: false,
            allow_users_to_change: true,
            max_age_days: None,
            reuse_prevention: None,
            hard_expiry: false,
        };
        // The untouched form of old: every box unticked, against IAM's default.
        let default_vs_lax = weakened(&Applicable::Default, &lax);
        assert_eq!(default_vs_lax.len(), 1, "{default_vs_lax:?}");
        assert!(default_vs_lax[0].contains("0 of the four"));
        let three = PasswordPolicy {
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            ..lax.clone()
        };
        assert!(weakened(&Applicable::Default, &three).is_empty());
        let short = PasswordPolicy {
            minimum_length: 6,
            ..three.clone()
        };
        assert!(weakened(&Applicable::Default, &short)[0].contains("6 characters"));
        // Against an account's own policy, each relaxed rule is named; stricter is fine.
        let in_force = Applicable::Account(strict());
        assert!(weakened(&in_force, &strict()).is_empty());
        let relaxed = weakened(&in_force, &three);
        assert!(
            relaxed
                .iter()
                .any(|r| r.contains("no longer requires symbols")),
            "{relaxed:?}"
        );
        assert!(
            relaxed.iter().any(|r| r.contains("may be reused")),
            "{relaxed:?}"
        );
        assert!(
            relaxed.iter().any(|r| r.contains("8 characters where 12")),
            "{relaxed:?}"
        );
        let stricter = PasswordPolicy {
            minimum_length: 30,
            ..strict()
        };
        assert!(weakened(&in_force, &stricter).is_empty());
    }
}
