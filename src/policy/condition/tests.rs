//! One table per operator family, plus set qualifiers, IfExists and absent keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;

use chrono::{TimeZone, Utc};

use super::{Condition, ConditionSpec};
use crate::policy::context::{ContextValue as V, Principal, RequestContext};

const KEY: &str = "test:Key";

fn ctx_with(value: Option<V>) -> RequestContext {
    let p = Principal::user("111122223333", "/", "bob", "AIDABOB").with_tag("team", "blue");
    let ctx = RequestContext::new(p, "s3:GetObject", "arn:aws:s3:::b/k");
    match value {
        Some(v) => ctx.with(KEY, v),
        None => ctx,
    }
}

fn eval(op: &str, values: &[&str], value: Option<V>) -> bool {
    let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
    let c = Condition::compile(&ConditionSpec {
        operator: op,
        key: KEY,
        values: &values,
        variables: true,
    })
    .unwrap_or_else(|e| panic!("{op} {values:?}: {e}"));
    c.eval(&ctx_with(value), &mut |_| {})
}

fn s(x: &str) -> Option<V> {
    Some(V::String(x.to_owned()))
}
fn list(xs: &[&str]) -> Option<V> {
    Some(V::Strings(xs.iter().map(|x| x.to_string()).collect()))
}

