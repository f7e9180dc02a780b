//! SigV4 verification against independent signers: the `aws-sigv4` crate's `sign` and botocore
//! (`python3`), plus vectors of AWS's SigV4 test suite. Never only against ourselves.

use super::*;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation as AwsLocation, SigningSettings,
};
use chrono::TimeZone;
use proptest::prelude::*;

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

fn signing_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 30, 0)
        .single()
        .unwrap()
}

fn secret() -> SecretString {
    SecretString::from(SECRET)
}

/// A request as the server receives it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
            payload_hash: None,
        }
    }

    fn check_at(
        &self,
        secret: &SecretString,
        now: DateTime<Utc>,
        service: &str,
    ) -> Result<(), SigV4Error> {
        let parsed = parse(&self.parts())?;
        verify(
            &parsed,
            &self.parts(),
            secret,
            now,
            service,
            &SigningKeyCache::default(),
        )
    }

    fn check(&self, service: &str) -> Result<(), SigV4Error> {
        self.check_at(&secret(), signing_time(), service)
    }

    fn set_header(&mut self, name: &str, value: &str) {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.to_owned();
            }
        }
    }
}

/// Signs with the `aws-sigv4` crate (headers or presigned query).
#[allow(clippy::too_many_arguments)] // one argument per input of the signer, test-only
fn sign_with_aws_sigv4(
    method: &str,
    host: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    service: &str,
    token: Option<&str>,
    presign: Option<u64>,
) -> Received {
    let creds = Credentials::new(KEY, SECRET, token.map(str::to_owned), None, "test");
    let identity = creds.into();
    let mut settings = SigningSettings::default();
    if let Some(expires) = presign {
        settings.signature_location = AwsLocation::QueryParams;
        settings.expires_in = Some(std::time::Duration::from_secs(expires));
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(std::time::SystemTime::from(signing_time()))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let mut all_headers: Vec<(String, String)> = vec![("host".into(), host.into())];
    all_headers.extend(
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let uri = if query.is_empty() {
        format!("https://{host}/")
    } else {
        format!("https://{host}/?{query}")
    };
    let signable = SignableRequest::new(
        method,
        uri,
        all_headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (new_headers, new_params) = instructions.into_parts();
    all_headers.extend(
        new_headers
            .iter()
            .map(|h| (h.name().to_owned(), h.value().to_owned())),
    );
    let mut query = query.to_owned();
    for (name, value) in new_params {
        if !query.is_empty() {
            query.push('&');
        }
        let value = percent_encoding::utf8_percent_encode(&value, URI_ENCODE).to_string();
        query.push_str(&format!("{name}={value}"));
    }
    Received {
        method: method.into(),
        path: "/".into(),
        query,
        headers: all_headers,
        body: body.to_vec(),
    }
}

const BOTOCORE_SIGNER: &str = r#"
import json, sys, datetime, urllib.parse
import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
t = datetime.datetime.strptime(a["time"], "%Y%m%dT%H%M%SZ")
botocore.auth.get_current_datetime = lambda: t
creds = Credentials(a["key"], a["secret"], a.get("token"))
data = a.get("body") or None
if a.get("expires") and data:
    data = dict(urllib.parse.parse_qsl(data))  # SigV4QueryAuth moves a dict body into the query
req = AWSRequest(method=a["method"], url=a["url"], data=data, headers=a["headers"])
if a.get("expires"):
    SigV4QueryAuth(creds, a["service"], a["region"], expires=a["expires"]).add_auth(req)
else:
    SigV4Auth(creds, a["service"], a["region"]).add_auth(req)
body = req.body
if isinstance(body, str):
    body = body.encode()
print(json.dumps({"url": req.url, "headers": [[k, v] for k, v in req.headers.items()],
                  "body": (body or b"").decode()}))
"#;

/// Signs with botocore (`python3`), as the AWS CLI and boto3 do.
fn sign_with_botocore(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
    service: &str,
    token: Option<&str>,
    presign: Option<u64>,
) -> Received {
    let headers: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect();
    let args = serde_json::json!({
        "time": signing_time().format("%Y%m%dT%H%M%SZ").to_string(),
        "key": KEY, "secret": SECRET, "token": token,
        "method": method, "url": url, "headers": headers, "body": body,
        "service": service, "region": "us-east-1", "expires": presign,
    });
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(BOTOCORE_SIGNER)
        .arg(args.to_string())
        .output()
        .expect("python3 with botocore is needed for the SigV4 interoperability tests");
    assert!(
        output.status.success(),
        "botocore signer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let url = signed["url"].as_str().unwrap();
    let after_scheme = url.split_once("://").unwrap().1;
    let path_and_query = &after_scheme[after_scheme.find('/').unwrap()..];
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    Received {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: signed["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
        body: signed["body"].as_str().unwrap().as_bytes().to_vec(),
    }
}

/// Every tampering the verifier must refuse, with the code it must answer.
fn assert_tampering_refused(request: &Received, service: &str) {
    request.check(service).unwrap();

    if !request.body.is_empty() {
        let mut changed = request.clone();
        changed.body[0] ^= 1;
        assert_eq!(
            changed.check(service).unwrap_err().code(),
            "SignatureDoesNotMatch",
            "body byte"
        );
    }

    let mut changed = request.clone();
    changed.set_header("host", "evil.example.test");
    assert_eq!(
        changed.check(service).unwrap_err().code(),
        "SignatureDoesNotMatch",
        "signed header"
    );

    let wrong = SecretString::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ");
    let err = request
        .check_at(&wrong, signing_time(), service)
        .unwrap_err();
    assert_eq!(err, SigV4Error::mismatch(), "secret");
    assert_eq!(err.status(), 403);

    let mut changed = request.clone();
    changed.query = changed.query.replace("us-east-1", "us-west-2");
    for (name, value) in &mut changed.headers {
        if name.eq_ignore_ascii_case("authorization") {
            *value = value.replace("us-east-1", "us-west-2");
        }
    }
    assert_eq!(
        changed.check(service).unwrap_err(),
        SigV4Error::mismatch(),
        "region"
    );

    let late = signing_time() + Duration::minutes(16) + Duration::weeks(1);
    let err = request.check_at(&secret(), late, service).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch", "time");
    assert!(
        err.message()
            .starts_with("Signature expired: 20261123T003000Z is now earlier than"),
        "{err}"
    );

    let err = request
        .check(if service == "iam" { "sts" } else { "iam" })
        .unwrap_err();
    assert!(
        err.message()
            .starts_with("Credential should be scoped to correct service"),
        "{err}"
    );
}

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

fn header_request(authorization: &str, extra: &[(&str, &str)]) -> Received {
    let mut headers = vec![
        ("Host".to_owned(), "iam.example.test".to_owned()),
        ("X-Amz-Date".to_owned(), "20261123T003000Z".to_owned()),
        ("Authorization".to_owned(), authorization.to_owned()),
    ];
    headers.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Received {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers,
        body: Vec::new(),
    }
}

const GOOD_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";

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

#[test]
fn signing_key_cache_is_bounded_and_keyed_by_secret() {
    let cache = SigningKeyCache::new(2);
    let scope = CredentialScope {
        date: signing_time().date_naive(),
        region: "us-east-1".into(),
        service: "iam".into(),
    };
    let a = cache.signing_key("AKIDA", &secret(), &scope);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.signing_key("AKIDA", &secret(), &scope), a);
    assert_eq!(cache.len(), 1);
    let other = cache.signing_key("AKIDA", &SecretString::from("other"), &scope);
    assert_ne!(other, a);
    cache.signing_key("AKIDB", &secret(), &scope);
    cache.signing_key("AKIDC", &secret(), &scope);
    assert_eq!(cache.len(), 2);
    // Same derivation as the aws-sigv4 signer's (checked end to end above) and stable.
    assert_eq!(derive_signing_key(&secret(), &scope), a);
    let disabled = SigningKeyCache::new(0);
    assert_eq!(disabled.signing_key("AKIDA", &secret(), &scope), a);
    assert!(disabled.is_empty());
}

#[test]
fn canonical_uri_normalizes_like_botocore() {
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("/"), "/");
    assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
    assert_eq!(canonical_uri("/../.."), "/");
    assert_eq!(canonical_uri("/a%20b/~x"), "/a%2520b/~x");
}

#[test]
fn canonical_query_sorts_and_reencodes() {
    assert_eq!(
        canonical_query("b=2&a=1&a=0&c", false).unwrap(),
        "a=0&a=1&b=2&c="
    );
    assert_eq!(
        canonical_query("k=a+b%2fc%7E", false).unwrap(),
        "k=a%20b%2Fc~"
    );
    assert_eq!(
        canonical_query("X-Amz-Signature=x&a=1", true).unwrap(),
        "a=1"
    );
    assert_eq!(
        canonical_query("a=%zz", false).unwrap_err().code(),
        "MalformedQueryString"
    );
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
