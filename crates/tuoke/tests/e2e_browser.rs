//! End-to-end browser test: starts the real `tuoke serve` on a free loopback port with a temporary
//! data dir, then runs `node web/e2e/run.mjs`, which drives Debian's headless Chromium through
//! playwright-core (no browser download) over the chat widget and the sales dashboard.
//!
//! The servers run a copy of the demo company whose opening hours and handoff wait suit a test:
//! the main one always open with a handoff wait of a few seconds (so the call-back form appears
//! within the test), a second one closed right now (outside its opening hours).
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

/// Skip (or fail under TUOKE_REQUIRE_ALL=1) with a reason.
fn skip(reason: &str) {
    tuoke_testkit::skip("e2e_browser", reason);
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

/// The handoff wait of the test company (seconds): long enough for the "finding an adviser"
/// state to be seen, short enough for the call-back form to appear within the test.
const HANDOFF_WAIT_SECS: u32 = 8;

/// A copy of `companies/demo` in `dir` with `hours` as its only opening period and the handoff
/// wait set to [`HANDOFF_WAIT_SECS`].
fn test_company(root: &Path, dir: &Path, hours: &str) -> PathBuf {
    let out = dir.join("company");
    std::fs::create_dir_all(&out).expect("create company copy dir");
    let demo = root.join("companies/demo");
    for entry in std::fs::read_dir(&demo).expect("read companies/demo") {
        let path = entry.expect("companies/demo entry").path();
        let Some(f) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !f.ends_with(".yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read companies/demo/{f}: {e}"));
        let text = match f {
            "company.yaml" => {
                let line = "    - {days: [mon, tue, wed, thu, fri, sat, sun], from: \"09:00\", to: \"21:00\"}";
                assert!(
                    text.contains(line),
                    "company.yaml's opening hours changed; update the e2e test"
                );
                text.replace(line, &format!("    - {hours}"))
                    .replace("utc_offset: \"+08:00\"", "utc_offset: \"+00:00\"")
            }
            "playbook.yaml" => {
                let re = replace_line(
                    &text,
                    "wait_minutes:",
                    &format!("wait_seconds: {HANDOFF_WAIT_SECS}"),
                );
                assert!(
                    re != text,
                    "playbook.yaml has no handoff.wait_minutes; update the e2e test"
                );
                re
            }
            _ => text,
        };
        std::fs::write(out.join(f), text).expect("write company copy");
    }
    out
}

/// Replaces the rest of the first line that starts (after spaces) with `key` by `with`.
fn replace_line(text: &str, key: &str, with: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.trim_start().starts_with(key) {
                done = true;
                let indent = &l[..l.len() - l.trim_start().len()];
                format!("{indent}{with}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An opening period that excludes the current hour (UTC): it starts two hours from now.
fn closed_now_hours() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let from = (secs / 3600 + 2) % 24;
    let to = if from == 23 {
        "24:00".to_string()
    } else {
        format!("{:02}:00", from + 1)
    };
    format!("{{from: \"{from:02}:00\", to: \"{to}\"}}")
}

/// Starts `tuoke serve` on a free port with a fresh data dir and `company`; waits until healthy.
fn start_server(dir: PathBuf, company: &Path, admin_key: &str) -> (Server, u16, PathBuf) {
    let port = free_port();
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
        .arg("--company")
        .arg(company)
        .env("TUOKE_ADMIN_KEY", admin_key)
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
    (server, port, log_path)
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
    if !e2e.join("node_modules/playwright-core").is_dir()
        || !e2e.join("node_modules/axe-core").is_dir()
    {
        let st = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&e2e)
            .status()
            .expect("run npm ci in web/e2e");
        assert!(st.success(), "npm ci in web/e2e failed: {st}");
    }

    // The real server on a free loopback port with a fresh data dir, always open; a second one
    // that is outside its opening hours now.
    let admin_key = random_key();
    let dir = std::env::temp_dir().join(unique_name("tuoke-e2e"));
    std::fs::create_dir_all(&dir).expect("create temp data dir");
    let company = test_company(&root, &dir, "{from: \"00:00\", to: \"24:00\"}");
    let (server, port, log_path) = start_server(dir, &company, &admin_key);
    let closed_dir = std::env::temp_dir().join(unique_name("tuoke-e2e-closed"));
    std::fs::create_dir_all(&closed_dir).expect("create temp data dir");
    let closed_company = test_company(&root, &closed_dir, &closed_now_hours());
    let (closed_server, closed_port, _) = start_server(closed_dir, &closed_company, &admin_key);

    let out_dir = root.join("test-output/e2e");
    let mut cmd = Command::new("node");
    cmd.arg(e2e.join("run.mjs"))
        .current_dir(&root)
        .env("TUOKE_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("TUOKE_ADMIN_KEY", &admin_key)
        .env(
            "TUOKE_CLOSED_BASE_URL",
            format!("http://127.0.0.1:{closed_port}"),
        )
        .env("TUOKE_HANDOFF_WAIT_SECS", HANDOFF_WAIT_SECS.to_string())
        .env("TUOKE_OUT_DIR", &out_dir)
        .env("CHROMIUM_PATH", &chromium);
    if std::env::var("TUOKE_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        cmd.env(
            "TUOKE_DOCS_SCREENSHOT",
            root.join("docs/screenshots/dashboard.png"),
        );
        cmd.env(
            "TUOKE_DOCS_CHAT_SCREENSHOT",
            root.join("docs/screenshots/chat.png"),
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
        "chat-card-desktop",
        "chat-card-phone",
        "chat-callback-desktop",
        "chat-callback-phone",
        "chat-zh-hk-phone",
        "chat-closed-desktop",
        "dashboard-inbox-desktop",
        "dashboard-inbox-phone",
        "dashboard-assigned-desktop",
        "dashboard-evidence-en-desktop",
        "dashboard-leads-search-desktop",
        "dashboard-funnel-desktop",
        "dashboard-funnel-phone",
        "dashboard-conversation-phone-controls",
    ] {
        let p = out_dir.join(format!("{shot}.png"));
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 10_000, "screenshot {} missing or empty", p.display());
    }
    drop(closed_server);
    drop(server);
}
