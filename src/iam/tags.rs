//! Tags on IAM resources: at most 50 per resource, keys unique ignoring case (IAM's rules).

use super::call::Call;
use super::IamError;
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
    fn as_str(self) -> &'static str {
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
pub enum TagChange<'a> {
    Add(&'a [Tag]),
    Remove(&'a [String]),
}

/// Applies `change` to the entity `resolve` finds (by name, inside the transaction) and audits
/// it as `event` with the entity parameter `(parameter, name)`.
pub fn change_tags(
    ctx: &ServiceContext,
    call: &Call,
    kind: Taggable,
    (parameter, name): (&str, &str),
    event: &str,
    resolve: impl FnOnce(&mut DbConnection) -> Result<String, IamError>,
    change: TagChange<'_>,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let id = resolve(conn)?;
        let keys: Vec<&str> = match change {
            TagChange::Add(new) => {
                set(
                    conn,
                    &call.account_id,
                    kind,
                    &id,
                    new,
                    ctx.limits.tags_per_resource,
                )?;
                new.iter().map(|t| t.key.as_str()).collect()
            }
            TagChange::Remove(keys) => {
                remove(conn, kind, &id, keys)?;
                keys.iter().map(String::as_str).collect()
            }
        };
        let mut parameters = serde_json::Map::new();
        parameters.insert(parameter.to_string(), name.into());
        parameters.insert("tagKeys".to_string(), keys.into());
        call.audit(ctx, conn, event, serde_json::Value::Object(parameters))?;
        Ok(())
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
