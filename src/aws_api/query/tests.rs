use super::*;
use proptest::prelude::*;

fn body(text: &str) -> QueryParams {
    QueryParams::from_form_body(text.as_bytes()).unwrap()
}

#[test]
fn decoding_table() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("", &[]),
        ("Action=ListUsers", &[("Action", "ListUsers")]),
        ("a=1&&b=2&", &[("a", "1"), ("b", "2")]),
        ("flag", &[("flag", "")]),
        ("k=a+b%20c", &[("k", "a b c")]),
        ("k=%2Fpath%2F", &[("k", "/path/")]),
        ("k=%e2%82%ac", &[("k", "€")]),
        ("k=a=b", &[("k", "a=b")]),
        ("Policy%20Name=x", &[("Policy Name", "x")]),
    ];
    for (input, expected) in cases {
        let params = body(input);
        let got: Vec<(&str, &str)> = params.iter().collect();
        let mut want = expected.to_vec();
        want.sort();
        assert_eq!(got, want, "{input}");
    }
}

#[test]
fn malformed_input_is_refused() {
    for input in ["k=%", "k=%4", "k=%zz", "k=%C3%28", "=v", "a=1&a=2"] {
        let err = QueryParams::from_form_body(input.as_bytes()).unwrap_err();
        assert_eq!(err.code, "MalformedQueryString", "{input}");
    }
    assert!(QueryParams::from_form_body(&[0xff, b'=', b'1']).is_err());
}

#[test]
fn query_string_drops_sigv4_parameters() {
    let params = QueryParams::from_query_string(
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab&X-Amz-Security-Token=t",
    )
    .unwrap();
    assert_eq!(params.action(), Some("GetCallerIdentity"));
    assert_eq!(params.version(), Some("2011-06-15"));
    assert_eq!(params.iter().count(), 2);
}

#[test]
fn query_and_body_merge_and_refuse_overlap() {
    let merged =
        QueryParams::from_query_and_body("Action=ListUsers", b"Version=2010-05-08").unwrap();
    assert_eq!(
        (merged.action(), merged.version()),
        (Some("ListUsers"), Some("2010-05-08"))
    );
    assert!(QueryParams::from_query_and_body("Action=A", b"Action=B").is_err());
}

#[test]
fn required_uses_iam_validation_wording() {
    let err = body("Action=GetUser").required("UserName").unwrap_err();
    assert_eq!((err.code, err.status), ("ValidationError", 400));
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(body("UserName=bob").required("UserName").unwrap(), "bob");
}

#[test]
fn lists_are_ordered_by_index_and_tolerate_gaps() {
    let params = body("Foo.member.10=j&Foo.member.2=b&Foo.member.1=a&Other.member.1=x");
    assert_eq!(params.list("Foo").unwrap(), vec!["a", "b", "j"]);
    assert_eq!(body("Foo=").list("Foo").unwrap(), Vec::<&str>::new());
    assert_eq!(body("").list("Foo").unwrap(), Vec::<&str>::new());
    for bad in [
        "Foo.member.0=a",
        "Foo.member.x=a",
        "Foo.member.+1=a",
        "Foo.member.1=a&Foo.member.1.K=b",
    ] {
        assert_eq!(
            body(bad).list("Foo").unwrap_err().code,
            "ValidationError",
            "{bad}"
        );
    }
}

#[test]
fn tags_members_and_maps() {
    let params = body(
        "Tags.member.2.Key=env&Tags.member.2.Value=dev&Tags.member.1.Key=team&Tags.member.1.Value=red%20one&Tags.member.3.Key=empty",
    );
    let tags = params.tags("Tags").unwrap();
    let pairs: Vec<(&str, &str)> = tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![("team", "red one"), ("env", "dev"), ("empty", "")]
    );
    let err = body("Tags.member.1.Value=v").tags("Tags").unwrap_err();
    assert_eq!(err.code, "ValidationError");

    let params = body("PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FX&Ctx.member.1.Values.member.1=a&Ctx.member.1.Values.member.2=b");
    let arns = params.members("PolicyArns").unwrap();
    assert_eq!(
        arns[0].required("arn").unwrap(),
        "arn:aws:iam::aws:policy/X"
    );
    assert_eq!(
        params.members("Ctx").unwrap()[0].list("Values").unwrap(),
        vec!["a", "b"]
    );

    let params =
        body("Attr.entry.2.key=b&Attr.entry.2.value=2&Attr.entry.1.key=a&Attr.entry.1.value=1");
    assert_eq!(params.map("Attr").unwrap(), vec![("a", "1"), ("b", "2")]);
}

#[test]
fn int_bool_and_pagination() {
    let params = body("DurationSeconds=3600&Bad=abc&Yes=true&No=False&Maybe=yes");
    assert_eq!(
        params.int("DurationSeconds", 900, 43200).unwrap(),
        Some(3600)
    );
    assert_eq!(params.int("Missing", 0, 1).unwrap(), None);
    assert_eq!(params.int("Bad", 0, 1).unwrap_err().code, "ValidationError");
    let err = params.int("DurationSeconds", 900, 1800).unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value '3600' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 1800"
    );
    assert_eq!(params.bool("Yes").unwrap(), Some(true));
    assert_eq!(params.bool("No").unwrap(), Some(false));
    assert_eq!(params.bool("Missing").unwrap(), None);
    assert_eq!(params.bool("Maybe").unwrap_err().code, "ValidationError");

    assert_eq!(
        body("").pagination().unwrap(),
        Pagination {
            max_items: 100,
            marker: None
        }
    );
    assert_eq!(
        body("MaxItems=1000&Marker=abc").pagination().unwrap(),
        Pagination {
            max_items: 1000,
            marker: Some("abc")
        }
    );
    for bad in [
        "MaxItems=0",
        "MaxItems=1001",
        "MaxItems=-1",
        "MaxItems=x",
        "Marker=",
    ] {
        assert_eq!(
            body(bad).pagination().unwrap_err().code,
            "ValidationError",
            "{bad}"
        );
    }
}

proptest! {
    #[test]
    fn decoding_never_panics(input in ".{0,300}", raw in proptest::collection::vec(any::<u8>(), 0..200)) {
        for params in [
            QueryParams::from_form_body(input.as_bytes()),
            QueryParams::from_query_string(&input),
            QueryParams::from_form_body(&raw),
        ].into_iter().flatten() {
            let _ = params.list("Foo");
            let _ = params.tags("Tags");
            let _ = params.map("Attr");
            let _ = params.pagination();
            let _ = params.int("MaxItems", 1, 1000);
            let _ = params.bool("B");
        }
    }

    #[test]
    fn structured_junk_never_panics(
        names in proptest::collection::vec("(Foo|Tags|Attr)\\.(member|entry)\\.[0-9+x-]{0,12}(\\.(Key|Value|key|value))?", 0..8),
    ) {
        let text: Vec<String> = names.iter().map(|n| format!("{n}=v")).collect();
        if let Ok(params) = QueryParams::from_form_body(text.join("&").as_bytes()) {
            let _ = params.list("Foo");
            let _ = params.tags("Tags");
            let _ = params.map("Attr");
            let _ = params.members("Foo");
        }
    }
}
