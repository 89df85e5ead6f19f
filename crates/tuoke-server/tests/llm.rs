//! `tuoke serve --llm` (issue 13): the server asks an LLM to reword the engine's reply and the
//! grounding checker decides. The LLM here is a test double of `tuoke_llm::LlmBackend` (the
//! server's contract with any backend): it rewords faithfully, invents a price, answers after the
//! first-token deadline or fails. The phrasing, its deadlines and the checker are the server's
//! real ones. Checked per case: what the customer gets (turn response, SSE), the mark stored on
//! the bot message (shown to staff only) and the `/metrics` counters.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use tuoke_dialogue::{Company, CompanySources};
use tuoke_llm::{
    ChatRequest, Finish, FinishReason, LlmBackend, LlmError, PhraserConfig, StreamEvent,
    TokenStream,
};
use tuoke_server::llm::LlmConfig;

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// "好的，" + the template: every fact kept, nothing added.
    Faithful,
    /// The template and a price no fact states.
    InventedPrice,
    /// The faithful answer, after the first-token deadline.
    Slow,
    /// A backend error.
    Fails,
}

/// The LLM double: answers per `mode`, in pieces, and records the templates it was asked about.
struct Fake {
    mode: Mode,
    templates: Mutex<Vec<String>>,
}

const PREFIX: &str = "好的，";
const INVENTED: &str = "今天下单只要888元。";

/// The template of a phrasing prompt (the text after its last heading).
fn template_of(req: &ChatRequest) -> String {
    let user = &req.messages.last().expect("a user message").content;
    user.rsplit_once("【原回复】\n")
        .or_else(|| user.rsplit_once("ORIGINAL REPLY\n"))
        .map(|(_, t)| t.to_string())
        .unwrap_or_default()
}

