//! Example policies from AWS's IAM User Guide ("Example IAM identity-based policies" and the
//! condition operator pages), with the outcomes the guide states.

use std::net::IpAddr;

use chrono::{TimeZone, Utc};

use super::{ctx, effect, identity};
use crate::policy::DecisionEffect as D;

/// "AWS: Denies access to AWS based on the source IP" (with an allow-all so the deny is visible).
#[test]
fn deny_based_on_source_ip() {
    let deny = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*",
        "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}}"#,
    );
    let allow = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let ps = [allow, deny];
    let from =
        |ip: &str| ctx("ec2:RunInstances", "*").with("aws:SourceIp", ip.parse::<IpAddr>().unwrap());
    assert_eq!(effect(&ps, &from("192.0.2.17")), D::Allowed);
    assert_eq!(effect(&ps, &from("203.0.113.200")), D::Allowed);
    assert_eq!(effect(&ps, &from("198.51.100.1")), D::ExplicitDeny);
    // Absent key with a negated operator: the condition is true, so the Deny applies.
    assert_eq!(effect(&ps, &ctx("ec2:RunInstances", "*")), D::ExplicitDeny);
}

/// "AWS: Allows access based on date and time".
#[test]
fn date_and_time_window() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"service-prefix:action-name","Resource":"*",
        "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}}]}"#,
    );
    let at = |m, d| {
        ctx("service-prefix:action-name", "*").with(
            "aws:CurrentTime",
            Utc.with_ymd_and_hms(2020, m, d, 12, 0, 0).unwrap(),
        )
    };
    assert_eq!(effect(std::slice::from_ref(&p), &at(5, 1)), D::Allowed);
    assert_eq!(
        effect(std::slice::from_ref(&p), &at(3, 31)),
        D::ImplicitDeny
    );
    assert_eq!(effect(std::slice::from_ref(&p), &at(7, 1)), D::ImplicitDeny);
    // aws:EpochTime with a date operator.
    let e = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:EpochTime":"1585699200"}}}}"#,
    );
    assert_eq!(
        effect(
            std::slice::from_ref(&e),
            &ctx("s3:GetObject", "*").with("aws:EpochTime", 1_600_000_000_i64)
        ),
        D::Allowed
    );
    assert_eq!(
        effect(
            &[e],
            &ctx("s3:GetObject", "*").with("aws:EpochTime", 1_500_000_000_i64)
        ),
        D::ImplicitDeny
    );
}

/// "AWS: Denies access to AWS based on MFA" style: BoolIfExists on aws:MultiFactorAuthPresent.
#[test]
fn deny_without_mfa() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:ChangePassword","sts:GetSessionToken"],"Resource":"*",
         "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#,
    );
    let ps = [p];
    // Long-term keys: the key is absent, IfExists makes the condition true → denied.
    assert_eq!(effect(&ps, &ctx("s3:ListBucket", "*")), D::ExplicitDeny);
    assert_eq!(
        effect(
            &ps,
            &ctx("s3:ListBucket", "*").with("aws:MultiFactorAuthPresent", false)
        ),
        D::ExplicitDeny
    );
    assert_eq!(
        effect(
            &ps,
            &ctx("s3:ListBucket", "*").with("aws:MultiFactorAuthPresent", true)
        ),
        D::Allowed
    );
    // NotAction carves the listed actions out of the Deny.
    assert_eq!(effect(&ps, &ctx("iam:ChangePassword", "*")), D::Allowed);
}

/// "Amazon S3: Allows IAM users access to their S3 home directory" (policy variables).
#[test]
fn s3_home_directory() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::amzn-s3-demo-bucket","Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}},
        {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}","arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"]}]}"#,
    );
    let ps = [p];
    let list = |prefix: &str| {
        ctx("s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket").with("s3:prefix", prefix)
    };
    assert_eq!(effect(&ps, &list("home/bob/photos/")), D::Allowed);
    assert_eq!(effect(&ps, &list("")), D::Allowed);
    assert_eq!(effect(&ps, &list("home/alice/")), D::ImplicitDeny);
    assert_eq!(
        effect(
            &ps,
            &ctx(
                "s3:PutObject",
                "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/a/b.txt"
            )
        ),
        D::Allowed
    );
    assert_eq!(
        effect(
            &ps,
            &ctx(
                "s3:PutObject",
                "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/a.txt"
            )
        ),
        D::ImplicitDeny
    );
}

