//! Tags on IAM resources: at most 50 per resource, keys unique ignoring case (IAM's rules).

use super::call::Call;
use super::page::{Page, PageRequest};
use super::{instance_profiles, mfa, oidc_providers, policies, roles, users, IamError};
use crate::context::ServiceContext;
use crate::storage::schema::tags;
use crate::storage::{DbConnection, StorageError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The kinds of resources that carry tags, as stored.
#[derive(Debug, Clone, Copy)]
pub enum Taggable {
    User,
    Role,
    Policy,
    InstanceProfile,
    OidcProvider,
    Mfa,
}

impl Taggable {
    /// Every kind, in the order the API families list them.
    pub const ALL: [Taggable; 6] = [
        Self::User,
        Self::Role,
        Self::Policy,
        Self::InstanceProfile,
        Self::OidcProvider,
        Self::Mfa,
    ];

    /// The noun in IAM's action names: `TagUser`, `UntagPolicy`, `ListMFADeviceTags`.
    pub fn noun(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Role => "Role",
            Self::Policy => "Policy",
            Self::InstanceProfile => "InstanceProfile",
            Self::OidcProvider => "OpenIDConnectProvider",
            Self::Mfa => "MFADevice",
        }
    }

    /// The request parameter that names the entity in those actions.
    pub fn parameter(self) -> &'static str {
        match self {
            Self::User => "UserName",
            Self::Role => "RoleName",
            Self::Policy => "PolicyArn",
            Self::InstanceProfile => "InstanceProfileName",
            Self::OidcProvider => "OpenIDConnectProviderArn",
            Self::Mfa => "SerialNumber",
        }
    }

    /// The parameter as audit events spell it (`userName`, `policyArn`, ...).
    fn audit_parameter(self) -> String {
        let p = self.parameter();
        let mut chars = p.chars();
        chars
            .next()
            .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
            .unwrap_or_default()
    }

    /// The stored id of the entity named `name` in the account; `change` refuses entities
    /// the account may not change (AWS managed policies).
    fn resolve(
        self,
        conn: &mut DbConnection,
        account_id: &str,
        name: &str,
        change: bool,
    ) -> Result<String, IamError> {
        Ok(match self {
            Self::User => users::find(conn, account_id, name)?.id,
            Self::Role => roles::find(conn, account_id, name)?.id,
            Self::Policy if change => policies::find_own(conn, account_id, name)?.id,
            Self::Policy => policies::find(conn, account_id, name)?.id,
            Self::InstanceProfile => instance_profiles::find(conn, account_id, name)?.id,
            Self::OidcProvider => oidc_providers::find(conn, account_id, name)?.arn,
            Self::Mfa => mfa::find_virtual(conn, account_id, name)?,
        })
    }

    /// The kind as stored in `tags.resource_kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Role => "role",
            Self::Policy => "policy",
            Self::InstanceProfile => "instance-profile",
            Self::OidcProvider => "oidc-provider",
            Self::Mfa => "mfa",
        }
    }
}

