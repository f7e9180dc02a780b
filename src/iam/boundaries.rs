//! Permissions boundaries on users and roles.

use super::call::Call;
use super::entities::EntityKind;
use super::{policies, roles, users, IamError};
use crate::context::ServiceContext;
use crate::storage::schema::{roles as roles_table, users as users_table};
use diesel::prelude::*;
use serde_json::json;

/// Sets (`Some`) or removes (`None`) the boundary of a user or role.
pub fn set(
    ctx: &ServiceContext,
    call: &Call,
    kind: EntityKind,
    name: &str,
    policy_arn: Option<&str>,
) -> Result<(), IamError> {
    ctx.change(|conn| {
        let boundary = match policy_arn {
            Some(arn) => Some(policies::boundary_id(conn, &call.account_id, arn)?),
            None => None,
        };
        let event = match (kind, policy_arn.is_some()) {
            (EntityKind::User, true) => "PutUserPermissionsBoundary",
            (EntityKind::User, false) => "DeleteUserPermissionsBoundary",
            (_, true) => "PutRolePermissionsBoundary",
            (_, false) => "DeleteRolePermissionsBoundary",
        };
        match kind {
            EntityKind::User => {
                let user = users::find(conn, &call.account_id, name)?;
                diesel::update(users_table::table.find(&user.id))
                    .set(users_table::permissions_boundary_id.eq(boundary))
                    .execute(conn)?;
            }
            _ => {
                let role = roles::find(conn, &call.account_id, name)?;
                diesel::update(roles_table::table.find(&role.id))
                    .set(roles_table::permissions_boundary_id.eq(boundary))
                    .execute(conn)?;
            }
        }
        call.audit(
            ctx,
            conn,
            event,
            json!({ kind.parameter(): name, "permissionsBoundary": policy_arn }),
        )?;
        Ok(())
    })
}
