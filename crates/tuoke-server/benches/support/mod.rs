//! What the benches share: a server in this process on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;

use tuoke_server::ServerConfig;
use tuoke_store::{Role, Store};

/// A multi-threaded Tokio runtime with `threads` workers.
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Starts the demo company's server on `url` with `cfg` (it runs until the process ends);
/// returns its address, the store, a widget key and an agent key.
pub async fn start(url: &str, cfg: ServerConfig) -> (SocketAddr, Store, String, String) {
    let store = Store::connect(url).await.expect("store");
    let widget = store
        .create_api_key(Role::Widget, "load")
        .await
        .expect("key")
        .1;
    let agent = store
        .create_api_key(Role::Agent, "load-agent")
        .await
        .expect("key")
        .1;
    let company = Arc::new(tuoke_dialogue::Company::demo());
    let analyzer = Arc::new(
        tuoke_analyze::Analyzer::shipped()
            .expect("analyzer")
            .with_gazetteer(company.gazetteer()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = tuoke_server::start(listener, store.clone(), company, analyzer, cfg)
        .await
        .expect("server");
    let addr = server.addr;
    std::mem::forget(server);
    (addr, store, widget, agent)
}
