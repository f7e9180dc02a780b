//! The X.509 a trust anchor and its revocation lists are made of, checked when they are stored:
//! a bundle is one or more PEM certificates, each a CA (`basicConstraints` with `CA:TRUE`,
//! RFC 5280 §4.2.1.9); a CRL (RFC 5280 §5), DER or PEM, must be signed by one of its anchor's
//! CAs (its issuer name is the CA's subject and the signature verifies with the CA's key, on
//! AWS-LC). Pure: bytes in, facts or a reason out.

use x509_parser::certificate::X509Certificate;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// The most certificates one bundle may hold.
pub const MAX_BUNDLE_CERTIFICATES: usize = 50;

/// Why certificate data was refused: shown to the caller as a validation error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(text: impl Into<String>) -> Refused {
    Refused(text.into())
}

/// One CA certificate of a bundle, as described to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCertificate {
    /// RFC 4514 text of the subject.
    pub subject: String,
    pub der: Vec<u8>,
}

/// The PEM blocks of `pem` labelled `label`, refused if any block is malformed or none is found.
fn pem_blocks(pem: &str, label: &str) -> Result<Vec<Vec<u8>>, Refused> {
    let mut blocks = Vec::new();
    for block in Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|_| refused(format!("The {label} data is not valid PEM.")))?;
        if block.label != label {
            return Err(refused(format!(
                "Expected PEM blocks of {label}, found {}.",
                block.label
            )));
        }
        blocks.push(block.contents);
    }
    if blocks.is_empty() {
        return Err(refused(format!(
            "The data holds no PEM {label} (-----BEGIN {label}-----)."
        )));
    }
    Ok(blocks)
}

/// A bundle of CA certificates in PEM: each one parsed and checked to be a CA.
pub fn ca_bundle(pem: &str) -> Result<Vec<CaCertificate>, Refused> {
    let blocks = pem_blocks(pem, "CERTIFICATE")?;
    if blocks.len() > MAX_BUNDLE_CERTIFICATES {
        return Err(refused(format!(
            "A certificate bundle holds at most {MAX_BUNDLE_CERTIFICATES} certificates."
        )));
    }
    blocks
        .into_iter()
        .map(|der| {
            let subject = {
                let cert = parse_certificate(&der)?;
                if !is_ca(&cert) {
                    return Err(refused(format!(
                        "The certificate {} is not a CA certificate (basicConstraints CA:TRUE).",
                        cert.subject()
                    )));
                }
                cert.subject().to_string()
            };
            Ok(CaCertificate { subject, der })
        })
        .collect()
}

fn parse_certificate(der: &[u8]) -> Result<X509Certificate<'_>, Refused> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        _ => Err(refused("A certificate of the bundle cannot be parsed.")),
    }
}

fn is_ca(cert: &X509Certificate<'_>) -> bool {
    matches!(cert.basic_constraints(), Ok(Some(ext)) if ext.value.ca)
}

/// A revocation list checked against the CAs that may have signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCrl {
    /// The list in DER, however it was given.
    pub der: Vec<u8>,
    /// RFC 4514 text of its issuer (one of the bundle's CAs).
    pub issuer: String,
}

/// A CRL given as DER or PEM (`X509 CRL`), signed by one of `cas` (DER certificates).
pub fn crl(data: &[u8], cas: &[Vec<u8>]) -> Result<CheckedCrl, Refused> {
    let der = if data.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(data).map_err(|_| refused("The CRL is not valid PEM."))?;
        let mut blocks = pem_blocks(text, "X509 CRL")?;
        if blocks.len() != 1 {
            return Err(refused("Import one CRL at a time."));
        }
        blocks.remove(0)
    } else {
        data.to_vec()
    };
    let issuer = {
        let list = match CertificateRevocationList::from_der(&der) {
            Ok(([], list)) => list,
            _ => return Err(refused("The CRL data is not an X.509 CRL (DER or PEM).")),
        };
        let signed_by_one = cas.iter().any(|ca| {
            X509Certificate::from_der(ca).is_ok_and(|(_, ca)| {
                ca.subject().as_raw() == list.issuer().as_raw()
                    && list.verify_signature(ca.public_key()).is_ok()
            })
        });
        if !signed_by_one {
            return Err(refused(format!(
                "The CRL of {} is not signed by a CA of the trust anchor.",
                list.issuer()
            )));
        }
        list.issuer().to_string()
    };
    Ok(CheckedCrl { der, issuer })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, CertificateRevocationListParams, IsCa, KeyIdMethod,
        KeyPair, KeyUsagePurpose,
    };

    struct Ca {
        cert: rcgen::Certificate,
        key: KeyPair,
        params: CertificateParams,
    }

    fn ca(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("self-signed");
        Ca { cert, key, params }
    }

    fn crl_of(ca: &Ca) -> rcgen::CertificateRevocationList {
        let issuer = rcgen::Issuer::from_params(&ca.params, &ca.key);
        CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2026, 1, 1),
            next_update: rcgen::date_time_ymd(2027, 1, 1),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer)
        .expect("crl")
    }

    #[test]
    fn a_bundle_of_cas_is_accepted_and_anything_else_refused() {
        let (one, two) = (ca("One"), ca("Two"));
        let bundle = format!("{}{}", one.cert.pem(), two.cert.pem());
        let parsed = ca_bundle(&bundle).expect("a bundle of two CAs");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].subject, "CN=One");

        let leaf_key = KeyPair::generate().expect("key");
        let leaf = CertificateParams::new(vec!["host.example".to_string()])
            .expect("params")
            .self_signed(&leaf_key)
            .expect("leaf");
        assert!(ca_bundle(&leaf.pem()).is_err(), "not a CA");
        assert!(ca_bundle("garbage").is_err(), "no PEM at all");
        assert!(
            ca_bundle("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err()
        );
        assert!(
            ca_bundle(&leaf_key.serialize_pem()).is_err(),
            "a key, not a certificate"
        );
    }

    #[test]
    fn a_crl_must_be_signed_by_one_of_the_anchors_cas() {
        let (one, two) = (ca("One"), ca("Two"));
        let list = crl_of(&one);
        let der = list.der().to_vec();
        let checked =
            crl(&der, &[two.cert.der().to_vec(), one.cert.der().to_vec()]).expect("signed by One");
        assert_eq!(checked.issuer, "CN=One");
        let pem = list.pem().expect("pem");
        assert_eq!(
            crl(pem.as_bytes(), &[one.cert.der().to_vec()])
                .expect("PEM too")
                .der,
            der
        );
        assert!(crl(&der, &[two.cert.der().to_vec()]).is_err(), "not Two's");
        assert!(crl(b"not a crl", &[one.cert.der().to_vec()]).is_err());
    }
}
