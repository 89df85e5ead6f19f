//! What a request carries besides its body: the client's address (the socket's peer, or a
//! trusted proxy's header), the API key (`Authorization: Bearer`, or `?key=` on event streams),
//! a stream token and a widget conversation's token.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use crate::public::{PublicLimits, TOKEN_HEADER, TOKEN_QUERY};

/// The client's address: the trusted proxy header's last entry when configured and present,
/// else the socket's peer.
pub fn client_addr(parts: &Parts, limits: &PublicLimits) -> IpAddr {
    if let Some(h) = &limits.trusted_proxy_header
        && let Some(ip) = parts
            .headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip;
    }
    peer_addr(parts)
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The conversation token a request carries (header, or query on event streams).
pub fn token_of(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| stream_query_param(parts, TOKEN_QUERY))
}

pub(crate) fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    let s = v.to_str().ok()?;
    let (scheme, key) = s.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim().to_string())
}

/// The value of `name=` in the query of an event stream's URL (only there: URLs end up in
/// proxy logs, so only short-lived tokens belong in them).
pub(crate) fn stream_query_param(parts: &Parts, name: &str) -> Option<String> {
    if !parts.uri.path().ends_with("/events") {
        return None;
    }
    let q = parts.uri.query()?;
    for pair in q.split('&') {
        if let Some(v) = pair.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            return Some(percent_decode(v));
        }
    }
    None
}

pub(crate) fn query_key(parts: &Parts) -> Option<String> {
    stream_query_param(parts, "key")
}

/// Minimal percent-decoding for the `key` query value (keys are `tk_` + hex, so this only
/// matters for odd clients); invalid escapes are kept literally.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The peer address of a request (set by [`serve`]).
pub fn peer_addr(parts: &axum::http::request::Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_percent_escapes_without_panicking() {
        assert_eq!(percent_decode("tk_ab%41"), "tk_abA");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%4"), "a%4");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("é%"), "é%");
    }
}
