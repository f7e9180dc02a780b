//! The console's users table with many users (both stores): counted pages with previous and
//! next, sorting, search and filters, and AWS's columns (groups, MFA, last sign-in, password
//! age, access-key age), all read page by page.

use super::*;

fn rows_of(body: &str) -> Vec<String> {
    body.split(r#"<td><a href="/console/users/"#)
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(str::to_string)
        .collect()
}

fn row_text(body: &str, user: &str) -> String {
    let start = body
        .find(&format!(r#"<a href="/console/users/{user}">"#))
        .unwrap_or_else(|| panic!("{user} not listed: {body}"));
    let end = body[start..].find("</tr>").unwrap() + start;
    body[start..end].to_string()
}

#[test]
fn the_users_table_pages_sorts_searches_and_filters_with_awss_columns() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let ok = |params: &[(&str, &str)]| {
            let r = admin.post(params);
            assert_eq!(r.status, 200, "{backend:?} {params:?}: {}", r.body);
        };
        for i in 0..58 {
            ok(&[("Action", "CreateUser"), ("UserName", &format!("u-{i:02}"))]);
        }
        ok(&[("Action", "CreateGroup"), ("GroupName", "crew")]);
        ok(&[
            ("Action", "AddUserToGroup"),
            ("GroupName", "crew"),
            ("UserName", "u-00"),
        ]);
        ok(&[("Action", "CreateAccessKey"), ("UserName", "u-01")]);
        for name in ["u-02", "u-03"] {
            ok(&[
                ("Action", "CreateLoginProfile"),
                ("UserName", name),
                ("Password", "Table-Passw0rd!"),
            ]);
        }
        let root = root_browser(&server);
        // The bootstrap administrator is a user too.
        let total = admin
            .post(&[("Action", "ListUsers")])
            .body
            .matches("<UserName>")
            .count();
        assert_eq!(total, 59, "{backend:?}");
        let first = root.get("/console/users");
        assert!(
            first.body.contains(&format!("1\u{2013}50 of {total}")),
            "{backend:?}: {}",
            first.body
        );
        assert_eq!(rows_of(&first.body).len(), 50);
        assert!(first.body.contains(r#"aria-sort="ascending""#));
        let next = root.get("/console/users?page=2");
        assert!(next.body.contains(&format!("51\u{2013}{total} of {total}")));
        assert!(next.body.contains(">Previous page</a>"));
        assert!(!next.body.contains(">Next page</a>"));
        // Sorted by name, descending: u-57 first.
        let sorted = root.get("/console/users?sort=name&order=desc");
        assert_eq!(
            rows_of(&sorted.body).first().map(String::as_str),
            Some("u-57")
        );
        assert!(sorted.body.contains(r#"aria-sort="descending""#));
        // A search looks through every user, not one page.
        let searched = root.get("/console/users?search=U-1");
        assert!(
            searched.body.contains("1\u{2013}10 of 10"),
            "{}",
            searched.body
        );
        // Console users without MFA.
        let without = root.get("/console/users?mfa=without");
        let listed = rows_of(&without.body);
        assert!(listed.contains(&"u-02".to_string()) && listed.contains(&"u-03".to_string()));
        assert!(
            !listed.contains(&"u-04".to_string()),
            "no console password: not listed"
        );
        // The columns AWS shows.
        assert!(
            row_text(&first.body, "u-00").contains("<td>1</td>"),
            "one group"
        );
        let keyed = row_text(&first.body, "u-01");
        assert!(
            keyed.contains("<td>today</td>"),
            "a key made today: {keyed}"
        );
        let password = row_text(&first.body, "u-02");
        assert!(password.contains("<td>None</td>"), "no MFA: {password}");
        assert!(
            password.contains("<td>never</td>"),
            "never signed in: {password}"
        );
    }
}
