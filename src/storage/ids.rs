//! AWS-shaped identifiers. Each kind of entity has its own newtype, so a user id can never be
//! passed where a role id is expected, and its own four-letter prefix, as in IAM.

use crate::clock::{random_string, Random};
use std::fmt;

/// Characters of IAM unique ids and access key ids after the prefix (upper-case base32).
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

macro_rules! entity_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $len:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id: the prefix, then upper-case base32 characters.
            pub fn generate(random: &dyn Random) -> Self {
                Self(format!("{}{}", $prefix, random_string(random, ID_ALPHABET, $len)))
            }

            /// Wraps an id read from the store or a request.
            pub fn from_stored(value: String) -> Self {
                Self(value)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }

            /// Whether `text` has this kind's shape (prefix, length, alphabet).
            pub fn is_well_formed(text: &str) -> bool {
                text.len() == $prefix.len() + $len
                    && text.starts_with($prefix)
                    && text[$prefix.len()..].bytes().all(|b| ID_ALPHABET.contains(&b))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

entity_id!(/// An IAM user's unique id (`AIDA...`).
    UserId, "AIDA", 17);
entity_id!(/// An IAM group's unique id (`AGPA...`).
    GroupId, "AGPA", 17);
entity_id!(/// An IAM role's unique id (`AROA...`).
    RoleId, "AROA", 17);
entity_id!(/// A managed policy's unique id (`ANPA...`).
    PolicyId, "ANPA", 17);
entity_id!(/// An instance profile's unique id (`AIPA...`).
    InstanceProfileId, "AIPA", 17);
entity_id!(/// A long-term access key id (`AKIA...`).
    AccessKeyId, "AKIA", 16);
// Temporary (`ASIA...`) key ids are never stored: they are a credential format, in
// `credentials/temporary.rs`.

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// The pseudo-account that owns AWS-managed policies (`arn:aws:iam::aws:policy/...`).
    pub const AWS: &'static str = "aws";

    pub fn generate(random: &dyn Random) -> Self {
        Self(random_string(random, b"0123456789", 12))
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn is_well_formed(text: &str) -> bool {
        text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An id that sorts by time: the milliseconds since the epoch (12 hex digits), then 16 random
/// bytes. Rows written in time order (audit events) then append to their primary-key index
/// instead of landing on random pages of it.
pub fn time_ordered_id(unix_millis: i64, random: &dyn Random) -> String {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    format!(
        "{:012x}{}",
        unix_millis.clamp(0, 0xffff_ffff_ffff),
        data_encoding::HEXLOWER.encode(&bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn ids_have_aws_shapes() {
        let r = SeededRandom::new(3);
        let user = UserId::generate(&r);
        assert!(user.as_str().starts_with("AIDA") && user.as_str().len() == 21);
        assert!(UserId::is_well_formed(user.as_str()));
        let key = AccessKeyId::generate(&r);
        assert!(key.as_str().starts_with("AKIA") && key.as_str().len() == 20);
        assert!(AccessKeyId::is_well_formed(key.as_str()));
        assert!(!AccessKeyId::is_well_formed("AKIAlowercase1234567"));
        assert!(!AccessKeyId::is_well_formed(user.as_str()));
        let early = time_ordered_id(1_000, &r);
        let late = time_ordered_id(2_000, &r);
        assert!(early < late && early.len() == 44, "{early} {late}");
        for id in [
            GroupId::generate(&r).into_string(),
            RoleId::generate(&r).into_string(),
            PolicyId::generate(&r).into_string(),
            InstanceProfileId::generate(&r).into_string(),
        ] {
            assert_eq!(id.len(), 21);
        }
        let account = AccountId::generate(&r);
        assert!(AccountId::is_well_formed(account.as_str()));
    }
}
