//! The console's lists of groups, roles and policies with more rows than a page (both
//! stores): counted pages with previous and next, sorting by their columns, a search through
//! every row (any case) and AWS's columns, all read page by page from the store.

use super::*;

/// The names a list links to under `base` ("/console/groups/"), in order.
fn names(body: &str, base: &str) -> Vec<String> {
    body.split(&format!(r#"<td><a href="{base}"#))
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The cells of the row that links to `href`.
fn row_of(body: &str, href: &str) -> String {
    let start = body
        .find(&format!(r#"<a href="{href}">"#))
        .unwrap_or_else(|| panic!("{href} not listed: {body}"));
    let end = body[start..].find("</tr>").unwrap() + start;
    body[start..end].to_string()
}

#[test]
fn groups_roles_and_policies_come_in_counted_sorted_pages_searched_in_the_store() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let account = account(&server);
        let ok = |params: &[(&str, &str)]| {
            let r = admin.post(params);
            assert_eq!(r.status, 200, "{backend:?} {params:?}: {}", r.body);
        };
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        for i in 0..55 {
            ok(&[
                ("Action", "CreateGroup"),
                ("GroupName", &format!("team-{i:02}")),
            ]);
            ok(&[
                ("Action", "CreateRole"),
                ("RoleName", &format!("role-{i:02}")),
                ("AssumeRolePolicyDocument", ec2),
            ]);
            ok(&[
                ("Action", "CreatePolicy"),
                ("PolicyName", &format!("policy-{i:02}")),
                ("PolicyDocument", policy),
            ]);
        }
        ok(&[("Action", "CreateUser"), ("UserName", "member")]);
        ok(&[
            ("Action", "AddUserToGroup"),
            ("GroupName", "team-07"),
            ("UserName", "member"),
        ]);
        let policy_07 = format!("arn:aws:iam::{account}:policy/policy-07");
        ok(&[
            ("Action", "AttachGroupPolicy"),
            ("GroupName", "team-07"),
            ("PolicyArn", &policy_07),
        ]);
        ok(&[
            ("Action", "AttachRolePolicy"),
            ("RoleName", "role-03"),
            ("PolicyArn", &policy_07),
        ]);
        let root = root_browser(&server);

        // Groups: the bootstrap's Administrators and 55 more.
        let first = root.get("/console/groups");
        assert!(
            first.body.contains("1\u{2013}50 of 56"),
            "{backend:?}: {}",
            first.body
        );
        let shown = names(&first.body, "/console/groups/");
        assert_eq!(shown.len(), 50);
        assert_eq!(shown[0], "Administrators", "by name, any case");
        assert!(first.body.contains(r#"href="/console/groups?page=2""#));
        let second = root.get("/console/groups?page=2");
        assert!(second.body.contains("51\u{2013}56 of 56"));
        assert!(second.body.contains(">team-54</a>") && second.body.contains(">Previous page</a>"));
        let team = row_of(&first.body, "/console/groups/team-07");
        assert!(
            team.contains("<td>1</td><td>1</td>"),
            "one user, one policy: {team}"
        );
        let newest = root.get("/console/groups?sort=created&order=desc");
        assert_eq!(names(&newest.body, "/console/groups/")[0], "team-54");
        assert!(newest.body.contains(r#"aria-sort="descending""#));
        let searched = root.get("/console/groups?search=TEAM-5");
        assert!(
            searched.body.contains("1\u{2013}5 of 5"),
            "{}",
            searched.body
        );
        assert_eq!(
            names(&searched.body, "/console/groups/"),
            ["team-50", "team-51", "team-52", "team-53", "team-54"]
        );
        assert!(
            searched.body.contains(r#"value="TEAM-5""#),
            "the search stays in its box"
        );

        // Roles: whom they trust, and the same paging.
        let roles = root.get("/console/roles?search=role-");
        assert!(roles.body.contains("1\u{2013}50 of 55"), "{}", roles.body);
        let role = row_of(&roles.body, "/console/roles/role-03");
        assert!(role.contains("AWS service: ec2"), "{role}");
        assert!(role.contains("never"), "not used yet: {role}");
        let last = root.get("/console/roles?search=role-&sort=name&order=desc");
        assert_eq!(names(&last.body, "/console/roles/")[0], "role-54");

        // Policies: customer managed by default, with their attachments in this account.
        let policies = root.get("/console/policies");
        assert!(
            policies.body.contains("1\u{2013}50 of 55"),
            "{}",
            policies.body
        );
        let seven = row_of(
            &policies.body,
            &format!("/console/policies/view?arn={}", seg_of(&policy_07)),
        );
        assert!(
            seven.contains("Customer managed") && seven.contains("<td>2</td>"),
            "a group and a role: {seven}"
        );
        let aws = root.get("/console/policies?scope=AWS&search=administratoraccess");
        assert!(aws.body.contains("1\u{2013}1 of 1"), "{}", aws.body);
        assert!(aws.body.contains("AWS managed"));
        let next = root.get("/console/policies?page=2");
        assert!(next.body.contains("51\u{2013}55 of 55"), "{}", next.body);
    }
}

/// A path segment or query value as the console writes it in links.
fn seg_of(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
