//! AWS's rule for whom an IAM OIDC provider's TLS connection trusts: the system's roots, or,
//! where they do not vouch for the server, a certificate of the server's chain whose SHA-1
//! thumbprint (lower-case hex over its DER) the provider lists.
//!
//! A listed end-entity certificate is trusted as it is (a pinned certificate: a self-signed
//! test issuer on `https://127.0.0.1:PORT` works with its thumbprint and nothing else). A
//! listed certificate higher in the chain is trusted as a root: the chain below it must verify
//! to it, for the server's name, as a public CA's would. Listing a certificate that an
//! attacker can also send (any public CA's) therefore does not let them pass with a
//! certificate that CA did not sign. The handshake's signatures are verified in every case.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use sha1::{Digest, Sha1};
use std::sync::Arc;

/// The lower-case hex SHA-1 of a certificate's DER, as IAM lists thumbprints.
pub fn thumbprint(der: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha1::digest(der))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A TLS client configuration that trusts the system roots or `thumbprints`.
pub fn client_config(thumbprints: &[String]) -> Result<ClientConfig, Error> {
    let provider = provider();
    let verifier = Arc::new(ThumbprintVerifier {
        thumbprints: thumbprints.iter().map(|t| t.to_ascii_lowercase()).collect(),
        roots: Arc::new(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }),
        algorithms: provider.signature_verification_algorithms,
        provider: provider.clone(),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug)]
struct ThumbprintVerifier {
    thumbprints: Vec<String>,
    roots: Arc<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
    provider: Arc<CryptoProvider>,
}

impl ThumbprintVerifier {
    fn listed(&self, cert: &CertificateDer<'_>) -> bool {
        let print = thumbprint(cert.as_ref());
        self.thumbprints.contains(&print)
    }

    /// Verifies the chain to `roots` for `server_name`.
    fn verify_to(
        &self,
        roots: Arc<RootCertStore>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verifier = WebPkiServerVerifier::builder_with_provider(roots, self.provider.clone())
            .build()
            .map_err(|e| Error::General(e.to_string()))?;
        verifier.verify_server_cert(end_entity, intermediates, server_name, &[], now)
    }
}

impl ServerCertVerifier for ThumbprintVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let by_roots = self.verify_to(
            self.roots.clone(),
            end_entity,
            intermediates,
            server_name,
            now,
        );
        if by_roots.is_ok() || self.thumbprints.is_empty() {
            return by_roots;
        }
        if self.listed(end_entity) {
            return Ok(ServerCertVerified::assertion());
        }
        for cert in intermediates.iter().filter(|c| self.listed(c)) {
            let mut anchor = RootCertStore::empty();
            if anchor.add(cert.clone()).is_ok() {
                let verified = self.verify_to(
                    Arc::new(anchor),
                    end_entity,
                    intermediates,
                    server_name,
                    now,
                );
                if verified.is_ok() {
                    return verified;
                }
            }
        }
        by_roots
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thumbprint_is_lower_case_hex_sha1_of_the_der() {
        // SHA-1 of "abc" (FIPS 180-1's example).
        assert_eq!(
            thumbprint(b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
