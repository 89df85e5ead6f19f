//! The OpenAI-compatible client's error paths against a small axum stub on loopback: retries
//! with back-off on 429/5xx, no retry on other 4xx, the deadline, a malformed stream,
//! cancellation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Response, StatusCode};
use axum::routing::post;
use tuoke_llm::openai::{OpenAiBackend, OpenAiConfig};
use tuoke_llm::{ChatMessage, ChatRequest, LlmBackend, LlmError, Role, StreamEvent};

const SSE_OK: &str = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n\
data: {\"choices\":[{\"delta\":{\"content\":\"您好\"}}]}\n\n\
data: {\"choices\":[{\"delta\":{\"content\":\"，A7\"},\"finish_reason\":null}]}\n\n\
data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}\n\n\
data: [DONE]\n\n";

/// What the stub answers on attempt `n` (0-based).
type Script = Arc<dyn Fn(usize) -> Response<Body> + Send + Sync>;

async fn stub(script: Script) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let n = h.fetch_add(1, Ordering::SeqCst);
            let script = script.clone();
            async move { script(n) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/v1"), hits)
}

fn status(code: u16) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).expect("status"))
        .body(Body::from("{\"error\":\"busy\"}"))
        .expect("response")
}

fn sse(body: &'static str) -> Response<Body> {
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from(body))
        .expect("response")
}

fn client(url: &str) -> OpenAiBackend {
    let mut c = OpenAiConfig::new(url, "qwen").expect("config");
    c.backoff = Duration::from_millis(20);
    OpenAiBackend::new(c).expect("client")
}

fn req(timeout: Duration) -> ChatRequest {
    let mut r = ChatRequest::new(vec![ChatMessage::new(Role::User, "A7多少钱")]);
    r.timeout = timeout;
    r
}

#[tokio::test]
async fn streams_tokens_and_usage() {
    let (url, hits) = stub(Arc::new(|_| sse(SSE_OK))).await;
    let (text, f) = client(&url)
        .stream(req(Duration::from_secs(5)))
        .collect()
        .await
        .expect("ok");
    assert_eq!(text, "您好，A7");
    assert_eq!((f.prompt_tokens, f.completion_tokens), (Some(12), 3));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn retries_429_and_5xx_then_succeeds() {
    let (url, hits) = stub(Arc::new(|n| match n {
        0 => status(503),
        1 => {
            let mut r = status(429);
            r.headers_mut()
                .insert("retry-after", "0".parse().expect("header"));
            r
        }
        _ => sse(SSE_OK),
    }))
    .await;
    let (text, _) = client(&url)
        .stream(req(Duration::from_secs(5)))
        .collect()
        .await
        .expect("ok");
    assert_eq!(text, "您好，A7");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn gives_up_after_the_retries_and_never_retries_a_400() {
    let (url, hits) = stub(Arc::new(|_| status(500))).await;
    let err = client(&url)
        .stream(req(Duration::from_secs(5)))
        .collect()
        .await
        .expect_err("500s");
    assert!(matches!(err, LlmError::Status { status: 500, .. }), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 3, "one try and two retries");

    let (url, hits) = stub(Arc::new(|_| status(400))).await;
    let err = client(&url)
        .stream(req(Duration::from_secs(5)))
        .collect()
        .await
        .expect_err("400");
    assert!(matches!(err, LlmError::Status { status: 400, .. }), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_deadline_ends_a_slow_answer() {
    let (url, _) = stub(Arc::new(|_| {
        // Headers at once, then a body that never ends.
        let body = Body::from_stream(futures_util::stream::pending::<
            Result<Vec<u8>, std::io::Error>,
        >());
        Response::builder()
            .header("content-type", "text/event-stream")
            .body(body)
            .expect("response")
    }))
    .await;
    let t = Instant::now();
    let err = client(&url)
        .stream(req(Duration::from_millis(300)))
        .collect()
        .await
        .expect_err("slow");
    assert!(matches!(err, LlmError::Deadline(_)), "{err}");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    // A port nobody listens on: bind, read the port, close.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    let err = client(&format!("http://127.0.0.1:{port}/v1"))
        .stream(req(Duration::from_secs(5)))
        .collect()
        .await
        .expect_err("refused");
    assert!(matches!(err, LlmError::Http(_)), "{err}");
}

#[tokio::test]
async fn malformed_chunks_are_an_error_not_a_panic() {
    let (url, _) = stub(Arc::new(|_| {
        sse("data: {\"choices\": [ {\"delta\": 5}]}\n\n")
    }))
    .await;
    let err = client(&url)
        .stream(req(Duration::from_secs(5)))
        .collect()
        .await
        .expect_err("bad");
    assert!(matches!(err, LlmError::Protocol(_)), "{err}");
    let (url, _) = stub(Arc::new(|_| {
        sse("data: {\"choices\":[{\"delta\":{\"content\":\"半\"}}]}\n\n")
    }))
    .await;
    let err = client(&url)
        .stream(req(Duration::from_secs(5)))
        .collect()
        .await
        .expect_err("cut");
    assert!(
        matches!(err, LlmError::Protocol(_)),
        "an answer cut before [DONE]: {err}"
    );
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_request() {
    let (url, _) = stub(Arc::new(|_| {
        let first = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(
                b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n".to_vec(),
            )
        });
        let body = Body::from_stream(futures_util::StreamExt::chain(
            first,
            futures_util::stream::pending(),
        ));
        Response::builder()
            .header("content-type", "text/event-stream")
            .body(body)
            .expect("response")
    }))
    .await;
    let mut s = client(&url).stream(req(Duration::from_secs(30)));
    assert_eq!(
        s.next().await.expect("event").expect("token"),
        StreamEvent::Token("x".into())
    );
    s.cancel();
    // After cancel the stream yields nothing more (the task ends instead of waiting 30 s).
    let t = Instant::now();
    assert!(s.next().await.is_none());
    assert!(t.elapsed() < Duration::from_secs(2));
}
