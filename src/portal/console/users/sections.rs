//! The sections of a user's page: a new key's secret shown once, groups, attached policies
//! (shared with groups and roles), access keys, console password and MFA devices.

use crate::aws_api::endpoint::AwsApi;
use crate::portal::console::view::{Cell, Field, Form, Section, Table};
use crate::portal::console::{date, iam, read, seg, Console};

fn row_action(base: &str, op: &str, label: &str, fields: Vec<Field>, danger: bool) -> Form {
    let mut form = Form::post("", &format!("{base}/{op}"), label).inline();
    form.fields = fields;
    form.danger = danger;
    form
}

pub(super) fn groups_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    let mut section = Section::new("groups", "Groups");
    let Some(reply) = read(
        api,
        c,
        "ListGroupsForUser",
        &[("UserName", name)],
        &mut section,
    ) else {
        return section;
    };
    let mut table = Table::new("user-groups", &["Group"], "Not in any group.");
    let mut member_of = Vec::new();
    for g in reply.items("member") {
        let group = g.value("GroupName").unwrap_or_default();
        table.row(
            vec![Cell::link(
                &group,
                format!("/console/groups/{}", seg(&group)),
            )],
            vec![row_action(
                base,
                "remove-from-group",
                "Remove",
                vec![Field::hidden("group", &group)],
                false,
            )
            .confirm(
                &format!("Remove {name} from {group}?"),
                &group,
                &format!("{name} loses the permissions granted through {group}."),
            )
            .labelled(format!("Remove {name} from {group}"))],
        );
        member_of.push(group);
    }
    section = section.table(table);
    // Offer the groups the caller may list and the user is not in; none is chosen at first.
    let options = crate::portal::console::users::group_options(api, c, &member_of);
    if !options.is_empty() {
        section = section.form(
            Form::post(
                "add-to-group",
                &format!("{base}/add-to-group"),
                "Add to groups",
            )
            .field(Field::checklist("Groups to add", "group", options)),
        );
    }
    section
}

/// The customer managed and AWS managed policies the caller may list, for attach forms.
pub fn policy_options(api: &AwsApi, c: &Console, attached: &[String]) -> Vec<(String, String)> {
    let Ok(all) = iam(
        api,
        c,
        "ListPolicies",
        &[("MaxItems", "1000"), ("OnlyAttachable", "true")],
    ) else {
        return Vec::new();
    };
    all.items("member")
        .into_iter()
        .filter_map(|p| Some((p.value("Arn")?, p.value("PolicyName")?)))
        .filter(|(arn, _)| !attached.contains(arn))
        .collect()
}

/// The attached policies of a user, group or role (`kind`: User, Group, Role) with detach
/// actions and an attach form.
pub fn attached_section(api: &AwsApi, c: &Console, kind: &str, name: &str, base: &str) -> Section {
    let mut section = Section::new("policies", "Permissions policies");
    let key = format!("{kind}Name");
    let action = format!("ListAttached{kind}Policies");
    let Some(reply) = read(api, c, &action, &[(&key, name)], &mut section) else {
        return section;
    };
    let mut table = Table::new(
        "attached-policies",
        &["Policy", "ARN"],
        "No policy is attached.",
    );
    let mut arns = Vec::new();
    for p in reply.items("member") {
        let (policy, arn) = (
            p.value("PolicyName").unwrap_or_default(),
            p.value("PolicyArn").unwrap_or_default(),
        );
        table.row(
            vec![
                Cell::link(&policy, format!("/console/policies/view?arn={}", seg(&arn))),
                Cell::text(&arn),
            ],
            vec![row_action(
                base,
                "detach",
                "Detach",
                vec![Field::hidden("arn", &arn)],
                false,
            )
            .confirm(
                &format!("Detach {policy} from {name}?"),
                &policy,
                &format!("{name} loses the permissions that {policy} grants."),
            )
            .labelled(format!("Detach {policy} from {name}"))],
        );
        arns.push(arn);
    }
    section = section.table(table);
    let options = policy_options(api, c, &arns);
    if !options.is_empty() {
        section = section.form(
            Form::post("attach", &format!("{base}/attach"), "Attach policies")
                .field(Field::checklist("Policies to attach", "arn", options)),
        );
    }
    let inline_action = format!("List{kind}Policies");
    if let Ok(inline) = iam(api, c, &inline_action, &[(&key, name)]) {
        let names = inline.values("member");
        if !names.is_empty() {
            section = section.line(format!("Inline policies: {}", names.join(", ")));
        }
    }
    section
}

pub(super) fn policies_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    attached_section(api, c, "User", name, base)
}

