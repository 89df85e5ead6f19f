//! Slow and idle clients (issue 14, item 4), with raw sockets on loopback: a header read timeout,
//! a body read timeout, a request deadline and a connection cap.

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tuoke_server::serve::HttpLimits;

fn limits() -> HttpLimits {
    HttpLimits {
        header_read_timeout: Duration::from_millis(800),
        body_read_timeout: Duration::from_millis(800),
        request_timeout: Duration::from_millis(2000),
        max_connections: 1000,
    }
}

async fn server(http: HttpLimits) -> common::TestServer {
    let config = tuoke_server::ServerConfig {
        http,
        ..common::test_config()
    };
    common::start_with(None, config).await
}

fn addr(s: &common::TestServer) -> String {
    s.base.trim_start_matches("http://").to_string()
}

/// A socket that sent the head of `POST /v1/analyze` announcing `len` body bytes, and `start`.
async fn post_analyze(s: &common::TestServer, len: usize, start: &str) -> TcpStream {
    let mut sock = TcpStream::connect(addr(s)).await.unwrap();
    let head = format!(
        "POST /v1/analyze HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n{start}",
        s.widget
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock
}

/// `GET /healthz` on a new connection with `headers`, read until the server closes it.
async fn healthz(s: &common::TestServer, headers: &str) -> String {
    let mut sock = TcpStream::connect(addr(s)).await.unwrap();
    let req = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
    sock.write_all(req.as_bytes()).await.unwrap();
    read_to_close(&mut sock, Duration::from_secs(5))
        .await
        .expect("the server closes the connection")
}

/// Reads until the server closes the connection (or `limit` passes: then `None`).
async fn read_to_close(sock: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut buf = Vec::new();
    let r = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        loop {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    r.ok().map(|_| String::from_utf8_lossy(&buf).into_owned())
}

#[tokio::test]
async fn partial_headers_and_idle_sockets_are_closed_after_the_header_timeout() {
    let s = server(limits()).await;
    let mut partial = TcpStream::connect(addr(&s)).await.unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut idle = TcpStream::connect(addr(&s)).await.unwrap();
    let t = Instant::now();
    let got = read_to_close(&mut partial, Duration::from_secs(5)).await;
    assert!(
        got.is_some(),
        "a connection with partial headers stayed open"
    );
    let got = read_to_close(&mut idle, Duration::from_secs(5)).await;
    assert_eq!(got.as_deref(), Some(""), "an idle socket got an answer");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(700),
        "closed too early: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "closed late: {took:?}");
    // A keep-alive connection that goes idle after a request is closed too.
    let got = healthz(&s, "").await;
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");
    s.stop().await;
}

#[tokio::test]
async fn a_short_body_gets_408_with_the_json_envelope() {
    let s = server(limits()).await;
    let mut sock = post_analyze(&s, 100, r#"{"text": ""#).await;
    let t = Instant::now();
    let got = read_to_close(&mut sock, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains(r#"{"error":{"code":"timeout""#), "{got}");
    let took = t.elapsed();
    assert!(
        took < Duration::from_millis(1900),
        "the body timeout did not fire first: {took:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_trickled_body_meets_the_request_deadline() {
    let s = server(limits()).await;
    let mut sock = post_analyze(&s, 1000, "").await;
    let t = Instant::now();
    // One byte every 300 ms never trips the 800 ms body timeout; the 2 s deadline ends it.
    let mut answer = String::new();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if sock.write_all(b" ").await.is_err() {
            break;
        }
        let mut chunk = [0u8; 4096];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), sock.read(&mut chunk)).await
        {
            answer.push_str(&String::from_utf8_lossy(&chunk[..n]));
            break;
        }
    }
    if answer.is_empty() {
        answer = read_to_close(&mut sock, Duration::from_secs(3))
            .await
            .unwrap_or_default();
    }
    let took = t.elapsed();
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "{answer:?} after {took:?}"
    );
    assert!(answer.contains(r#""code":"timeout""#), "{answer}");
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    s.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_get_503_and_are_closed() {
    let s = server(HttpLimits {
        header_read_timeout: Duration::from_secs(30),
        max_connections: 5,
        ..limits()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(addr(&s)).await.unwrap());
    }
    // Let the server accept all five.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr(&s)).await.unwrap();
    let got = read_to_close(&mut extra, Duration::from_secs(3))
        .await
        .unwrap();
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert!(got.contains(r#""code":"unavailable""#), "{got}");
    // A freed slot is usable again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = healthz(&s, "Connection: close\r\n").await;
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");
    assert!(
        s.metrics()
            .await
            .contains("tuoke_connections_refused_total 1\n")
    );
    drop(held);
    s.stop().await;
}
