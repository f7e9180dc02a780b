//! Who is on the other end: the client's address and whether it reached us over https, from
//! the TCP peer and, only when that peer is a trusted proxy, the forwarding headers.
//!
//! Keyward itself serves plain HTTP, so https means a proxy in front of it, and then every
//! connection comes from the proxy. The proxy names the client in `X-Forwarded-For` (or
//! RFC 7239's `Forwarded`), appending the address it saw to whatever the client sent. Anyone
//! can write anything in those headers, so they are read only from a peer in
//! `trusted_proxies`, and then walked from the right (the hops our proxies wrote) to the
//! first hop that is not itself a trusted proxy:
//!
//! ```text
//!   X-Forwarded-For: 203.0.113.9, 198.51.100.7, 10.0.0.5      peer 10.0.0.6 (trusted)
//!                    ^ forged by   ^ the client  ^ trusted
//!                      the client    (right-most    proxy
//!                                    untrusted)
//! ```
//!
//! A hop that names no usable address (`unknown`, an obfuscated name, garbage) ends the walk at
//! the last trusted proxy: nothing to its left can be believed. Every address is made
//! canonical (`::ffff:192.0.2.1` is `192.0.2.1`) so that policies, throttles and the audit
//! trail see one spelling.
//!
//! Pure: plain values in, plain values out; [`of_request`] is the one thin edge.

use std::net::{IpAddr, SocketAddr};

pub use crate::config::proxies::{ProxyHeader, TrustedProxies};

/// The client as Keyward sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    /// Whether the client's own connection was TLS: only ever true through a trusted proxy
    /// that says so, since Keyward serves no TLS itself.
    pub https: bool,
}

/// The forwarding headers of a request, each header's lines in order.
#[derive(Debug, Clone, Default)]
pub struct ForwardingHeaders<'a> {
    pub forwarded: Vec<&'a str>,
    pub x_forwarded_for: Vec<&'a str>,
    pub x_forwarded_proto: Vec<&'a str>,
}

/// One hop a proxy recorded: the address it saw (None when unusable) and the scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hop {
    ip: Option<IpAddr>,
    https: bool,
}

/// The client behind `peer`: see the module documentation.
pub fn resolve(peer: IpAddr, headers: &ForwardingHeaders, proxies: &TrustedProxies) -> Client {
    let peer = peer.to_canonical();
    if !proxies.trusts(peer) {
        return Client {
            ip: peer,
            https: false,
        };
    }
    // The scheme the nearest proxy reports, for when no hop names the client.
    let (hops, https) = match proxies.header {
        ProxyHeader::XForwardedFor => {
            let https = last_item(&headers.x_forwarded_proto)
                .is_some_and(|p| p.eq_ignore_ascii_case("https"));
            let hops = items(&headers.x_forwarded_for)
                .map(|item| Hop {
                    ip: parse_node(item),
                    https,
                })
                .collect::<Vec<_>>();
            (hops, https)
        }
        ProxyHeader::Forwarded => {
            let hops = forwarded_hops(&headers.forwarded);
            let https = hops.last().is_some_and(|h| h.https);
            (hops, https)
        }
    };
    let mut client = Client { ip: peer, https };
    for hop in hops.iter().rev() {
        let Some(ip) = hop.ip else { break };
        client = Client {
            ip,
            https: hop.https,
        };
        if !proxies.trusts(ip) {
            break;
        }
    }
    client
}

/// The comma-separated items of a header's lines, trimmed, empty ones dropped.
fn items<'a>(lines: &'a [&'a str]) -> impl DoubleEndedIterator<Item = &'a str> + 'a {
    lines
        .iter()
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn last_item<'a>(lines: &'a [&'a str]) -> Option<&'a str> {
    items(lines).next_back()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`, canonical. Anything else (`unknown`, `_hidden`)
/// is None.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<IpAddr>().ok())
        })?;
    Some(ip.to_canonical())
}

/// RFC 7239 section 4: elements separated by commas, pairs by semicolons, values a token or a
/// quoted string. Each element is one hop; one without a usable `for=` is an unusable hop.
fn forwarded_hops(lines: &[&str]) -> Vec<Hop> {
    lines
        .iter()
        .flat_map(|line| split_unquoted(line, ','))
        .filter(|element| !element.trim().is_empty())
        .map(|element| {
            let mut hop = Hop {
                ip: None,
                https: false,
            };
            for pair in split_unquoted(element, ';') {
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                let value = unquote(value.trim());
                match key.trim().to_ascii_lowercase().as_str() {
                    "for" => hop.ip = parse_node(&value),
                    "proto" => hop.https = value.eq_ignore_ascii_case("https"),
                    _ => {}
                }
            }
            hop
        })
        .collect()
}

/// Splits at `separator` outside double quotes (a backslash escapes inside them).
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(text.get(start..i).unwrap_or_default());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(text.get(start..).unwrap_or_default());
    parts
}

fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut escaped = false;
            for c in inner.chars() {
                if c == '\\' && !escaped {
                    escaped = true;
                } else {
                    out.push(c);
                    escaped = false;
                }
            }
            out
        }
        None => value.to_string(),
    }
}

/// The client of an actix request, with the trusted proxies from the app data (none when the
/// app has none). None only when actix knows no peer (never over TCP).
pub fn of_request(req: &actix_web::HttpRequest) -> Option<Client> {
    let peer = req.peer_addr()?.ip();
    let lines = |name: &str| {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
    };
    let headers = ForwardingHeaders {
        forwarded: lines("forwarded"),
        x_forwarded_for: lines("x-forwarded-for"),
        x_forwarded_proto: lines("x-forwarded-proto"),
    };
    let none = TrustedProxies::default();
    let proxies = req
        .app_data::<actix_web::web::Data<TrustedProxies>>()
        .map_or(&none, |d| d.get_ref());
    Some(resolve(peer, &headers, proxies))
}

#[cfg(test)]
mod tests;
