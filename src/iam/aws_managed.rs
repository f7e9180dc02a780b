//! The AWS-managed policies Keyward ships (owned by the pseudo-account `aws`), with the
//! documents AWS publishes for them. Seeded at every start: a missing policy is created, and a
//! policy whose document changed in a new Keyward release gets a new default version.
//!
//! One deliberate difference: `PowerUserAccess` also leaves out OpenID Connect client management
//! (`keyward:*OidcClient*`) and users' email addresses (`keyward:*UserEmail`). A client
//! registered without consent and with offline access acts for every user who signs in to it,
//! and whoever sets a user's verified address may be taken for that user by relying parties:
//! the power over identities that AWS keeps out of that policy by excluding `iam:*`.

use super::arn;
use super::policies::insert_version;
use crate::clock::Random;
use crate::storage::ids::{AccountId, PolicyId};
use crate::storage::models::{Account, ManagedPolicy};
use crate::storage::schema::{accounts, managed_policies, policy_versions};
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub struct AwsManagedPolicy {
    pub name: &'static str,
    pub description: &'static str,
    pub document: &'static str,
}

macro_rules! aws_policy {
    ($name:literal, $description:literal) => {
        AwsManagedPolicy {
            name: $name,
            description: $description,
            document: include_str!(concat!("aws_managed/", $name, ".json")),
        }
    };
}

pub const CATALOG: &[AwsManagedPolicy] = &[
    aws_policy!("AdministratorAccess", "Provides full access to AWS services and resources."),
    aws_policy!(
        "PowerUserAccess",
        "Provides full access to AWS services and resources, but does not allow management of Users and groups."
    ),
    aws_policy!("ReadOnlyAccess", "Provides read-only access to AWS services and resources."),
    aws_policy!("IAMFullAccess", "Provides full access to IAM via the AWS Management Console."),
    aws_policy!("IAMReadOnlyAccess", "Provides read only access to IAM via the AWS Management Console."),
    aws_policy!(
        "IAMUserChangePassword",
        "Provides the ability for an IAM user to change their own password."
    ),
    aws_policy!(
        "IAMUserSelfServiceAccess",
        "Keyward: lets IAM users manage their own password, access keys and MFA devices."
    ),
];

/// At most this many versions of a managed policy are kept (IAM's quota).
pub const MAX_POLICY_VERSIONS: usize = 5;

pub fn policy_arn(name: &str) -> String {
    arn::policy(AccountId::AWS, "/", name)
}

/// Creates or updates the catalog's policies; returns how many rows changed.
pub fn seed(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    random: &dyn Random,
) -> Result<usize, StorageError> {
    let aws_exists: i64 = accounts::table
        .filter(accounts::id.eq(AccountId::AWS))
        .count()
        .get_result(conn)?;
    if aws_exists == 0 {
        diesel::insert_into(accounts::table)
            .values(&Account {
                id: AccountId::AWS.to_string(),
                alias: None,
                created_at: now,
            })
            .execute(conn)?;
    }
    let mut changed = 0;
    for entry in CATALOG {
        changed += seed_one(conn, now, random, entry)?;
    }
    Ok(changed)
}

fn seed_one(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    random: &dyn Random,
    entry: &AwsManagedPolicy,
) -> Result<usize, StorageError> {
    let arn = policy_arn(entry.name);
    let existing: Option<ManagedPolicy> = managed_policies::table
        .filter(managed_policies::arn.eq(&arn))
        .select(ManagedPolicy::as_select())
        .first(conn)
        .optional()?;
    let Some(policy) = existing else {
        let id = PolicyId::generate(random).into_string();
        diesel::insert_into(managed_policies::table)
            .values(&ManagedPolicy {
                id: id.clone(),
                account_id: AccountId::AWS.to_string(),
                name: entry.name.to_string(),
                path: "/".to_string(),
                arn,
                description: Some(entry.description.to_string()),
                default_version_id: "v1".to_string(),
                next_version_number: 2,
                is_attachable: true,
                created_at: now,
                updated_at: now,
            })
            .execute(conn)?;
        insert_version(conn, &id, "v1", entry.document, now)?;
        return Ok(1);
    };
    let current: String = policy_versions::table
        .filter(policy_versions::policy_id.eq(&policy.id))
        .filter(policy_versions::version_id.eq(&policy.default_version_id))
        .select(policy_versions::document)
        .first(conn)?;
    if current == entry.document {
        return Ok(0);
    }
    let version_id = format!("v{}", policy.next_version_number);
    prune_oldest_version(conn, &policy)?;
    insert_version(conn, &policy.id, &version_id, entry.document, now)?;
    diesel::update(managed_policies::table.find(&policy.id))
        .set((
            managed_policies::default_version_id.eq(&version_id),
            managed_policies::next_version_number.eq(policy.next_version_number + 1),
            managed_policies::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(1)
}

/// Makes room for one more version by deleting the oldest non-default one at the quota.
fn prune_oldest_version(
    conn: &mut DbConnection,
    policy: &ManagedPolicy,
) -> Result<(), StorageError> {
    let versions: Vec<(String, NaiveDateTime)> = policy_versions::table
        .filter(policy_versions::policy_id.eq(&policy.id))
        .select((policy_versions::version_id, policy_versions::created_at))
        .order(policy_versions::created_at.asc())
        .load(conn)?;
    if versions.len() < MAX_POLICY_VERSIONS {
        return Ok(());
    }
    if let Some((oldest, _)) = versions
        .iter()
        .find(|(v, _)| *v != policy.default_version_id)
    {
        diesel::delete(policy_versions::table.find((&policy.id, oldest))).execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_document_is_json_with_statements() {
        for entry in CATALOG {
            let v: serde_json::Value = serde_json::from_str(entry.document)
                .unwrap_or_else(|e| panic!("{}: {e}", entry.name));
            assert_eq!(v["Version"], "2012-10-17", "{}", entry.name);
            assert!(v["Statement"].as_array().is_some_and(|s| !s.is_empty()));
        }
    }
}
