//! First start: the default account, its root user, and an administrator with an access key.
//!
//! ```text
//!   start ──> seed AWS-managed policies ──> installation row? ──yes──> Existing(account)
//!                                                │ no
//!                                                v
//!   account + root user (generated password, must change) + user `admin` in group
//!   `Administrators` (AdministratorAccess attached) + one access key + audit events
//!                                                │
//!          export(created) writes the credentials files, then the transaction commits
//! ```
//!
//! Everything happens in one transaction. A second Keyward racing to bootstrap the same
//! database fails on the single `installation` row and then finds the first one's account.

use super::aws_managed::{self, policy_arn};
use super::{access_keys, arn, IamError};
use crate::audit::{self, AuditEvent, EventSource, RequestMeta};
use crate::auth::password;
use crate::context::ServiceContext;
use crate::secrets::SecretString;
use crate::storage::ids::{AccessKeyId, AccountId, GroupId, UserId};
use crate::storage::models::*;
use crate::storage::schema::access_keys as access_keys_table;
use crate::storage::schema::*;
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// The root user's sign-in name in the portal. No IAM user may be named like it, in any case
/// (see `users::create` and `users::update`): changing it needs the same change there, or a
/// user already named like the new login could sign in as the root user.
pub const ROOT_LOGIN: &str = "root";
pub const ADMIN_USER: &str = "admin";
pub const ADMIN_GROUP: &str = "Administrators";
/// Length of the generated root password.
const ROOT_PASSWORD_LEN: usize = 24;
const ACTOR: &str = "keyward:bootstrap";

/// What a first start created; the secrets are shown once and never stored in clear.
pub struct Created {
    pub account_id: AccountId,
    pub root_login: String,
    pub root_password: SecretString,
    pub admin_user: String,
    pub access_key_id: AccessKeyId,
    pub secret_access_key: SecretString,
}

pub enum Outcome {
    Created(Created),
    Existing { account_id: AccountId },
}

impl Outcome {
    pub fn account_id(&self) -> &AccountId {
        match self {
            Self::Created(c) => &c.account_id,
            Self::Existing { account_id } => account_id,
        }
    }
}

/// Bootstraps the store if it is new. `export` runs inside the transaction, after everything is
/// written and before the commit, so that the secrets it saves belong to committed rows: if it
/// fails, nothing is committed and the next start tries again.
pub fn ensure(
    ctx: &ServiceContext,
    export: impl FnOnce(&Created) -> std::io::Result<()>,
) -> Result<Outcome, IamError> {
    let now = ctx.clock.now_naive();
    let (root_password, root_hash, key) = new_secrets(ctx)?;
    let result = ctx.store.write(|conn| {
        aws_managed::seed(conn, now, ctx.random.as_ref())?;
        if let Some(existing) = installed_account(conn)? {
            return Ok(Outcome::Existing {
                account_id: existing,
            });
        }
        let created = create(conn, ctx, now, root_password, root_hash, key)?;
        diesel::insert_into(installation::table)
            .values(&Installation {
                id: 1,
                default_account_id: created.account_id.as_str().to_string(),
                bootstrapped_at: now,
            })
            .execute(conn)?;
        export(&created)
            .map_err(|e| IamError::Internal(format!("cannot write credentials: {e}")))?;
        Ok(Outcome::Created(created))
    });
    match result {
        // Another instance bootstrapped between our check and our insert: use its account.
        Err(IamError::Storage(StorageError::Conflict(_))) => {
            let account_id = ctx.store.read(installed_account)?.ok_or_else(|| {
                IamError::Internal("bootstrap conflict without an installation".into())
            })?;
            Ok(Outcome::Existing { account_id })
        }
        other => other,
    }
}

/// A new account's root password (and its hash) and admin access key, made before the write
/// transaction: the argon2id hash costs ~30 ms, which should not be spent holding the write lock.
fn new_secrets(
    ctx: &ServiceContext,
) -> Result<(SecretString, String, access_keys::NewAccessKey), IamError> {
    let root_password = password::generate(ctx.random.as_ref(), ROOT_PASSWORD_LEN);
    let root_hash = password::hash(&root_password, ctx.random.as_ref())
        .map_err(|e| IamError::Internal(e.to_string()))?;
    let key = access_keys::mint(&ctx.master_key, ctx.random.as_ref())
        .map_err(|e| IamError::Internal(e.to_string()))?;
    Ok((root_password, root_hash, key))
}

