//! What the verifier refuses, with AWS's codes and wording: malformed signatures, wrong scope,
//! headers or algorithm, stale and future requests, presigned lifetimes; the early header
//! check agreeing with the full one; and no input that makes parsing panic.

use super::*;

#[test]
fn parse_errors_have_aws_codes() {
    let none = Received {
        method: "GET".into(),
        path: "/".into(),
        query: "Action=ListUsers".into(),
        headers: vec![],
        body: vec![],
    };
    let err = parse(&none.parts()).unwrap_err();
    assert_eq!(
        (err.code(), err.status(), err.message()),
        (
            "MissingAuthenticationToken",
            403,
            "Request is missing Authentication Token"
        )
    );

    let err = parse(
        &header_request(
            "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/iam/aws4_request",
            &[],
        )
        .parts(),
    )
    .unwrap_err();
    assert_eq!((err.code(), err.status()), ("IncompleteSignature", 400));
    assert!(err.message().starts_with("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4"), "{err}");

    let err = parse(&header_request("AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/iam, SignedHeaders=host, Signature=00", &[]).parts()).unwrap_err();
    assert_eq!(err.code(), "IncompleteSignature");

    let mut dateless = header_request(GOOD_AUTH, &[]);
    dateless.headers.retain(|(n, _)| n != "X-Amz-Date");
    let err = parse(&dateless.parts()).unwrap_err();
    assert!(
        err.message()
            .contains("requires existence of either a 'X-Amz-Date' or a 'Date' header"),
        "{err}"
    );

    let err =
        parse(&header_request(GOOD_AUTH, &[("Authorization", GOOD_AUTH)]).parts()).unwrap_err();
    assert_eq!(err.code(), "IncompleteSignature");

    let mut both = header_request(GOOD_AUTH, &[]);
    both.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256".into();
    assert_eq!(
        parse(&both.parts()).unwrap_err().code(),
        "IncompleteSignature"
    );

    let mut bad_date = header_request(GOOD_AUTH, &[]);
    bad_date.set_header("x-amz-date", "2026-11-23T00:30:00Z");
    assert_eq!(
        parse(&bad_date.parts()).unwrap_err().code(),
        "IncompleteSignature"
    );
}

