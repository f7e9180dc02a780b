//! `keyward policy validate|simulate` through the real binary.

use std::process::Command;

fn keyward(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(crate::harness::keyward_bin())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn validate_and_simulate_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"iam:Get*","Resource":"*"},
            {"Effect":"Deny","Action":"iam:GetUser","Resource":"arn:aws:iam::111122223333:user/boss"}]}"#,
    )
    .unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"Version":"2012-10-17","Statement":[{"Action":"iam:*","Resource":"*"}]}"#,
    )
    .unwrap();

    let (code, out, _) = keyward(&["policy", "validate", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = keyward(&["policy", "validate", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("Effect"), "{out}");

    let simulate = |action: &str, resource: &str| {
        keyward(&[
            "policy",
            "simulate",
            "--policy",
            good.to_str().unwrap(),
            "--action",
            action,
            "--resource",
            resource,
        ])
    };
    let (code, out, _) = simulate("iam:GetRole", "arn:aws:iam::111122223333:role/r");
    assert_eq!(code, 0, "allowed: {out}");
    let (code, out, _) = simulate("iam:GetUser", "arn:aws:iam::111122223333:user/boss");
    assert_eq!(code, 1, "explicitly denied: {out}");
    assert!(out.to_lowercase().contains("deny"), "{out}");
    let (code, _, _) = simulate("iam:CreateUser", "arn:aws:iam::111122223333:user/x");
    assert_eq!(code, 1, "implicitly denied");
}

#[test]
fn validate_warns_of_condition_keys_iam_never_supplies_and_still_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let guard = dir.path().join("guard.json");
    std::fs::write(
        &guard,
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"NoAdmin","Effect":"Deny","Action":"iam:AttachUserPolicy","Resource":"*",
             "Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}},
            {"Sid":"Tagged","Effect":"Deny","Action":["iam:CreateGroup","iam:ListUsers"],"Resource":"*",
             "Condition":{"StringEquals":{"aws:RequestTag/team":"red"}}}]}"#,
    )
    .unwrap();
    let (code, out, _) = keyward(&["policy", "validate", guard.to_str().unwrap()]);
    assert_eq!(code, 0, "a warning does not refuse the policy: {out}");
    assert!(
        out.contains("warning: Statement[1] (Sid Tagged): Condition key aws:RequestTag/team is never present on iam:CreateGroup, iam:ListUsers"),
        "{out}"
    );
    assert!(
        !out.contains("iam:PolicyARN is never"),
        "supplied for AttachUserPolicy: {out}"
    );
    assert!(out.contains("0 error(s), 1 warning(s)"), "{out}");
}

#[test]
fn validate_warns_of_names_the_service_catalogue_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.json");
    std::fs::write(
        &typo,
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Typo","Effect":"Allow","Action":["s3:GetObjekt","keyward:Authorize","nosuch:Thing"],
             "Resource":"*","Condition":{"StringEquals":{"s3:prefixx":"home/"}}}]}"#,
    )
    .unwrap();
    let (code, out, _) = keyward(&["policy", "validate", typo.to_str().unwrap()]);
    assert_eq!(code, 0, "warnings do not refuse the policy: {out}");
    assert!(
        out.contains("Action s3:GetObjekt matches no action of"),
        "{out}"
    );
    assert!(
        out.contains("nosuch is not the prefix of any AWS service"),
        "{out}"
    );
    assert!(out.contains("Condition key s3:prefixx is neither"), "{out}");
    assert!(!out.contains("keyward:Authorize"), "{out}");
}
