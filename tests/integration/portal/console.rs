//! The console: users, groups, policies and roles managed through the IAM actions, what a user's
//! policies let it see (with AWS's reasons), long lists in pages, and `aws:SecureTransport`
//! from trusted proxies.

use super::*;

#[test]
fn the_console_manages_users_groups_and_policies_through_the_iam_actions() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let server = Server::start(&db, &[]);
        let admin = Client::for_server(&server, &db);
        let root = root_browser(&server);
        let users = root.get("/console/users");
        assert_eq!(users.status, 200, "{}", users.body);
        assert!(
            users.body.contains(">admin</a>"),
            "the bootstrap admin is listed"
        );
        // Create a user with a console password, as the console's form does.
        let created = root.submit(
            "/console/users",
            "/console/users",
            &[
                ("name", "ivy"),
                ("path", "/"),
                ("password", "Ivy-Passw0rd!"),
                ("reset", "true"),
            ],
        );
        assert_eq!(
            created.location.as_deref(),
            Some("/console/users/ivy"),
            "{backend:?}: {}",
            created.body
        );
        let page = root.get("/console/users/ivy");
        assert!(page.body.contains("User ivy created."), "{}", page.body);
        assert!(page.body.contains("arn:aws:iam::"), "{}", page.body);
        let again = root.get("/console/users/ivy");
        assert!(
            !again.body.contains("User ivy created."),
            "a flash is shown once"
        );
        assert!(page.body.contains("Must change at next sign-in"));
        // A group with a policy, and the user in it.
        let group = root.submit(
            "/console/groups",
            "/console/groups",
            &[("name", "readers"), ("path", "/")],
        );
        assert_eq!(group.location.as_deref(), Some("/console/groups/readers"));
        let attach = root.submit(
            "/console/groups/readers",
            "/console/groups/readers/attach",
            &[("arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")],
        );
        assert_eq!(
            attach.location.as_deref(),
            Some("/console/groups/readers"),
            "{}",
            attach.body
        );
        let added = root.submit(
            "/console/users/ivy",
            "/console/users/ivy/add-to-group",
            &[("group", "readers")],
        );
        assert_eq!(added.location.as_deref(), Some("/console/users/ivy"));
        // The API sees what the console did.
        let groups = admin.post(&[("Action", "ListGroupsForUser"), ("UserName", "ivy")]);
        assert!(
            groups.body.contains("<GroupName>readers</GroupName>"),
            "{}",
            groups.body
        );
        let attached = admin.post(&[
            ("Action", "ListAttachedGroupPolicies"),
            ("GroupName", "readers"),
        ]);
        assert!(attached.body.contains("IAMReadOnlyAccess"));
        // A refused change shows IAM's own message.
        let again = root.submit(
            "/console/users",
            "/console/users",
            &[("name", "IVY"), ("path", "/")],
        );
        assert_eq!(again.status, 409, "{}", again.body);
        assert!(again.body.contains("already exists"), "{}", again.body);
        // An access key: the secret is shown once, with a CSV to download.
        let key = root.submit("/console/users/ivy", "/console/users/ivy/create-key", &[]);
        assert_eq!(key.status, 303, "{}", key.body);
        assert!(!key.location.clone().unwrap_or_default().contains("AKIA"));
        let key = root.get("/console/users/ivy");
        assert!(key.body.contains("Shown this once"), "{}", key.body);
        assert!(key.body.contains("Secret access key"));
        assert!(key.body.contains("data:text/csv;base64,"));
        let shown = root.get("/console/users/ivy");
        assert!(
            !shown.body.contains("Secret access key"),
            "never shown again"
        );
        let keys = admin.post(&[("Action", "ListAccessKeys"), ("UserName", "ivy")]);
        assert!(keys.body.contains("<Status>Active</Status>"));
        // Renamed, and found by a search of the groups list.
        let renamed = root.submit(
            "/console/users/ivy",
            "/console/users/ivy/rename",
            &[("new_name", "ivy2"), ("new_path", "/team/")],
        );
        assert_eq!(
            renamed.location.as_deref(),
            Some("/console/users/ivy2"),
            "{}",
            renamed.body
        );
        let user = admin.post(&[("Action", "GetUser"), ("UserName", "ivy2")]);
        assert!(user.body.contains("<Path>/team/</Path>"), "{}", user.body);
        let found = root.get("/console/groups?search=READ");
        assert!(found.body.contains(">readers</a>"));
        assert!(!found.body.contains(">Administrators</a>"));
        assert!(root
            .get("/console/groups")
            .body
            .contains(">Administrators</a>"));
    }
}

