//! Which proxies in front of Keyward are believed about the client, as settings: the networks
//! they connect from and the forwarding header they write. `http::client_address` reads the
//! headers by these rules; the settings live here so that configuration depends on nothing
//! above it.

use ipnet::IpNet;
use std::net::IpAddr;

/// Which header a trusted proxy writes the client into. Only one is read: a proxy that writes
/// one passes the other through from the client untouched, so reading both would let the
/// client pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyHeader {
    /// `X-Forwarded-For`, with the scheme in `X-Forwarded-Proto` (nginx, HAProxy, most
    /// load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=...;proto=...`.
    Forwarded,
}

/// The proxies whose forwarding headers are believed, and which header they write. Empty by
/// default: then every header is ignored and the client is the TCP peer.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    pub networks: Vec<IpNet>,
    pub header: ProxyHeader,
}

impl TrustedProxies {
    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(&ip))
    }
}
