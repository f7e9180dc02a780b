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

mod canonical;
mod refusals;
mod signers;
