//! IAM users: create, read, rename, delete, list, tag.

use super::bootstrap::ROOT_LOGIN;
use super::call::Call;
use super::page::{Page, PageRequest};
use super::tags::{self, Tag, Taggable};
use super::{arn, names, policies, IamError};
use crate::config::limits::Limits;
use crate::context::ServiceContext;
use crate::storage::ids::UserId;
use crate::storage::models::User;
use crate::storage::schema::{
    access_keys, console_sessions, group_members, login_profiles, managed_policies, mfa_devices,
    password_history, tags as tag_rows, user_inline_policies, user_policy_attachments, users,
};
use crate::storage::sql::lower;
use crate::storage::{lock_account, DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// IAM's limit on user names.
pub const MAX_NAME_LEN: usize = 64;

/// Checks a new user name: IAM's characters and length, and not the root user's sign-in name.
///
/// The portal's sign-in form takes either the root login or an IAM user name, so a user named
/// like the root login (in any case: names compare without case) could be taken for the root
/// user. No user may therefore be created with, or renamed to, [`ROOT_LOGIN`].
fn check_new_name(field: &str, name: &str) -> Result<(), IamError> {
    names::check_name(field, name, MAX_NAME_LEN)?;
    if name.eq_ignore_ascii_case(ROOT_LOGIN) {
        return Err(IamError::InvalidInput(format!(
            "The user name {name} is reserved: it is the sign-in name of the account's root user."
        )));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct UserView {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub created_at: NaiveDateTime,
    pub password_last_used_at: Option<NaiveDateTime>,
    pub permissions_boundary_arn: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default)]
pub struct CreateUser {
    pub name: String,
    pub path: Option<String>,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

pub fn not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
}

/// The user `name` of the account (ignoring case, as IAM compares names).
pub fn find(conn: &mut DbConnection, account_id: &str, name: &str) -> Result<User, IamError> {
    users::table
        .filter(users::account_id.eq(account_id))
        .filter(lower(users::name).eq(name.to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(name))
}

/// A user as IAM's listing calls return it: without tags or boundary (no further queries).
pub fn summary(user: User) -> UserView {
    UserView {
        arn: arn::user(&user.account_id, &user.path, &user.name),
        id: user.id,
        account_id: user.account_id,
        name: user.name,
        path: user.path,
        created_at: user.created_at,
        password_last_used_at: user.password_last_used_at,
        permissions_boundary_arn: None,
        tags: Vec::new(),
    }
}

pub fn view(conn: &mut DbConnection, user: User) -> Result<UserView, IamError> {
    let tags = tags::list(conn, Taggable::User, &user.id)?;
    let permissions_boundary_arn = match &user.permissions_boundary_id {
        Some(id) => Some(policies::arn_of(conn, id)?),
        None => None,
    };
    Ok(UserView {
        arn: arn::user(&user.account_id, &user.path, &user.name),
        id: user.id,
        account_id: user.account_id,
        name: user.name,
        path: user.path,
        created_at: user.created_at,
        password_last_used_at: user.password_last_used_at,
        permissions_boundary_arn,
        tags,
    })
}

fn conflict_as_exists(name: &str) -> impl Fn(StorageError) -> IamError + '_ {
    move |e| match e {
        StorageError::Conflict(_) => {
            IamError::EntityAlreadyExists(format!("User with name {name} already exists."))
        }
        other => IamError::Storage(other),
    }
}

pub fn create(ctx: &ServiceContext, call: &Call, input: CreateUser) -> Result<UserView, IamError> {
    check_new_name("userName", &input.name)?;
    let path = input.path.clone().unwrap_or_else(|| "/".to_string());
    names::check_path(&path)?;
    let limits: &Limits = &ctx.limits;
    tags::check(&input.tags, limits.tags_per_resource)?;
    let now = ctx.clock.now_naive();
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = users::table
            .filter(users::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= limits.users_per_account {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for UsersPerAccount: {}.",
                limits.users_per_account
            )));
        }
        let boundary = match &input.permissions_boundary {
            Some(arn) => Some(policies::boundary_id(conn, &call.account_id, arn)?),
            None => None,
        };
        let user = User {
            id: UserId::generate(ctx.random.as_ref()).into_string(),
            account_id: call.account_id.clone(),
            name: input.name.clone(),
            path,
            permissions_boundary_id: boundary,
            password_last_used_at: None,
            created_at: now,
            email: None,
            email_verified: false,
        };
        diesel::insert_into(users::table)
            .values(&user)
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(conflict_as_exists(&input.name))?;
        tags::set(conn, &call.account_id, Taggable::User, &user.id, &input.tags, limits.tags_per_resource)?;
        call.audit(
            ctx,
            conn,
            "CreateUser",
            json!({ "userName": input.name, "path": user.path, "permissionsBoundary": input.permissions_boundary }),
        )?;
        view(conn, user)
    })
}

