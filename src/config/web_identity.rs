//! How Keyward trusts external identity sources: OpenID Connect providers for
//! `AssumeRoleWithWebIdentity`, and directories: the settings and the flags that give them.

use super::file::FileSettings;
use super::ConfigError;
use clap::Args;

/// Settings of web identity federation, validated at start.
#[derive(Debug, Clone)]
pub struct WebIdentitySettings {
    /// The longest a provider's fetched keys are used before they are fetched again, whatever
    /// its cache headers allow (seconds).
    pub jwks_max_cache_seconds: u64,
    /// Each token's `jti` is accepted once per role while the token lives (AWS accepts a
    /// token again; this is stricter).
    pub jti_once: bool,
    /// A TEST setting: providers whose issuer is plain `http://` on a loopback address are
    /// accepted (a test issuer, or another Keyward on the same machine). Never in production:
    /// keys fetched over plain HTTP can be replaced by anyone on the path.
    pub allow_http_loopback_issuers: bool,
    /// A TEST setting: directories at plain `ldap://` loopback addresses without StartTLS, and
    /// `AssumeRoleWithLDAPIdentity` over plain HTTP from a loopback address. Never in
    /// production: directory passwords would cross the network in clear.
    pub allow_plain_ldap: bool,
}

impl Default for WebIdentitySettings {
    fn default() -> Self {
        Self {
            jwks_max_cache_seconds: 3600,
            jti_once: false,
            allow_http_loopback_issuers: false,
            allow_plain_ldap: false,
        }
    }
}

/// The flags (and variables) of [`WebIdentitySettings`].
#[derive(Args, Debug, Clone, Default)]
pub struct ExternalIdentityArgs {
    /// The longest, in seconds, that an OpenID Connect provider's keys are used before they
    /// are fetched again, whatever its cache headers say (1 to 86400) [default: 3600]
    #[arg(
        long,
        env = "KEYWARD_OIDC_JWKS_MAX_CACHE_SECONDS",
        value_name = "SECONDS"
    )]
    pub oidc_jwks_max_cache_seconds: Option<u64>,

    /// Accept each web identity token's jti only once per role while the token lives
    /// (AWS accepts a token more than once) [default: false]
    #[arg(long, env = "KEYWARD_WEB_IDENTITY_JTI_ONCE", value_name = "BOOL")]
    pub web_identity_jti_once: Option<bool>,

    /// TEST SETTING: accept OpenID Connect providers at plain http:// loopback addresses
    /// (never in production: their keys could be replaced in transit) [default: false]
    #[arg(long, env = "KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS", value_name = "BOOL")]
    pub allow_http_loopback_issuers: Option<bool>,

    /// TEST SETTING: directories at plain ldap:// loopback addresses without StartTLS, and
    /// AssumeRoleWithLDAPIdentity over plain http from loopback (never in production:
    /// directory passwords would cross the network in clear) [default: false]
    #[arg(long, env = "KEYWARD_ALLOW_PLAIN_LDAP", value_name = "BOOL")]
    pub allow_plain_ldap: Option<bool>,
}

impl ExternalIdentityArgs {
    /// The settings: flags over the file, checked.
    pub fn resolve(&self, file: &FileSettings) -> Result<WebIdentitySettings, ConfigError> {
        let jwks_max_cache_seconds = self
            .oidc_jwks_max_cache_seconds
            .or(file.oidc_jwks_max_cache_seconds)
            .unwrap_or(3600);
        if !(1..=86_400).contains(&jwks_max_cache_seconds) {
            return Err(ConfigError::Invalid {
                setting: "oidc_jwks_max_cache_seconds",
                reason: format!("{jwks_max_cache_seconds} is outside 1..=86400"),
            });
        }
        Ok(WebIdentitySettings {
            jwks_max_cache_seconds,
            jti_once: self
                .web_identity_jti_once
                .or(file.web_identity_jti_once)
                .unwrap_or(false),
            allow_http_loopback_issuers: self
                .allow_http_loopback_issuers
                .or(file.allow_http_loopback_issuers)
                .unwrap_or(false),
            allow_plain_ldap: self
                .allow_plain_ldap
                .or(file.allow_plain_ldap)
                .unwrap_or(false),
        })
    }
}
