//! The phrasing step with scripted backends: an accepted rephrasing is the reply; a rejected
//! one, a late first token, an error all give the template, with the reason.

use std::sync::Arc;
use std::time::Duration;

use tuoke_dialogue::{Company, Variety};
use tuoke_llm::{
    ChatRequest, Finish, FinishReason, LlmBackend, LlmError, PhraseInput, Phrased, Phraser,
    PhraserConfig, Rejection, StreamEvent, TokenStream,
};

/// Answers every request with `pieces`, after `delay`, or with `error`; `cut` ends the stream
/// as a server does at `max_tokens`.
struct Scripted {
    pieces: Vec<&'static str>,
    delay: Duration,
    error: bool,
    cut: bool,
}

impl LlmBackend for Scripted {
    fn describe(&self) -> String {
        "scripted".into()
    }
    fn stream(&self, _request: ChatRequest) -> TokenStream {
        let (sink, stream) = TokenStream::channel();
        let pieces = self.pieces.clone();
        let (delay, error, cut) = (self.delay, self.error, self.cut);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if error {
                sink.send(Err(LlmError::Http("connection reset".into())))
                    .await;
                return;
            }
            for p in &pieces {
                if !sink.send(Ok(StreamEvent::Token(p.to_string()))).await {
                    return;
                }
            }
            let finish = Finish {
                reason: if cut {
                    FinishReason::Length
                } else {
                    FinishReason::Stop
                },
                prompt_tokens: None,
                completion_tokens: pieces.len(),
            };
            sink.send(Ok(StreamEvent::Done(finish))).await;
        });
        stream
    }
}

async fn run(backend: Scripted) -> tuoke_llm::PhraseOutcome {
    let company = Company::demo();
    let facts = vec![company.entry_text("product:yq-air-a7").expect("A7")];
    let customer = vec!["A7多少钱？".to_string()];
    let names: Vec<String> = company
        .gazetteer()
        .products
        .into_iter()
        .flat_map(|e| e.names)
        .collect();
    let config = PhraserConfig {
        first_token: Duration::from_millis(200),
        ..PhraserConfig::default()
    };
    let phraser = Phraser::new(Arc::new(backend), config);
    let input = PhraseInput {
        template: "云栖空气净化器 A7 的价格是 ¥2499。",
        facts: &facts,
        last_turns: &[],
        customer_words: &customer,
        variety: Variety::Cmn,
        known_names: &names,
    };
    phraser.phrase(&input).await
}

fn scripted(pieces: Vec<&'static str>) -> Scripted {
    Scripted {
        pieces,
        delay: Duration::ZERO,
        error: false,
        cut: false,
    }
}

#[tokio::test]
async fn an_accepted_rephrasing_is_the_reply() {
    let o = run(scripted(vec!["“您好，", "A7 现在售价 ", "2,499 元哦。”"])).await;
    assert_eq!(o.phrased, Phrased::Llm);
    assert_eq!(o.text, "您好，A7 现在售价 2,499 元哦。");
    assert_eq!(o.tokens, 3);
}

#[tokio::test]
async fn a_rejected_rephrasing_gives_the_template_and_why() {
    let o = run(scripted(vec!["A7 现在只要 1999 元！"])).await;
    assert_eq!(
        o.phrased,
        Phrased::Rejected {
            rejection: Rejection::InventedNumber("1999".into())
        }
    );
    assert_eq!(o.text, "云栖空气净化器 A7 的价格是 ¥2499。");
    assert_eq!(o.candidate.as_deref(), Some("A7 现在只要 1999 元！"));
}

#[tokio::test]
async fn a_late_first_token_gives_the_template() {
    let o = run(Scripted {
        pieces: vec!["A7 售价 2499 元。"],
        delay: Duration::from_secs(3),
        error: false,
        cut: false,
    })
    .await;
    assert_eq!(o.phrased, Phrased::TimedOut);
    assert_eq!(o.text, "云栖空气净化器 A7 的价格是 ¥2499。");
    assert!(
        o.total_ms < 1500,
        "waited {} ms, the deadline is 200 ms",
        o.total_ms
    );
}

#[tokio::test]
async fn a_backend_error_gives_the_template() {
    let o = run(Scripted {
        pieces: vec![],
        delay: Duration::ZERO,
        error: true,
        cut: false,
    })
    .await;
    assert!(
        matches!(o.phrased, Phrased::Failed { .. }),
        "{:?}",
        o.phrased
    );
    assert_eq!(o.text, "云栖空气净化器 A7 的价格是 ¥2499。");
}

#[tokio::test]
async fn a_runaway_answer_is_cut_and_rejected_without_waiting_for_its_end() {
    let pieces: Vec<&'static str> = std::iter::repeat_n("A7 售价 2499 元。", 40).collect();
    let o = run(scripted(pieces)).await;
    assert_eq!(
        o.phrased,
        Phrased::Rejected {
            rejection: Rejection::TooLong
        }
    );
    assert_eq!(o.text, "云栖空气净化器 A7 的价格是 ¥2499。");
    assert!(o.tokens < 40, "stopped after {} of 40 pieces", o.tokens);
}

#[tokio::test]
async fn an_answer_cut_at_the_token_limit_is_not_sent() {
    let o = run(Scripted {
        pieces: vec!["您好，A7 现在售价 2,499 元，"],
        delay: Duration::ZERO,
        error: false,
        cut: true,
    })
    .await;
    assert_eq!(
        o.phrased,
        Phrased::Rejected {
            rejection: Rejection::Truncated
        }
    );
    assert_eq!(o.text, "云栖空气净化器 A7 的价格是 ¥2499。");
}
