//! `IpAddress` and `NotIpAddress`: AWS "Condition operators / IP address condition operators":
//! "The value must be in the standard CIDR format (for example, 203.0.113.0/24 or
//! 2001:DB8:1234:5678::/64). If you specify an IP address without the associated routing prefix,
//! IAM uses the default prefix value of /32." (and /128 for IPv6). Networks are parsed once; a
//! request value that is not an IP address does not match (so `NotIpAddress` is true for it).

#![deny(clippy::indexing_slicing)]

use std::net::IpAddr;

use ipnet::IpNet;

use crate::policy::context::Scalar;

fn parse_net(s: &str) -> Option<IpNet> {
    let t = s.trim();
    if let Ok(n) = t.parse::<IpNet>() {
        return Some(n);
    }
    t.parse::<IpAddr>().ok().map(IpNet::from)
}

#[derive(Debug, Clone)]
pub struct Networks(Vec<IpNet>);

impl Networks {
    pub fn compile(values: &[String]) -> Result<Networks, String> {
        values
            .iter()
            .map(|v| parse_net(v).ok_or_else(|| format!("{v:?} is not an IP address or CIDR")))
            .collect::<Result<_, _>>()
            .map(Networks)
    }

    pub fn matches(&self, s: Scalar<'_>) -> bool {
        let ip = match s {
            Scalar::Ip(ip) => ip,
            Scalar::Str(t) => match t.trim().parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => return false,
            },
            _ => return false,
        };
        self.0.iter().any(|n| n.contains(&ip))
    }
}
