//! The AWS endpoint decides from the headers whether a body is read at all: a request refused
//! from its headers is answered while its body is still unsent, and a body is read only up to
//! its limit (1 MiB signed, 128 KiB unsigned), with a 413 in AWS's XML past it.

use crate::harness::{Backend, Server, TestDb, BACKENDS};
use crate::signer::{eventually, Client};
use diesel::prelude::*;
use keyward::storage::schema::audit_events;
use keyward::storage::{StorageError, Store};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

const SIGNED_LIMIT: usize = 1 << 20;
const UNSIGNED_LIMIT: usize = 128 << 10;
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// An answer read off a raw connection.
struct Answer {
    status: u16,
    body: String,
}

/// Sends `head` (request line and headers, no blank line) and then `sent`, the whole body or
/// a part of it, and reads the answer without sending more: a server that waits for the rest
/// of a body answers nothing within the 10 s allowed.
fn send_and_read(server: &Server, head: &str, sent: &[u8]) -> Answer {
    let address = server.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(format!("{head}\r\n\r\n").as_bytes())
        .unwrap();
    stream.write_all(sent).unwrap();
    read_answer(&mut stream)
}

/// Reads one HTTP/1.1 answer with a `Content-Length`.
fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut received = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let text = String::from_utf8_lossy(&received).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            if received.len() >= end + 4 + length {
                let status = text[9..12].parse().unwrap();
                let body = text[end + 4..end + 4 + length].to_string();
                return Answer { status, body };
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => panic!("closed without an answer: {text:?}"),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("no answer while the body is unsent ({e}): {text:?}"),
        }
    }
}

fn amz_now() -> (String, String) {
    let now = chrono::Utc::now();
    (
        now.format("%Y%m%dT%H%M%SZ").to_string(),
        now.format("%Y%m%d").to_string(),
    )
}

/// A POST head with an `Authorization` header for `key`, dated `amz_date` (the signature
/// itself is made up: nothing here gets as far as checking it).
fn head_with_key(server: &Server, key: &str, amz_date: &str, length: usize) -> String {
    let day = &amz_date[..8];
    format!(
        "POST /?Action=GetCallerIdentity HTTP/1.1\r\nHost: {}\r\nContent-Type: {FORM}\r\n\
         Content-Length: {length}\r\nX-Amz-Date: {amz_date}\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential={key}/{day}/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, \
         Signature={}",
        server.url.trim_start_matches("http://"),
        "0".repeat(64)
    )
}

fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(
        answer.body.contains(&format!("<Code>{code}</Code>"))
            && answer.body.contains("<ErrorResponse"),
        "{}",
        answer.body
    );
}

