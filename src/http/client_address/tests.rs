use super::*;
use ipnet::IpNet;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address in the test table")
}

fn proxies(networks: &[&str], header: ProxyHeader) -> TrustedProxies {
    TrustedProxies {
        networks: networks
            .iter()
            .map(|n| {
                n.parse::<IpNet>()
                    .or_else(|_| n.parse::<IpAddr>().map(IpNet::from))
                    .expect("a network in the test table")
            })
            .collect(),
        header,
    }
}

fn xff<'a>(for_: &[&'a str], proto: &[&'a str]) -> ForwardingHeaders<'a> {
    ForwardingHeaders {
        x_forwarded_for: for_.to_vec(),
        x_forwarded_proto: proto.to_vec(),
        ..Default::default()
    }
}

fn fwd<'a>(lines: &[&'a str]) -> ForwardingHeaders<'a> {
    ForwardingHeaders {
        forwarded: lines.to_vec(),
        ..Default::default()
    }
}

/// (peer, X-Forwarded-For lines, X-Forwarded-Proto lines, client, https, why)
type XffCase<'a> = (
    &'a str,
    &'a [&'a str],
    &'a [&'a str],
    &'a str,
    bool,
    &'a str,
);
/// (peer, Forwarded lines, client, https, why)
type ForwardedCase<'a> = (&'a str, &'a [&'a str], &'a str, bool, &'a str);

#[test]
fn x_forwarded_for_is_walked_to_the_right_most_untrusted_hop() {
    let trusted = proxies(&["10.0.0.0/24", "127.0.0.1"], ProxyHeader::XForwardedFor);
    let cases: &[XffCase] = &[
        (
            "10.0.0.6",
            &[],
            &[],
            "10.0.0.6",
            false,
            "no header: the proxy itself",
        ),
        (
            "10.0.0.6",
            &["198.51.100.7"],
            &[],
            "198.51.100.7",
            false,
            "one hop",
        ),
        (
            "10.0.0.6",
            &["203.0.113.9, 198.51.100.7, 10.0.0.5"],
            &["https"],
            "198.51.100.7",
            true,
            "the forged left-most value is not used",
        ),
        (
            "10.0.0.6",
            &["203.0.113.9", "198.51.100.7"],
            &[],
            "198.51.100.7",
            false,
            "several header lines form one list",
        ),
        (
            "10.0.0.6",
            &["203.0.113.9, 10.0.0.5, 127.0.0.1"],
            &[],
            "203.0.113.9",
            false,
            "a chain of trusted proxies only: the left-most hop is the client",
        ),
        (
            "10.0.0.6",
            &["198.51.100.7, unknown"],
            &[],
            "10.0.0.6",
            false,
            "an unusable hop stops the walk at the last trusted proxy",
        ),
        (
            "10.0.0.6",
            &["198.51.100.7, garbage, 10.0.0.5"],
            &[],
            "10.0.0.5",
            false,
            "nothing left of an unusable hop is believed",
        ),
        (
            "10.0.0.6",
            &["::ffff:198.51.100.7"],
            &[],
            "198.51.100.7",
            false,
            "an IPv4-mapped address is made IPv4",
        ),
        (
            "10.0.0.6",
            &["[2001:db8::1]:4711"],
            &[],
            "2001:db8::1",
            false,
            "a bracketed IPv6 address with a port",
        ),
        (
            "10.0.0.6",
            &["198.51.100.7:80"],
            &[],
            "198.51.100.7",
            false,
            "an IPv4 address with a port",
        ),
        (
            "10.0.0.6",
            &["2001:db8::2"],
            &[],
            "2001:db8::2",
            false,
            "a bare IPv6 address",
        ),
        (
            "10.0.0.6",
            &[],
            &["http, https"],
            "10.0.0.6",
            true,
            "the right-most proto is the proxy's",
        ),
        (
            "10.0.0.6",
            &["198.51.100.7"],
            &["https, http"],
            "198.51.100.7",
            false,
            "proto http",
        ),
        (
            "::ffff:10.0.0.6",
            &["198.51.100.7"],
            &["https"],
            "198.51.100.7",
            true,
            "a mapped peer address is trusted like its IPv4 form",
        ),
        (
            "198.51.100.1",
            &["203.0.113.9"],
            &["https"],
            "198.51.100.1",
            false,
            "an untrusted peer's headers are ignored, proto included",
        ),
        (
            "::ffff:198.51.100.1",
            &[],
            &[],
            "198.51.100.1",
            false,
            "an untrusted mapped peer is made canonical too",
        ),
    ];
    for (peer, for_, proto, client, https, why) in cases {
        let got = resolve(ip(peer), &xff(for_, proto), &trusted);
        assert_eq!(
            got,
            Client {
                ip: ip(client),
                https: *https
            },
            "{why}"
        );
    }
}