pub(super) fn keys_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    let mut section = Section::new("access-keys", "Access keys");
    let Some(reply) = read(
        api,
        c,
        "ListAccessKeys",
        &[("UserName", name)],
        &mut section,
    ) else {
        return section;
    };
    let mut table = Table::new(
        "keys",
        &["Access key ID", "Status", "Created", "Last used"],
        "No access keys.",
    );
    for k in reply.items("member") {
        let id = k.value("AccessKeyId").unwrap_or_default();
        let status = k.value("Status").unwrap_or_default();
        let last = iam(api, c, "GetAccessKeyLastUsed", &[("AccessKeyId", &id)])
            .ok()
            .and_then(|r| r.value("LastUsedDate"))
            .map_or("never".into(), |d| date(&d));
        let flip = if status == "Active" {
            "Inactive"
        } else {
            "Active"
        };
        let flip_label = if status == "Active" {
            "Deactivate"
        } else {
            "Activate"
        };
        table.row(
            vec![
                Cell::text(&id),
                Cell::text(&status),
                Cell::text(date(&k.value("CreateDate").unwrap_or_default())),
                Cell::text(last),
            ],
            vec![
                row_action(
                    base,
                    "key-status",
                    flip_label,
                    vec![Field::hidden("key", &id), Field::hidden("status", flip)],
                    false,
                )
                .labelled(format!("{flip_label} access key {id}")),
                row_action(
                    base,
                    "delete-key",
                    "Delete",
                    vec![Field::hidden("key", &id)],
                    true,
                )
                .confirm(
                    &format!("Delete access key {id}?"),
                    &id,
                    "Programs that sign requests with this key stop working at once.",
                )
                .labelled(format!("Delete access key {id}")),
            ],
        );
    }
    section.table(table).form(Form::post(
        "create-key",
        &format!("{base}/create-key"),
        "Create access key",
    ))
}

pub(super) fn password_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    let section = Section::new("console-password", "Console password");
    let form = Form::post(
        "set-password",
        &format!("{base}/set-password"),
        "Set password",
    )
    .field(Field::password("New password", "password").required())
    .field(Field::checkbox(
        "The user must create a new password at the next sign-in",
        "reset",
        true,
    ));
    match iam(api, c, "GetLoginProfile", &[("UserName", name)]) {
        Ok(profile) => locked_banner(api, c, name, base, section)
            .fact("Status", "Enabled")
            .fact(
                "Created",
                date(&profile.value("CreateDate").unwrap_or_default()),
            )
            .fact(
                "Password age",
                age_in_days(api, &profile.value("CreateDate").unwrap_or_default()),
            )
            .fact(
                "Must change at next sign-in",
                profile.value("PasswordResetRequired").unwrap_or_default(),
            )
            .form(form)
            .form(
                Form::post(
                    "delete-password",
                    &format!("{base}/delete-password"),
                    "Remove console password",
                )
                .confirm(
                    &format!("Remove the console password of {name}?"),
                    name,
                    &format!(
                        "{name} can no longer sign in to the console (access keys keep working)."
                    ),
                ),
            ),
        Err(e) if e.code() == "NoSuchEntity" => section.fact("Status", "Disabled").form(form),
        Err(e) => section.denied(crate::portal::console::explain(&e)),
    }
}

/// "12 days" since an ISO 8601 time of the API.
fn age_in_days(api: &AwsApi, iso: &str) -> String {
    let Ok(then) = chrono::DateTime::parse_from_rfc3339(iso) else {
        return String::new();
    };
    let days = (api.ctx.clock.now() - then.with_timezone(&chrono::Utc)).num_days();
    match days {
        1 => "1 day".into(),
        n => format!("{n} days"),
    }
}

/// While sign-in to the user is locked by too many wrong passwords: a banner and "Unlock".
fn locked_banner(api: &AwsApi, c: &Console, name: &str, base: &str, section: Section) -> Section {
    let Some(until) = crate::portal::console::lockout::locked_until(api, c, name) else {
        return section;
    };
    section
        .denied(format!(
            "Sign-in is locked after too many wrong passwords, until {} UTC.",
            until.format("%Y-%m-%d %H:%M")
        ))
        .form(
            Form::post("unlock", &format!("{base}/unlock"), "Unlock")
                .labelled(format!("Unlock sign-in of {name}")),
        )
}

/// A device's name and type, from its serial number (`…:mfa/NAME` is an authenticator app,
/// `…:u2f/…/NAME` a security key or passkey).
fn device_of(serial: &str) -> (&str, &'static str) {
    let name = serial.rsplit('/').next().unwrap_or(serial);
    let kind = if serial.contains(":u2f/") {
        "Security key or passkey"
    } else {
        "Authenticator app"
    };
    (name, kind)
}

pub(super) fn mfa_section(api: &AwsApi, c: &Console, name: &str, base: &str) -> Section {
    let mut section = Section::new("mfa", "MFA devices");
    let Some(reply) = read(
        api,
        c,
        "ListMFADevices",
        &[("UserName", name)],
        &mut section,
    ) else {
        return section;
    };
    let mut table = Table::new(
        "user-mfa",
        &["Device", "Type", "Enabled", "Serial number"],
        "No MFA device.",
    );
    for d in reply.items("member") {
        let serial = d.value("SerialNumber").unwrap_or_default();
        let (device, kind) = device_of(&serial);
        table.row(
            vec![
                Cell::text(device),
                Cell::text(kind),
                Cell::text(date(&d.value("EnableDate").unwrap_or_default())),
                Cell::text(&serial),
            ],
            vec![row_action(
                base,
                "deactivate-mfa",
                "Deactivate",
                vec![Field::hidden("serial", &serial)],
                true,
            )
            .confirm(
                &format!("Deactivate the MFA device of {name}?"),
                name,
                &format!("{name} signs in without this device from now on."),
            )
            .labelled(format!("Deactivate MFA device {serial}"))],
        );
    }
    section.table(table)
}
