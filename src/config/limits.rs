//! IAM's quotas, AWS's defaults unless a deployment changes them: settings, given to every
//! service through the context. They hold under concurrent requests because every quota check
//! in `iam` runs after the store's `lock_account` in the same write transaction as the insert it
//! guards.

#[derive(Debug, Clone)]
pub struct Limits {
    pub users_per_account: i64,
    pub groups_per_account: i64,
    pub roles_per_account: i64,
    pub groups_per_user: i64,
    pub managed_policies_per_entity: i64,
    pub policy_versions: i64,
    pub access_keys_per_user: i64,
    pub mfa_devices_per_user: i64,
    pub customer_managed_policies: i64,
    pub instance_profiles_per_account: i64,
    pub tags_per_resource: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            users_per_account: 5000,
            groups_per_account: 300,
            roles_per_account: 1000,
            groups_per_user: 10,
            managed_policies_per_entity: 10,
            policy_versions: 5,
            access_keys_per_user: 2,
            mfa_devices_per_user: 8,
            customer_managed_policies: 1500,
            instance_profiles_per_account: 1000,
            tags_per_resource: 50,
        }
    }
}
