//! Which condition keys Keyward supplies when it authorizes an IAM action: one table, read by
//! the IAM surface when it builds a request's context and by the validator when a policy is
//! saved.
//!
//! The source is AWS's service authorization reference, "Actions, resources, and condition keys
//! for AWS Identity and Access Management": its actions table lists the keys of each action
//! (`iam:PolicyARN`, `iam:PermissionsBoundary`, `aws:RequestTag/${TagKey}`, `aws:TagKeys`) and
//! its resource types table the keys of the entity an action acts on (`aws:ResourceTag/${TagKey}`
//! for every taggable entity, and `iam:ResourceTag/${TagKey}` too for users and roles).
//!
//! ```text
//!  action ──table──> [Supplied]  ──IAM surface──> values from the request's parameters
//!                                                  and from the stored entity (tags, boundary)
//!                                ──validator────> a warning for a condition key that none of a
//!                                                  statement's IAM actions is ever given
//! ```
//!
//! Keys the reference lists for actions Keyward does not implement are left out, as nothing
//! can supply them: `iam:AWSServiceName` (CreateServiceLinkedRole), `iam:OrganizationsPolicyId`
//! (GenerateOrganizationsAccessReport, no AWS Organizations), `iam:PassedToService` and
//! `iam:AssociatedResourceArn` (PassRole, which no Keyward call checks), the service-specific
//! credential, account-property and delegation keys, and `iam:RoleTemplateARN`. So are the
//! security-key keys of EnableMFADevice (`iam:RegisterSecurityKey`, `iam:FIDO-*`): Keyward's
//! EnableMFADevice enables virtual (TOTP) devices only, and it keeps no FIDO certification data.

#![deny(clippy::indexing_slicing)]

use serde_json::Value;

use super::error::Finding;
use super::matching::Pattern;
use super::validate::string_list;

/// Where the value of a key comes from when an action is authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supplied {
    /// `iam:PolicyARN`: the managed policy the request names (`PolicyArn`).
    PolicyArn,
    /// `iam:PermissionsBoundary`: the boundary the request sets (`PermissionsBoundary`).
    BoundaryInRequest,
    /// `iam:PermissionsBoundary`: the boundary the target user or role has now.
    BoundaryOfEntity,
    /// `aws:RequestTag/${TagKey}` and `aws:TagKeys`: the tags the request adds (`Tags`).
    RequestTags,
    /// `aws:TagKeys`: the keys an Untag request removes (`TagKeys`).
    TagKeysRemoved,
    /// `aws:ResourceTag/${TagKey}`: the stored tags of the entity the action acts on.
    ResourceTags,
    /// `iam:ResourceTag/${TagKey}`: the same tags, for a user or a role.
    IamResourceTags,
}

impl Supplied {
    /// Whether this source sets the (lowercased) key `key_lc`.
    pub fn sets(self, key_lc: &str) -> bool {
        match self {
            Supplied::PolicyArn => key_lc == "iam:policyarn",
            Supplied::BoundaryInRequest | Supplied::BoundaryOfEntity => {
                key_lc == "iam:permissionsboundary"
            }
            Supplied::RequestTags => {
                key_lc.starts_with("aws:requesttag/") || key_lc == "aws:tagkeys"
            }
            Supplied::TagKeysRemoved => key_lc == "aws:tagkeys",
            Supplied::ResourceTags => key_lc.starts_with("aws:resourcetag/"),
            Supplied::IamResourceTags => key_lc.starts_with("iam:resourcetag/"),
        }
    }
}

use Supplied::{
    BoundaryInRequest, BoundaryOfEntity, IamResourceTags, PolicyArn, RequestTags, ResourceTags,
    TagKeysRemoved,
};