#[test]
fn verify_checks_scope_headers_and_algorithm() {
    let cache = SigningKeyCache::default();
    let check = |request: &Received| {
        let parsed = parse(&request.parts()).unwrap();
        verify(
            &parsed,
            &request.parts(),
            &secret(),
            signing_time(),
            "iam",
            &cache,
        )
        .unwrap_err()
    };
    let err = check(&header_request(
        &GOOD_AUTH.replace("20261123/", "20261122/"),
        &[],
    ));
    assert_eq!(
        err.message(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261122' != '20261123', from 'X-Amz-Date'."
    );
    let err = check(&header_request(
        &GOOD_AUTH.replace("host;x-amz-date", "x-amz-date"),
        &[],
    ));
    assert!(
        err.message()
            .starts_with("'Host' or ':authority' must be a 'SignedHeader'"),
        "{err}"
    );
    let err = check(&header_request(
        &GOOD_AUTH.replace("host;x-amz-date", "host"),
        &[],
    ));
    assert!(
        err.message()
            .starts_with("'X-Amz-Date' must be a 'SignedHeader'"),
        "{err}"
    );
    let err = check(&header_request(
        &GOOD_AUTH.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
        &[],
    ));
    assert_eq!(err.code(), "IncompleteSignature");
    let err = check(&header_request(
        GOOD_AUTH,
        &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
    ));
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    let err = check(&header_request(GOOD_AUTH, &[]));
    assert_eq!(err.message(), SIGNATURE_MISMATCH);
}

#[test]
fn stale_and_future_requests_use_aws_wording() {
    let request = sign_with_aws_sigv4(
        "POST",
        "iam.example.test",
        "",
        &[],
        b"Action=ListUsers",
        "iam",
        None,
        None,
    );
    request
        .check_at(&secret(), signing_time() + Duration::minutes(15), "iam")
        .unwrap();
    request
        .check_at(&secret(), signing_time() - Duration::minutes(15), "iam")
        .unwrap();
    let err = request
        .check_at(&secret(), signing_time() + Duration::minutes(30), "iam")
        .unwrap_err();
    assert_eq!(
        err.message(),
        "Signature expired: 20261123T003000Z is now earlier than 20261123T004500Z (20261123T010000Z - 15 min.)"
    );
    assert_eq!(err.status(), 403);
    let err = request
        .check_at(&secret(), signing_time() - Duration::minutes(16), "iam")
        .unwrap_err();
    assert!(
        err.message()
            .starts_with("Signature not yet current: 20261123T003000Z is still later than"),
        "{err}"
    );
}

#[test]
fn presigned_expires_bounds() {
    for (expires, ok) in [(0u64, false), (1, true), (604_800, true), (604_801, false)] {
        let request = sign_with_aws_sigv4(
            "GET",
            "sts.example.test",
            "Action=GetCallerIdentity",
            &[],
            b"",
            "sts",
            None,
            Some(expires.max(1)),
        );
        let mut request = request;
        request.query = request.query.replace(
            &format!("X-Amz-Expires={}", expires.max(1)),
            &format!("X-Amz-Expires={expires}"),
        );
        let result = request.check("sts");
        if ok {
            result.unwrap();
        } else {
            assert_eq!(
                result.unwrap_err().code(),
                "IncompleteSignature",
                "expires {expires}"
            );
        }
    }
}

proptest! {
    #[test]
    fn parse_never_panics(
        auth in ".{0,200}",
        date in ".{0,40}",
        query in "[A-Za-z0-9%&=+./_~-]{0,200}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let headers = vec![
            ("Host".to_owned(), "h".to_owned()),
            ("X-Amz-Date".to_owned(), date),
            ("Authorization".to_owned(), auth),
        ];
        let parts = RequestParts { method: "POST", path: "/", query: &query, headers: &headers, body: &body, payload_hash: None };
        if let Ok(parsed) = parse(&parts) {
            let _ = verify(&parsed, &parts, &secret(), signing_time(), "iam", &SigningKeyCache::new(4));
        }
        let no_auth = &headers[..2];
        let parts = RequestParts { headers: no_auth, ..parts };
        if let Ok(parsed) = parse(&parts) {
            let _ = verify(&parsed, &parts, &secret(), signing_time(), "iam", &SigningKeyCache::new(4));
        }
    }

    #[test]
    fn parse_structured_junk_never_panics(
        cred in "[A-Z0-9/]{0,10}(/[0-9]{8}/[a-z0-9-]{0,12}/(iam|sts)/aws4_request)?",
        signed in "[a-z;-]{0,30}",
        expires in "[0-9]{0,20}",
        date in "[0-9]{8}T[0-9]{6}Z",
    ) {
        let query = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={cred}&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders={signed}&X-Amz-Signature=ab"
        );
        let headers = vec![("host".to_owned(), "h".to_owned())];
        let parts = RequestParts { method: "GET", path: "/", query: &query, headers: &headers, body: b"", payload_hash: None };
        if let Ok(parsed) = parse(&parts) {
            let _ = verify(&parsed, &parts, &secret(), signing_time(), "sts", &SigningKeyCache::new(4));
        }
    }
}

#[test]
fn check_headers_refuses_what_verify_refuses_before_the_body() {
    let cache = SigningKeyCache::default();
    let both = |request: &Received, now: DateTime<Utc>| {
        let parsed = parse(&request.parts()).unwrap();
        let early = check_headers(&parsed, &request.parts(), now, "iam");
        let full = verify(&parsed, &request.parts(), &secret(), now, "iam", &cache);
        (early, full)
    };
    // Refused from the headers: the same error as `verify`.
    for (auth, now) in [
        (GOOD_AUTH.replace("20261123/", "20261122/"), signing_time()),
        (GOOD_AUTH.replace("/iam/", "/sts/"), signing_time()),
        (
            GOOD_AUTH.replace("host;x-amz-date", "x-amz-date"),
            signing_time(),
        ),
        (GOOD_AUTH.replace("host;x-amz-date", "host"), signing_time()),
        (
            GOOD_AUTH.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
            signing_time(),
        ),
        (GOOD_AUTH.to_owned(), signing_time() + Duration::minutes(16)),
        (GOOD_AUTH.to_owned(), signing_time() - Duration::minutes(16)),
    ] {
        let (early, full) = both(&header_request(&auth, &[]), now);
        assert_eq!(early.unwrap_err(), full.unwrap_err(), "{auth} at {now}");
    }
    // What only the body and the secret can settle passes the early check.
    let claimed = header_request(GOOD_AUTH, &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]);
    let (early, full) = both(&claimed, signing_time());
    assert!(early.is_ok() && full.is_err());
    let mut signed = sign_with_aws_sigv4(
        "POST",
        "iam.example.test",
        "",
        &[],
        b"Action=ListUsers",
        "iam",
        None,
        None,
    );
    signed.body = b"Action=DeleteUser".to_vec();
    let (early, full) = both(&signed, signing_time());
    assert!(early.is_ok());
    assert_eq!(full.unwrap_err().code(), "SignatureDoesNotMatch");
}