impl LlmBackend for Fake {
    fn describe(&self) -> String {
        format!("fake:{:?}", self.mode)
    }
    fn stream(&self, req: ChatRequest) -> TokenStream {
        let template = template_of(&req);
        self.templates.lock().unwrap().push(template.clone());
        let (sink, stream) = TokenStream::channel();
        let mode = self.mode;
        tokio::spawn(async move {
            let answer = match mode {
                Mode::Faithful | Mode::Slow => format!("{PREFIX}{template}"),
                Mode::InventedPrice => format!("{template}{INVENTED}"),
                Mode::Fails => {
                    sink.send(Err(LlmError::Http("connection reset".into())))
                        .await;
                    return;
                }
            };
            if matches!(mode, Mode::Slow) {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            let chars: Vec<char> = answer.chars().collect();
            for piece in chars.chunks(4) {
                let t = piece.iter().collect::<String>();
                if !sink.send(Ok(StreamEvent::Token(t))).await {
                    return;
                }
            }
            let finish = Finish {
                reason: FinishReason::Stop,
                prompt_tokens: None,
                completion_tokens: chars.len().div_ceil(4),
            };
            sink.send(Ok(StreamEvent::Done(finish))).await;
        });
        stream
    }
}

/// The double in `mode` and a server config that phrases with it (first token due within
/// 400 ms).
fn llm_config(mode: Mode) -> (tuoke_server::ServerConfig, Arc<Fake>) {
    let fake = Arc::new(Fake {
        mode,
        templates: Mutex::new(Vec::new()),
    });
    let phraser = PhraserConfig {
        first_token: Duration::from_millis(400),
        total: Duration::from_secs(5),
        ..PhraserConfig::default()
    };
    let config = tuoke_server::ServerConfig {
        llm: Some(LlmConfig::new(fake.clone(), phraser)),
        ..test_config()
    };
    (config, fake)
}

/// A server on SQLite whose LLM is a [`Fake`] in `mode`.
async fn start_llm(mode: Mode, company: Option<Arc<Company>>) -> (TestServer, Arc<Fake>) {
    let (config, fake) = llm_config(mode);
    let t = match company {
        Some(c) => start_company(config, c).await,
        None => start_with(None, config).await,
    };
    (t, fake)
}

/// One customer turn asking a price, with both live streams open: the customer's conversation
/// stream (widget key) and the dashboard's (agent key). Returns the turn response (customer's
/// view), the bot message as staff read it, and the bot message each stream carried.
async fn price_turn(t: &TestServer) -> (Value, Value, Value, Value) {
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap().to_string();
    let path = format!("/v1/conversations/{id}/events");
    let customer_stream = t.get_with_query_key(&path, &t.widget).await;
    assert_eq!(customer_stream.status(), 200);
    let staff_stream = t.get_with_query_key("/v1/events", &t.agent).await;
    assert_eq!(staff_stream.status(), 200);
    let r = t.say(&t.widget, &id, "X10多少钱？").await;
    let staff_msg = staff_messages(t, &id).await.pop().unwrap();
    assert_eq!(staff_msg["role"], "bot", "{staff_msg}");
    // The greeting, the customer's message, the reply.
    let seen = read_messages(customer_stream, 3).await;
    let customer_sse = seen.last().map(|(_, m)| m.clone()).unwrap_or(Value::Null);
    // The dashboard stream starts live (no replay): the customer's message and the reply.
    let seen = read_messages(staff_stream, 2).await;
    let staff_sse = seen.last().map(|(_, m)| m.clone()).unwrap_or(Value::Null);
    (r, staff_msg, customer_sse, staff_sse)
}

/// The conversation's messages as staff read them.
async fn staff_messages(t: &TestServer, id: &str) -> Vec<Value> {
    let path = format!("/v1/conversations/{id}/messages");
    let (s, list) = t.json(Method::GET, &path, &t.agent, None).await;
    assert_eq!(s, 200, "{list}");
    list["items"].as_array().unwrap().clone()
}

/// A price turn whose rewording is not used: the customer gets the template, the bot message is
/// marked `mark` and `tuoke_llm_replies_total{result}` is 1. Returns how long the turn took.
async fn template_turn(mode: Mode, mark: Value, result: &str) -> Duration {
    let (t, fake) = start_llm(mode, None).await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    let started = Instant::now();
    let r = t.say(&t.widget, id, "X10多少钱？").await;
    let took = started.elapsed();
    let template = template_seen(&fake);
    assert_eq!(r["reply"]["text"], template.as_str(), "{r}");
    let bot = staff_messages(&t, id).await.pop().unwrap();
    assert_eq!(bot["text"], template.as_str());
    assert_eq!(bot["llm"], mark, "{bot}");
    let m = t.metrics().await;
    let series = format!("tuoke_llm_replies_total{{result=\"{result}\"}} 1");
    assert!(m.contains(&series), "{series}: {m}");
    t.stop().await;
    took
}

fn template_seen(fake: &Fake) -> String {
    let t = fake.templates.lock().unwrap();
    assert_eq!(t.len(), 1, "one phrasing per turn: {t:?}");
    assert!(t[0].contains("1,999") || t[0].contains("1999"), "{t:?}");
    t[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faithful_rewording_reaches_the_customer_and_is_marked() {
    let (t, fake) = start_llm(Mode::Faithful, None).await;
    let (r, staff_msg, customer_sse, staff_sse) = price_turn(&t).await;
    let phrased = format!("{PREFIX}{}", template_seen(&fake));
    assert_eq!(r["reply"]["text"], phrased.as_str(), "{r}");
    assert_eq!(r["reply_message"]["text"], phrased.as_str(), "{r}");
    assert_eq!(staff_msg["text"], phrased.as_str());
    assert_eq!(staff_msg["llm"], json!({"status": "used"}), "{staff_msg}");
    // The customer reads the rewording live, and never the mark.
    assert_eq!(customer_sse["text"], phrased.as_str(), "{customer_sse}");
    assert_eq!(customer_sse.get("llm"), None, "{customer_sse}");
    assert_eq!(r["reply_message"].get("llm"), None, "{r}");
    assert_eq!(staff_sse["text"], phrased.as_str(), "{staff_sse}");
    assert_eq!(staff_sse["llm"], json!({"status": "used"}), "{staff_sse}");
    let m = t.metrics().await;
    assert!(
        m.contains(r#"tuoke_llm_replies_total{result="used"} 1"#),
        "{m}"
    );
    assert!(!m.contains("tuoke_llm_rejections_total{"), "{m}");
    assert!(
        m.contains("tuoke_llm_phrase_duration_seconds_count 1"),
        "{m}"
    );
    t.stop().await;
}

/// The same on PostgreSQL (`TUOKE_PG_URL`), whose plain turn is one statement of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faithful_rewording_is_marked_on_postgres() {
    let (config, fake) = llm_config(Mode::Faithful);
    let Some(t) = start_on_pg("a_faithful_rewording_is_marked_on_postgres", config).await else {
        return;
    };
    let (r, staff_msg, customer_sse, _) = price_turn(&t).await;
    let phrased = format!("{PREFIX}{}", template_seen(&fake));
    assert_eq!(r["reply"]["text"], phrased.as_str(), "{r}");
    assert_eq!(customer_sse["text"], phrased.as_str(), "{customer_sse}");
    assert_eq!(staff_msg["text"], phrased.as_str());
    assert_eq!(staff_msg["llm"], json!({"status": "used"}), "{staff_msg}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invented_price_is_rejected_and_the_template_is_sent() {
    let (t, fake) = start_llm(Mode::InventedPrice, None).await;
    let (r, staff_msg, customer_sse, staff_sse) = price_turn(&t).await;
    let template = template_seen(&fake);
    for text in [
        &r["reply"]["text"],
        &r["reply_message"]["text"],
        &staff_msg["text"],
        &customer_sse["text"],
        &staff_sse["text"],
    ] {
        assert_eq!(text, template.as_str());
        assert!(!text.as_str().unwrap().contains("888"));
    }
    let mark = json!({"status": "rejected", "reason": "invented_number"});
    assert_eq!(staff_msg["llm"], mark, "{staff_msg}");
    assert_eq!(staff_sse["llm"], mark, "{staff_sse}");
    assert_eq!(customer_sse.get("llm"), None, "{customer_sse}");
    let m = t.metrics().await;
    assert!(
        m.contains(r#"tuoke_llm_replies_total{result="rejected"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"tuoke_llm_rejections_total{reason="invented_number"} 1"#),
        "{m}"
    );
    assert!(!m.contains(r#"result="used""#), "{m}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_first_token_sends_the_template_in_time() {
    let took = template_turn(Mode::Slow, json!({"status": "timed_out"}), "timed_out").await;
    // The double answers after 3 s; the first token was due after 0.4 s.
    assert!(took < Duration::from_millis(2500), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_backend_sends_the_template() {
    template_turn(Mode::Fails, json!({"status": "failed"}), "error").await;
}

/// A resend of a turn's `client_message_id` gets the stored (phrased) response without asking
/// the LLM again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_is_not_phrased_again() {
    let (t, fake) = start_llm(Mode::Faithful, None).await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    let path = format!("/v1/conversations/{id}/messages");
    let body = json!({"text": "X10多少钱？", "client_message_id": "m-1"});
    let (s1, r1) = t
        .json(Method::POST, &path, &t.widget, Some(body.clone()))
        .await;
    let (s2, r2) = t.json(Method::POST, &path, &t.widget, Some(body)).await;
    assert_eq!((s1, s2), (200, 200), "{r1} {r2}");
    assert_eq!(r1, r2);
    assert!(r1["reply"]["text"].as_str().unwrap().starts_with(PREFIX));
    template_seen(&fake);
    t.stop().await;
}

/// `llm: {phrase: false}` in company.yaml: the backend is configured but never asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn company_switch_turns_phrasing_off() {
    let mut src = CompanySources::demo();
    src.company.push_str("\nllm:\n  phrase: false\n");
    let company = Arc::new(Company::from_sources(&src).unwrap());
    let (t, fake) = start_llm(Mode::Faithful, Some(company)).await;
    let c = t.create_conversation(&t.widget).await;
    let r = t
        .say(&t.widget, c["id"].as_str().unwrap(), "X10多少钱？")
        .await;
    assert!(fake.templates.lock().unwrap().is_empty());
    assert!(!r["reply"]["text"].as_str().unwrap().starts_with(PREFIX));
    assert!(!t.metrics().await.contains("tuoke_llm_replies_total{"));
    t.stop().await;
}

/// Without `--llm` nothing is phrased, marked or counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_llm_nothing_is_marked() {
    let t = start().await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    t.say(&t.widget, id, "X10多少钱？").await;
    for m in staff_messages(&t, id).await {
        assert_eq!(m.get("llm"), None, "{m}");
    }
    let m = t.metrics().await;
    assert!(!m.contains("tuoke_llm_replies_total{"), "{m}");
    t.stop().await;
}