fn refused_from_the_headers(backend: Backend) {
    let db = TestDb::new(backend);
    let server = Server::start(&db, &[]);
    let known = Client::for_server(&server, &db);
    let (now, _) = amz_now();

    // An unknown access key: answered while the megabyte it announced is still unsent.
    let unknown = send_and_read(
        &server,
        &head_with_key(&server, "AKIAUNKNOWNUNKNOWN00", &now, SIGNED_LIMIT),
        b"Action=GetCallerIdentity&Pad=",
    );
    assert_error(&unknown, 403, "InvalidClientTokenId");
    assert!(unknown
        .body
        .contains("https://sts.amazonaws.com/doc/2011-06-15/"));

    // A known key with a stale date, and a signature that cannot be parsed.
    let stale = send_and_read(
        &server,
        &head_with_key(&server, &known.key, "20200101T000000Z", SIGNED_LIMIT),
        b"",
    );
    assert_error(&stale, 403, "SignatureDoesNotMatch");
    assert!(stale.body.contains("Signature expired"), "{}", stale.body);
    let malformed = send_and_read(
        &server,
        &head_with_key(&server, &known.key, &now, SIGNED_LIMIT)
            .replace(", SignedHeaders=host;x-amz-date", ""),
        b"",
    );
    assert_error(&malformed, 400, "IncompleteSignature");

    // The refusal is audited as before, under the action the query string names.
    let store = Store::open(&db.store_settings()).unwrap();
    assert!(eventually(|| {
        let found: Vec<(String, Option<String>)> = store
            .read(|conn| -> Result<_, StorageError> {
                Ok(audit_events::table
                    .select((audit_events::event_name, audit_events::error_code))
                    .load(conn)?)
            })
            .unwrap();
        found.contains(&(
            "GetCallerIdentity".to_string(),
            Some("InvalidClientTokenId".to_string()),
        ))
    }));

    // The same key signing properly is served: the early checks refuse nothing good.
    let reply = known.sts().post(&[("Action", "GetCallerIdentity")]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    server.stop();
}

#[test]
fn requests_refused_from_their_headers_are_answered_before_their_body_is_sent() {
    for backend in BACKENDS {
        refused_from_the_headers(backend);
    }
}

/// A signed form POST whose body is exactly `size` bytes (padded with an unknown parameter).
fn signed_of_size(client: &Client, size: usize) -> (String, Vec<(String, String)>) {
    let empty = client.signed_post(&[("Action", "ListUsers"), ("Pad", "")], SystemTime::now());
    let pad = "p".repeat(size - empty.0.len());
    let (body, headers) =
        client.signed_post(&[("Action", "ListUsers"), ("Pad", &pad)], SystemTime::now());
    assert_eq!(body.len(), size);
    (body, headers)
}

fn send(client: &Client, body: reqwest::blocking::Body, headers: &[(String, String)]) -> Answer {
    let mut request = reqwest::blocking::Client::new()
        .post(format!("{}/", client.url))
        .timeout(Duration::from_secs(30))
        .body(body);
    for (k, v) in headers.iter().skip(1) {
        request = request.header(k.as_str(), v.as_str());
    }
    let response = request.send().unwrap();
    Answer {
        status: response.status().as_u16(),
        body: response.text().unwrap(),
    }
}

#[test]
fn signed_bodies_are_read_up_to_one_mebibyte() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let client = Client::for_server(&server, &db);

    let (body, headers) = signed_of_size(&client, SIGNED_LIMIT);
    let at_limit = send(&client, body.into(), &headers);
    assert_eq!(at_limit.status, 200, "{}", at_limit.body);
    assert!(
        at_limit.body.contains("<ListUsersResponse"),
        "{}",
        at_limit.body
    );

    // One byte more, declared: refused in AWS's XML while the body is unsent, and the client
    // that sends it all still reads the answer.
    let (body, headers) = signed_of_size(&client, SIGNED_LIMIT + 1);
    let head = headers.iter().skip(1).fold(
        format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Length: {}",
            headers[0].1,
            body.len()
        ),
        |head, (k, v)| format!("{head}\r\n{k}: {v}"),
    );
    assert_error(
        &send_and_read(&server, &head, b"Action=ListUsers"),
        413,
        "RequestEntityTooLargeException",
    );
    assert_error(
        &send(&client, body.clone().into(), &headers),
        413,
        "RequestEntityTooLargeException",
    );
    // A client that writes its whole body before it reads (as botocore's HTTP client does)
    // reads the refusal too: the server drains what it refused rather than resetting the
    // connection on it.
    for _ in 0..20 {
        assert_error(
            &send_and_read(&server, &head, body.as_bytes()),
            413,
            "RequestEntityTooLargeException",
        );
    }

    // Undeclared (chunked): refused once the limit is passed.
    let streamed = reqwest::blocking::Body::new(std::io::Cursor::new(body.into_bytes()));
    assert_error(
        &send(&client, streamed, &headers),
        413,
        "RequestEntityTooLargeException",
    );
    server.stop();
}

#[test]
fn unsigned_bodies_are_read_up_to_128_kibibytes() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let host = server.url.trim_start_matches("http://").to_string();
    let form = |size: usize| {
        let start = "Action=ListUsers&Version=2010-05-08&Pad=";
        format!("{start}{}", "p".repeat(size - start.len()))
    };
    let post = |body: String| {
        let response = reqwest::blocking::Client::new()
            .post(format!("{}/", server.url))
            .header("content-type", FORM)
            .body(body)
            .send()
            .unwrap();
        Answer {
            status: response.status().as_u16(),
            body: response.text().unwrap(),
        }
    };

    // At the limit the body is read: the answer is the missing signature, as for any size.
    assert_error(
        &post(form(UNSIGNED_LIMIT)),
        403,
        "MissingAuthenticationToken",
    );
    // Over it, declared: refused unread; sent anyway: the client still reads the answer.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {FORM}\r\nContent-Length: {}",
        UNSIGNED_LIMIT + 1
    );
    assert_error(
        &send_and_read(&server, &head, b"Action=ListUsers"),
        413,
        "RequestEntityTooLargeException",
    );
    assert_error(
        &post(form(UNSIGNED_LIMIT + 1)),
        413,
        "RequestEntityTooLargeException",
    );

    // Chunked: answered once the limit is passed, with the rest of the body still unsent.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {FORM}\r\nTransfer-Encoding: chunked"
    );
    let mut chunks = Vec::new();
    let piece = "p".repeat(16 << 10);
    for _ in 0..9 {
        chunks.extend_from_slice(format!("{:x}\r\n{piece}\r\n", piece.len()).as_bytes());
    }
    assert_error(
        &send_and_read(&server, &head, &chunks),
        413,
        "RequestEntityTooLargeException",
    );
    server.stop();
}