type Row = (&'static str, &'static [&'static str], Option<V>, bool);

fn run(rows: Vec<Row>) {
    for (op, values, value, want) in rows {
        let got = eval(op, values, value.clone());
        assert_eq!(got, want, "{op} {values:?} vs {value:?}");
    }
}

#[test]
fn string_operators() {
    run(vec![
        ("StringEquals", &["a"], s("a"), true),
        ("StringEquals", &["a"], s("A"), false),
        ("StringEquals", &["a", "b"], s("b"), true),
        ("StringEquals", &["a"], None, false),
        ("StringNotEquals", &["a"], s("a"), false),
        ("StringNotEquals", &["a", "b"], s("c"), true),
        ("StringNotEquals", &["a", "b"], s("b"), false),
        // AWS "Condition operators": a negated operator with an absent key is true.
        ("StringNotEquals", &["a"], None, true),
        ("StringEqualsIgnoreCase", &["ABC"], s("abc"), true),
        ("StringEqualsIgnoreCase", &["ABC"], s("abd"), false),
        ("StringNotEqualsIgnoreCase", &["ABC"], s("aBc"), false),
        ("StringNotEqualsIgnoreCase", &["ABC"], s("x"), true),
        ("StringLike", &["home/*"], s("home/bob/x"), true),
        ("StringLike", &["home/?ob"], s("home/bob"), true),
        ("StringLike", &["home/*"], s("Home/bob"), false),
        ("StringNotLike", &["home/*"], s("tmp/x"), true),
        ("StringNotLike", &["home/*"], s("home/x"), false),
        ("StringNotLike", &["home/*"], None, true),
        // Non-string request values are compared as their text.
        ("StringEquals", &["true"], Some(V::Bool(true)), true),
        ("StringEquals", &["5"], Some(V::Number(5.0)), true),
    ]);
}

#[test]
fn numeric_operators() {
    run(vec![
        ("NumericEquals", &["10"], s("10"), true),
        ("NumericEquals", &["10"], s("10.0"), true),
        ("NumericEquals", &["10"], Some(V::Number(10.0)), true),
        ("NumericEquals", &["10"], s("11"), false),
        ("NumericEquals", &["10"], s("ten"), false),
        ("NumericNotEquals", &["10"], s("11"), true),
        ("NumericNotEquals", &["10"], s("10"), false),
        ("NumericLessThan", &["10"], s("9.5"), true),
        ("NumericLessThan", &["10"], s("10"), false),
        ("NumericLessThanEquals", &["10"], s("10"), true),
        ("NumericGreaterThan", &["10"], s("10"), false),
        ("NumericGreaterThan", &["10"], s("-11"), false),
        ("NumericGreaterThan", &["-20"], s("-11"), true),
        ("NumericGreaterThanEquals", &["10"], s("10"), true),
        ("NumericLessThan", &["10"], None, false),
        ("NumericLessThan", &["10"], s("NaN"), false),
    ]);
}

#[test]
fn date_operators() {
    let t = |y, m, d| Some(V::Date(Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()));
    run(vec![
        (
            "DateGreaterThan",
            &["2020-01-01T00:00:00Z"],
            t(2020, 1, 2),
            true,
        ),
        (
            "DateGreaterThan",
            &["2020-01-01T00:00:00Z"],
            t(2019, 12, 31),
            false,
        ),
        ("DateLessThan", &["2020-01-01"], t(2019, 12, 31), true),
        (
            "DateLessThan",
            &["2020-01-01T00:00:00+01:00"],
            t(2020, 1, 1),
            false,
        ),
        ("DateEquals", &["1577836800"], t(2020, 1, 1), true),
        (
            "DateEquals",
            &["2020-01-01T00:00:00.000Z"],
            s("1577836800"),
            true,
        ),
        (
            "DateEquals",
            &["2020-01-01T00:00:00Z"],
            Some(V::Number(1_577_836_800.0)),
            true,
        ),
        (
            "DateNotEquals",
            &["2020-01-01T00:00:00Z"],
            t(2020, 1, 2),
            true,
        ),
        (
            "DateLessThanEquals",
            &["2020-01-01T00:00:00Z"],
            s("2020-01-01T00:00:00Z"),
            true,
        ),
        (
            "DateGreaterThanEquals",
            &["2020-01-01T00:00:00Z"],
            s("2019-01-01T00:00:00Z"),
            false,
        ),
        (
            "DateGreaterThan",
            &["2020-01-01T00:00:00Z"],
            s("not a date"),
            false,
        ),
    ]);
}

#[test]
fn bool_binary_ip_arn_null() {
    let ip = |x: &str| Some(V::Ip(x.parse::<IpAddr>().unwrap()));
    run(vec![
        ("Bool", &["true"], Some(V::Bool(true)), true),
        ("Bool", &["true"], s("TRUE"), true),
        ("Bool", &["false"], Some(V::Bool(true)), false),
        ("Bool", &["true"], s("yes"), false),
        ("Bool", &["true"], None, false),
        ("BoolIfExists", &["true"], None, true),
        (
            "BinaryEquals",
            &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="],
            Some(V::Binary(b"BinaryValueInBase64".to_vec())),
            true,
        ),
        (
            "BinaryEquals",
            &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="],
            s("QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
            true,
        ),
        (
            "BinaryEquals",
            &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="],
            s("other"),
            false,
        ),
        ("IpAddress", &["203.0.113.0/24"], ip("203.0.113.7"), true),
        ("IpAddress", &["203.0.113.0/24"], ip("203.0.114.7"), false),
        ("IpAddress", &["203.0.113.9"], s("203.0.113.9"), true),
        (
            "IpAddress",
            &["2001:DB8:1234:5678::/64"],
            ip("2001:db8:1234:5678::1"),
            true,
        ),
        (
            "IpAddress",
            &["2001:DB8:1234:5678::/64"],
            ip("2001:db8:1234:5679::1"),
            false,
        ),
        (
            "IpAddress",
            &["203.0.113.0/24", "2001:DB8::/32"],
            ip("2001:db8::9"),
            true,
        ),
        ("IpAddress", &["203.0.113.0/24"], s("not-an-ip"), false),
        (
            "NotIpAddress",
            &["203.0.113.0/24"],
            ip("198.51.100.1"),
            true,
        ),
        (
            "NotIpAddress",
            &["203.0.113.0/24"],
            ip("203.0.113.1"),
            false,
        ),
        (
            "ArnLike",
            &["arn:aws:iam::*:role/Dev*"],
            s("arn:aws:iam::111122223333:role/DevOps"),
            true,
        ),
        (
            "ArnEquals",
            &["arn:aws:iam::*:role/Dev*"],
            s("arn:aws:iam::111122223333:role/DevOps"),
            true,
        ),
        (
            "ArnLike",
            &["arn:aws:iam::*:role/Dev*"],
            s("arn:aws:iam::111122223333:user/Dev"),
            false,
        ),
        (
            "ArnLike",
            &["arn:aws:sns:*:111122223333:*"],
            s("arn:aws:sns:us-east-1:111122223333:t"),
            true,
        ),
        (
            "ArnNotLike",
            &["arn:aws:iam::*:role/Dev*"],
            s("arn:aws:iam::1:user/x"),
            true,
        ),
        (
            "ArnNotEquals",
            &["arn:aws:iam::1:user/x"],
            s("arn:aws:iam::1:user/x"),
            false,
        ),
        (
            "ArnLike",
            &["arn:aws:iam::*:role/*"],
            s("not-an-arn"),
            false,
        ),
        ("Null", &["true"], None, true),
        ("Null", &["true"], s("x"), false),
        ("Null", &["false"], s("x"), true),
        ("Null", &["false"], None, false),
    ]);
}

#[test]
fn if_exists_forms() {
    run(vec![
        ("StringEqualsIfExists", &["a"], None, true),
        ("StringEqualsIfExists", &["a"], s("b"), false),
        ("StringEqualsIfExists", &["a"], s("a"), true),
        ("NumericLessThanIfExists", &["3"], None, true),
        ("NumericLessThanIfExists", &["3"], s("4"), false),
        ("DateLessThanIfExists", &["2020-01-01"], None, true),
        ("IpAddressIfExists", &["10.0.0.0/8"], None, true),
        ("ArnLikeIfExists", &["arn:aws:iam::1:*"], None, true),
        ("StringNotLikeIfExists", &["x*"], s("xy"), false),
        ("BinaryEqualsIfExists", &["AA=="], None, true),
    ]);
}

#[test]
fn set_qualifiers() {
    run(vec![
        // AWS: ForAllValues with an absent key or an empty list is true.
        ("ForAllValues:StringEquals", &["a", "b"], None, true),
        ("ForAllValues:StringEquals", &["a", "b"], list(&[]), true),
        ("ForAllValues:StringEquals", &["a", "b"], list(&["a"]), true),
        (
            "ForAllValues:StringEquals",
            &["a", "b"],
            list(&["a", "b"]),
            true,
        ),
        (
            "ForAllValues:StringEquals",
            &["a", "b"],
            list(&["a", "c"]),
            false,
        ),
        // AWS: ForAnyValue with an absent key or an empty list is false.
        ("ForAnyValue:StringEquals", &["a", "b"], None, false),
        ("ForAnyValue:StringEquals", &["a", "b"], list(&[]), false),
        (
            "ForAnyValue:StringEquals",
            &["a", "b"],
            list(&["c", "b"]),
            true,
        ),
        ("ForAnyValue:StringEquals", &["a", "b"], list(&["c"]), false),
        (
            "ForAllValues:StringNotEquals",
            &["a"],
            list(&["b", "c"]),
            true,
        ),
        (
            "ForAllValues:StringNotEquals",
            &["a"],
            list(&["a", "c"]),
            false,
        ),
        (
            "ForAnyValue:StringNotEquals",
            &["a"],
            list(&["a", "c"]),
            true,
        ),
        ("ForAnyValue:StringNotEquals", &["a"], list(&["a"]), false),
        (
            "ForAnyValue:StringLike",
            &["dept-*"],
            list(&["x", "dept-7"]),
            true,
        ),
        (
            "ForAllValues:StringLike",
            &["dept-*"],
            list(&["x", "dept-7"]),
            false,
        ),
        ("ForAnyValue:StringEqualsIfExists", &["a"], None, true),
        (
            "ForAllValues:StringEqualsIgnoreCase",
            &["A", "B"],
            list(&["a", "b"]),
            true,
        ),
        // A scalar key under a qualifier is a one-element set.
        ("ForAnyValue:StringEquals", &["a"], s("a"), true),
        // Without a qualifier a multivalued key matches when any value matches.
        ("StringEquals", &["a"], list(&["b", "a"]), true),
        ("StringNotEquals", &["a"], list(&["b", "a"]), false),
        ("StringNotEquals", &["a"], list(&["b", "c"]), true),
    ]);
}

#[test]
fn variables_in_values() {
    run(vec![
        ("StringEquals", &["${aws:username}"], s("bob"), true),
        ("StringEquals", &["${aws:username}"], s("alice"), false),
        (
            "StringLike",
            &["home/${aws:username}/*"],
            s("home/bob/x"),
            true,
        ),
        (
            "StringLike",
            &["home/${aws:username}/*"],
            s("home/alice/x"),
            false,
        ),
        (
            "StringEqualsIgnoreCase",
            &["${aws:PrincipalTag/team}"],
            s("BLUE"),
            true,
        ),
        (
            "ArnLike",
            &["arn:aws:iam::*:user/${aws:username}"],
            s("arn:aws:iam::1:user/bob"),
            true,
        ),
        (
            "StringEquals",
            &["${aws:PrincipalTag/none, 'dflt'}"],
            s("dflt"),
            true,
        ),
    ]);
    // A variable with no value is null: plain operators do not match it, negated ones do (the
    // full table, with AWS's wording, is in `policy/tests/no_value.rs`).
    run(vec![
        ("StringEquals", &["${aws:PrincipalTag/none}"], s("x"), false),
        (
            "StringNotEquals",
            &["${aws:PrincipalTag/none}"],
            s("x"),
            true,
        ),
        ("StringLike", &["${aws:PrincipalTag/none}/*"], s("x"), false),
    ]);
}

#[test]
fn key_names_are_case_insensitive() {
    let c = Condition::compile(&ConditionSpec {
        operator: "StringEquals",
        key: "TEST:KEY",
        values: &["a".to_owned()],
        variables: true,
    })
    .unwrap();
    assert!(c.eval(&ctx_with(s("a")), &mut |_| {}));
}

#[test]
fn missing_keys_are_reported() {
    let c = Condition::compile(&ConditionSpec {
        operator: "StringEquals",
        key: "aws:SourceVpc",
        values: &["vpc-1".to_owned()],
        variables: true,
    })
    .unwrap();
    let mut seen = Vec::new();
    c.eval(&ctx_with(None), &mut |k| seen.push(k.to_string()));
    assert_eq!(seen, vec!["aws:SourceVpc"]);
}

#[test]
fn compile_errors() {
    let bad: &[(&str, &[&str], &str)] = &[
        (
            "StringEqualz",
            &["a"],
            "Invalid Condition type : StringEqualz",
        ),
        (
            "ForSomeValues:StringEquals",
            &["a"],
            "Invalid Condition type",
        ),
        ("NullIfExists", &["true"], "Invalid Condition type"),
        ("ForAnyValue:Null", &["true"], "Invalid Condition type"),
        ("NumericEquals", &["ten"], "is not a number"),
        ("NumericEquals", &["inf"], "is not a number"),
        ("DateEquals", &["yesterday"], "is not a date"),
        ("Bool", &["yes"], "is not true or false"),
        ("IpAddress", &["10.0.0.0/33"], "is not an IP address"),
        ("BinaryEquals", &["***"], "is not base64"),
        (
            "StringLike",
            &["${aws:username"],
            "unterminated policy variable",
        ),
    ];
    for (op, vals, want) in bad {
        let values: Vec<String> = vals.iter().map(|s| s.to_string()).collect();
        let e = Condition::compile(&ConditionSpec {
            operator: op,
            key: KEY,
            values: &values,
            variables: true,
        })
        .unwrap_err();
        assert!(e.contains(want), "{op}: {e}");
    }
}
