//! Where webhooks may be sent.
//!
//! A webhook URL is chosen by an admin key, so without a check it lets that key make the server
//! call loopback services, the cloud metadata address (169.254.169.254) or anything else on
//! the internal network, and read their status back from the delivery log. Internal addresses
//! are refused twice: when a webhook is registered ([`EgressPolicy::check_registration`]) and
//! when a delivery connects, after DNS resolution ([`GuardedResolver`] for names,
//! [`EgressPolicy::check_literal`] for IP literals, which reqwest never resolves), so a name
//! that later resolves to an internal address is refused too. Deployments with an internal
//! receiver name its networks in the allow-list (`--webhook-allow` / `TUOKE_WEBHOOK_ALLOW`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long a registration waits for DNS before it accepts the name (delivery checks again).
const REGISTRATION_DNS_TIMEOUT: Duration = Duration::from_secs(3);

/// Parses one allow-list entry: a network (`10.1.0.0/16`, `fd00::/8`) or one address
/// (`127.0.0.1`, `::1`).
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not an IP address or network (CIDR)"))
}

/// Parses a comma-separated allow-list (`TUOKE_WEBHOOK_ALLOW`); empty entries are skipped.
pub fn parse_allow_list(s: &str) -> Result<Vec<IpNet>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(parse_net)
        .collect()
}

/// Whether `ip` is not a public internet address: unspecified, loopback, private, link-local,
/// shared (CGNAT), multicast, broadcast, documentation or reserved, also when an IPv6 address
/// embeds such an IPv4 address (mapped, compatible, NAT64, 6to4).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4);
    }
    let s = ip.segments();
    // IPv4-compatible (::a.b.c.d, deprecated), NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
    // carry an IPv4 address that a gateway may reach.
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    let compatible = s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified();
    let embedded = if compatible || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(v4(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(v4(s[1], s[2]))
    } else {
        None
    };
    if embedded.is_some_and(internal_v4) {
        return true;
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || s[0] == 0x0100 && s[1..4] == [0, 0, 0] // discard-only 100::/64
}

/// The webhook egress rule of a server process: public addresses, plus the allow-list.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    allow: Vec<IpNet>,
}

impl EgressPolicy {
    pub fn new(allow: Vec<IpNet>) -> Self {
        EgressPolicy { allow }
    }

    /// Whether a webhook may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        !is_internal(ip) || self.allow.iter().any(|n| n.contains(&ip))
    }

    fn refuse(ip: IpAddr) -> String {
        format!(
            "webhook address {ip} is internal (loopback, private, link-local or reserved); \
             list its network in --webhook-allow / TUOKE_WEBHOOK_ALLOW to allow it"
        )
    }

    /// Checks a URL given at registration: an IP host must be written in its usual form
    /// (no decimal, hex, octal or shortened IPv4) and be permitted; a name must not resolve to
    /// an address that is not (a name that does not resolve yet is accepted: every delivery is
    /// checked again after resolution).
    pub async fn check_registration(&self, raw: &str, url: &Url) -> Result<(), String> {
        if let Some(ip) = literal(url) {
            if let IpAddr::V4(v4) = ip
                && raw_host(raw).is_some_and(|h| h != v4.to_string())
            {
                return Err(format!(
                    "webhook host must be written as dotted-decimal IPv4 ({v4}), not {:?}",
                    raw_host(raw).unwrap_or_default()
                ));
            }
            return if self.permits(ip) {
                Ok(())
            } else {
                Err(Self::refuse(ip))
            };
        }
        let Some(host) = url.host_str() else {
            return Err("webhook url has no host".into());
        };
        // RFC 6761: `localhost` and names under it are loopback, whatever DNS says.
        let bare = host.trim_end_matches('.').to_ascii_lowercase();
        if bare == "localhost" || bare.ends_with(".localhost") {
            let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
            return if self.permits(lo) {
                Ok(())
            } else {
                Err(Self::refuse(lo))
            };
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let lookup = tokio::net::lookup_host((host, port));
        if let Ok(Ok(addrs)) = tokio::time::timeout(REGISTRATION_DNS_TIMEOUT, lookup).await {
            for a in addrs {
                if !self.permits(a.ip()) {
                    return Err(Self::refuse(a.ip()));
                }
            }
        }
        Ok(())
    }

    /// Checks a delivery's URL whose host is an IP literal (reqwest connects to those without
    /// asking the resolver). Names pass here; [`GuardedResolver`] checks what they resolve to.
    pub fn check_literal(&self, url: &str) -> Result<(), String> {
        let url = Url::parse(url).map_err(|e| format!("webhook url: {e}"))?;
        match literal(&url) {
            Some(ip) if !self.permits(ip) => Err(Self::refuse(ip)),
            _ => Ok(()),
        }
    }
}

