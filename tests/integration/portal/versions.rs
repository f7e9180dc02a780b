//! A customer managed policy's versions on its console page: listed, and any one made the default.

use super::*;

#[test]
fn a_policys_versions_are_listed_and_any_one_made_the_default() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let root = root_browser(&server);
        let doc = |action: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
            )
        };
        let made = admin.post(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "reader"),
            ("PolicyDocument", &doc("iam:GetUser")),
        ]);
        assert_eq!(made.status, 200, "{}", made.body);
        let arn = element(&made.body, "Arn").to_string();
        let v2 = admin.post(&[
            ("Action", "CreatePolicyVersion"),
            ("PolicyArn", &arn),
            ("PolicyDocument", &doc("iam:ListUsers")),
            ("SetAsDefault", "true"),
        ]);
        assert_eq!(v2.status, 200, "{}", v2.body);
        let view = format!("/console/policies/view?arn={arn}");
        let page = root.get(&view);
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains(r#"id="policy-versions""#),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains(r#"aria-label="Make version v1 the default""#),
            "{}",
            page.body
        );
        assert!(!page.body.contains("Make version v2 the default"));
        let done = root.submit(
            &view,
            "/console/policies/change/default",
            &[("arn", &arn), ("version", "v1")],
        );
        assert_eq!(done.status, 303, "{backend:?}: {}", done.body);
        let policy = admin.post(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]);
        assert!(
            policy
                .body
                .contains("<DefaultVersionId>v1</DefaultVersionId>"),
            "{}",
            policy.body
        );
        let page = root.get(&view);
        assert!(page
            .body
            .contains("Version v1 is now the default of policy reader."));
        assert!(
            page.body.contains("iam:GetUser"),
            "the default's document is shown"
        );
        // A version that does not exist is refused in IAM's words, not a 500.
        let missing = root.submit(
            &view,
            "/console/policies/change/default",
            &[("arn", &arn), ("version", "v9")],
        );
        assert_eq!(missing.status, 404, "{}", missing.body);
    }
}
