//! Keyward serving https itself (rustls on AWS-LC): the certificate chain and key come from PEM
//! files, and are read again when the process gets SIGHUP, so that a renewed certificate is
//! served without a restart. A reload that fails (a half-written file, a key that does not
//! match) keeps the pair in use and says so in the log.

use crate::config::TlsFiles;
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::sync::{Arc, RwLock};

/// Why a certificate and key cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS certificate {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("TLS key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("TLS: {0}")]
    Config(String),
}

/// Reads the certificate chain and its key, and checks that they belong together.
pub fn load(files: &TlsFiles) -> Result<Arc<CertifiedKey>, TlsError> {
    let cert_path = files.cert.display().to_string();
    let key_path = files.key.display().to_string();
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Certificate {
            path: cert_path.clone(),
            reason: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Certificate {
            path: cert_path,
            reason: "no CERTIFICATE in the file".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: key_path.clone(),
        reason: e.to_string(),
    })?;
    let provider = aws_lc_rs::default_provider();
    let certified = CertifiedKey::from_der(chain, key, &provider).map_err(|e| TlsError::Key {
        path: key_path,
        reason: format!("does not go with the certificate, or is not usable: {e}"),
    })?;
    Ok(Arc::new(certified))
}

/// The certificate served to every client, replaced by [`Reloading::reload`].
#[derive(Debug)]
pub struct Reloading {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Reloading {
    pub fn new(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let current = RwLock::new(load(&files)?);
        Ok(Arc::new(Reloading { files, current }))
    }

    /// Reads the files again; on failure the pair in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = load(&self.files)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

/// The server side of TLS: TLS 1.2 and 1.3 with AWS-LC's defaults, HTTP/1.1, the certificate
/// from `certificates`.
pub fn server_config(certificates: Arc<Reloading>) -> Result<rustls::ServerConfig, TlsError> {
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(certificates);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Reads the certificate again at each SIGHUP, for as long as the server runs (a task on the
/// server's runtime).
pub fn reload_on_sighup(certificates: Arc<Reloading>) -> std::io::Result<()> {
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    actix_web::rt::spawn(async move {
        while hangups.recv().await.is_some() {
            match certificates.reload() {
                Ok(()) => tracing::info!(
                    cert = %certificates.files.cert.display(),
                    "SIGHUP: the TLS certificate and key were read again"
                ),
                Err(e) => tracing::warn!(
                    error = %e,
                    "SIGHUP: the TLS certificate cannot be read again; the one in use stays"
                ),
            }
        }
    });
    Ok(())
}
