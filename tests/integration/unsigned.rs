//! What an unsigned request to the AWS endpoint is answered, pinned byte for byte: the
//! endpoint routes unsigned actions by name before authenticating anything (`aws_api::unsigned`),
//! and until an action is served there (AssumeRoleWithWebIdentity, AssumeRoleWithSAML), an
//! unsigned request for one is refused exactly as an unsigned request for a signed-only action.

use crate::harness::{Backend, Server, TestDb};
use std::time::Duration;

/// AWS's refusal of a request without a signature, in IAM's namespace (the request names no
/// service), with the request id as sent in `x-amzn-requestid`.
fn missing_token(request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender\
         </Type><Code>MissingAuthenticationToken</Code><Message>Request is missing \
         Authentication Token</Message></Error><RequestId>{request_id}</RequestId>\
         </ErrorResponse>"
    )
}

fn assert_refused(response: reqwest::blocking::Response, what: &str) {
    assert_eq!(response.status().as_u16(), 403, "{what}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "text/xml", "{what}");
    let request_id = header("x-amzn-requestid");
    assert!(!request_id.is_empty(), "{what}");
    assert_eq!(
        response.text().unwrap(),
        missing_token(&request_id),
        "{what}"
    );
}

#[test]
fn unsigned_requests_are_refused_alike_until_an_action_is_served_unsigned() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let web_identity = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15\
                        &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb\
                        &RoleSessionName=app&WebIdentityToken=eyJhbGciOiJub25lIn0.e30.";
    for (what, body) in [
        ("AssumeRoleWithWebIdentity (unsigned in AWS)", web_identity),
        (
            "ListUsers (signed only)",
            "Action=ListUsers&Version=2010-05-08",
        ),
        (
            "AssumeRole (signed only)",
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb&RoleSessionName=app",
        ),
    ] {
        let posted = client
            .post(format!("{}/", server.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap();
        assert_refused(posted, &format!("POST {what}"));
        let got = client
            .get(format!("{}/?{body}", server.url))
            .send()
            .unwrap();
        assert_refused(got, &format!("GET {what}"));
    }
}