/// The host of `url` when it is an IP address (already normalized by the URL parser, so
/// `2130706433` and `0x7f.1` are 127.0.0.1 here).
fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// The host exactly as written in `raw` (`scheme://[userinfo@]host[:port]/…`), lower-cased.
fn raw_host(raw: &str) -> Option<String> {
    let rest = raw.trim().split_once("://")?.1;
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next()?
    } else {
        host_port.split(':').next()?
    };
    Some(host.to_ascii_lowercase())
}

/// A DNS resolver for the webhook client that drops every address the policy refuses, so a
/// connection is only ever opened to a permitted address (checked after resolution, which
/// closes the gap of a name that resolved elsewhere at registration).
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: Arc<EgressPolicy>,
}

impl GuardedResolver {
    pub fn new(policy: Arc<EgressPolicy>) -> Self {
        GuardedResolver { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| policy.permits(a.ip()))
                .collect();
            if allowed.is_empty() {
                let refused = addrs.first().map(|a| a.ip().to_string());
                return Err(format!(
                    "webhook host resolves only to internal addresses ({}); list them in \
                     --webhook-allow / TUOKE_WEBHOOK_ALLOW to allow them",
                    refused.unwrap_or_else(|| "none".into())
                )
                .into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_ranges_are_recognized() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "::127.0.0.1",
        ] {
            assert!(is_internal(ip(s)), "{s} should be internal");
        }
        for s in [
            "8.8.8.8",
            "172.32.0.1",
            "1.1.1.1",
            "2606:4700::1111",
            "100.128.0.1",
        ] {
            assert!(!is_internal(ip(s)), "{s} should be public");
        }
    }

    #[test]
    fn allow_list_opens_only_its_networks() {
        let p = EgressPolicy::new(parse_allow_list("127.0.0.1, ::1,10.0.0.0/8").unwrap());
        assert!(p.permits(ip("127.0.0.1")));
        assert!(p.permits(ip("::ffff:127.0.0.1")));
        assert!(p.permits(ip("::1")));
        assert!(p.permits(ip("10.9.9.9")));
        assert!(!p.permits(ip("127.0.0.2")));
        assert!(!p.permits(ip("169.254.169.254")));
        assert!(EgressPolicy::default().permits(ip("8.8.8.8")));
        assert!(parse_allow_list("localhost").is_err());
        assert!(parse_allow_list("").unwrap().is_empty());
    }

    #[test]
    fn raw_host_is_the_written_form() {
        assert_eq!(
            raw_host("http://2130706433:9/x").as_deref(),
            Some("2130706433")
        );
        assert_eq!(raw_host("http://u:p@0x7f.1/x").as_deref(), Some("0x7f.1"));
        assert_eq!(raw_host("https://[::1]:8443/").as_deref(), Some("[::1]"));
        assert_eq!(
            raw_host("http://Example.com?x").as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn literals_are_checked_without_resolving() {
        let p = EgressPolicy::default();
        assert!(p.check_literal("http://127.0.0.1:9/x").is_err());
        assert!(p.check_literal("http://2130706433/x").is_err());
        assert!(p.check_literal("http://[::1]/x").is_err());
        assert!(p.check_literal("http://[::ffff:a9fe:a9fe]/").is_err());
        assert!(p.check_literal("https://hooks.example.com/x").is_ok());
        assert!(p.check_literal("https://8.8.8.8/x").is_ok());
    }
}
