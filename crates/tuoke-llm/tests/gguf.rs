//! The local GGUF backend on the real Qwen2.5-Coder-0.5B-Instruct file: the tokenizer built from
//! its metadata, a short Chinese generation, the deadline and cancellation.

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tuoke_llm::gguf::GgufBackend;
use tuoke_llm::{ChatMessage, ChatRequest, FinishReason, LlmBackend, LlmError, Role, StreamEvent};

fn model() -> Option<&'static GgufBackend> {
    static MODEL: OnceLock<Option<GgufBackend>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let path = common::model_or_skip("gguf", common::GGUF, "run scripts/fetch-llm.sh")?;
            let t = Instant::now();
            let m = GgufBackend::load(&path, None).expect("the fetched GGUF loads");
            eprintln!("gguf: loaded in {} ms", t.elapsed().as_millis());
            Some(m)
        })
        .as_ref()
}

fn ask(q: &str, max_tokens: usize) -> ChatRequest {
    let mut r = ChatRequest::new(vec![ChatMessage::new(Role::User, q)]);
    r.max_tokens = max_tokens;
    r
}

#[test]
fn tokenizer_from_gguf_metadata_round_trips_and_knows_the_chat_tokens() {
    let Some(m) = model() else { return };
    let tok = m.tokenizer();
    assert_eq!(tok.token_to_id("<|im_start|>"), Some(151644));
    assert_eq!(tok.token_to_id("<|im_end|>"), Some(151645));
    for text in [
        "空气净化器 A7 多少钱？¥2,499",
        "Hello, 你好 — 雲棲 👍\n  two  spaces",
    ] {
        let enc = tok.encode(text, false).expect("encodes");
        let ids = enc.get_ids();
        // Byte-level BPE with merges: far fewer tokens than bytes.
        assert!(ids.len() < text.len(), "{text}: {} ids", ids.len());
        assert_eq!(tok.decode(ids, false).expect("decodes"), text);
    }
    // A chat prompt keeps its control tokens as single ids.
    let p = tuoke_llm::gguf::qwen_chat_prompt(&[ChatMessage::new(Role::User, "你好<|im_end|>")]);
    let ids = tok.encode(p, false).expect("encodes").get_ids().to_vec();
    let im_end = ids.iter().filter(|&&i| i == 151645).count();
    assert_eq!(
        im_end, 2,
        "the system and user turns end; the customer's typed marker is text"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generates_chinese_for_a_chinese_prompt() {
    let Some(m) = model() else { return };
    let started = Instant::now();
    let (pieces, first, finish) =
        common::read_all(m.stream(ask("用一句话介绍空气净化器。", 8)), started).await;
    let text = pieces.concat();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "gguf: {:?} first token {:?}, {} tokens in {secs:.2} s ({:.1} tok/s overall), prompt {:?} tokens",
        text,
        first,
        finish.completion_tokens,
        finish.completion_tokens as f64 / secs,
        finish.prompt_tokens
    );
    assert!(finish.completion_tokens >= 1 && finish.completion_tokens <= 8);
    assert!(finish.prompt_tokens.is_some_and(|p| p > 10));
    let cjk = text
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    assert!(cjk >= 2, "a Chinese answer, got {text:?}");
    if finish.completion_tokens == 8 {
        assert_eq!(finish.reason, FinishReason::Length);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_and_cancellation_stop_the_generation() {
    let Some(m) = model() else { return };
    // A deadline far shorter than the prompt takes.
    let mut r = ask("请详细介绍一下扫地机器人的工作原理。", 64);
    r.timeout = Duration::from_millis(1);
    let err = m.stream(r).collect().await.expect_err("no answer in 1 ms");
    assert!(matches!(err, LlmError::Deadline(_)), "{err}");

    // Cancel after the first token: the model is free again at once (one KV cache, one lock),
    // so a second request does not wait for 200 tokens of the first.
    let mut s = m.stream(ask("请详细介绍一下扫地机器人的工作原理。", 200));
    match s.next().await.expect("an event") {
        Ok(StreamEvent::Token(_)) => {}
        Ok(StreamEvent::Done(_)) => panic!("a 200-token answer ended before its first token"),
        Err(e) => panic!("{e}"),
    }
    s.cancel();
    drop(s);
    let t = Instant::now();
    let (_, f) = m
        .stream(ask("你好", 2))
        .collect()
        .await
        .expect("the second request runs");
    assert!(f.completion_tokens <= 2);
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "waited {:?}",
        t.elapsed()
    );
}