/// Nothing beyond the global keys.
const NONE: &[Supplied] = &[];
/// An existing managed policy, instance profile, OIDC provider or MFA device.
const ENTITY: &[Supplied] = &[ResourceTags];
/// An existing user or role.
const PERSON: &[Supplied] = &[ResourceTags, IamResourceTags];
/// A new entity, with the tags it is created with.
const CREATED: &[Supplied] = &[RequestTags];
/// A user or role and its current boundary (inline policies, updates, deletion).
const BOUNDED: &[Supplied] = &[BoundaryOfEntity, ResourceTags, IamResourceTags];
/// Attaching or detaching a managed policy to a user or role.
const ATTACH: &[Supplied] = &[PolicyArn, BoundaryOfEntity, ResourceTags, IamResourceTags];

/// Every IAM action Keyward implements, with the keys it supplies beyond the global ones.
pub const IAM_ACTIONS: &[(&str, &[Supplied])] = &[
    ("AddClientIDToOpenIDConnectProvider", ENTITY),
    ("AddRoleToInstanceProfile", ENTITY),
    ("AddUserToGroup", NONE),
    ("AttachGroupPolicy", &[PolicyArn]),
    ("AttachRolePolicy", ATTACH),
    ("AttachUserPolicy", ATTACH),
    ("ChangePassword", PERSON),
    ("CreateAccessKey", PERSON),
    ("CreateAccountAlias", NONE),
    ("CreateGroup", NONE),
    ("CreateInstanceProfile", CREATED),
    ("CreateLoginProfile", PERSON),
    ("CreateOpenIDConnectProvider", CREATED),
    ("CreatePolicy", CREATED),
    ("CreatePolicyVersion", ENTITY),
    ("CreateRole", &[RequestTags, BoundaryInRequest]),
    ("CreateUser", &[RequestTags, BoundaryInRequest]),
    ("CreateVirtualMFADevice", CREATED),
    ("DeactivateMFADevice", PERSON),
    ("DeleteAccessKey", PERSON),
    ("DeleteAccountAlias", NONE),
    ("DeleteAccountPasswordPolicy", NONE),
    ("DeleteGroup", NONE),
    ("DeleteGroupPolicy", NONE),
    ("DeleteInstanceProfile", ENTITY),
    ("DeleteLoginProfile", PERSON),
    ("DeleteOpenIDConnectProvider", ENTITY),
    ("DeletePolicy", ENTITY),
    ("DeletePolicyVersion", ENTITY),
    ("DeleteRole", BOUNDED),
    ("DeleteRolePermissionsBoundary", BOUNDED),
    ("DeleteRolePolicy", BOUNDED),
    ("DeleteUser", PERSON),
    ("DeleteUserPermissionsBoundary", BOUNDED),
    ("DeleteUserPolicy", BOUNDED),
    ("DeleteVirtualMFADevice", ENTITY),
    ("DetachGroupPolicy", &[PolicyArn]),
    ("DetachRolePolicy", ATTACH),
    ("DetachUserPolicy", ATTACH),
    ("EnableMFADevice", PERSON),
    ("GenerateCredentialReport", NONE),
    ("GetAccessKeyLastUsed", PERSON),
    ("GetAccountAuthorizationDetails", NONE),
    ("GetAccountPasswordPolicy", NONE),
    ("GetAccountSummary", NONE),
    ("GetContextKeysForCustomPolicy", NONE),
    ("GetContextKeysForPrincipalPolicy", PERSON),
    ("GetCredentialReport", NONE),
    ("GetGroup", NONE),
    ("GetGroupPolicy", NONE),
    ("GetInstanceProfile", ENTITY),
    ("GetLoginProfile", PERSON),
    ("GetMFADevice", ENTITY),
    ("GetOpenIDConnectProvider", ENTITY),
    ("GetPolicy", ENTITY),
    ("GetPolicyVersion", ENTITY),
    ("GetRole", BOUNDED),
    ("GetRolePolicy", PERSON),
    ("GetUser", PERSON),
    ("GetUserPolicy", PERSON),
    ("ListAccessKeys", PERSON),
    ("ListAccountAliases", NONE),
    ("ListAttachedGroupPolicies", NONE),
    ("ListAttachedRolePolicies", PERSON),
    ("ListAttachedUserPolicies", PERSON),
    ("ListEntitiesForPolicy", ENTITY),
    ("ListGroupPolicies", NONE),
    ("ListGroups", NONE),
    ("ListGroupsForUser", PERSON),
    ("ListInstanceProfileTags", ENTITY),
    ("ListInstanceProfiles", NONE),
    ("ListInstanceProfilesForRole", PERSON),
    ("ListMFADeviceTags", ENTITY),
    ("ListMFADevices", PERSON),
    ("ListOpenIDConnectProviderTags", ENTITY),
    ("ListOpenIDConnectProviders", NONE),
    ("ListPolicies", NONE),
    ("ListPolicyTags", ENTITY),
    ("ListPolicyVersions", ENTITY),
    ("ListRolePolicies", PERSON),
    ("ListRoleTags", PERSON),
    ("ListRoles", NONE),
    ("ListUserPolicies", PERSON),
    ("ListUserTags", PERSON),
    ("ListUsers", NONE),
    ("ListVirtualMFADevices", NONE),
    ("PutGroupPolicy", NONE),
    (
        "PutRolePermissionsBoundary",
        &[BoundaryInRequest, ResourceTags, IamResourceTags],
    ),
    ("PutRolePolicy", BOUNDED),
    (
        "PutUserPermissionsBoundary",
        &[BoundaryInRequest, ResourceTags, IamResourceTags],
    ),
    ("PutUserPolicy", BOUNDED),
    ("RemoveClientIDFromOpenIDConnectProvider", ENTITY),
    ("RemoveRoleFromInstanceProfile", ENTITY),
    ("RemoveUserFromGroup", NONE),
    ("ResyncMFADevice", PERSON),
    ("SetDefaultPolicyVersion", ENTITY),
    ("SimulateCustomPolicy", NONE),
    ("SimulatePrincipalPolicy", PERSON),
    ("TagInstanceProfile", &[RequestTags, ResourceTags]),
    ("TagMFADevice", &[RequestTags, ResourceTags]),
    ("TagOpenIDConnectProvider", &[RequestTags, ResourceTags]),
    ("TagPolicy", &[RequestTags, ResourceTags]),
    ("TagRole", &[RequestTags, ResourceTags, IamResourceTags]),
    ("TagUser", &[RequestTags, ResourceTags, IamResourceTags]),
    ("UntagInstanceProfile", &[TagKeysRemoved, ResourceTags]),
    ("UntagMFADevice", &[TagKeysRemoved, ResourceTags]),
    (
        "UntagOpenIDConnectProvider",
        &[TagKeysRemoved, ResourceTags],
    ),
    ("UntagPolicy", &[TagKeysRemoved, ResourceTags]),
    (
        "UntagRole",
        &[TagKeysRemoved, ResourceTags, IamResourceTags],
    ),
    (
        "UntagUser",
        &[TagKeysRemoved, ResourceTags, IamResourceTags],
    ),
    ("UpdateAccessKey", PERSON),
    ("UpdateAccountPasswordPolicy", NONE),
    ("UpdateAssumeRolePolicy", BOUNDED),
    ("UpdateGroup", NONE),
    ("UpdateLoginProfile", PERSON),
    ("UpdateOpenIDConnectProviderThumbprint", ENTITY),
    ("UpdateRole", BOUNDED),
    ("UpdateRoleDescription", BOUNDED),
    ("UpdateUser", PERSON),
];