#[test]
fn a_user_sees_only_what_its_policies_allow_with_aws_reasons() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "jo", "Jo-Passw0rd!", false);
    let browser = Browser::new(&server);
    browser.sign_in(&account(&server), "jo", "Jo-Passw0rd!");
    let users = browser.get("/console/users");
    assert_eq!(users.status, 200);
    assert!(
        users
            .body
            .contains("is not authorized to perform: iam:ListUsers"),
        "{}",
        users.body
    );
    let create = browser.submit(
        "/console/users",
        "/console/users",
        &[("name", "mallory"), ("path", "/")],
    );
    assert_eq!(create.status, 403);
    assert!(
        create
            .body
            .contains("is not authorized to perform: iam:CreateUser"),
        "{}",
        create.body
    );
    let forged = browser.post(
        "/console/users",
        &[("csrf_token", "forged"), ("name", "mallory"), ("path", "/")],
    );
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("Form expired"));
    let missing = admin.post(&[("Action", "GetUser"), ("UserName", "mallory")]);
    assert_eq!(missing.status, 404, "nothing was created");
    // Read-only access lets it list, not change.
    let attach = admin.post(&[
        ("Action", "AttachUserPolicy"),
        ("UserName", "jo"),
        ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
    ]);
    assert_eq!(attach.status, 200, "{}", attach.body);
    let users = browser.get("/console/users");
    assert!(users.body.contains(">jo</a>"), "{}", users.body);
    let delete = browser.submit("/console/users/jo", "/console/users/jo/delete", &[]);
    assert_eq!(delete.status, 403);
    assert!(delete.body.contains("iam:DeleteUser"));
}

