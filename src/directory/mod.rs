//! Directories as an identity source: a person's user name and password checked against an
//! account's Active Directory or LDAP server (`iam::directories`), and what the directory says
//! of them (their entry's DN, groups and mapped attributes) as one
//! [`ExternalIdentity`](crate::federation::ExternalIdentity).
//!
//! ```text
//! authenticate(user name, password)
//!   empty password ─> refused (an unauthenticated bind "succeeds" on many servers)
//!   search 1, as the service account (pooled):  (&<user filter>(<user attribute>=<escaped>))
//!            exactly one entry, not disabled (userAccountControl 0x2), not locked out and
//!            its password not expired: on AD as msDS-User-Account-Control-Computed says
//!            (UF_LOCKOUT, UF_PASSWORD_EXPIRED), elsewhere lockoutTime set or pwdLastSet 0
//!   bind as the entry's DN with the password (pooled connection for user binds)
//!   search 2, as the service account: its groups, nested (AD's LDAP_MATCHING_RULE_IN_CHAIN)
//!            or by member
//! ```
//!
//! Values are never pasted into filters or DNs: a user name and a DN inside a filter are
//! escaped as RFC 4515 says (`ldap3::ldap_escape`), so `*)(uid=*` is a name like any other.
//! Every search's filter is logged (escaped), as is every refusal's reason; what a person is told
//! is the same for a wrong password, an unknown user and a disabled account. A directory that
//! cannot be reached refuses everyone with its own error ([`DirectoryError::Unavailable`]).

pub mod client;

use crate::federation::{ExternalIdentity, Provider, ProviderKind};
use crate::iam::directories::{Directory, GroupMode};
use crate::secrets::{ExposeSecret, SecretString};
use client::{Connections, LdapFailure};
use ldap3::{ldap_escape, Scope, SearchEntry};
use serde_json::Value;
use std::collections::BTreeMap;

/// The key prefix of directory trust keys: `ldap:sub` (the entry's DN), `ldap:username`,
/// `ldap:groups` (the groups' DNs), `ldap:<key>` of each mapped attribute.
pub const KEY_PREFIX: &str = "ldap";

/// AD's `userAccountControl` flag of a disabled account.
const ACCOUNTDISABLE: u64 = 0x2;
/// AD's constructed attribute with the flags the server computes when asked: locked out now,
/// password expired now (its lockout duration, maximum password age and "password never
/// expires" applied). AD keeps `lockoutTime` after a lockout's end until the next successful
/// sign-in, and a password past the maximum age keeps its `pwdLastSet`: only these flags say.
const COMPUTED_FLAGS: &str = "msDS-User-Account-Control-Computed";
const UF_LOCKOUT: u64 = 0x10;
const UF_PASSWORD_EXPIRED: u64 = 0x80_0000;

/// Why a person was not let in.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Wrong password, unknown user, disabled, locked or expired: the person is told only
    /// that the credentials are incorrect; `reason` is for the audit trail and the log.
    #[error("incorrect user name or password ({reason})")]
    Incorrect { reason: String },
    /// The directory cannot be reached or refuses the service account: nobody is let in.
    #[error("the directory cannot be used: {0}")]
    Unavailable(String),
    /// Too many wrong guesses for this user name or from this address: try again later.
    #[error("too many failed sign-ins")]
    Throttled,
    /// The store failed while counting the attempt.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

