//! End-to-end browser test: starts the real `tuoke serve` on a free loopback port with a temporary
//! data dir, then runs `node web/e2e/run.mjs`, which drives Debian's headless Chromium through
//! playwright-core (no browser download) over the chat widget and the sales dashboard.
//!
//! Skips with a printed reason when Chromium or Node.js is missing, and FAILS instead when
//! `TUOKE_REQUIRE_ALL=1` (as in `.ci/run`). Screenshots go to `<repo>/test-output/e2e/`; with
//! `TUOKE_UPDATE_SCREENSHOTS=1` the README screenshot `docs/screenshots/dashboard.png` is refreshed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn require_all() -> bool {
    std::env::var("TUOKE_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Skip (or fail under TUOKE_REQUIRE_ALL=1) with a reason.
fn skip(reason: &str) {
    if require_all() {
        panic!("e2e_browser: {reason} (TUOKE_REQUIRE_ALL=1, so this is a failure)");
    }
    tuoke_store::testing::note_skip(&format!("e2e_browser: {reason}"));
}

fn command_works(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    l.local_addr().expect("local addr").port()
}

fn unique_name(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn random_key() -> String {
    // Not a secret worth a CSPRNG dependency: it guards a throw-away server on loopback for the
    // length of one test.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&unique_name("k"), &mut h);
    format!(
        "tk_admin_e2e_{:016x}{:08x}",
        std::hash::Hasher::finish(&h),
        std::process::id()
    )
}

/// GET /healthz with a bare HTTP/1.1 request; true on a 200.
fn healthy(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200")
}

/// Kills the server when the test ends, however it ends.
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn e2e_browser_widget_and_dashboard() {
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        skip(&format!(
            "Chromium not found at {chromium} (apt-get install chromium)"
        ));
        return;
    }
    if !command_works("node", "--version") || !command_works("npm", "--version") {
        skip("node/npm not found (apt-get install nodejs npm)");
        return;
    }
    let root = repo_root();
    let e2e = root.join("web/e2e");
    if !e2e.join("node_modules/playwright-core").is_dir() {
        let st = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&e2e)
            .status()
            .expect("run npm ci in web/e2e");
        assert!(st.success(), "npm ci in web/e2e failed: {st}");
    }

    // The real server on a free loopback port with a fresh data dir.
    let dir = std::env::temp_dir().join(unique_name("tuoke-e2e"));
    std::fs::create_dir_all(&dir).expect("create temp data dir");
    let port = free_port();
    let admin_key = random_key();
    let log_path = dir.join("serve.log");
    let log = std::fs::File::create(&log_path).expect("create server log");
    let child = Command::new(env!("CARGO_BIN_EXE_tuoke"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .env("TUOKE_ADMIN_KEY", &admin_key)
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().expect("clone log handle"))
        .stderr(log)
        .spawn()
        .expect("spawn tuoke serve");
    let mut server = Server { child, dir };

    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if healthy(port) {
            break;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            let out = read_log(&log_path);
            panic!("`tuoke serve` exited ({status}) before it was healthy:\n{out}");
        }
        assert!(
            Instant::now() < deadline,
            "`tuoke serve` not healthy on port {port} after 90 s:\n{}",
            read_log(&log_path)
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let out_dir = root.join("test-output/e2e");
    let mut cmd = Command::new("node");
    cmd.arg(e2e.join("run.mjs"))
        .current_dir(&root)
        .env("TUOKE_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("TUOKE_ADMIN_KEY", &admin_key)
        .env("TUOKE_OUT_DIR", &out_dir)
        .env("CHROMIUM_PATH", &chromium);
    if std::env::var("TUOKE_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        cmd.env(
            "TUOKE_DOCS_SCREENSHOT",
            root.join("docs/screenshots/dashboard.png"),
        );
    }
    let output = cmd.output().expect("run node web/e2e/run.mjs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    if !output.status.success() {
        panic!(
            "browser e2e failed ({}):\n{stdout}\n{stderr}\n--- server log ---\n{}",
            output.status,
            read_log(&log_path)
        );
    }
    assert!(
        stdout.contains(" 0 failed"),
        "run.mjs did not report its results:\n{stdout}"
    );
    for shot in [
        "widget-desktop",
        "widget-phone",
        "dashboard-leads-desktop",
        "dashboard-conversation-desktop",
        "dashboard-charts-desktop",
        "dashboard-leads-phone",
    ] {
        let p = out_dir.join(format!("{shot}.png"));
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 10_000, "screenshot {} missing or empty", p.display());
    }
    drop(server);
}
