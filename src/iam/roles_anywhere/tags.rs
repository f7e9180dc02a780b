//! Tags on trust anchors, profiles and CRLs: at most 50 per resource, keys of 1 to 128 and
//! values of 0 to 256 characters of `[ a-zA-Z0-9_.:/=+@-]`, none starting with `aws:` (the
//! API's `TagKey`/`TagValue` and AWS's tagging rules). They live in the shared `tags` table
//! under the kinds of [`Kind`]; a key given again (ignoring case) replaces its value.

use super::{invalid, Kind, Scope};
use crate::audit::EventSource;
use crate::context::ServiceContext;
use crate::iam::{Call, IamError};
use crate::storage::schema::{ra_crls, ra_profiles, ra_trust_anchors, tags};
use crate::storage::DbConnection;
use diesel::prelude::*;
use serde_json::json;

/// The most tags one resource carries.
pub const MAX_TAGS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

fn tag_text(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || " _.:/=+@-".contains(c))
}

/// Each tag's key and value well-formed, no key twice.
pub fn check(given: &[Tag]) -> Result<(), IamError> {
    for tag in given {
        if !(1..=128).contains(&tag.key.len()) || !tag_text(&tag.key) {
            return Err(invalid(
                "A tag key must be 1 to 128 characters of letters, digits, spaces and _.:/=+@-",
            ));
        }
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid("Tag keys starting with aws: are reserved."));
        }
        if tag.value.len() > 256 || !tag_text(&tag.value) {
            return Err(invalid(
                "A tag value must be 0 to 256 characters of letters, digits, spaces and _.:/=+@-",
            ));
        }
    }
    let mut keys: Vec<String> = given.iter().map(|t| t.key.to_lowercase()).collect();
    keys.sort();
    keys.dedup();
    if keys.len() != given.len() {
        return Err(invalid("A tag key is given twice."));
    }
    Ok(())
}

fn too_many() -> IamError {
    IamError::LimitExceeded(format!("A resource can have at most {MAX_TAGS} tags."))
}

