//! What an unsigned request to the AWS endpoint is answered, pinned byte for byte: the
//! endpoint routes unsigned actions by name before authenticating anything (`aws_api::unsigned`):
//! AssumeRoleWithWebIdentity is served there and refuses a bad token in STS's own shape; an
//! action not served there yet (AssumeRoleWithSAML) is refused exactly as an unsigned request
//! for a signed-only action.

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
fn unsigned_requests_are_refused_alike_unless_their_action_is_served_unsigned() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let saml = "Action=AssumeRoleWithSAML&Version=2011-06-15\
                &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb\
                &PrincipalArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Asaml-provider%2Fidp\
                &SAMLAssertion=PHNhbWxwOlJlc3BvbnNlLz4%3D";
    for (what, body) in [
        ("AssumeRoleWithSAML (unsigned in AWS, not served yet)", saml),
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

#[test]
fn an_unsigned_web_identity_request_is_answered_in_stss_shape() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    // A token signed with "none": refused for what it is, whatever the role.
    let body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15\
                &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb\
                &RoleSessionName=app&WebIdentityToken=eyJhbGciOiJub25lIn0.e30.";
    let answer = client
        .post(format!("{}/", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let text = answer.text().unwrap();
    assert!(
        text.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">")
            && text.contains("<Code>InvalidIdentityToken</Code>"),
        "{text}"
    );
}