/// The keys IAM action `name` (without `iam:`, any case) supplies beyond the global ones;
/// `None` for an action Keyward does not implement.
pub fn for_action(name: &str) -> Option<&'static [Supplied]> {
    IAM_ACTIONS
        .iter()
        .find(|(action, _)| action.eq_ignore_ascii_case(name))
        .map(|(_, keys)| *keys)
}

/// Global keys the authorizer sets on requests (lowercased): each is set on every request
/// where it has a value (`aws:SourceIp` when the address is known, `aws:MultiFactorAuth*` for
/// sessions and console sign-ins, ...).
const GLOBAL_KEYS: &[&str] = &[
    "aws:currenttime",
    "aws:epochtime",
    "aws:securetransport",
    "aws:requestedregion",
    "aws:viaawsservice",
    "aws:sourceip",
    "aws:useragent",
    "aws:tokenissuetime",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:sourceidentity",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principaltype",
    "aws:userid",
    "aws:username",
    "aws:federatedprovider",
];

/// Whether a request for IAM action `name` may carry the condition key `key`.
pub fn supplies(name: &str, key: &str) -> bool {
    let key_lc = key.to_ascii_lowercase();
    is_global(&key_lc) || for_action(name).is_some_and(|keys| keys.iter().any(|s| s.sets(&key_lc)))
}

