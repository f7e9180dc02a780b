//! What a user or role may do, in one table: every policy that applies to it, attached
//! directly, through each of a user's groups, inline, and the permissions boundary that caps
//! them, each with a link to read it (inline ones to edit it). Read through the IAM actions as
//! the console's principal, like every console page, so a refused read says why.

use super::view::{Cell, Section, Table};
use super::{iam, read, seg, Console};
use crate::aws_api::endpoint::AwsApi;

/// The page of a managed policy.
fn managed_link(arn: &str) -> String {
    format!("/console/policies/view?arn={}", seg(arn))
}

/// The page of an inline policy of a user, group or role (`kind`: users, groups, roles).
pub fn inline_link(kind: &str, owner: &str, policy: &str) -> String {
    format!("/console/inline/{kind}/{}/{}", seg(owner), seg(policy))
}

fn kind_of(arn: &str) -> &'static str {
    if arn.starts_with("arn:aws:iam::aws:") {
        "AWS managed"
    } else {
        "Customer managed"
    }
}

/// Rows for the managed and inline policies of `who` (`kind`: User, Group, Role), saying
/// through what they apply.
fn rows_of(
    api: &AwsApi,
    c: &Console,
    kind: &str,
    who: &str,
    through: &str,
    table: &mut Table,
    section: &mut Section,
) {
    let key = format!("{kind}Name");
    let me = [(key.as_str(), who)];
    if let Some(reply) = read(api, c, &format!("ListAttached{kind}Policies"), &me, section) {
        for p in reply.items("member") {
            let (name, arn) = (
                p.value("PolicyName").unwrap_or_default(),
                p.value("PolicyArn").unwrap_or_default(),
            );
            table.row(
                vec![
                    Cell::link(&name, managed_link(&arn)),
                    Cell::text(kind_of(&arn)),
                    Cell::text(through),
                ],
                Vec::new(),
            );
        }
    }
    if let Some(reply) = read(api, c, &format!("List{kind}Policies"), &me, section) {
        let plural = format!("{}s", kind.to_lowercase());
        for name in reply.values("member") {
            table.row(
                vec![
                    Cell::link(&name, inline_link(&plural, who, &name)),
                    Cell::text("Inline"),
                    Cell::text(through),
                ],
                Vec::new(),
            );
        }
    }
}

/// The permissions of the user or role `name` (`kind`: User or Role); `boundary` is its
/// permissions boundary's ARN, if it has one.
pub fn section(
    api: &AwsApi,
    c: &Console,
    kind: &str,
    name: &str,
    boundary: Option<&str>,
) -> Section {
    let mut section = Section::new("permissions", "Permissions").line(
        "Every policy that applies, and through what. A request is allowed when one of them \
         allows it, none denies it, and the permissions boundary (if any) allows it too.",
    );
    let mut table = Table::new(
        "effective-permissions",
        &["Policy", "Type", "Applies through"],
        "No policy applies: every request is denied.",
    );
    rows_of(api, c, kind, name, "Directly", &mut table, &mut section);
    if kind == "User" {
        if let Ok(groups) = iam(api, c, "ListGroupsForUser", &[("UserName", name)]) {
            for group in groups.values("GroupName") {
                let through = format!("Group {group}");
                rows_of(api, c, "Group", &group, &through, &mut table, &mut section);
            }
        }
    }
    if let Some(arn) = boundary {
        let policy = super::policy_name(arn).to_string();
        table.row(
            vec![
                Cell::link(&policy, managed_link(arn)),
                Cell::text("Permissions boundary"),
                Cell::text("Caps all of the above"),
            ],
            Vec::new(),
        );
    }
    section.table(table)
}