/// Creates one more account (for cross-account use), with its own root user and administrator,
/// exported by `export` before the commit like the first one.
pub fn create_account(
    ctx: &ServiceContext,
    export: impl FnOnce(&Created) -> std::io::Result<()>,
) -> Result<Created, IamError> {
    let now = ctx.clock.now_naive();
    let (root_password, root_hash, key) = new_secrets(ctx)?;
    ctx.change(|conn| {
        aws_managed::seed(conn, now, ctx.random.as_ref())?;
        let created = create(conn, ctx, now, root_password, root_hash, key)?;
        export(&created)
            .map_err(|e| IamError::Internal(format!("cannot write credentials: {e}")))?;
        Ok(created)
    })
}

/// The default account, once bootstrapped.
pub fn installed_account(conn: &mut DbConnection) -> Result<Option<AccountId>, StorageError> {
    Ok(installation::table
        .select(installation::default_account_id)
        .first::<String>(conn)
        .optional()?
        .map(AccountId::from_stored))
}

fn create(
    conn: &mut DbConnection,
    ctx: &ServiceContext,
    now: NaiveDateTime,
    root_password: SecretString,
    root_hash: String,
    key: access_keys::NewAccessKey,
) -> Result<Created, IamError> {
    let random = ctx.random.as_ref();
    let account_id = AccountId::generate(random);
    let account = account_id.as_str().to_string();
    let meta = RequestMeta::default();
    let audit = |conn: &mut DbConnection, name: &str, params: serde_json::Value| {
        let event = AuditEvent::new(EventSource::Keyward, name)
            .account(&account)
            .actor(ACTOR)
            .parameters(params);
        audit::record(conn, now, random, &meta, event)
    };

    diesel::insert_into(accounts::table)
        .values(&Account {
            id: account.clone(),
            alias: None,
            created_at: now,
        })
        .execute(conn)?;
    audit(conn, "CreateAccount", json!({ "accountId": account }))?;

    diesel::insert_into(root_users::table)
        .values(&RootUser {
            account_id: account.clone(),
            login: ROOT_LOGIN.to_string(),
            password_hash: root_hash,
            must_change_password: true,
            password_changed_at: now,
            password_last_used_at: None,
            created_at: now,
        })
        .execute(conn)?;
    audit(
        conn,
        "CreateLoginProfile",
        json!({ "userName": "root", "passwordResetRequired": true }),
    )?;

    let user_id = UserId::generate(random).into_string();
    diesel::insert_into(users::table)
        .values(&User {
            id: user_id.clone(),
            account_id: account.clone(),
            name: ADMIN_USER.to_string(),
            path: "/".to_string(),
            permissions_boundary_id: None,
            password_last_used_at: None,
            created_at: now,
            email: None,
            email_verified: false,
        })
        .execute(conn)?;
    audit(conn, "CreateUser", json!({ "userName": ADMIN_USER }))?;

    let group_id = GroupId::generate(random).into_string();
    diesel::insert_into(groups::table)
        .values(&Group {
            id: group_id.clone(),
            account_id: account.clone(),
            name: ADMIN_GROUP.to_string(),
            path: "/".to_string(),
            created_at: now,
        })
        .execute(conn)?;
    audit(conn, "CreateGroup", json!({ "groupName": ADMIN_GROUP }))?;

    let admin_policy = policy_arn("AdministratorAccess");
    let policy_id: String = managed_policies::table
        .filter(managed_policies::arn.eq(&admin_policy))
        .select(managed_policies::id)
        .first(conn)?;
    diesel::insert_into(group_policy_attachments::table)
        .values(&GroupPolicyAttachment {
            group_id: group_id.clone(),
            policy_id,
            attached_at: now,
        })
        .execute(conn)?;
    audit(
        conn,
        "AttachGroupPolicy",
        json!({ "groupName": ADMIN_GROUP, "policyArn": admin_policy }),
    )?;

    diesel::insert_into(group_members::table)
        .values(&GroupMember {
            group_id,
            user_id: user_id.clone(),
            added_at: now,
        })
        .execute(conn)?;
    audit(
        conn,
        "AddUserToGroup",
        json!({ "groupName": ADMIN_GROUP, "userName": ADMIN_USER }),
    )?;

    diesel::insert_into(access_keys_table::table)
        .values(&AccessKey {
            id: key.id.as_str().to_string(),
            account_id: account.clone(),
            user_id: Some(user_id),
            sealed_secret: key.sealed_secret,
            status: "Active".to_string(),
            created_at: now,
            last_used_at: None,
            last_used_service: None,
            last_used_region: None,
        })
        .execute(conn)?;
    audit(
        conn,
        "CreateAccessKey",
        json!({ "userName": ADMIN_USER, "accessKeyId": key.id.as_str() }),
    )?;

    Ok(Created {
        account_id,
        root_login: ROOT_LOGIN.to_string(),
        root_password,
        admin_user: arn::user(account.as_str(), "/", ADMIN_USER),
        access_key_id: key.id,
        secret_access_key: key.secret,
    })
}