fn tag_chars_ok(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// Checks keys and values (IAM: key 1-128, value 0-256 characters of letters, digits, spaces
/// and `_.:/=+-@`; no key twice ignoring case; keys starting `aws:` are reserved).
pub fn check(new: &[Tag], max: usize) -> Result<(), IamError> {
    if new.len() > max {
        return Err(IamError::LimitExceeded(format!(
            "The number of tags has reached the maximum limit of {max}."
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for tag in new {
        let key_len = tag.key.chars().count();
        if !(1..=128).contains(&key_len) || !tag_chars_ok(&tag.key) {
            return Err(IamError::Validation(format!(
                "1 validation error detected: Value at 'tags.member.key' failed to satisfy \
                 constraint: Member must satisfy regular expression pattern: \
                 [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]+ and length 1-128 ('{}')",
                tag.key
            )));
        }
        if tag.value.chars().count() > 256 || !tag_chars_ok(&tag.value) {
            return Err(IamError::Validation(format!(
                "1 validation error detected: Value at 'tags.member.value' failed to satisfy \
                 constraint for key '{}'",
                tag.key
            )));
        }
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(IamError::InvalidInput(
                "Tag keys starting with 'aws:' are reserved for AWS use.".to_string(),
            ));
        }
        if !seen.insert(tag.key.to_lowercase()) {
            return Err(IamError::InvalidInput(format!(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive: {}",
                tag.key
            )));
        }
    }
    Ok(())
}

pub fn list(
    conn: &mut DbConnection,
    kind: Taggable,
    resource_id: &str,
) -> Result<Vec<Tag>, StorageError> {
    Ok(tags::table
        .filter(tags::resource_kind.eq(kind.as_str()))
        .filter(tags::resource_id.eq(resource_id))
        .order(tags::tag_key.asc())
        .select((tags::tag_key, tags::tag_value))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect())
}

/// Adds or overwrites tags (a key that differs only in case replaces the old one), keeping the
/// total within `max`.
pub fn set(
    conn: &mut DbConnection,
    account_id: &str,
    kind: Taggable,
    resource_id: &str,
    new: &[Tag],
    max: usize,
) -> Result<(), IamError> {
    check(new, max)?;
    let existing = list(conn, kind, resource_id)?;
    let replaced: Vec<&Tag> = existing
        .iter()
        .filter(|old| {
            new.iter()
                .any(|n| n.key.to_lowercase() == old.key.to_lowercase())
        })
        .collect();
    if existing.len() - replaced.len() + new.len() > max {
        return Err(IamError::LimitExceeded(format!(
            "The number of tags has reached the maximum limit of {max}."
        )));
    }
    for old in replaced {
        remove_one(conn, kind, resource_id, &old.key)?;
    }
    for tag in new {
        diesel::insert_into(tags::table)
            .values((
                tags::account_id.eq(account_id),
                tags::resource_kind.eq(kind.as_str()),
                tags::resource_id.eq(resource_id),
                tags::tag_key.eq(&tag.key),
                tags::tag_value.eq(&tag.value),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn remove_one(
    conn: &mut DbConnection,
    kind: Taggable,
    resource_id: &str,
    key: &str,
) -> Result<(), StorageError> {
    diesel::delete(
        tags::table
            .filter(tags::resource_kind.eq(kind.as_str()))
            .filter(tags::resource_id.eq(resource_id))
            .filter(tags::tag_key.eq(key)),
    )
    .execute(conn)?;
    Ok(())
}

/// Removes the tags with these keys (exact keys, as IAM's UntagX does); absent keys are fine.
pub fn remove(
    conn: &mut DbConnection,
    kind: Taggable,
    resource_id: &str,
    keys: &[String],
) -> Result<(), StorageError> {
    for key in keys {
        remove_one(conn, kind, resource_id, key)?;
    }
    Ok(())
}

/// Removes every tag of a resource (when it is deleted).
pub fn remove_all(
    conn: &mut DbConnection,
    kind: Taggable,
    resource_id: &str,
) -> Result<(), StorageError> {
    diesel::delete(
        tags::table
            .filter(tags::resource_kind.eq(kind.as_str()))
            .filter(tags::resource_id.eq(resource_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// A change to an entity's tags, as TagX and UntagX ask for it.
enum TagChange<'a> {
    Add(&'a [Tag]),
    Remove(&'a [String]),
}

/// Adds or overwrites tags on the entity `name` (a name, or an ARN or serial number for the
/// kinds IAM names that way), as `Tag{noun}` does.
pub fn tag(
    ctx: &ServiceContext,
    call: &Call,
    kind: Taggable,
    name: &str,
    new: &[Tag],
) -> Result<(), IamError> {
    change_tags(ctx, call, kind, name, TagChange::Add(new))
}

/// Removes the tags with these keys, as `Untag{noun}` does (at most 50 keys; absent keys are
/// fine).
pub fn untag(
    ctx: &ServiceContext,
    call: &Call,
    kind: Taggable,
    name: &str,
    keys: &[String],
) -> Result<(), IamError> {
    if keys.len() > MAX_TAG_KEYS_PER_CALL {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: \
             Member must have length less than or equal to {MAX_TAG_KEYS_PER_CALL}"
        )));
    }
    change_tags(ctx, call, kind, name, TagChange::Remove(keys))
}

/// IAM's limit on the keys one UntagX call may name.
const MAX_TAG_KEYS_PER_CALL: usize = 50;

fn change_tags(
    ctx: &ServiceContext,
    call: &Call,
    kind: Taggable,
    name: &str,
    change: TagChange<'_>,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let id = kind.resolve(conn, &call.account_id, name, true)?;
        let (event, keys): (String, Vec<&str>) = match change {
            TagChange::Add(new) => {
                set(
                    conn,
                    &call.account_id,
                    kind,
                    &id,
                    new,
                    ctx.limits.tags_per_resource,
                )?;
                (
                    format!("Tag{}", kind.noun()),
                    new.iter().map(|t| t.key.as_str()).collect(),
                )
            }
            TagChange::Remove(keys) => {
                remove(conn, kind, &id, keys)?;
                (
                    format!("Untag{}", kind.noun()),
                    keys.iter().map(String::as_str).collect(),
                )
            }
        };
        let mut parameters = serde_json::Map::new();
        parameters.insert(kind.audit_parameter(), name.into());
        parameters.insert("tagKeys".to_string(), keys.into());
        call.audit(ctx, conn, &event, serde_json::Value::Object(parameters))?;
        Ok(())
    })
}

/// One page of the entity's tags in key order, as `List{noun}Tags` returns them.
pub fn list_page(
    ctx: &ServiceContext,
    account_id: &str,
    kind: Taggable,
    name: &str,
    page: &PageRequest,
) -> Result<Page<Tag>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let id = kind.resolve(conn, account_id, name, false)?;
        let mut query = tags::table
            .filter(tags::resource_kind.eq(kind.as_str()))
            .filter(tags::resource_id.eq(&id))
            .order(tags::tag_key.asc())
            .select((tags::tag_key, tags::tag_value))
            .limit(limit + 1)
            .into_boxed();
        if let Some(after) = &after {
            query = query.filter(tags::tag_key.gt(after.clone()));
        }
        let rows = query
            .load::<(String, String)>(conn)?
            .into_iter()
            .map(|(key, value)| Tag { key, value })
            .collect();
        Ok(Page::from_rows(rows, limit, |t: &Tag| t.key.clone()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn tag_rules() {
        assert!(check(&[t("team", "blue"), t("cost-center", "")], 50).is_ok());
        assert!(check(&[t("", "x")], 50).is_err());
        assert!(check(&[t("a", "b"), t("A", "c")], 50).is_err());
        assert!(check(&[t("aws:x", "y")], 50).is_err());
        assert!(check(&[t("k", "v<")], 50).is_err());
        assert!(check(&[t("a", ""), t("b", "")], 1).is_err());
    }
}