#[test]
fn forwarded_is_read_per_rfc_7239() {
    let trusted = proxies(
        &["10.0.0.0/24", "2001:db8:ffff::/48"],
        ProxyHeader::Forwarded,
    );
    let cases: &[ForwardedCase] = &[
        (
            "10.0.0.6",
            &["for=198.51.100.7;proto=https"],
            "198.51.100.7",
            true,
            "one element",
        ),
        (
            "10.0.0.6",
            &["for=203.0.113.9;proto=https, for=198.51.100.7;proto=http"],
            "198.51.100.7",
            false,
            "the right-most untrusted element, with its own proto",
        ),
        (
            "10.0.0.6",
            &["for=198.51.100.7;proto=https", "for=10.0.0.5"],
            "198.51.100.7",
            true,
            "the proto of the element that names the client",
        ),
        (
            "10.0.0.6",
            &[r#"For="[2001:db8:cafe::17]:4711";Proto=HTTPS"#],
            "2001:db8:cafe::17",
            true,
            "quoted IPv6 with a port, case-insensitive names and values",
        ),
        (
            "10.0.0.6",
            &[r#"for="_gazonk", for=198.51.100.7"#],
            "198.51.100.7",
            false,
            "an obfuscated hop left of the client does not matter",
        ),
        (
            "10.0.0.6",
            &["for=198.51.100.7, for=unknown;proto=https"],
            "10.0.0.6",
            true,
            "an unknown hop stops the walk at the proxy",
        ),
        (
            "10.0.0.6",
            &[r#"for="198.51.100.7";by="a,b;c", for=10.0.0.5"#],
            "198.51.100.7",
            false,
            "separators inside quotes do not split",
        ),
        (
            "10.0.0.6",
            &["proto=https"],
            "10.0.0.6",
            true,
            "no for: the proxy",
        ),
        (
            "2001:db8:ffff::1",
            &["for=192.0.2.60"],
            "192.0.2.60",
            false,
            "a trusted IPv6 network",
        ),
        (
            "192.0.2.1",
            &["for=198.51.100.7;proto=https"],
            "192.0.2.1",
            false,
            "untrusted peer",
        ),
    ];
    for (peer, lines, client, https, why) in cases {
        let got = resolve(ip(peer), &fwd(lines), &trusted);
        assert_eq!(
            got,
            Client {
                ip: ip(client),
                https: *https
            },
            "{why}"
        );
    }
}

#[test]
fn only_the_chosen_header_is_read() {
    let both = ForwardingHeaders {
        forwarded: vec!["for=203.0.113.9;proto=https"],
        x_forwarded_for: vec!["198.51.100.7"],
        x_forwarded_proto: vec![],
    };
    let peer = ip("10.0.0.6");
    let by_xff = resolve(
        peer,
        &both,
        &proxies(&["10.0.0.6"], ProxyHeader::XForwardedFor),
    );
    assert_eq!((by_xff.ip, by_xff.https), (ip("198.51.100.7"), false));
    let by_fwd = resolve(peer, &both, &proxies(&["10.0.0.6"], ProxyHeader::Forwarded));
    assert_eq!((by_fwd.ip, by_fwd.https), (ip("203.0.113.9"), true));
}

#[test]
fn no_trusted_proxies_means_the_peer() {
    let headers = xff(&["203.0.113.9"], &["https"]);
    let got = resolve(ip("127.0.0.1"), &headers, &TrustedProxies::default());
    assert_eq!(
        got,
        Client {
            ip: ip("127.0.0.1"),
            https: false
        }
    );
}
