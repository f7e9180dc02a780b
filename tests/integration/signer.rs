//! A client for the AWS Query endpoint, signed by an independent signer (the `aws-sigv4`
//! crate): long-term or temporary credentials, IAM or STS.

use crate::harness::{Server, TestDb};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use std::time::{Duration, SystemTime};

#[derive(Clone)]
pub struct Client {
    pub url: String,
    pub key: String,
    pub secret: String,
    /// The session token of temporary credentials.
    pub token: Option<String>,
    /// The signing scope's service: `iam` or `sts`.
    pub service: &'static str,
}

pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Client {
    pub fn for_server(server: &Server, db: &TestDb) -> Self {
        let text = std::fs::read_to_string(db.data_dir().join("credentials")).unwrap();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| {
                    l.strip_prefix(name)
                        .map(|v| v.trim_start_matches([' ', '=']).trim().to_string())
                })
                .unwrap()
        };
        Self {
            url: server.url.clone(),
            key: value("aws_access_key_id"),
            secret: value("aws_secret_access_key"),
            token: None,
            service: "iam",
        }
    }

    pub fn with_secret(&self, secret: &str) -> Self {
        Self {
            secret: secret.to_string(),
            ..self.clone()
        }
    }

    /// The same credentials, signing for STS (`Version=2011-06-15`).
    pub fn sts(&self) -> Self {
        Self {
            service: "sts",
            ..self.clone()
        }
    }

    /// A client for the temporary credentials in an STS response body.
    pub fn with_credentials_from(&self, body: &str) -> Self {
        Self {
            key: element(body, "AccessKeyId").to_string(),
            secret: element(body, "SecretAccessKey").to_string(),
            token: Some(element(body, "SessionToken").to_string()),
            ..self.clone()
        }
    }

    /// Signs and sends a form POST of `Action=...` parameters, at `time`.
    /// The form body of `Action=...` parameters and the headers of a POST signed at `time`
    /// (the `host` header first).
    pub fn signed_post(
        &self,
        params: &[(&str, &str)],
        time: SystemTime,
    ) -> (String, Vec<(String, String)>) {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        let version = if self.service == "sts" {
            "2011-06-15"
        } else {
            "2010-05-08"
        };
        form.append_pair("Version", version);
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let body = form.finish();
        let host = self.url.trim_start_matches("http://").to_string();
        let mut headers = vec![
            ("host".to_string(), host),
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
        ];
        let signed = self.sign(
            "POST",
            &format!("{}/", self.url),
            &headers,
            body.as_bytes(),
            time,
            SigningSettings::default(),
        );
        headers.extend(signed.0);
        (body, headers)
    }

    /// Signs and sends a form POST of `Action=...` parameters, at `time`.
    pub fn post_at(&self, params: &[(&str, &str)], time: SystemTime) -> Reply {
        let (body, headers) = self.signed_post(params, time);
        let mut request = reqwest::blocking::Client::new()
            .post(format!("{}/", self.url))
            .body(body);
        for (k, v) in headers.iter().skip(1) {
            request = request.header(k.as_str(), v.as_str());
        }
        reply(request.send().unwrap())
    }

    pub fn post(&self, params: &[(&str, &str)]) -> Reply {
        self.post_at(params, SystemTime::now())
    }

    /// A JSON request to one of Keyward's own APIs (`/keyward/...`), signed for the service
    /// `keyward`; `path` may carry a query. Returns the status and the JSON answer.
    pub fn keyward_json(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let signer = Self {
            service: "keyward",
            ..self.clone()
        };
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let url = format!("{}{path}", self.url);
        let mut headers = vec![
            (
                "host".to_string(),
                self.url.trim_start_matches("http://").to_string(),
            ),
            ("content-type".to_string(), "application/json".to_string()),
        ];
        let (signed, _) = signer.sign(
            method,
            &url,
            &headers,
            body.as_bytes(),
            SystemTime::now(),
            SigningSettings::default(),
        );
        headers.extend(signed);
        let mut request = reqwest::blocking::Client::new()
            .request(method.parse().unwrap(), &url)
            .body(body);
        for (k, v) in headers.iter().skip(1) {
            request = request.header(k.as_str(), v.as_str());
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap())
    }

    /// A presigned `GET /?Action=...` (signature in the query string).
    pub fn presigned_get(&self, query: &str) -> Reply {
        let host = self.url.trim_start_matches("http://").to_string();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(300));
        let uri = format!("{}/?{query}", self.url);
        let (_, extra) = self.sign(
            "GET",
            &uri,
            &[("host".into(), host)],
            b"",
            SystemTime::now(),
            settings,
        );
        let mut url = url::Url::parse(&uri).unwrap();
        for (k, v) in extra {
            url.query_pairs_mut().append_pair(&k, &v);
        }
        reply(reqwest::blocking::get(url).unwrap())
    }

    /// Returns the headers and the query parameters the signer adds.
    #[allow(clippy::type_complexity)]
    fn sign(
        &self,
        method: &str,
        uri: &str,
        headers: &[(String, String)],
        body: &[u8],
        time: SystemTime,
        settings: SigningSettings,
    ) -> (Vec<(String, String)>, Vec<(String, String)>) {
        let identity =
            Credentials::new(&self.key, &self.secret, self.token.clone(), None, "test").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(self.service)
            .time(time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            method,
            uri,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let (headers, query) = instructions.into_parts();
        (
            headers
                .into_iter()
                .map(|h| (h.name().to_string(), h.value().to_string()))
                .collect(),
            query
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

pub fn reply(response: reqwest::blocking::Response) -> Reply {
    let status = response.status().as_u16();
    Reply {
        status,
        body: response.text().unwrap(),
    }
}

/// The text of the first `<tag>` element of an XML body.
pub fn element<'a>(body: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = body.find(&open).map(|i| i + open.len()).unwrap();
    let end = body[start..].find(&format!("</{tag}>")).unwrap() + start;
    &body[start..end]
}

/// Polls `check` until it holds, for at most ten seconds; returns whether it did.
pub fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
