//! How Keyward trusts external identity sources: OpenID Connect providers for
//! `AssumeRoleWithWebIdentity`, and directories.

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
