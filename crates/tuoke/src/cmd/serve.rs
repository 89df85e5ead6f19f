//! `tuoke serve` and `tuoke demo`: the HTTP API, chat widget and sales dashboard.
//!
//! Defaults need nothing: the embedded demo company, a SQLite file in the data dir, and on the
//! first start an admin key (printed once) and a widget key (stored in `<data-dir>/widget.key`;
//! widget keys are public, they sit in the company's web pages).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tuoke_server::ServerConfig;

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Folder for the SQLite database and the widget key file.
    #[arg(long, default_value = "tuoke-data")]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://…` for many processes on one PostgreSQL, or `sqlite:PATH`.
    /// Default: `sqlite:<data-dir>/tuoke.db`.
    #[arg(long)]
    pub database: Option<String>,
    /// Company folder with company.yaml, products.yaml, faq.yaml, competitors.yaml,
    /// playbook.yaml and grading.yaml. Default: the embedded demo company.
    #[arg(long)]
    pub company: Option<PathBuf>,
    /// Requests per second allowed per API key; for widget (public) keys per key and client
    /// address, and per conversation (0 = unlimited).
    #[arg(long, default_value_t = 50)]
    pub rate_limit: u32,
    /// Burst allowed per API key (widget: per client, per conversation) above the rate.
    #[arg(long, default_value_t = 100)]
    pub rate_burst: u32,
    /// Do not run the webhook delivery worker in this process.
    #[arg(long)]
    pub no_webhook_worker: bool,
    /// First delay before re-sending a failed webhook, in milliseconds (doubles per attempt).
    #[arg(long, default_value_t = 2000)]
    pub webhook_backoff_ms: u64,
    /// Internal networks webhooks may reach (comma-separated addresses or CIDRs, e.g.
    /// `10.2.0.0/16,127.0.0.1`). Loopback, private, link-local and other internal addresses
    /// are refused otherwise, at registration and after DNS resolution.
    #[arg(long, env = "TUOKE_WEBHOOK_ALLOW", value_delimiter = ',', value_parser = tuoke_server::egress::parse_net)]
    pub webhook_allow: Vec<tuoke_server::egress::IpNet>,
    /// Tokio worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Hours a turn's response is kept so a resent client_message_id gets it back
    /// (0 = keep forever). Later resends are still refused, never processed twice.
    #[arg(long, default_value_t = 24)]
    pub resend_window_hours: u64,
    /// Days delivered or given-up webhook deliveries are kept (0 = keep forever).
    #[arg(long, default_value_t = 7)]
    pub outbox_keep_days: u64,
    /// A header a reverse proxy in front of this server sets to the client's address (e.g.
    /// `X-Forwarded-For`; its last entry counts). Only set it when such a proxy exists: without
    /// it the socket's peer address is the client, and the header is ignored.
    #[arg(long, env = "TUOKE_TRUSTED_PROXY_HEADER")]
    pub trusted_proxy_header: Option<String>,
    /// Conversations one client address may open per hour with a widget key (0 = no cap).
    #[arg(long, default_value_t = 60)]
    pub conversations_per_client_hour: u32,
    /// An LLM rewords the robot's replies (`--llm gguf:PATH | openai:URL[#model]`, as for
    /// `tuoke chat`); every rewording is checked against the cited facts, and the template is
    /// sent when it fails or is late. `llm: {phrase: false}` in company.yaml turns it off.
    #[command(flatten)]
    pub llm: super::llm::LlmArgs,
    /// With `--llm`: replies phrased at the same time; a turn that finds all taken gets the
    /// template at once.
    #[arg(long, default_value_t = 4)]
    pub llm_max_concurrent: usize,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Folder for the demo's SQLite database and keys.
    #[arg(long, default_value = "tuoke-demo-data")]
    pub data_dir: PathBuf,
}

pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    let llm = llm_config(&a)?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(n) = a.threads {
        rt.worker_threads(n.max(1));
    }
    rt.build()?.block_on(serve(a, false, llm))
}

/// The LLM of `--llm`, opened (a local model loaded) before the server starts.
fn llm_config(a: &ServeArgs) -> anyhow::Result<Option<tuoke_server::llm::LlmConfig>> {
    let deadline = tuoke_server::serve::HttpLimits::default().request_timeout;
    if a.llm.llm.is_some() && Duration::from_millis(a.llm.llm_timeout_ms) >= deadline {
        bail!(
            "--llm-timeout-ms must be below the request deadline of {} s",
            deadline.as_secs()
        );
    }
    let Some(backend) = a.llm.open_backend()? else {
        return Ok(None);
    };
    let mut config = tuoke_server::llm::LlmConfig::new(backend, a.llm.phraser_config());
    config.max_concurrent = a.llm_max_concurrent.max(1);
    Ok(Some(config))
}

