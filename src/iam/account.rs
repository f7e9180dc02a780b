//! Account-level IAM: the account alias (used in sign-in URLs) and the summary the console's
//! dashboard shows.

use super::call::Call;
use super::IamError;
use crate::context::ServiceContext;
use crate::storage::schema::{
    access_keys, accounts, groups, instance_profiles, login_profiles, managed_policies,
    mfa_devices, oidc_providers, policy_versions, roles, saml_providers, users,
};
use crate::storage::StorageError;
use diesel::prelude::*;
use serde_json::json;

/// IAM's alias rule: 3 to 63 lower-case letters, digits and hyphens, not starting or ending
/// with a hyphen, and not all digits (it would look like an account id).
pub fn check_alias(alias: &str) -> Result<(), IamError> {
    let ok = (3..=63).contains(&alias.len())
        && alias
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !alias.starts_with('-')
        && !alias.ends_with('-')
        && !alias.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(IamError::Validation(format!(
            "1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){{1,61}}[a-z0-9]$"
        )))
    }
}

pub fn create_alias(ctx: &ServiceContext, call: &Call, alias: &str) -> Result<(), IamError> {
    check_alias(alias)?;
    ctx.change(|conn| {
        diesel::update(accounts::table.find(&call.account_id))
            .set(accounts::alias.eq(alias))
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(|e| match e {
                StorageError::Conflict(_) => IamError::EntityAlreadyExists(format!(
                    "The account alias {alias} already exists."
                )),
                other => other.into(),
            })?;
        call.audit(
            ctx,
            conn,
            "CreateAccountAlias",
            json!({ "accountAlias": alias }),
        )?;
        Ok(())
    })
}

pub fn delete_alias(ctx: &ServiceContext, call: &Call, alias: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let removed = diesel::update(
            accounts::table
                .find(&call.account_id)
                .filter(accounts::alias.eq(alias)),
        )
        .set(accounts::alias.eq(None::<String>))
        .execute(conn)?;
        if removed == 0 {
            return Err(IamError::NoSuchEntity(format!(
                "The account alias {alias} cannot be found."
            )));
        }
        call.audit(
            ctx,
            conn,
            "DeleteAccountAlias",
            json!({ "accountAlias": alias }),
        )?;
        Ok(())
    })
}

pub fn aliases(ctx: &ServiceContext, account_id: &str) -> Result<Vec<String>, IamError> {
    ctx.store.read(|conn| {
        Ok(accounts::table
            .find(account_id)
            .select(accounts::alias)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten()
            .into_iter()
            .collect())
    })
}

/// `GetAccountSummary`'s map: usage counts and the quotas that bound them.
pub fn summary(
    ctx: &ServiceContext,
    account_id: &str,
) -> Result<Vec<(&'static str, i64)>, IamError> {
    let l = &ctx.limits;
    ctx.store.read(|conn| {
        let users_n: i64 = users::table
            .filter(users::account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let groups_n: i64 = groups::table
            .filter(groups::account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let roles_n: i64 = roles::table
            .filter(roles::account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let policies_n: i64 = managed_policies::table
            .filter(managed_policies::account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let versions_n: i64 = policy_versions::table
            .inner_join(managed_policies::table)
            .filter(managed_policies::account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let profiles_n: i64 = instance_profiles::table
            .filter(instance_profiles::account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let providers_n: i64 = oidc_providers::table
            .filter(oidc_providers::account_id.eq(account_id))
            .count()
            .get_result::<i64>(conn)?
            + saml_providers::table
                .filter(saml_providers::account_id.eq(account_id))
                .count()
                .get_result::<i64>(conn)?;
        let mfa_n: i64 = mfa_devices::table
            .filter(mfa_devices::account_id.eq(account_id))
            .filter(mfa_devices::external_provider.is_null())
            .count()
            .get_result(conn)?;
        let mfa_in_use: i64 = mfa_devices::table
            .filter(mfa_devices::account_id.eq(account_id))
            .filter(mfa_devices::external_provider.is_null())
            .filter(mfa_devices::enabled.eq(true))
            .count()
            .get_result(conn)?;
        let root_mfa: i64 = mfa_devices::table
            .filter(mfa_devices::account_id.eq(account_id))
            .filter(mfa_devices::user_id.is_null())
            .filter(mfa_devices::external_provider.is_null())
            .filter(mfa_devices::enabled.eq(true))
            .count()
            .get_result(conn)?;
        let root_keys: i64 = access_keys::table
            .filter(access_keys::account_id.eq(account_id))
            .filter(access_keys::user_id.is_null())
            .count()
            .get_result(conn)?;
        Ok(vec![
            ("Users", users_n),
            ("UsersQuota", l.users_per_account),
            ("Groups", groups_n),
            ("GroupsQuota", l.groups_per_account),
            ("Roles", roles_n),
            ("RolesQuota", l.roles_per_account),
            ("Policies", policies_n),
            ("PoliciesQuota", l.customer_managed_policies),
            ("PolicyVersionsInUse", versions_n),
            ("PolicyVersionsInUseQuota", 10_000),
            ("VersionsPerPolicyQuota", l.policy_versions),
            ("InstanceProfiles", profiles_n),
            ("InstanceProfilesQuota", l.instance_profiles_per_account),
            ("Providers", providers_n),
            ("MFADevices", mfa_n),
            ("MFADevicesInUse", mfa_in_use),
            ("AccountMFAEnabled", i64::from(root_mfa > 0)),
            ("AccountAccessKeysPresent", i64::from(root_keys > 0)),
            ("AccountSigningCertificatesPresent", 0),
            ("AccessKeysPerUserQuota", l.access_keys_per_user),
            ("GroupsPerUserQuota", l.groups_per_user),
            (
                "AttachedPoliciesPerUserQuota",
                l.managed_policies_per_entity,
            ),
            (
                "AttachedPoliciesPerGroupQuota",
                l.managed_policies_per_entity,
            ),
            (
                "AttachedPoliciesPerRoleQuota",
                l.managed_policies_per_entity,
            ),
            ("PolicySizeQuota", 6144),
            ("UserPolicySizeQuota", 2048),
            ("GroupPolicySizeQuota", 5120),
            ("RolePolicySizeQuota", 10240),
            ("AssumeRolePolicySizeQuota", 2048),
            ("GlobalEndpointTokenVersion", 1),
        ])
    })
}

/// How many of the account's users have a console password but no enabled MFA device (the
/// dashboard's security status).
pub fn console_users_without_mfa(
    ctx: &ServiceContext,
    account_id: &str,
) -> Result<usize, IamError> {
    ctx.store.read(|conn| {
        let console_users: Vec<String> = users::table
            .inner_join(login_profiles::table)
            .filter(users::account_id.eq(account_id))
            .select(users::id)
            .load(conn)?;
        let with_mfa: Vec<Option<String>> = mfa_devices::table
            .filter(mfa_devices::account_id.eq(account_id))
            .filter(mfa_devices::enabled.eq(true))
            .select(mfa_devices::user_id)
            .load(conn)?;
        Ok(console_users
            .iter()
            .filter(|id| !with_mfa.iter().any(|m| m.as_deref() == Some(id.as_str())))
            .count())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn alias_rules() {
        for ok in ["acme", "acme-prod", "a1b"] {
            assert!(super::check_alias(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "-acme", "acme-", "Acme", "123456", "a_b"] {
            assert!(super::check_alias(bad).is_err(), "{bad}");
        }
    }
}
