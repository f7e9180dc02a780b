//! Tags of users, roles and policies edited on their console pages, through IAM's tag actions.

use super::*;

#[test]
fn tags_are_added_changed_and_removed_on_users_roles_and_policies() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    let root = root_browser(&server);
    for params in [
        vec![("Action", "CreateUser"), ("UserName", "tia")],
        vec![
            ("Action", "CreateRole"),
            ("RoleName", "tagged"),
            (
                "AssumeRolePolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            ),
        ],
        vec![
            ("Action", "CreatePolicy"),
            ("PolicyName", "tagged"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#,
            ),
        ],
    ] {
        let made = admin.post(&params);
        assert_eq!(made.status, 200, "{}", made.body);
    }
    let policy = format!("arn:aws:iam::{account}:policy/tagged");
    let policy_page = format!("/console/policies/view?arn={policy}");
    for (page, kind, owner, list) in [
        (
            "/console/users/tia",
            "users",
            "tia",
            vec![("Action", "ListUserTags"), ("UserName", "tia")],
        ),
        (
            "/console/roles/tagged",
            "roles",
            "tagged",
            vec![("Action", "ListRoleTags"), ("RoleName", "tagged")],
        ),
        (
            policy_page.as_str(),
            "policies",
            policy.as_str(),
            vec![("Action", "ListPolicyTags"), ("PolicyArn", policy.as_str())],
        ),
    ] {
        let added = root.submit(
            page,
            &format!("/console/tags/{kind}/tag"),
            &[
                ("owner", owner),
                ("key", "email"),
                ("value", "tia@example.com"),
            ],
        );
        assert_eq!(added.status, 303, "{kind}: {}", added.body);
        let shown = root.get(page);
        assert!(
            shown.body.contains("Tag email saved."),
            "{kind}: {}",
            shown.body
        );
        assert!(shown.body.contains("tia@example.com"));
        let tags = admin.post(&list);
        assert!(
            tags.body.contains("<Value>tia@example.com</Value>"),
            "{}",
            tags.body
        );
        let removed = root.submit(
            page,
            &format!("/console/tags/{kind}/untag"),
            &[("owner", owner), ("key", "email")],
        );
        assert_eq!(removed.status, 303, "{kind}: {}", removed.body);
        assert!(!admin.post(&list).body.contains("tia@example.com"));
    }
    // A user's page says which tags feed OpenID Connect claims.
    assert!(root
        .get("/console/users/tia")
        .body
        .contains("The tags name and email are the user&#39;s name and email address"));
}
