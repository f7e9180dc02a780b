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
use data_encoding::BASE64URL_NOPAD;
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
    /// Present when more items follow.
    pub marker: Option<String>,
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

/// The lists of the answer, in the order IAM fills them; a page may span several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Users,
    Groups,
    Roles,
    Policies,
}

impl Section {
    const ALL: [Section; 4] = [Self::Users, Self::Groups, Self::Roles, Self::Policies];

    fn letter(self) -> char {
        match self {
            Self::Users => 'u',
            Self::Groups => 'g',
            Self::Roles => 'r',
            Self::Policies => 'p',
        }
    }

    fn wanted(self, filter: Filter) -> bool {
        match self {
            Self::Users => filter.users,
            Self::Groups => filter.groups,
            Self::Roles => filter.roles,
            Self::Policies => filter.local_policies || filter.aws_policies,
        }
    }
}

/// Where a page continues: the section and the marker of that section's own listing.
fn encode_marker(section: Section, inner: Option<&str>) -> String {
    let text = format!("{}:{}", section.letter(), inner.unwrap_or(""));
    BASE64URL_NOPAD.encode(text.as_bytes())
}

fn decode_marker(marker: &str) -> Result<(Section, Option<String>), IamError> {
    let invalid = || IamError::Validation("Invalid Marker.".to_string());
    let text = BASE64URL_NOPAD
        .decode(marker.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (letter, inner) = text.split_once(':').ok_or_else(invalid)?;
    let section = Section::ALL
        .into_iter()
        .find(|s| letter.len() == 1 && letter.starts_with(s.letter()))
        .ok_or_else(invalid)?;
    Ok((section, (!inner.is_empty()).then(|| inner.to_string())))
}

/// Fills `details` with one page of `section`; returns how many items it added and the
/// section's marker when more of it follow.
fn fill(
    ctx: &ServiceContext,
    account_id: &str,
    filter: Filter,
    section: Section,
    request: &PageRequest,
    details: &mut Details,
) -> Result<(usize, Option<String>), IamError> {
    Ok(match section {
        Section::Users => {
            let page = users::list(ctx, account_id, None, request)?;
            for listed in &page.items {
                details
                    .users
                    .push(user_detail(ctx, account_id, &listed.name)?);
            }
            (page.items.len(), page.marker)
        }
        Section::Groups => {
            let page = groups::list(ctx, account_id, None, request)?;
            for group in &page.items {
                let policies =
                    entity_policies(ctx, account_id, EntityKind::Group, &group.id, &group.name)?;
                details.groups.push(GroupDetail {
                    group: group.clone(),
                    policies,
                });
            }
            (page.items.len(), page.marker)
        }
        Section::Roles => {
            let page = roles::list(ctx, account_id, None, request)?;
            for listed in &page.items {
                details
                    .roles
                    .push(role_detail(ctx, account_id, &listed.role.name)?);
            }
            (page.items.len(), page.marker)
        }
        Section::Policies => {
            let scope = match (filter.local_policies, filter.aws_policies) {
                (true, true) => Scope::All,
                (true, false) => Scope::Local,
                _ => Scope::Aws,
            };
            let page = policies::list(ctx, account_id, scope, false, None, request)?;
            let count = page.items.len();
            for policy in page.items {
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
            (count, page.marker)
        }
    })
}

fn user_detail(ctx: &ServiceContext, account_id: &str, name: &str) -> Result<UserDetail, IamError> {
    // Listing leaves tags and boundary out; the details include them.
    let user = users::get(ctx, account_id, name)?;
    let groups = ctx
        .store
        .read(|conn| groups::for_user(conn, &user.id))?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let policies = entity_policies(ctx, account_id, EntityKind::User, &user.id, &user.name)?;
    Ok(UserDetail {
        user,
        groups,
        policies,
    })
}

fn role_detail(ctx: &ServiceContext, account_id: &str, name: &str) -> Result<RoleDetail, IamError> {
    let role = roles::get(ctx, account_id, name)?;
    let profiles = instance_profiles::for_role(ctx, account_id, &role.role.name)?;
    let policies = entity_policies(
        ctx,
        account_id,
        EntityKind::Role,
        &role.role.id,
        &role.role.name,
    )?;
    Ok(RoleDetail {
        role,
        profiles,
        policies,
    })
}

/// One page of the account's authorization details: `MaxItems` counts the items of all the
/// lists together, filled in IAM's order (users, groups, roles, policies).
pub fn collect(
    ctx: &ServiceContext,
    account_id: &str,
    filter: Filter,
    page: &PageRequest,
) -> Result<Details, IamError> {
    let mut remaining = usize::try_from(page.limit()?).unwrap_or(usize::MAX);
    let (start, mut inner) = match page.marker.as_deref() {
        Some(marker) => {
            let (section, inner) = decode_marker(marker)?;
            (Some(section), inner)
        }
        None => (None, None),
    };
    let mut details = Details::default();
    let mut started = start.is_none();
    let sections: Vec<Section> = Section::ALL
        .into_iter()
        .filter(|s| s.wanted(filter))
        .collect();
    for (i, &section) in sections.iter().enumerate() {
        started = started || Some(section) == start;
        if !started {
            continue;
        }
        let request = PageRequest {
            marker: inner.take(),
            max_items: Some(i64::try_from(remaining).unwrap_or(i64::MAX)),
        };
        let (count, more) = fill(ctx, account_id, filter, section, &request, &mut details)?;
        remaining = remaining.saturating_sub(count);
        if let Some(more) = more {
            details.marker = Some(encode_marker(section, Some(&more)));
            return Ok(details);
        }
        if remaining == 0 {
            // The page is full at a section's end: continue with the next section that has
            // anything, if one does.
            for &next in &sections[i + 1..] {
                if has_any(ctx, account_id, filter, next)? {
                    details.marker = Some(encode_marker(next, None));
                    break;
                }
            }
            return Ok(details);
        }
    }
    Ok(details)
}

fn has_any(
    ctx: &ServiceContext,
    account_id: &str,
    filter: Filter,
    section: Section,
) -> Result<bool, IamError> {
    let one = PageRequest {
        marker: None,
        max_items: Some(1),
    };
    let mut probe = Details::default();
    Ok(fill(ctx, account_id, filter, section, &one, &mut probe)?.0 > 0)
}