/// The user `name` with its permissions boundary and tags, read in one statement (GetUser is
/// the hottest IAM read).
pub fn get(ctx: &ServiceContext, account_id: &str, name: &str) -> Result<UserView, IamError> {
    let rows = ctx.store.query(|conn| {
        users::table
            .left_join(managed_policies::table)
            .left_join(
                tag_rows::table.on(tag_rows::resource_kind
                    .eq(Taggable::User.as_str())
                    .and(tag_rows::resource_id.eq(users::id))),
            )
            .filter(users::account_id.eq(account_id))
            .filter(lower(users::name).eq(name.to_lowercase()))
            .order(tag_rows::tag_key.asc())
            .select((
                User::as_select(),
                managed_policies::arn.nullable(),
                tag_rows::tag_key.nullable(),
                tag_rows::tag_value.nullable(),
            ))
            .load::<(User, Option<String>, Option<String>, Option<String>)>(conn)
            .map_err(IamError::from)
    })?;
    let mut rows = rows.into_iter();
    let (user, boundary, first_key, first_value) = rows.next().ok_or_else(|| not_found(name))?;
    let tags = std::iter::once((first_key, first_value))
        .chain(rows.map(|(_, _, key, value)| (key, value)))
        .filter_map(|(key, value)| {
            Some(Tag {
                key: key?,
                value: value.unwrap_or_default(),
            })
        })
        .collect();
    let mut view = summary(user);
    view.permissions_boundary_arn = boundary;
    view.tags = tags;
    Ok(view)
}

pub fn get_by_id(ctx: &ServiceContext, user_id: &str) -> Result<UserView, IamError> {
    ctx.store.read(|conn| {
        let user = get_by_id_in(conn, user_id)?;
        view(conn, user)
    })
}

/// The user with this unique id.
pub fn get_by_id_in(conn: &mut DbConnection, user_id: &str) -> Result<User, IamError> {
    users::table
        .find(user_id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(user_id))
}

pub fn update(
    ctx: &ServiceContext,
    call: &Call,
    name: &str,
    new_name: Option<String>,
    new_path: Option<String>,
) -> Result<(), IamError> {
    if let Some(n) = &new_name {
        check_new_name("newUserName", n)?;
    }
    if let Some(p) = &new_path {
        names::check_path(p)?;
    }
    ctx.change(|conn| {
        let user = find(conn, &call.account_id, name)?;
        let target = new_name.clone().unwrap_or_else(|| user.name.clone());
        diesel::update(users::table.find(&user.id))
            .set((
                users::name.eq(&target),
                users::path.eq(new_path.clone().unwrap_or(user.path.clone())),
            ))
            .execute(conn)
            .map_err(StorageError::from)
            .map_err(conflict_as_exists(&target))?;
        call.audit(
            ctx,
            conn,
            "UpdateUser",
            json!({ "userName": name, "newUserName": new_name, "newPath": new_path }),
        )?;
        Ok(())
    })
}

/// Deletes a user that has nothing attached any more (IAM refuses otherwise).
pub fn delete(ctx: &ServiceContext, call: &Call, name: &str) -> Result<(), IamError> {
    ctx.change(|conn| {
        let user = find(conn, &call.account_id, name)?;
        let id = &user.id;
        let conflicts: [(i64, &str); 6] = [
            (
                access_keys::table
                    .filter(access_keys::user_id.eq(id))
                    .count()
                    .get_result(conn)?,
                "Cannot delete entity, must delete access keys first.",
            ),
            (
                login_profiles::table
                    .filter(login_profiles::user_id.eq(id))
                    .count()
                    .get_result(conn)?,
                "Cannot delete entity, must delete login profile first.",
            ),
            (
                mfa_devices::table
                    .filter(mfa_devices::user_id.eq(id))
                    .filter(mfa_devices::enabled.eq(true))
                    .count()
                    .get_result(conn)?,
                "Cannot delete entity, must delete MFA device first.",
            ),
            (
                user_inline_policies::table
                    .filter(user_inline_policies::user_id.eq(id))
                    .count()
                    .get_result(conn)?,
                "Cannot delete entity, must delete policies first.",
            ),
            (
                user_policy_attachments::table
                    .filter(user_policy_attachments::user_id.eq(id))
                    .count()
                    .get_result(conn)?,
                "Cannot delete entity, must detach all policies first.",
            ),
            (
                group_members::table
                    .filter(group_members::user_id.eq(id))
                    .count()
                    .get_result(conn)?,
                "Cannot delete entity, must remove users from group first.",
            ),
        ];
        if let Some((_, message)) = conflicts.iter().find(|(n, _)| *n > 0) {
            return Err(IamError::DeleteConflict((*message).to_string()));
        }
        // Unassigned virtual MFA devices that were never enabled go with the user's tags.
        tags::remove_all(conn, Taggable::User, id)?;
        // What IAM does not make the caller remove first: the hashes of earlier passwords
        // (kept so the password policy can refuse reuse) and the user's console sessions,
        // which end with it. Both referred to the row and blocked its deletion.
        diesel::delete(password_history::table.filter(password_history::user_id.eq(id)))
            .execute(conn)?;
        diesel::delete(console_sessions::table.filter(console_sessions::user_id.eq(id)))
            .execute(conn)?;
        diesel::delete(users::table.find(id)).execute(conn)?;
        call.audit(ctx, conn, "DeleteUser", json!({ "userName": name }))?;
        Ok(())
    })
}

pub fn list(
    ctx: &ServiceContext,
    account_id: &str,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<UserView>, IamError> {
    let limit = page.limit()?;
    let after = page.after()?;
    ctx.store.read(|conn| {
        let mut query = users::table
            .filter(users::account_id.eq(account_id))
            .select(User::as_select())
            .order(lower(users::name).asc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(prefix) = path_prefix {
            query = query.filter(
                users::path
                    .like(format!("{}%", escape_like(prefix)))
                    .escape('\\'),
            );
        }
        if let Some(after) = &after {
            query = query.filter(lower(users::name).gt(after.clone()));
        }
        let rows = query.load(conn)?;
        Ok(Page::from_rows(rows, limit, |u: &User| u.name.to_lowercase()).map(summary))
    })
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