#[test]
fn roles_and_policies_are_edited_with_the_policy_engines_findings() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let root = root_browser(&server);
    let account = account(&server);
    // The role form starts with a trust policy for this account.
    let form = root.get("/console/roles");
    assert!(form.body.contains(&format!("arn:aws:iam::{account}:root")));
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let created = root.submit(
        "/console/roles",
        "/console/roles",
        &[
            ("name", "auditor"),
            ("description", "reads"),
            ("max_session", "3600"),
            ("trust", &trust),
        ],
    );
    assert_eq!(
        created.location.as_deref(),
        Some("/console/roles/auditor"),
        "{}",
        created.body
    );
    let bad = root.submit(
        "/console/roles/auditor",
        "/console/roles/auditor/trust",
        &[("document", "{not json")],
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("{not json"), "the edit is kept");
    let role = admin.post(&[("Action", "GetRole"), ("RoleName", "auditor")]);
    assert!(
        role.body.contains("sts%3AAssumeRole") || role.body.contains("sts:AssumeRole"),
        "trust unchanged"
    );

    // A policy with an error is refused with the engine's finding; a good one is created.
    let wrong = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*"}]}"#;
    let refused = root.submit(
        "/console/policies",
        "/console/policies",
        &[("name", "reader"), ("document", wrong)],
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("Error"), "{}", refused.body);
    // The author's own layout: a tab, and the statement on one line.
    let good = "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [{\"Sid\": \"Read\", \"Effect\": \"Allow\", \"Action\": \"iam:Get*\", \"Resource\": \"*\"}]\n}";
    let ok = root.submit(
        "/console/policies",
        "/console/policies",
        &[("name", "reader"), ("document", good)],
    );
    let location = ok.location.clone().unwrap_or_default();
    assert!(
        location.starts_with("/console/policies/view?arn="),
        "{}",
        ok.body
    );
    let arn = format!("arn:aws:iam::{account}:policy/reader");
    let view = root.get(&location);
    assert!(
        view.body.contains(
            "\t&#34;Statement&#34;: [{&#34;Sid&#34;: &#34;Read&#34;, &#34;Effect&#34;: &#34;Allow&#34;"
        ),
        "the document as its author wrote it: {}",
        view.body
    );
    assert!(!view.body.contains("Warning"), "{}", view.body);
    // A condition key the statement's IAM actions are never given: saved, with a warning on
    // the policy's page.
    let unsupplied = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Guard","Effect":"Deny","Action":"iam:CreateGroup","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}}]}"#;
    let warned = root.submit(
        "/console/policies",
        "/console/policies",
        &[("name", "guard"), ("document", unsupplied)],
    );
    let guard_page = warned.location.clone().unwrap_or_default();
    assert!(
        guard_page.starts_with("/console/policies/view?arn="),
        "{}",
        warned.body
    );
    let guard_view = root.get(&guard_page);
    assert!(
        guard_view.body.contains("Warning in statement Guard")
            && guard_view
                .body
                .contains("iam:PolicyARN is never present on iam:CreateGroup"),
        "{}",
        guard_view.body
    );
    // The policy generator: a service, two actions and a filled ARN pattern give a document
    // that opens in the create-policy form.
    let generated = root.get(
        "/console/policies/generate?service=iam&action:GetUser=on&action:ListUsers=on\
         &arn:user=arn:aws:iam::111122223333:user/alice&key=&operator=StringEquals&value=",
    );
    assert!(
        generated.body.contains("&#34;iam:GetUser&#34;,")
            && generated
                .body
                .contains("&#34;Resource&#34;: &#34;arn:aws:iam::111122223333:user/alice&#34;")
            && generated.body.contains("Open in the policy editor"),
        "{}",
        generated.body
    );
    let prefilled = root.get("/console/policies?document=%7B%22Version%22%3A%222012-10-17%22%7D");
    assert!(
        prefilled
            .body
            .contains("&#34;Version&#34;:&#34;2012-10-17&#34;")
            && prefilled.body.contains("/console/policies/generate"),
        "{}",
        prefilled.body
    );
    // Names the AWS service catalogue does not know: saved, with warnings on the policy's page.
    let typo = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Typo","Effect":"Allow","Action":["iam:GetUsr","keyward:Authorize"],"Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresentt":"true"}}}]}"#;
    let typo_saved = root.submit(
        "/console/policies",
        "/console/policies",
        &[("name", "typo"), ("document", typo)],
    );
    let typo_view = root.get(&typo_saved.location.clone().unwrap_or_default());
    assert!(
        typo_view
            .body
            .contains("Warning in statement Typo: Action iam:GetUsr matches no action")
            && typo_view
                .body
                .contains("Condition key aws:MultiFactorAuthPresentt is neither")
            && !typo_view.body.contains("keyward:Authorize matches"),
        "{}",
        typo_view.body
    );
    let v2 = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadAndList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}"#;
    let saved = root.submit(
        &location,
        "/console/policies/change/version",
        &[("arn", &arn), ("document", v2)],
    );
    assert!(
        saved
            .location
            .unwrap_or_default()
            .starts_with("/console/policies/view?arn="),
        "{}",
        saved.body
    );
    let policy = admin.post(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]);
    assert!(
        policy
            .body
            .contains("<DefaultVersionId>v2</DefaultVersionId>"),
        "{}",
        policy.body
    );
    let attach = root.submit(
        "/console/roles/auditor",
        "/console/roles/auditor/attach",
        &[("arn", &arn)],
    );
    assert_eq!(attach.location.as_deref(), Some("/console/roles/auditor"));
    let in_use = root.submit(
        &location,
        "/console/policies/change/delete",
        &[("arn", &arn)],
    );
    assert_eq!(
        in_use.status, 409,
        "an attached policy cannot be deleted: {}",
        in_use.body
    );

    // The simulator decides as the engine does, per action.
    let simulated = root.submit(
        "/console/simulator",
        "/console/simulator",
        &[
            ("source", &format!("arn:aws:iam::{account}:role/auditor")),
            ("actions", "iam:ListUsers iam:CreateUser"),
            ("resources", "*"),
            ("context", ""),
            ("policy", ""),
        ],
    );
    assert_eq!(simulated.status, 200, "{}", simulated.body);
    assert!(
        simulated
            .body
            .contains("<td>iam:ListUsers</td><td>*</td><td>Allowed</td><td>reader</td>"),
        "{}",
        simulated.body
    );
    assert!(simulated
        .body
        .contains("<td>iam:CreateUser</td><td>*</td><td>Denied implicitly"));

    // Several resources: one row for the action with IAM's most restrictive decision, then each
    // resource's own decision under it.
    let alice = format!("arn:aws:iam::{account}:user/alice");
    let boss = format!("arn:aws:iam::{account}:user/boss");
    let pasted = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"Read","Effect":"Allow","Action":"iam:GetUser","Resource":"*"}},
            {{"Sid":"NotBoss","Effect":"Deny","Action":"iam:GetUser","Resource":"{boss}"}}]}}"#
    );
    let per_resource = root.submit(
        "/console/simulator",
        "/console/simulator",
        &[
            ("source", ""),
            ("actions", "iam:GetUser"),
            ("resources", &format!("{alice} {boss}")),
            ("context", ""),
            ("policy", &pasted),
        ],
    );
    assert_eq!(per_resource.status, 200, "{}", per_resource.body);
    let body = &per_resource.body;
    let top = body
        .find("<td>iam:GetUser</td><td>All 2 resources</td><td>Denied explicitly</td>")
        .unwrap_or_else(|| panic!("{body}"));
    let first = body
        .find(&format!("<td></td><td>↳ {alice}</td><td>Allowed</td>"))
        .unwrap_or_else(|| panic!("{body}"));
    let second = body
        .find(&format!(
            "<td></td><td>↳ {boss}</td><td>Denied explicitly</td>"
        ))
        .unwrap_or_else(|| panic!("{body}"));
    assert!(top < first && first < second, "{body}");
    assert!(!body.contains("Policy findings"), "{body}");

    // Unknown actions, typed or in the pasted policy, are named above the results.
    let typo = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUsr","Resource":"*"}]}"#;
    let warned = root.submit(
        "/console/simulator",
        "/console/simulator",
        &[
            ("source", ""),
            ("actions", "iam:GetUsr"),
            ("resources", "*"),
            ("context", ""),
            ("policy", typo),
        ],
    );
    assert_eq!(warned.status, 200, "{}", warned.body);
    assert!(
        warned.body.contains("Policy findings")
            && warned
                .body
                .contains("Warning in statement 1: Action iam:GetUsr matches no action")
            && warned
                .body
                .contains("Warning: Action iam:GetUsr is not an action of any AWS service."),
        "{}",
        warned.body
    );
}

/// The console's `aws:SecureTransport` is the connection's: true when a trusted proxy says the
/// browser came over https, whatever the public URL is.
#[test]
fn the_consoles_secure_transport_comes_from_trusted_proxies() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]);
    let admin = Client::for_server(&server, &db);
    console_user(&admin, "tls", "Tls-Passw0rd-1", false);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers",
        "Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    let put = admin.post(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "tls"),
        ("PolicyName", "tls-only"),
        ("PolicyDocument", policy),
    ]);
    assert_eq!(put.status, 200, "{}", put.body);
    let browser = Browser::new(&server);
    browser.sign_in(&account(&server), "tls", "Tls-Passw0rd-1");
    let denied = "is not authorized to perform: iam:ListUsers";
    let plain = browser.get("/console/users");
    assert!(plain.body.contains(denied), "{}", plain.body);
    let proxied = browser.get_with("/console/users", ("x-forwarded-proto", "https"));
    assert!(!proxied.body.contains(denied), "{}", proxied.body);
}