/// [`authenticate`], throttled: each attempt counted against the directory user and the
/// source address before it is checked (as portal sign-ins are), a wrong one confirmed as a
/// failure, a right one forgotten. On top of the directory's own lockout.
pub fn authenticate_throttled(
    ctx: &crate::context::ServiceContext,
    connections: &Connections,
    directory: &Directory,
    username: &str,
    password: &SecretString,
    source_ip: Option<&str>,
) -> Result<DirectoryUser, DirectoryError> {
    use crate::storage::throttle::{self, Key};
    let mut keys = vec![Key::directory_user(
        &directory.account_id,
        &directory.name,
        username,
    )];
    if let Some(ip) = source_ip {
        keys.push(Key::address(ip));
    }
    let now = ctx.clock.now_naive();
    if let crate::auth::throttle::Verdict::Blocked { .. } =
        throttle::reserve(&ctx.store, &keys, now)?
    {
        return Err(DirectoryError::Throttled);
    }
    let bind_password = directory
        .bind_password(ctx)
        .map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
    match authenticate(connections, directory, &bind_password, username, password) {
        Ok(user) => {
            ctx.store.write(|conn| throttle::succeeded(conn, &keys))?;
            Ok(user)
        }
        Err(e @ DirectoryError::Incorrect { .. }) => {
            throttle::failed(&ctx.store, &*ctx.clock, &keys)?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// A person the directory vouched for.
#[derive(Debug, Clone)]
pub struct DirectoryUser {
    pub directory: String,
    /// The directory's ARN (the `Federated` principal).
    pub directory_arn: String,
    pub dn: String,
    /// The user name as the directory has it.
    pub username: String,
    /// The DNs of the person's groups.
    pub groups: Vec<String>,
    /// The mapped attributes' values, by their key.
    pub attributes: BTreeMap<String, String>,
}

fn incorrect(reason: impl Into<String>) -> DirectoryError {
    DirectoryError::Incorrect {
        reason: reason.into(),
    }
}

fn first<'a>(entry: &'a SearchEntry, attribute: &str) -> Option<&'a str> {
    entry
        .attrs
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
        .and_then(|(_, values)| values.first())
        .map(String::as_str)
}

/// Whether the entry says the account may not sign in: disabled, locked out, or its password
/// expired (must be changed first).
fn account_refusal(entry: &SearchEntry) -> Option<&'static str> {
    let number = |attribute| first(entry, attribute).and_then(|v| v.trim().parse::<i64>().ok());
    if number("userAccountControl").is_some_and(|flags| (flags as u64) & ACCOUNTDISABLE != 0) {
        return Some("the account is disabled");
    }
    let (locked, expired) = match number(COMPUTED_FLAGS) {
        Some(flags) => (
            (flags as u64) & UF_LOCKOUT != 0,
            (flags as u64) & UF_PASSWORD_EXPIRED != 0,
        ),
        // Not AD (or an AD that does not say): the stored attributes, read strictly.
        None => (
            number("lockoutTime").is_some_and(|t| t > 0),
            number("pwdLastSet") == Some(0),
        ),
    };
    if locked {
        return Some("the account is locked out");
    }
    if expired {
        return Some("the password has expired and must be changed");
    }
    None
}

/// Checks `username` and `password` against `directory`; the person and their groups.
pub fn authenticate(
    connections: &Connections,
    directory: &Directory,
    bind_password: &SecretString,
    username: &str,
    password: &SecretString,
) -> Result<DirectoryUser, DirectoryError> {
    if password.expose_secret().is_empty() {
        return Err(incorrect("an empty password"));
    }
    if username.is_empty() || username.chars().count() > 256 {
        return Err(incorrect("an empty or over-long user name"));
    }
    let filter = format!(
        "(&{}({}={}))",
        directory.user_filter,
        directory.user_attribute,
        ldap_escape(username)
    );
    let mut wanted: Vec<&str> = vec![
        directory.user_attribute.as_str(),
        "userAccountControl",
        "lockoutTime",
        "pwdLastSet",
        COMPUTED_FLAGS,
    ];
    wanted.extend(directory.attributes.values().map(String::as_str));
    let entries = connections.search(
        directory,
        bind_password,
        &directory.base_dn,
        &filter,
        &wanted,
    )?;
    let entry = match entries.as_slice() {
        [one] => one,
        [] => return Err(incorrect(format!("no entry matches {filter}"))),
        _ => {
            return Err(incorrect(format!(
                "{} entries match {filter}",
                entries.len()
            )))
        }
    };
    if let Some(reason) = account_refusal(entry) {
        return Err(incorrect(reason));
    }
    match connections.bind_as(directory, &entry.dn, password) {
        Ok(()) => {}
        Err(LdapFailure::Refused(text)) => {
            return Err(incorrect(format!("the bind was refused: {text}")))
        }
        Err(LdapFailure::Down(text)) => return Err(DirectoryError::Unavailable(text)),
    }
    let groups = connections
        .search(
            directory,
            bind_password,
            &directory.base_dn,
            &group_filter(directory.group_mode, &entry.dn),
            // Only the DNs are wanted: "1.1" asks for no attribute (RFC 4511).
            &["1.1"],
        )?
        .into_iter()
        .map(|g| g.dn)
        .collect();
    let attributes = directory
        .attributes
        .iter()
        .filter_map(|(key, attribute)| {
            first(entry, attribute).map(|v| (key.clone(), v.to_string()))
        })
        .collect();
    Ok(DirectoryUser {
        directory: directory.name.clone(),
        directory_arn: directory.arn(),
        dn: entry.dn.clone(),
        username: first(entry, &directory.user_attribute)
            .unwrap_or(username)
            .to_string(),
        groups,
        attributes,
    })
}

/// The filter of the groups that have the entry `dn` as a member. AD's in-chain rule is
/// evaluated on every entry the rest of the filter lets through and is dear (each one's
/// membership chain is walked): it is asked of groups only (`objectCategory=group`, indexed),
/// which on Samba makes the search about four times cheaper than over the whole subtree.
fn group_filter(mode: GroupMode, dn: &str) -> String {
    match mode {
        GroupMode::Nested => format!(
            "(&(objectCategory=group)(member:1.2.840.113556.1.4.1941:={}))",
            ldap_escape(dn)
        ),
        GroupMode::Member => format!("(member={})", ldap_escape(dn)),
    }
}

