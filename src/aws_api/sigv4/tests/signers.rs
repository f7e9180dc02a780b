//! Signatures of independent signers verified: the `aws-sigv4` crate's `sign` and botocore, in
//! headers and presigned, and vectors of AWS's SigV4 test suite; each tampered with as well.

use super::*;
use crate::secrets::ExposeSecret;
use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

#[test]
fn a_forwarded_payload_hash_stands_for_the_body() {
    // A resource server forwards the request without its body, with the body's SHA-256.
    let body = br#"{"objects":["a","b"]}"#;
    let request = sign_with_aws_sigv4(
        "PUT",
        "api.example.test",
        "",
        &[("content-type", "application/json")],
        body,
        "execute-api",
        None,
        None,
    );
    let hash = HEXLOWER.encode(Sha256::digest(body).as_slice());
    let check = |payload_hash: &str| {
        let parts = RequestParts {
            body: b"",
            payload_hash: Some(payload_hash),
            ..request.parts()
        };
        let parsed = parse(&parts)?;
        verify(
            &parsed,
            &parts,
            &secret(),
            signing_time(),
            "execute-api",
            &SigningKeyCache::default(),
        )
    };
    assert_eq!(check(&hash), Ok(()));
    assert_eq!(check(&hash.to_ascii_uppercase()), Ok(()));
    let other = HEXLOWER.encode(Sha256::digest(b"{}").as_slice());
    assert!(matches!(
        check(&other),
        Err(SigV4Error::SignatureDoesNotMatch(_))
    ));
    assert!(check("UNSIGNED-PAYLOAD").is_err());
}

#[test]
fn aws_sigv4_form_post() {
    let body = b"Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member.1.Key=a%20b";
    let request = sign_with_aws_sigv4(
        "POST",
        "iam.example.test",
        "",
        &[("content-type", FORM)],
        body,
        "iam",
        None,
        None,
    );
    assert_tampering_refused(&request, "iam");
}

#[test]
fn aws_sigv4_get_with_query_and_session_token() {
    let query = "Action=GetUser&Version=2010-05-08&UserName=b%C3%B6b%2Bx&Path=%2Fa%2Fb%2F";
    let request = sign_with_aws_sigv4(
        "GET",
        "iam.example.test",
        query,
        &[],
        b"",
        "iam",
        Some("session/token+=="),
        None,
    );
    let parsed = parse(&request.parts()).unwrap();
    assert_eq!(
        parsed.security_token.as_ref().unwrap().expose_secret(),
        "session/token+=="
    );
    assert_eq!(parsed.access_key_id, KEY);
    assert_eq!(parsed.scope.region, "us-east-1");
    assert_tampering_refused(&request, "iam");
}

#[test]
fn aws_sigv4_header_values_with_extra_spaces() {
    let headers = [
        ("content-type", FORM),
        ("x-amz-meta-note", "  a   b \t c  "),
    ];
    let request = sign_with_aws_sigv4(
        "POST",
        "iam.example.test",
        "",
        &headers,
        b"Action=ListUsers",
        "iam",
        None,
        None,
    );
    let parsed = parse(&request.parts()).unwrap();
    assert!(parsed
        .signed_headers
        .contains(&"x-amz-meta-note".to_owned()));
    request.check("iam").unwrap();
}

#[test]
fn aws_sigv4_presigned() {
    let query = "Action=GetCallerIdentity&Version=2011-06-15";
    let request = sign_with_aws_sigv4(
        "GET",
        "sts.example.test",
        query,
        &[],
        b"",
        "sts",
        Some("tok"),
        Some(900),
    );
    let parsed = parse(&request.parts()).unwrap();
    assert_eq!(parsed.location, SignatureLocation::Query { expires: 900 });
    assert_eq!(
        parsed.security_token.as_ref().unwrap().expose_secret(),
        "tok"
    );
    assert_tampering_refused(&request, "sts");
    // Still valid at 14 minutes, expired after 15.
    request
        .check_at(&secret(), signing_time() + Duration::minutes(14), "sts")
        .unwrap();
    let err = request
        .check_at(&secret(), signing_time() + Duration::minutes(16), "sts")
        .unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}

#[test]
fn botocore_form_post() {
    let body = "Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fdivision%2F";
    let request = sign_with_botocore(
        "POST",
        "https://iam.example.test/",
        &[("Content-Type", FORM), ("Host", "iam.example.test")],
        body,
        "iam",
        None,
        None,
    );
    assert_tampering_refused(&request, "iam");
}

#[test]
fn botocore_get_with_query_and_spaces_in_headers() {
    let request = sign_with_botocore(
        "GET",
        "https://iam.example.test/?Version=2010-05-08&Action=ListUsers&PathPrefix=%2Fa%20b%2F&Marker=x~y",
        &[("Host", "iam.example.test"), ("X-Custom", "  one   two \t three ")],
        "",
        "iam",
        Some("FQoGZXIvYXdzE/token=="),
        None,
    );
    let parsed = parse(&request.parts()).unwrap();
    assert!(parsed
        .signed_headers
        .contains(&"x-amz-security-token".to_owned()));
    assert_tampering_refused(&request, "iam");
}

#[test]
fn botocore_presigned() {
    let request = sign_with_botocore(
        "GET",
        "https://sts.example.test/?Action=GetCallerIdentity&Version=2011-06-15",
        &[("Host", "sts.example.test")],
        "",
        "sts",
        Some("tok/en+="),
        Some(900),
    );
    let parsed = parse(&request.parts()).unwrap();
    assert_eq!(
        parsed.security_token.as_ref().unwrap().expose_secret(),
        "tok/en+="
    );
    assert_tampering_refused(&request, "sts");
}

#[test]
fn botocore_presigned_post_moves_body_to_query() {
    let request = sign_with_botocore(
        "POST",
        "https://sts.example.test/",
        &[("Host", "sts.example.test"), ("Content-Type", FORM)],
        "Action=GetCallerIdentity&Version=2011-06-15",
        "sts",
        None,
        Some(60),
    );
    assert!(request.body.is_empty());
    request.check("sts").unwrap();
}

/// AWS SigV4 test suite, `get-vanilla-query-order-key-case` and `get-header-value-trim`
/// (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service `service`).
#[test]
fn aws_test_suite_vectors() {
    let suite_secret = SecretString::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let now = Utc
        .with_ymd_and_hms(2015, 8, 30, 12, 36, 0)
        .single()
        .unwrap();
    let get = Received {
        method: "GET".into(),
        path: "/".into(),
        query: "Param2=value2&Param1=value1".into(),
        headers: vec![
            ("Host".into(), "example.amazonaws.com".into()),
            ("X-Amz-Date".into(), "20150830T123600Z".into()),
            ("Authorization".into(), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500".into()),
        ],
        body: Vec::new(),
    };
    get.check_at(&suite_secret, now, "service").unwrap();
    let trim = Received {
        method: "GET".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("Host".into(), "example.amazonaws.com".into()),
            ("My-Header1".into(), " value1".into()),
            ("My-Header2".into(), " \"a   b   c\"".into()),
            ("X-Amz-Date".into(), "20150830T123600Z".into()),
            ("Authorization".into(), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736".into()),
        ],
        body: Vec::new(),
    };
    trim.check_at(&suite_secret, now, "service").unwrap();
}