pub fn demo(d: DemoArgs) -> anyhow::Result<()> {
    let a = ServeArgs {
        addr: d.addr,
        data_dir: d.data_dir,
        database: None,
        company: None,
        rate_limit: 50,
        rate_burst: 100,
        no_webhook_worker: false,
        webhook_backoff_ms: 2000,
        webhook_allow: Vec::new(),
        threads: None,
        resend_window_hours: 24,
        outbox_keep_days: 7,
        trusted_proxy_header: None,
        conversations_per_client_hour: 60,
        llm: super::llm::LlmArgs::default(),
        llm_max_concurrent: 4,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(a, true, None))
}

/// `n` units of `unit_secs` seconds; 0 means no window (keep forever).
fn window(n: u64, unit_secs: u64) -> Option<Duration> {
    (n > 0).then(|| Duration::from_secs(n.saturating_mul(unit_secs)))
}

async fn serve(
    a: ServeArgs,
    demo: bool,
    llm: Option<tuoke_server::llm::LlmConfig>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.data_dir)
        .with_context(|| format!("creating data dir {}", a.data_dir.display()))?;
    let url = database_url(&a.data_dir, a.database.as_deref());
    let company = Arc::new(super::load_company(a.company.as_deref())?);
    let analyzer = Arc::new(super::analyzer_for(&company)?);
    let store = tuoke_store::Store::connect(&url)
        .await
        .with_context(|| format!("opening database {}", redact_url(&url)))?;
    let admin_env = std::env::var("TUOKE_ADMIN_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    if let Some(k) = &admin_env
        && k.len() < 16
    {
        bail!("TUOKE_ADMIN_KEY must have at least 16 characters");
    }
    let boot = tuoke_server::bootstrap_keys(&store, admin_env.as_deref()).await?;
    let widget_file = a.data_dir.join("widget.key");
    if let Some(b) = &boot {
        std::fs::write(&widget_file, format!("{}\n", b.widget))
            .with_context(|| format!("writing {}", widget_file.display()))?;
    }
    let widget_key = std::fs::read_to_string(&widget_file)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());

    let config = ServerConfig {
        rate_limit_per_sec: a.rate_limit,
        rate_limit_burst: a.rate_burst,
        webhook_worker: !a.no_webhook_worker,
        webhook_backoff_base: Duration::from_millis(a.webhook_backoff_ms.max(1)),
        webhook_allow: a.webhook_allow.clone(),
        public_widget_key: if demo { widget_key.clone() } else { None },
        resend_window: window(a.resend_window_hours, 3600),
        outbox_retention: window(a.outbox_keep_days, 24 * 3600),
        canned: Arc::new(super::load_canned(a.company.as_deref())?),
        public: tuoke_server::public::PublicLimits {
            trusted_proxy_header: a
                .trusted_proxy_header
                .as_deref()
                .map(|h| h.parse())
                .transpose()
                .context("--trusted-proxy-header is not a header name")?,
            conversations_per_client_per_hour: a.conversations_per_client_hour,
            ..Default::default()
        },
        llm,
        ..ServerConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(a.addr)
        .await
        .with_context(|| format!("listening on {}", a.addr))?;
    let server = tuoke_server::start(listener, store, company, analyzer, config).await?;
    let base = format!("http://{}", server.addr);
    println!(
        "tuoke listening on {base} ({})",
        server.state.store.engine().as_str()
    );
    match &widget_key {
        Some(k) => println!("  chat page:  {base}/chat?key={k}"),
        None => println!("  chat page:  {base}/chat?key=<a widget key>"),
    }
    if demo && widget_key.is_some() {
        println!("  demo shop:  {base}/demo");
    }
    println!("  dashboard:  {base}/dashboard");
    println!("  API docs:   {base}/openapi.json");
    if let Some(b) = &boot {
        println!(
            "  admin key (shown once; sign in to the dashboard with it): {}",
            b.admin
        );
        println!("  widget key: {}", b.widget);
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();

    let stop = server.shutdown_handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        eprintln!("shutting down: finishing in-flight requests");
        let _ = stop.send(true);
    });
    server.wait().await?;
    Ok(())
}

/// The database of `--data-dir` / `--database`: the URL given, else `<data-dir>/tuoke.db`.
pub(crate) fn database_url(data_dir: &Path, database: Option<&str>) -> String {
    match database {
        Some(u) => u.to_string(),
        None => format!("sqlite://{}", data_dir.join("tuoke.db").display()),
    }
}

/// The URL without a password, for error messages.
pub(crate) fn redact_url(u: &str) -> String {
    match (u.find("://"), u.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &u[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &u[..s + 3], user, &u[at..]),
                None => u.to_string(),
            }
        }
        _ => u.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:x.db"), "sqlite:x.db");
    }
}
