//! `tuoke serve` as a real process for the binary's integration tests (included with
//! `#[path = "common/server.rs"] mod server;` by the tests that start servers).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `tuoke serve`, killed when dropped.
pub struct Proc {
    pub child: Child,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tuoke serve` on a free loopback port without a rate limit, with `args` (data dir,
/// database, …), and waits for its "listening" line. `admin_key` is given as `TUOKE_ADMIN_KEY`;
/// without it a fresh database gets the first-start admin and widget keys.
pub fn serve(args: &[&str], admin_key: Option<&str>) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tuoke"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--rate-limit", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match admin_key {
        Some(k) => cmd.env("TUOKE_ADMIN_KEY", k),
        None => cmd.env_remove("TUOKE_ADMIN_KEY"),
    };
    let mut child = cmd.spawn().expect("spawn tuoke serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut base = None;
    while base.is_none() && Instant::now() < deadline {
        let Some(Ok(l)) = lines.next() else { break };
        base = l
            .strip_prefix("tuoke listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string);
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let base = base.expect("server did not print its address");
    Proc { child, base }
}
