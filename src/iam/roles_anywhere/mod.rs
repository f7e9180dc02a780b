//! Certificate trust as IAM Roles Anywhere defines it: machines that hold no access key prove
//! who they are with an X.509 certificate, and get role credentials (its `CreateSession`, to
//! come, on the one federation path). Here are the account's resources that decide it:
//!
//! ```text
//! trust anchor (a CA bundle, PEM; enabled?)  <── crl (DER, signed by one of its CAs; enabled?)
//! profile (roles it may hand out, session policy, managed policies, duration,
//!          requireInstanceProperties, acceptRoleSessionName; enabled?)
//! ```
//!
//! Each has a UUID and an ARN, `arn:aws:rolesanywhere:<region>:<account>:trust-anchor/<id>`
//! (`profile/`, `crl/`), and up to 50 tags. Names need not be unique (AWS's rule). Every change
//! is audited (`rolesanywhere.amazonaws.com`).

pub mod certificates;
pub mod crls;
pub mod profiles;
pub mod tags;
pub mod trust_anchors;

use super::IamError;
use crate::storage::StorageError;
use chrono::NaiveDateTime;

/// The kinds of the service's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    TrustAnchor,
    Profile,
    Crl,
}

impl Kind {
    /// The resource type in ARNs: `trust-anchor`, `profile`, `crl`.
    pub fn arn_type(self) -> &'static str {
        match self {
            Self::TrustAnchor => "trust-anchor",
            Self::Profile => "profile",
            Self::Crl => "crl",
        }
    }

    /// What messages call it.
    pub fn noun(self) -> &'static str {
        match self {
            Self::TrustAnchor => "Trust anchor",
            Self::Profile => "Profile",
            Self::Crl => "CRL",
        }
    }

    /// Its tags' kind in the shared `tags` table.
    fn tag_kind(self) -> &'static str {
        match self {
            Self::TrustAnchor => "ra-trust-anchor",
            Self::Profile => "ra-profile",
            Self::Crl => "ra-crl",
        }
    }
}

/// Where resources live: the account, and the region in their ARNs.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
}

impl Scope<'_> {
    /// `arn:aws:rolesanywhere:<region>:<account>:<type>/<id>`.
    pub fn arn(&self, kind: Kind, id: &str) -> String {
        format!(
            "arn:aws:rolesanywhere:{}:{}:{}/{id}",
            self.region,
            self.account_id,
            kind.arn_type()
        )
    }

    /// The id of a resource named as the API takes it: its UUID, or its ARN in this account and
    /// region. A malformed one is a validation error; one of elsewhere is not found.
    pub fn identify(&self, kind: Kind, text: &str) -> Result<String, IamError> {
        if is_uuid(text) {
            return Ok(text.to_string());
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let id = match parts.as_slice() {
            ["arn", partition, "rolesanywhere", region, account, resource]
                if partition.starts_with("aws") =>
            {
                let id = resource
                    .strip_prefix(kind.arn_type())
                    .and_then(|r| r.strip_prefix('/'))
                    .filter(|id| is_uuid(id))
                    .ok_or_else(|| malformed(kind, text))?;
                if *region != self.region || *account != self.account_id {
                    return Err(not_found(kind, text));
                }
                id
            }
            _ => return Err(malformed(kind, text)),
        };
        Ok(id.to_string())
    }

    /// The kind and id of any of the service's resources, by ARN (tagging takes any).
    pub fn identify_any(&self, arn: &str) -> Result<(Kind, String), IamError> {
        let kind = [Kind::TrustAnchor, Kind::Profile, Kind::Crl]
            .into_iter()
            .find(|kind| arn.contains(&format!(":{}/", kind.arn_type())))
            .ok_or_else(|| {
                IamError::Validation(format!(
                    "The resource ARN {arn} is not a trust anchor, profile or CRL."
                ))
            })?;
        Ok((kind, self.identify(kind, arn)?))
    }
}

/// A UUID as AWS writes them: 8-4-4-4-12 lower-case hex digits.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// A new resource id: a random (version 4) UUID from the context's randomness.
fn new_id(random: &dyn crate::clock::Random) -> String {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A page of at most `size` from rows loaded with a limit of `size + 1`: the page, converted,
/// and whether more follow.
fn page<R, T>(
    mut rows: Vec<R>,
    size: i64,
    convert: impl Fn(R) -> Result<T, IamError>,
) -> Result<(Vec<T>, bool), IamError> {
    let size = usize::try_from(size).unwrap_or(0);
    let more = rows.len() > size;
    rows.truncate(size);
    let page: Result<Vec<T>, IamError> = rows.into_iter().map(convert).collect();
    Ok((page?, more))
}

fn malformed(kind: Kind, text: &str) -> IamError {
    IamError::Validation(format!(
        "{text} is not a {} id (a UUID) or ARN.",
        kind.noun().to_lowercase()
    ))
}

pub(crate) fn not_found(kind: Kind, id: &str) -> IamError {
    IamError::NoSuchEntity(format!("{} {id} not found.", kind.noun()))
}

fn invalid(text: impl Into<String>) -> IamError {
    IamError::Validation(text.into())
}

fn corrupt(e: impl ToString) -> IamError {
    IamError::Storage(StorageError::Corrupt(e.to_string()))
}

/// A resource name: 1 to 255 of letters, digits, space, `-` and `_` (the API's `ResourceName`).
pub fn check_name(name: &str) -> Result<(), IamError> {
    let fine = (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_".contains(c));
    if fine {
        Ok(())
    } else {
        Err(invalid(
            "1 validation error detected: Value at 'name' failed to satisfy constraint: Member \
             must have length between 1 and 255 and match pattern [ a-zA-Z0-9-_]*",
        ))
    }
}

/// Whether a resource is enabled: the flag every resource of the service carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    Enable,
    Disable,
}

impl Switch {
    pub fn enabled(self) -> bool {
        self == Self::Enable
    }

    /// The action's verb: `Enable`, `Disable`.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Enable => "Enable",
            Self::Disable => "Disable",
        }
    }
}

/// The times every resource carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamps {
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_named_by_uuid_or_by_arn_in_their_scope() {
        let scope = Scope {
            account_id: "123456789012",
            region: "us-east-1",
        };
        let id = "0f3c1a52-9c1e-4a5b-8b0e-1d2c3b4a5f60";
        assert_eq!(scope.identify(Kind::Profile, id).ok().as_deref(), Some(id));
        let arn = scope.arn(Kind::TrustAnchor, id);
        assert_eq!(
            arn,
            format!("arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/{id}")
        );
        assert_eq!(
            scope.identify(Kind::TrustAnchor, &arn).ok().as_deref(),
            Some(id)
        );
        assert!(matches!(
            scope.identify(Kind::Profile, &arn),
            Err(IamError::Validation(_))
        ));
        let elsewhere = arn.replace("us-east-1", "eu-west-1");
        assert!(matches!(
            scope.identify(Kind::TrustAnchor, &elsewhere),
            Err(IamError::NoSuchEntity(_))
        ));
        assert!(matches!(
            scope.identify(Kind::Crl, "nope"),
            Err(IamError::Validation(_))
        ));
        assert_eq!(
            scope.identify_any(&arn).ok(),
            Some((Kind::TrustAnchor, id.to_string()))
        );
        assert!(!is_uuid("0F3C1A52-9C1E-4A5B-8B0E-1D2C3B4A5F60"));
    }

    #[test]
    fn names_follow_the_apis_pattern() {
        assert!(check_name("web servers_01-a").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name(&"a".repeat(256)).is_err());
        assert!(check_name("no/slash").is_err());
    }
}