fn is_global(key_lc: &str) -> bool {
    GLOBAL_KEYS.contains(&key_lc) || key_lc.starts_with("aws:principaltag/")
}

/// Keys whose values come from the store rather than the request (an entity's tags, its
/// boundary), as a policy names them in a condition or a policy variable. Noted once when a
/// policy is parsed, so that a request reads the store only when a policy in play needs them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredKeys {
    /// `aws:ResourceTag/*` or `iam:ResourceTag/*`.
    pub resource_tags: bool,
    /// `iam:PermissionsBoundary`.
    pub permissions_boundary: bool,
}

impl StoredKeys {
    /// What a parsed document names. Every string is looked at (object keys too, and the text
    /// of `${...}` variables), after JSON unescaping, so no spelling of a key is missed; a
    /// mention where no key is read (a `Sid`, a `Resource`) only costs a read.
    pub fn of_document(v: &Value) -> StoredKeys {
        let mut found = StoredKeys::default();
        visit_strings(v, &mut |s| {
            let lower = s.to_ascii_lowercase();
            found.resource_tags |= lower.contains("resourcetag/");
            found.permissions_boundary |= lower.contains("iam:permissionsboundary");
        });
        found
    }

    /// Both sets of keys.
    pub fn union(self, other: StoredKeys) -> StoredKeys {
        StoredKeys {
            resource_tags: self.resource_tags || other.resource_tags,
            permissions_boundary: self.permissions_boundary || other.permissions_boundary,
        }
    }
}

fn visit_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|i| visit_strings(i, f)),
        Value::Object(map) => {
            for (k, item) in map {
                f(k);
                visit_strings(item, f);
            }
        }
        _ => {}
    }
}

/// Warnings for condition keys that a statement's IAM actions are never given: a statement
/// whose `Action` entries all name IAM actions, with a condition key that Keyward supplies for
/// none of the IAM actions they match. Such a condition is always evaluated with the key
/// missing, which is rarely what its author meant (AWS's policy checks warn alike for keys a
/// service does not send). Statements with `NotAction`, or actions of other services, or
/// patterns that match no action Keyward implements, are not judged.
pub(crate) fn unsupplied_key_warnings(v: &Value) -> Vec<Finding> {
    let statements: Vec<&Value> = match v.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Vec::new(),
    };
    let mut findings = Vec::new();
    for (index, statement) in statements.into_iter().enumerate() {
        let Some(actions) = iam_actions_of(statement) else {
            continue;
        };
        let sid = statement.get("Sid").and_then(Value::as_str);
        let mut warned: Vec<String> = Vec::new();
        for key in condition_keys(statement) {
            let key_lc = key.to_ascii_lowercase();
            if warned.contains(&key_lc) || actions.iter().any(|a| supplies(a, key)) {
                continue;
            }
            warned.push(key_lc);
            findings.push(Finding::warning(
                Some(index),
                sid,
                format!(
                    "Condition key {key} is never present on {}: Keyward supplies it to \
                     none of them, so this condition is always evaluated without it.",
                    describe(&actions)
                ),
            ));
        }
    }
    findings
}

/// The IAM actions a statement's `Action` matches, when every entry names IAM actions and at
/// least one action Keyward implements matches.
fn iam_actions_of(statement: &Value) -> Option<Vec<&'static str>> {
    let patterns = string_list(statement.get("Action")?)?;
    let mut matched = Vec::new();
    for pattern in patterns {
        let (service, name) = pattern.split_once(':')?;
        if !service.eq_ignore_ascii_case("iam") {
            return None;
        }
        let compiled = Pattern::compile(&name.to_ascii_lowercase());
        for (action, _) in IAM_ACTIONS {
            if compiled.matches(&action.to_ascii_lowercase()) && !matched.contains(action) {
                matched.push(*action);
            }
        }
    }
    (!matched.is_empty()).then_some(matched)
}