/// ABAC: "IAM: Access resources when the principal tag matches the resource tag".
#[test]
fn abac_principal_tag_matches_resource_tag() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*",
        "Condition":{"StringEquals":{"aws:ResourceTag/access-project":"${aws:PrincipalTag/access-project}"}}}}"#,
    );
    let who = super::bob().with_tag("access-project", "peg");
    let req = |tag: &str| {
        crate::policy::RequestContext::new(
            who.clone(),
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:s",
        )
        .with("aws:ResourceTag/access-project", tag)
    };
    assert_eq!(effect(std::slice::from_ref(&p), &req("peg")), D::Allowed);
    assert_eq!(
        effect(std::slice::from_ref(&p), &req("other")),
        D::ImplicitDeny
    );
    // Untagged principal: the variable cannot be resolved, the statement does not match.
    assert_eq!(
        effect(
            &[p],
            &ctx("secretsmanager:GetSecretValue", "*")
                .with("aws:ResourceTag/access-project", "peg")
        ),
        D::ImplicitDeny
    );
}

/// "Controlling access during AWS requests": only allowed tag keys (ForAllValues on aws:TagKeys),
/// and at least one required tag (ForAnyValue).
#[test]
fn tag_keys_set_operators() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:TagUser","Resource":"*",
        "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Department","Project"]}}}}"#,
    );
    let tags = |keys: &[&str]| {
        ctx("iam:TagUser", "*").with(
            "aws:TagKeys",
            keys.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        effect(std::slice::from_ref(&p), &tags(&["Department"])),
        D::Allowed
    );
    assert_eq!(
        effect(std::slice::from_ref(&p), &tags(&["Department", "Cost"])),
        D::ImplicitDeny
    );
    // AWS warns: ForAllValues with an absent key is true (that is why the guide pairs it with Null).
    assert_eq!(
        effect(std::slice::from_ref(&p), &ctx("iam:TagUser", "*")),
        D::Allowed
    );
    let q = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:TagUser","Resource":"*",
        "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Department","Project"]},"Null":{"aws:TagKeys":"false"}}}}"#,
    );
    assert_eq!(
        effect(std::slice::from_ref(&q), &ctx("iam:TagUser", "*")),
        D::ImplicitDeny
    );
    assert_eq!(effect(&[q], &tags(&["Project"])), D::Allowed);
}

/// "Condition operators / Numeric": s3:max-keys at most 10.
#[test]
fn numeric_max_keys() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::amzn-s3-demo-bucket","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}}"#,
    );
    let ps = [p];
    let c =
        |n: &str| ctx("s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket").with("s3:max-keys", n);
    assert_eq!(effect(&ps, &c("10")), D::Allowed);
    assert_eq!(effect(&ps, &c("11")), D::ImplicitDeny);
}

/// "Condition operators / String": `aws:PrincipalTag/job-category` equals `iamuser-admin`, on
/// `iam:*AccessKey*` for users of the account.
#[test]
fn string_equals_principal_tag() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::111122223333:user/*",
        "Condition":{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}}}"#,
    );
    let admin = super::bob().with_tag("job-category", "iamuser-admin");
    let c = crate::policy::RequestContext::new(
        admin,
        "iam:CreateAccessKey",
        "arn:aws:iam::111122223333:user/alice",
    );
    assert_eq!(effect(std::slice::from_ref(&p), &c), D::Allowed);
    assert_eq!(
        effect(
            std::slice::from_ref(&p),
            &ctx(
                "iam:CreateAccessKey",
                "arn:aws:iam::111122223333:user/alice"
            )
        ),
        D::ImplicitDeny
    );
    assert_eq!(
        effect(
            &[p],
            &ctx("iam:CreateUser", "arn:aws:iam::111122223333:user/alice")
        ),
        D::ImplicitDeny
    );
}
