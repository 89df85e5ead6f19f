//! Shared test helpers: a real server on a loopback port with a real store.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use reqwest::{Client, Method, Response};
use serde_json::Value;
use tuoke_analyze::Analyzer;
use tuoke_dialogue::Company;
use tuoke_server::{RunningServer, ServerConfig};
use tuoke_store::{Role, Store};

pub const ADMIN: &str = "tk_test_admin_key_0123456789abcdef";

static COMPANY: OnceLock<Arc<Company>> = OnceLock::new();
static ANALYZER: OnceLock<Arc<Analyzer>> = OnceLock::new();

pub fn company() -> Arc<Company> {
    COMPANY.get_or_init(|| Arc::new(Company::demo())).clone()
}

pub fn analyzer() -> Arc<Analyzer> {
    ANALYZER
        .get_or_init(|| {
            let shipped = Analyzer::shipped().expect("shipped analyzer");
            Arc::new(shipped.with_gazetteer(company().gazetteer()))
        })
        .clone()
}

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub base: String,
    pub client: Client,
    pub admin: String,
    pub agent: String,
    pub widget: String,
    pub widget2: String,
    pub store: Store,
    pub _dir: Option<tempfile::TempDir>,
    /// Conversation tokens by conversation id, as the creating responses gave them; requests
    /// on a conversation send its token (a widget key needs it; issue 14).
    pub tokens: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// The conversation id in `/v1/conversations/{id}...`.
pub fn conversation_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v1/conversations/")?;
    let id = rest.split(['/', '?']).next()?;
    (!id.is_empty()).then_some(id)
}

pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("t.db").display())
}

/// Starts a server on `url` (a fresh SQLite file when `None`) with `config`.
pub async fn start_with(url: Option<String>, config: ServerConfig) -> TestServer {
    start_full(url, config, company()).await
}

/// Starts a server with `config` on a fresh PostgreSQL database, or `None` (test `test` skipped)
/// without `TUOKE_PG_URL`.
pub async fn start_on_pg(test: &str, config: ServerConfig) -> Option<TestServer> {
    let base = tuoke_testkit::pg_url_or_skip(test)?;
    let url = tuoke_testkit::fresh_pg_database(&base).await.unwrap();
    Some(start_with(Some(url), config).await)
}

/// Starts a server on a fresh SQLite file with `config` for `company`.
pub async fn start_company(config: ServerConfig, company: Arc<Company>) -> TestServer {
    start_full(None, config, company).await
}

async fn start_full(
    url: Option<String>,
    config: ServerConfig,
    company: Arc<Company>,
) -> TestServer {
    let (url, dir) = match url {
        Some(u) => (u, None),
        None => {
            let d = tempfile::tempdir().unwrap();
            (sqlite_url(&d), Some(d))
        }
    };
    let store = Store::connect(&url).await.unwrap();
    tuoke_server::bootstrap_keys(&store, Some(ADMIN))
        .await
        .unwrap();
    let agent = key_for(&store, Role::Agent, "agent-alice").await;
    let widget = key_for(&store, Role::Widget, "site-widget").await;
    let widget2 = key_for(&store, Role::Widget, "other-site").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = tuoke_server::start(listener, store.clone(), company, analyzer(), config)
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    TestServer {
        server: Some(server),
        base,
        client: Client::new(),
        admin: ADMIN.into(),
        agent,
        widget,
        widget2,
        store,
        _dir: dir,
        tokens: Default::default(),
    }
}

async fn key_for(store: &Store, role: Role, name: &str) -> String {
    store.create_api_key(role, name).await.unwrap().1
}

pub async fn start() -> TestServer {
    start_with(None, test_config()).await
}

pub fn test_config() -> ServerConfig {
    ServerConfig {
        rate_limit_per_sec: 0,
        public: tuoke_server::public::PublicLimits {
            conversations_per_client_per_hour: 0,
            ..Default::default()
        },
        webhook_poll: std::time::Duration::from_millis(50),
        webhook_backoff_base: std::time::Duration::from_millis(100),
        sse_poll: std::time::Duration::from_millis(200),
        ..ServerConfig::default()
    }
}

impl TestServer {
    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.req(Method::GET, "/metrics", None, None)
            .await
            .text()
            .await
            .unwrap()
    }

    /// GET with the key in `?key=` (as an EventSource sends it) instead of a header.
    pub async fn get_with_query_key(&self, path: &str, key: &str) -> Response {
        let token = match self.token_for(path) {
            Some(t) => format!("&conversation_token={t}"),
            None => String::new(),
        };
        self.client
            .get(format!("{}{path}?key={key}{token}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// The token of the conversation `path` is about, if one was handed out.
    pub fn token_for(&self, path: &str) -> Option<String> {
        let id = conversation_of(path.strip_prefix(self.base.as_str()).unwrap_or(path))?;
        self.tokens.lock().unwrap().get(id).cloned()
    }

    /// The header value of [`Self::token_for`] (empty when none: a request without a token).
    pub fn token_header(&self, path: &str) -> String {
        self.token_for(path).unwrap_or_default()
    }

    /// Remembers the token of a conversation response (creation or `GET`).
    pub fn remember_token(&self, v: &Value) {
        if let (Some(id), Some(t)) = (v["id"].as_str(), v["token"].as_str()) {
            self.tokens
                .lock()
                .unwrap()
                .insert(id.to_string(), t.to_string());
        }
    }

    pub async fn req(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut r = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        if let Some(t) = self.token_for(path) {
            r = r.header("x-conversation-token", t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let r = self.req(method, path, Some(key), body).await;
        let s = r.status().as_u16();
        let t = r.text().await.unwrap();
        let v = serde_json::from_str(&t).unwrap_or(Value::String(t));
        self.remember_token(&v);
        (s, v)
    }

    pub async fn create_conversation(&self, key: &str) -> Value {
        let (s, v) = self
            .json(
                Method::POST,
                "/v1/conversations",
                key,
                Some(serde_json::json!({"language": "zh"})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v
    }

    pub async fn say(&self, key: &str, conv: &str, text: &str) -> Value {
        let (s, v) = self
            .json(
                Method::POST,
                &format!("/v1/conversations/{conv}/messages"),
                key,
                Some(serde_json::json!({"text": text})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await.unwrap();
        }
    }
}

/// Reads SSE frames until `n` `message` events arrived (or the time is up).
pub async fn read_messages(resp: reqwest::Response, n: usize) -> Vec<(Option<i64>, Value)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut stream = resp.bytes_stream();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while out.len() < n {
        let chunk =
            match tokio::time::timeout_at(deadline, futures_util::StreamExt::next(&mut stream))
                .await
            {
                Ok(Some(Ok(c))) => c,
                _ => break,
            };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame = buf[..end].to_string();
            buf = buf[end + 2..].to_string();
            let mut ev = None;
            let mut id = None;
            let mut data = String::new();
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    ev = Some(v.trim().to_string());
                }
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                }
                if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if ev.as_deref() == Some("message") {
                out.push((id, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
        }
    }
    out
}
