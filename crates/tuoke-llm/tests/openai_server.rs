//! The OpenAI-compatible client against a real server on loopback: llama-cpp-python's server
//! (installed into `fetched-models/llama-venv` by `scripts/fetch-llm.sh --server`) serving the
//! same GGUF on a free port.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use tuoke_llm::openai::{OpenAiBackend, OpenAiConfig};
use tuoke_llm::{ChatMessage, ChatRequest, LlmBackend, Role};

struct Server {
    child: tokio::process::Child,
    url: String,
}

async fn start() -> Option<Server> {
    let how = "run scripts/fetch-llm.sh --server";
    let model = common::model_or_skip("openai_server", common::GGUF, how)?;
    let python = common::model_or_skip("openai_server", "llama-venv/bin/python", how)?;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let child = tokio::process::Command::new(python)
        .args([
            "-m",
            "llama_cpp.server",
            "--host",
            "127.0.0.1",
            "--n_ctx",
            "2048",
        ])
        .arg("--port")
        .arg(port.to_string())
        .arg("--model")
        .arg(&model)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("llama_cpp.server starts");
    let url = format!("http://127.0.0.1:{port}/v1");
    // Ready when /v1/models answers (model load takes a few seconds).
    let t = Instant::now();
    loop {
        if let Ok(Ok(mut s)) = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let req = format!("GET /v1/models HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
            let mut buf = Vec::new();
            if s.write_all(req.as_bytes()).await.is_ok()
                && s.read_to_end(&mut buf).await.is_ok()
                && buf.starts_with(b"HTTP/1.1 200")
            {
                break;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the server did not come up in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!(
        "openai_server: llama_cpp.server ready in {} ms",
        t.elapsed().as_millis()
    );
    Some(Server { child, url })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_a_chinese_answer_from_a_real_server() {
    let Some(mut server) = start().await else {
        return;
    };
    let backend = OpenAiBackend::new(OpenAiConfig::new(&server.url, "qwen").expect("config"))
        .expect("client");
    let mut r = ChatRequest::new(vec![
        ChatMessage::new(Role::System, "你是销售客服。"),
        ChatMessage::new(Role::User, "用一句话介绍空气净化器。"),
    ]);
    r.max_tokens = 12;
    r.timeout = Duration::from_secs(60);
    let t = Instant::now();
    let (pieces, first, finish) = common::read_all(backend.stream(r), t).await;
    let text = pieces.concat();
    eprintln!(
        "openai_server: {text:?} in {} chunks, first after {first:?}, all {:?}, {finish:?}",
        pieces.len(),
        t.elapsed()
    );
    assert!(pieces.len() >= 2, "streamed in pieces, got {pieces:?}");
    assert!(finish.completion_tokens >= 1 && finish.completion_tokens <= 12);
    let cjk = text
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    assert!(cjk >= 2, "a Chinese answer, got {text:?}");

    // A deadline shorter than any answer ends the request with the deadline error.
    let mut r = ChatRequest::new(vec![ChatMessage::new(Role::User, "详细介绍扫地机器人。")]);
    r.max_tokens = 200;
    r.timeout = Duration::from_millis(200);
    let err = backend
        .stream(r)
        .collect()
        .await
        .expect_err("200 ms is too short");
    assert!(matches!(err, tuoke_llm::LlmError::Deadline(_)), "{err}");
    let _ = server.child.kill().await;
}
