//! Keyward serving https itself (KEYWARD_TLS_CERT, KEYWARD_TLS_KEY): a certificate of a test CA
//! made here, the public URL and HSTS that follow from it, and the certificate read again on
//! SIGHUP (a renewal served without a restart; a broken file keeps the one in use).

use crate::harness::{Server, TestDb};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A CA, and a function that issues it a certificate for 127.0.0.1 with common name `name`.
struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Keyward test CA");
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        TestCa {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// Writes a certificate for 127.0.0.1 named `name` and its key into `dir`.
    fn issue(&self, dir: &Path, name: &str) {
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    }

    fn client(&self) -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.pem.as_bytes()).unwrap())
            .tls_info(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }
}

/// The common name of the certificate the server presents to a new client (a client's reused
/// connection, or a resumed TLS session, keeps the certificate it began with).
fn served_name(ca: &TestCa, server: &Server) -> String {
    let answer = ca
        .client()
        .get(format!("{}/healthz", server.url))
        .send()
        .unwrap();
    let info = answer
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .expect("a TLS connection");
    let der = info.peer_certificate().expect("a certificate").to_vec();
    // The test names are plain ASCII: find them in the DER rather than parse it.
    for name in ["first-certificate", "renewed-certificate"] {
        if der.windows(name.len()).any(|w| w == name.as_bytes()) {
            return name.to_string();
        }
    }
    String::from("unknown")
}

#[test]
fn keyward_serves_https_with_its_certificate_and_reads_it_again_on_sighup() {
    let db = TestDb::new(crate::harness::Backend::Sqlite);
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    ca.issue(dir.path(), "first-certificate");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let server = Server::start_with(
        &db,
        &[
            ("KEYWARD_TLS_CERT", cert.to_str().unwrap()),
            ("KEYWARD_TLS_KEY", key.to_str().unwrap()),
        ],
        ca.client(),
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    assert_eq!(served_name(&ca, &server), "first-certificate");
    // The public URL follows (the OpenID provider's issuer), and pages get HSTS.
    let discovery: serde_json::Value = server
        .get("/.well-known/openid-configuration")
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(discovery["issuer"], server.url.as_str());
    let page = server.get("/signin").unwrap();
    assert!(
        page.headers().contains_key("strict-transport-security"),
        "{:?}",
        page.headers()
    );
    // Plain http is not served on the https port.
    let plain = reqwest::blocking::Client::new()
        .get(server.url.replace("https://", "http://") + "/healthz")
        .timeout(Duration::from_secs(10))
        .send();
    assert!(plain.map_or(true, |r| !r.status().is_success()));

    let hangup = |server: &Server| {
        let pid = server.pid().to_string();
        assert!(Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success());
    };
    // A half-written key: the reload fails, and the certificate in use stays.
    std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\n").unwrap();
    hangup(&server);
    let deadline = Instant::now() + Duration::from_secs(30);
    let logged = |text: &str| server.stdout().contains(text) || server.stderr().contains(text);
    while !logged("cannot be read again") {
        assert!(
            Instant::now() < deadline,
            "the failed reload was not logged"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(served_name(&ca, &server), "first-certificate");

    // A renewed certificate is served after SIGHUP, without a restart.
    ca.issue(dir.path(), "renewed-certificate");
    hangup(&server);
    let deadline = Instant::now() + Duration::from_secs(30);
    while served_name(&ca, &server) != "renewed-certificate" {
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was never served"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, _, _) = server.stop();
    assert!(status.success());
}

#[test]
fn a_certificate_without_its_key_or_a_key_that_is_not_its_own_stops_the_start() {
    let db = TestDb::new(crate::harness::Backend::Sqlite);
    let ca = TestCa::new();
    let (one, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ca.issue(one.path(), "first-certificate");
    ca.issue(other.path(), "renewed-certificate");
    let cert = one.path().join("cert.pem");
    let cases: [(&[(&str, &Path)], &str); 2] = [
        (
            &[("KEYWARD_TLS_CERT", &cert)],
            "tls_cert and tls_key are set together",
        ),
        (
            &[
                ("KEYWARD_TLS_CERT", &cert),
                ("KEYWARD_TLS_KEY", &other.path().join("key.pem")),
            ],
            "does not go with the certificate",
        ),
    ];
    for (envs, said) in cases {
        let mut cmd = crate::harness::keyward(&db);
        cmd.arg("serve").env("KEYWARD_LISTEN", "127.0.0.1:0");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains(said), "{stderr}");
    }
}