/// The keys of a statement's `Condition` block, in document order.
pub(crate) fn condition_keys(statement: &Value) -> Vec<&str> {
    let Some(Value::Object(operators)) = statement.get("Condition") else {
        return Vec::new();
    };
    operators
        .values()
        .filter_map(Value::as_object)
        .flat_map(|entries| entries.keys().map(String::as_str))
        .collect()
}

fn describe(actions: &[&str]) -> String {
    match actions {
        [one] => format!("iam:{one}"),
        many if many.len() <= 3 => many
            .iter()
            .map(|a| format!("iam:{a}"))
            .collect::<Vec<_>>()
            .join(", "),
        many => format!("the {} IAM actions of this statement", many.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_table_is_sorted_and_has_each_action_once() {
        let names: Vec<&str> = IAM_ACTIONS.iter().map(|(a, _)| *a).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn guardrail_keys_are_supplied_where_the_reference_lists_them() {
        for action in [
            "AttachUserPolicy",
            "AttachGroupPolicy",
            "AttachRolePolicy",
            "DetachUserPolicy",
            "DetachGroupPolicy",
            "DetachRolePolicy",
        ] {
            assert!(supplies(action, "iam:PolicyARN"), "{action}");
        }
        // The reference gives the boundary actions iam:PermissionsBoundary, not iam:PolicyARN.
        assert!(!supplies("PutUserPermissionsBoundary", "iam:PolicyARN"));
        assert!(!supplies("CreatePolicy", "iam:PolicyARN"));
        for action in [
            "CreateUser",
            "CreateRole",
            "PutUserPermissionsBoundary",
            "PutRolePermissionsBoundary",
            "DeleteUserPermissionsBoundary",
            "AttachUserPolicy",
            "PutRolePolicy",
            "DeleteRole",
        ] {
            assert!(supplies(action, "iam:PermissionsBoundary"), "{action}");
        }
        assert!(!supplies("AttachGroupPolicy", "iam:PermissionsBoundary"));
        assert!(!supplies("CreateGroup", "iam:PermissionsBoundary"));
    }

    #[test]
    fn tag_keys_follow_the_kind_of_request() {
        for action in [
            "CreateUser",
            "CreateRole",
            "CreatePolicy",
            "TagUser",
            "TagMFADevice",
        ] {
            assert!(supplies(action, "aws:RequestTag/team"), "{action}");
            assert!(supplies(action, "aws:TagKeys"), "{action}");
        }
        assert!(supplies("UntagUser", "aws:TagKeys"));
        assert!(!supplies("UntagUser", "aws:RequestTag/team"));
        assert!(!supplies("CreateGroup", "aws:RequestTag/team"));
        // Resource tags: only an existing taggable entity; iam:ResourceTag for users and roles.
        assert!(supplies("GetUser", "aws:ResourceTag/team"));
        assert!(supplies("DeleteRole", "iam:ResourceTag/team"));
        assert!(supplies("GetPolicy", "aws:ResourceTag/team"));
        assert!(!supplies("GetPolicy", "iam:ResourceTag/team"));
        assert!(!supplies("CreateUser", "aws:ResourceTag/team"));
        assert!(!supplies("GetGroup", "aws:ResourceTag/team"));
        assert!(!supplies("ListUsers", "aws:ResourceTag/team"));
    }

    #[test]
    fn global_keys_are_supplied_for_every_action_and_unknown_ones_for_none() {
        assert!(supplies("CreateGroup", "aws:SourceIp"));
        assert!(supplies("CreateGroup", "AWS:PrincipalTag/Team"));
        assert!(supplies("ListUsers", "aws:MultiFactorAuthPresent"));
        assert!(!supplies("ListUsers", "aws:PrincipalOrgID"));
        assert!(!supplies("ListUsers", "s3:prefix"));
        assert!(!supplies("NoSuchAction", "iam:PolicyARN"));
        assert!(for_action("attachuserpolicy").is_some());
        assert!(for_action("CreateServiceLinkedRole").is_none());
    }

    #[test]
    fn stored_keys_are_found_in_conditions_and_variables_in_any_spelling() {
        let doc = |v: Value| StoredKeys::of_document(&v);
        let plain = doc(json!({"Statement": [{"Effect": "Allow", "Action": "iam:*",
            "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/x": "y"}}}]}));
        assert_eq!(plain, StoredKeys::default());
        let tags = doc(json!({"Statement": {"Condition": {"StringEquals":
            {"IAM:resourceTAG/team": "a"}}}}));
        assert!(tags.resource_tags && !tags.permissions_boundary);
        let variable = doc(json!({"Statement": {"Condition": {"StringEquals":
            {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}}}));
        assert!(variable.resource_tags);
        // JSON escapes are decoded before the search.
        let escaped: Value = serde_json::from_str(
            r#"{"Statement":{"Condition":{"ArnEquals":{"iam:\u0050ermissionsBoundary":"x"}}}}"#,
        )
        .unwrap();
        assert!(StoredKeys::of_document(&escaped).permissions_boundary);
        assert_eq!(
            tags.union(StoredKeys::of_document(&escaped)),
            StoredKeys {
                resource_tags: true,
                permissions_boundary: true
            }
        );
    }

    fn warnings(v: Value) -> Vec<String> {
        unsupplied_key_warnings(&v)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn keys_never_given_to_a_statements_iam_actions_are_warned_about() {
        let w = warnings(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "iam:CreateGroup", "Resource": "*",
             "Condition": {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/A"}}},
            {"Effect": "Deny", "Action": ["iam:ListUsers", "iam:ListRoles"], "Resource": "*",
             "Condition": {"StringEquals": {"s3:prefix": "a", "aws:ResourceTag/t": "v",
                                           "aws:SourceIp": "10.0.0.1"}}}]}));
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(
            w[0].contains("iam:PolicyARN") && w[0].contains("iam:CreateGroup"),
            "{w:?}"
        );
        let second = |key: &str| {
            w.iter()
                .any(|m| m.contains(key) && m.contains("iam:ListRoles"))
        };
        assert!(second("s3:prefix") && second("aws:ResourceTag/t"), "{w:?}");
    }

    #[test]
    fn supplied_keys_other_services_and_not_action_are_left_alone() {
        let w = warnings(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "iam:AttachUserPolicy", "Resource": "*",
             "Condition": {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/A"}}},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
             "Condition": {"StringEquals": {"iam:ResourceTag/t": "v"}}},
            {"Effect": "Deny", "Action": "iam:Create*", "Resource": "*",
             "Condition": {"Null": {"iam:PermissionsBoundary": "true"}}},
            {"Effect": "Deny", "Action": ["iam:ListUsers", "s3:GetObject"], "Resource": "*",
             "Condition": {"StringEquals": {"s3:prefix": "a"}}},
            {"Effect": "Deny", "NotAction": "iam:ListUsers", "Resource": "*",
             "Condition": {"StringEquals": {"s3:prefix": "a"}}},
            {"Effect": "Deny", "Action": "iam:CreateServiceLinkedRole", "Resource": "*",
             "Condition": {"StringEquals": {"iam:AWSServiceName": "a"}}}]}));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn a_key_is_warned_about_once_per_statement_with_its_sid() {
        let found = unsupplied_key_warnings(&json!({"Statement": {"Sid": "Guard",
            "Effect": "Deny", "Action": "iam:GetGroup", "Resource": "*", "Condition": {
                "StringEquals": {"aws:ResourceTag/t": "v"},
                "StringLike": {"AWS:resourcetag/t": "v*"}}}}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].sid.as_deref(), Some("Guard"));
        assert_eq!(found[0].statement, Some(0));
        assert!(!found[0].is_error());
    }
}