/// Adds `given` to the tags of a resource (checked already), in the caller's transaction.
pub(super) fn add(
    conn: &mut DbConnection,
    account_id: &str,
    kind: Kind,
    id: &str,
    given: &[Tag],
) -> Result<(), IamError> {
    let lowered: Vec<String> = given.iter().map(|t| t.key.to_lowercase()).collect();
    let stored = of(conn, kind, id)?;
    let kept = stored
        .iter()
        .filter(|t| !lowered.contains(&t.key.to_lowercase()))
        .count();
    if kept + given.len() > MAX_TAGS {
        return Err(too_many());
    }
    let replaced: Vec<&String> = stored
        .iter()
        .filter(|t| lowered.contains(&t.key.to_lowercase()))
        .map(|t| &t.key)
        .collect();
    diesel::delete(
        tags::table
            .filter(tags::resource_kind.eq(kind.tag_kind()))
            .filter(tags::resource_id.eq(id))
            .filter(tags::tag_key.eq_any(replaced)),
    )
    .execute(conn)?;
    for tag in given {
        diesel::insert_into(tags::table)
            .values((
                tags::account_id.eq(account_id),
                tags::resource_kind.eq(kind.tag_kind()),
                tags::resource_id.eq(id),
                tags::tag_key.eq(&tag.key),
                tags::tag_value.eq(&tag.value),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The tags of a resource, by key.
pub(super) fn of(conn: &mut DbConnection, kind: Kind, id: &str) -> Result<Vec<Tag>, IamError> {
    let rows: Vec<(String, String)> = tags::table
        .filter(tags::resource_kind.eq(kind.tag_kind()))
        .filter(tags::resource_id.eq(id))
        .order(tags::tag_key.asc())
        .select((tags::tag_key, tags::tag_value))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect())
}

/// Removes every tag of a resource (it is deleted).
pub(super) fn remove_all(conn: &mut DbConnection, kind: Kind, id: &str) -> Result<(), IamError> {
    diesel::delete(
        tags::table
            .filter(tags::resource_kind.eq(kind.tag_kind()))
            .filter(tags::resource_id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Whether the resource exists in the account.
fn exists(
    conn: &mut DbConnection,
    account_id: &str,
    kind: Kind,
    id: &str,
) -> Result<bool, IamError> {
    let count: i64 = match kind {
        Kind::TrustAnchor => ra_trust_anchors::table
            .filter(ra_trust_anchors::id.eq(id))
            .filter(ra_trust_anchors::account_id.eq(account_id))
            .count()
            .get_result(conn)?,
        Kind::Profile => ra_profiles::table
            .filter(ra_profiles::id.eq(id))
            .filter(ra_profiles::account_id.eq(account_id))
            .count()
            .get_result(conn)?,
        Kind::Crl => ra_crls::table
            .filter(ra_crls::id.eq(id))
            .filter(ra_crls::account_id.eq(account_id))
            .count()
            .get_result(conn)?,
    };
    Ok(count > 0)
}

fn existing(
    conn: &mut DbConnection,
    account_id: &str,
    kind: Kind,
    id: &str,
    arn: &str,
) -> Result<(), IamError> {
    if exists(conn, account_id, kind, id)? {
        Ok(())
    } else {
        Err(super::not_found(kind, arn))
    }
}

/// TagResource: adds or replaces tags of the resource `arn`.
pub fn tag(
    ctx: &ServiceContext,
    call: &Call,
    scope: Scope<'_>,
    arn: &str,
    given: &[Tag],
) -> Result<(), IamError> {
    let (kind, id) = scope.identify_any(arn)?;
    check(given)?;
    ctx.change(|conn| {
        existing(conn, &call.account_id, kind, &id, arn)?;
        add(conn, &call.account_id, kind, &id, given)?;
        let keys: Vec<&str> = given.iter().map(|t| t.key.as_str()).collect();
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "TagResource",
            json!({ "resourceArn": arn, "tagKeys": keys }),
        )?;
        Ok(())
    })
}

/// UntagResource: removes the tags of `keys` (exact keys; ones absent are ignored).
pub fn untag(
    ctx: &ServiceContext,
    call: &Call,
    scope: Scope<'_>,
    arn: &str,
    keys: &[String],
) -> Result<(), IamError> {
    let (kind, id) = scope.identify_any(arn)?;
    ctx.change(|conn| {
        existing(conn, &call.account_id, kind, &id, arn)?;
        diesel::delete(
            tags::table
                .filter(tags::resource_kind.eq(kind.tag_kind()))
                .filter(tags::resource_id.eq(&id))
                .filter(tags::tag_key.eq_any(keys)),
        )
        .execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::RolesAnywhere,
            "UntagResource",
            json!({ "resourceArn": arn, "tagKeys": keys }),
        )?;
        Ok(())
    })
}

/// ListTagsForResource.
pub fn list(ctx: &ServiceContext, scope: Scope<'_>, arn: &str) -> Result<Vec<Tag>, IamError> {
    let (kind, id) = scope.identify_any(arn)?;
    ctx.store.read(|conn| {
        existing(conn, scope.account_id, kind, &id, arn)?;
        of(conn, kind, &id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn tags_follow_the_apis_rules() {
        assert!(check(&[tag("team", "red"), tag("a:b/c=d+e@f-g.h", "")]).is_ok());
        assert!(check(&[tag("", "x")]).is_err());
        assert!(check(&[tag("aws:owner", "x")]).is_err());
        assert!(check(&[tag("k", "no#hash")]).is_err());
        assert!(check(&[tag("Team", "a"), tag("team", "b")]).is_err());
        assert!(check(&[tag(&"k".repeat(129), "v")]).is_err());
    }
}