impl DirectoryUser {
    /// The identity a trust policy sees: the directory's ARN as its `Federated` principal,
    /// the DN as `ldap:sub`, and `ldap:username`, `ldap:groups` and the mapped attributes.
    pub fn identity(&self) -> ExternalIdentity {
        let provider = Provider::other(ProviderKind::Directory, &self.directory_arn, KEY_PREFIX);
        let mut identity = ExternalIdentity::new(provider, &self.dn);
        identity
            .attributes
            .insert("username".into(), Value::from(self.username.clone()));
        for (key, value) in &self.attributes {
            identity
                .attributes
                .insert(key.clone(), Value::from(value.clone()));
        }
        identity.groups = self.groups.clone();
        identity
    }
}

/// The scope of every search: the whole subtree under the base.
pub(crate) const SUBTREE: Scope = Scope::Subtree;

#[cfg(test)]
mod tests {
    use super::{account_refusal, group_filter};
    use crate::iam::directories::GroupMode;
    use ldap3::SearchEntry;
    use std::collections::HashMap;

    fn entry(attributes: &[(&str, &str)]) -> SearchEntry {
        SearchEntry {
            dn: "CN=someone,CN=Users,DC=example,DC=test".into(),
            attrs: attributes
                .iter()
                .map(|(name, value)| (name.to_string(), vec![value.to_string()]))
                .collect::<HashMap<_, _>>(),
            bin_attrs: HashMap::new(),
        }
    }

    #[test]
    fn an_ordinary_account_may_sign_in() {
        assert_eq!(account_refusal(&entry(&[])), None);
        assert_eq!(
            account_refusal(&entry(&[
                ("userAccountControl", "512"),
                ("pwdLastSet", "134409287868277160"),
                ("lockoutTime", "0"),
                ("msDS-User-Account-Control-Computed", "0"),
            ])),
            None
        );
    }

    #[test]
    fn a_disabled_account_is_refused() {
        let disabled = entry(&[("userAccountControl", "514")]);
        assert_eq!(account_refusal(&disabled), Some("the account is disabled"));
    }

    #[test]
    fn without_ads_computed_flags_lockout_time_and_pwd_last_set_decide() {
        let locked = entry(&[("lockoutTime", "134409287922953440")]);
        assert_eq!(account_refusal(&locked), Some("the account is locked out"));
        let expired = entry(&[("pwdLastSet", "0")]);
        assert_eq!(
            account_refusal(&expired),
            Some("the password has expired and must be changed")
        );
    }

    #[test]
    fn ads_computed_flags_say_whether_a_lockout_or_a_password_has_expired() {
        // Locked out now (UF_LOCKOUT).
        let locked = entry(&[
            ("lockoutTime", "134409287922953440"),
            ("msDS-User-Account-Control-Computed", "16"),
        ]);
        assert_eq!(account_refusal(&locked), Some("the account is locked out"));
        // AD keeps lockoutTime after the lockout's duration has passed, until the next
        // successful sign-in: the person may sign in again.
        let lockout_over = entry(&[
            ("lockoutTime", "134409287922953440"),
            ("msDS-User-Account-Control-Computed", "0"),
        ]);
        assert_eq!(account_refusal(&lockout_over), None);
        // A password past the domain's maximum age (UF_PASSWORD_EXPIRED), pwdLastSet not 0.
        let too_old = entry(&[
            ("pwdLastSet", "133000000000000000"),
            ("msDS-User-Account-Control-Computed", "8388608"),
        ]);
        assert_eq!(
            account_refusal(&too_old),
            Some("the password has expired and must be changed")
        );
        // pwdLastSet 0 under "password never expires": AD does not ask for a change.
        let never_expires = entry(&[
            ("userAccountControl", "66048"),
            ("pwdLastSet", "0"),
            ("msDS-User-Account-Control-Computed", "0"),
        ]);
        assert_eq!(account_refusal(&never_expires), None);
    }

    #[test]
    fn group_filters_escape_the_dn_and_ask_ad_about_groups_only() {
        let dn = r"CN=Frank (Ops)\, Jr.,CN=Users,DC=example,DC=test";
        assert_eq!(
            group_filter(GroupMode::Nested, dn),
            r"(&(objectCategory=group)(member:1.2.840.113556.1.4.1941:=CN=Frank \28Ops\29\5c, Jr.,CN=Users,DC=example,DC=test))"
        );
        assert_eq!(
            group_filter(GroupMode::Member, "uid=x*,ou=people,dc=example,dc=test"),
            r"(member=uid=x\2a,ou=people,dc=example,dc=test)"
        );
    }
}
