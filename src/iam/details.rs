//! `GetAccountAuthorizationDetails`: every user, group, role and managed policy of the account
//! with the policies attached to or embedded in each, in one answer.

use super::entities::EntityKind;
use super::groups::{self};
use super::instance_profiles::{self, ProfileView};
use super::page::PageRequest;
use super::policies::{self, PolicyView, Scope};
use super::roles::{self, RoleView};
use super::users::{self, UserView};
use super::{inline, IamError};
use crate::context::ServiceContext;
use crate::storage::models::{Group, PolicyVersion};
use crate::storage::schema::{managed_policies, policy_versions};
use diesel::prelude::*;

/// Inline policies (name, document) and attached managed policies (name, arn) of an entity.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    pub inline: Vec<(String, String)>,
    pub attached: Vec<(String, String)>,
}

pub struct UserDetail {
    pub user: UserView,
    pub groups: Vec<String>,
    pub policies: Policies,
}

pub struct GroupDetail {
    pub group: Group,
    pub policies: Policies,
}

pub struct RoleDetail {
    pub role: RoleView,
    pub profiles: Vec<ProfileView>,
    pub policies: Policies,
}

pub struct PolicyDetail {
    pub policy: PolicyView,
    pub versions: Vec<PolicyVersion>,
}

#[derive(Default)]
pub struct Details {
    pub users: Vec<UserDetail>,
    pub groups: Vec<GroupDetail>,
    pub roles: Vec<RoleDetail>,
    pub policies: Vec<PolicyDetail>,
}

/// Which parts to include (IAM's `Filter`; empty means all).
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub users: bool,
    pub groups: bool,
    pub roles: bool,
    pub local_policies: bool,
    pub aws_policies: bool,
}

fn all_pages<T>(
    mut fetch: impl FnMut(&PageRequest) -> Result<super::page::Page<T>, IamError>,
) -> Result<Vec<T>, IamError> {
    let mut out = Vec::new();
    let mut request = PageRequest {
        marker: None,
        max_items: Some(super::page::MAX_MAX_ITEMS),
    };
    loop {
        let page = fetch(&request)?;
        out.extend(page.items);
        match page.marker {
            Some(marker) => request.marker = Some(marker),
            None => return Ok(out),
        }
    }
}

fn entity_policies(
    ctx: &ServiceContext,
    account_id: &str,
    kind: EntityKind,
    id: &str,
    name: &str,
) -> Result<Policies, IamError> {
    let attached = all_pages(|p| policies::list_attached(ctx, account_id, kind, name, None, p))?;
    let inline = ctx.store.read(|conn| inline::all(conn, kind, id))?;
    Ok(Policies { inline, attached })
}

pub fn collect(
    ctx: &ServiceContext,
    account_id: &str,
    filter: Filter,
) -> Result<Details, IamError> {
    let mut details = Details::default();
    if filter.users {
        for listed in all_pages(|p| users::list(ctx, account_id, None, p))? {
            // Listing leaves tags and boundary out; the details include them.
            let user = users::get(ctx, account_id, &listed.name)?;
            let groups = ctx
                .store
                .read(|conn| groups::for_user(conn, &user.id))?
                .into_iter()
                .map(|g| g.name)
                .collect();
            let policies =
                entity_policies(ctx, account_id, EntityKind::User, &user.id, &user.name)?;
            details.users.push(UserDetail {
                user,
                groups,
                policies,
            });
        }
    }
    if filter.groups {
        for group in all_pages(|p| groups::list(ctx, account_id, None, p))? {
            let policies =
                entity_policies(ctx, account_id, EntityKind::Group, &group.id, &group.name)?;
            details.groups.push(GroupDetail { group, policies });
        }
    }
    if filter.roles {
        for listed in all_pages(|p| roles::list(ctx, account_id, None, p))? {
            let role = roles::get(ctx, account_id, &listed.role.name)?;
            let profiles = instance_profiles::for_role(ctx, account_id, &role.role.name)?;
            let policies = entity_policies(
                ctx,
                account_id,
                EntityKind::Role,
                &role.role.id,
                &role.role.name,
            )?;
            details.roles.push(RoleDetail {
                role,
                profiles,
                policies,
            });
        }
    }
    let scope = match (filter.local_policies, filter.aws_policies) {
        (true, true) => Some(Scope::All),
        (true, false) => Some(Scope::Local),
        (false, true) => Some(Scope::Aws),
        (false, false) => None,
    };
    if let Some(scope) = scope {
        for policy in all_pages(|p| policies::list(ctx, account_id, scope, false, None, p))? {
            let versions = ctx.store.read(|conn| {
                policy_versions::table
                    .inner_join(managed_policies::table)
                    .filter(managed_policies::id.eq(&policy.policy.id))
                    .order(policy_versions::created_at.desc())
                    .select(PolicyVersion::as_select())
                    .load(conn)
                    .map_err(IamError::from)
            })?;
            details.policies.push(PolicyDetail { policy, versions });
        }
    }
    Ok(details)
}
