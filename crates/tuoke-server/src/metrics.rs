//! Prometheus metrics (`GET /metrics`, text exposition format) with `prometheus-client`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Histogram,
    pub turns: Counter,
    pub turn_conflicts: Counter,
    pub turn_duration: Histogram,
    pub analyze_duration: Histogram,
    pub webhook_deliveries: Family<ResultLabel, Counter>,
    pub sse_clients: Gauge<i64, std::sync::atomic::AtomicI64>,
    pub rate_limited: Counter<u64, AtomicU64>,
    pub retention_cleared: Family<KindLabel, Counter>,
    pub connections_refused: Counter,
    /// LLM phrasing of replies (issue 13): per turn, `used`, `rejected`, `timed_out`, `error`,
    /// `busy` (no free slot) or `discarded` (re-planned to another reply).
    pub llm_replies: Family<ResultLabel, Counter>,
    /// LLM rewordings the grounding checker rejected, by reason (`invented_number`, …).
    pub llm_rejections: Family<ReasonLabel, Counter>,
    pub llm_duration: Histogram,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    ]
    .into_iter()
}

/// Seconds an LLM takes to phrase a reply (up to its total timeout).
fn llm_buckets() -> impl Iterator<Item = f64> {
    [0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0].into_iter()
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tuoke");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            http_requests.clone(),
        );
        let http_duration = Histogram::new(latency_buckets());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency (excluding SSE streams)",
            http_duration.clone(),
        );
        let turns = Counter::default();
        registry.register("turns", "Customer turns committed", turns.clone());
        let turn_conflicts = Counter::default();
        registry.register(
            "turn_conflicts",
            "Optimistic-concurrency conflicts retried",
            turn_conflicts.clone(),
        );
        let turn_duration = Histogram::new(latency_buckets());
        registry.register(
            "turn_duration_seconds",
            "Customer turn latency (analysis + engine + commit)",
            turn_duration.clone(),
        );
        let analyze_duration = Histogram::new(latency_buckets());
        registry.register(
            "analyze_duration_seconds",
            "Analyzer latency per utterance",
            analyze_duration.clone(),
        );
        let webhook_deliveries = Family::<ResultLabel, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by result",
            webhook_deliveries.clone(),
        );
        let sse_clients = Gauge::default();
        registry.register("sse_clients", "Open SSE streams", sse_clients.clone());
        let rate_limited = Counter::default();
        registry.register(
            "rate_limited",
            "Requests refused with 429",
            rate_limited.clone(),
        );
        let retention_cleared = Family::<KindLabel, Counter>::default();
        registry.register(
            "retention_cleared",
            "Rows cleared by the retention sweep (turn_results, outbox_rows)",
            retention_cleared.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections closed at once because the connection cap was reached",
            connections_refused.clone(),
        );
        let llm_replies = Family::<ResultLabel, Counter>::default();
        registry.register(
            "llm_replies",
            "Replies the LLM was asked to phrase, by result (used, rejected, timed_out, error, busy, discarded)",
            llm_replies.clone(),
        );
        let llm_rejections = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "llm_rejections",
            "LLM rewordings rejected by the grounding checker, by reason",
            llm_rejections.clone(),
        );
        let llm_duration = Histogram::new(llm_buckets());
        registry.register(
            "llm_phrase_duration_seconds",
            "Time the LLM took to phrase a reply (to the template on a timeout)",
            llm_duration.clone(),
        );
        Metrics {
            registry,
            llm_replies,
            llm_rejections,
            llm_duration,
            connections_refused,
            http_requests,
            http_duration,
            turns,
            turn_conflicts,
            turn_duration,
            analyze_duration,
            webhook_deliveries,
            sse_clients,
            rate_limited,
            retention_cleared,
        }
    }
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut s = String::new();
        if prometheus_client::encoding::text::encode(&mut s, &self.registry).is_err() {
            s.clear();
        }
        s
    }
}
