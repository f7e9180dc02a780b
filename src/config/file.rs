//! The optional TOML settings file.

use super::ConfigError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Every key is optional; unknown keys are an error, so a typo does not pass silently.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub master_key_file: Option<PathBuf>,
    pub db_pool_size: Option<u32>,
    pub listen: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub public_url: Option<String>,
    pub region: Option<String>,
    pub log_format: Option<String>,
    pub log: Option<String>,
    pub workers: Option<usize>,
    pub shutdown_timeout: Option<u64>,
    pub session_idle_timeout: Option<u64>,
    pub session_max_lifetime: Option<u64>,
    pub oidc_code_lifetime: Option<u64>,
    pub trusted_proxies: Option<Vec<String>>,
    pub proxy_header: Option<String>,
    pub audit_retention_days: Option<u32>,
    pub users_per_account: Option<i64>,
    pub oidc_jwks_max_cache_seconds: Option<u64>,
    pub web_identity_jti_once: Option<bool>,
    pub allow_http_loopback_issuers: Option<bool>,
    pub allow_plain_ldap: Option<bool>,
}

impl FileSettings {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            what: "settings file",
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            reason: e.message().to_string(),
        })
    }
}
