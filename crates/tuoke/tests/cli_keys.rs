//! `tuoke keys create|list|revoke` and `tuoke company check` as an operator runs them: the real
//! binary on the database of a real `tuoke serve` (SQLite always, PostgreSQL with `TUOKE_PG_URL`).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

#[path = "common/server.rs"]
mod server;

/// `tuoke` with `args`, its output captured.
fn tuoke(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tuoke"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run tuoke")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `tuoke keys <sub> <db args> <args> --json`: its JSON (asserts it succeeded).
fn keys_json(sub: &str, db: &[&str], args: &[&str]) -> Value {
    let mut all = vec!["keys", sub];
    all.extend_from_slice(db);
    all.extend_from_slice(args);
    all.push("--json");
    let o = tuoke(&all);
    assert!(o.status.success(), "tuoke {all:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
}

/// `GET path` with `key` on the server at `base`.
async fn get(base: &str, path: &str, key: &str) -> reqwest::Response {
    let url = format!("{base}{path}");
    let request = reqwest::Client::new().get(url).bearer_auth(key);
    request.send().await.expect("request")
}

/// HTTP status of `GET path` with `key`.
async fn status(base: &str, path: &str, key: &str) -> u16 {
    get(base, path, key).await.status().as_u16()
}

fn find<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .expect("list is an array")
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or_else(|| panic!("key {id} not listed in {list}"))
}

/// The operator's round: keys made with the CLI on the database of a running server work there
/// with their role, show in the list without secrets, and stop working once revoked.
async fn keys_round_trip(db: &[&str], url: &str) {
    tuoke_server::install_crypto_provider();
    let server = server::serve(db, None);
    let first = keys_json("list", db, &[]);
    let names: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["name"].as_str())
        .collect();
    assert_eq!(names, ["first admin", "website widget"], "{first}");

    let admin = keys_json("create", db, &["--role", "admin", "--name", "ops laptop"]);
    let agent = keys_json("create", db, &["--role", "agent", "--name", "Li Na"]);
    let unused = keys_json("create", db, &["--role", "agent", "--name", "temp"]);
    assert_eq!(agent["role"], "agent");
    assert_eq!(agent["name"], "Li Na");
    let secret = |k: &Value| k["key"].as_str().expect("key printed").to_string();
    assert!(secret(&agent).starts_with("tk_"));

    let list = keys_json("list", db, &[]);
    assert_eq!(list.as_array().unwrap().len(), 5);
    let listed = find(&list, agent["id"].as_str().unwrap());
    assert_eq!(listed["role"], "agent");
    assert_eq!(listed["revoked_at"], Value::Null);
    let text = list.to_string();
    for k in [&admin, &agent, &unused] {
        assert!(!text.contains(&secret(k)), "a secret is listed: {text}");
    }
    let table = tuoke(&[&["keys", "list"], db].concat());
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(stdout(&table).contains("Li Na"), "{}", stdout(&table));
    assert!(!stdout(&table).contains(&secret(&agent)));

    // The running server takes the new keys, each with its role.
    let base = &server.base;
    assert_eq!(status(base, "/v1/audit", &secret(&admin)).await, 200);
    assert_eq!(status(base, "/v1/leads", &secret(&agent)).await, 200);
    assert_eq!(status(base, "/v1/audit", &secret(&agent)).await, 403);
    assert_eq!(status(base, "/v1/leads", "tk_not_a_key").await, 401);

    for k in [&agent, &unused] {
        let r = keys_json("revoke", db, &[k["id"].as_str().unwrap()]);
        assert!(r["revoked_at"].is_i64(), "{r}");
    }
    // A key the server has not cached yet is refused at once; the store refuses both.
    assert_eq!(status(base, "/v1/leads", &secret(&unused)).await, 401);
    let store = tuoke_store::Store::connect(url).await.unwrap();
    assert!(store.find_api_key(&secret(&agent)).await.unwrap().is_none());
    assert!(store.find_api_key(&secret(&admin)).await.unwrap().is_some());
    store.close().await;

    let list = keys_json("list", db, &[]);
    assert!(find(&list, agent["id"].as_str().unwrap())["revoked_at"].is_i64());
    assert_eq!(
        find(&list, admin["id"].as_str().unwrap())["revoked_at"],
        Value::Null
    );

    // Revoking twice is not an error; the audit log has the operator's changes.
    let again = tuoke(&[&["keys", "revoke"], db, &[agent["id"].as_str().unwrap()]].concat());
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("already revoked"),
        "{}",
        stdout(&again)
    );
    let audit: Value = get(base, "/v1/audit", &secret(&admin))
        .await
        .json()
        .await
        .unwrap();
    let actions = audit.to_string();
    assert!(
        actions.contains("api_keys.create") && actions.contains("api_keys.revoke"),
        "{actions}"
    );
}

/// Mistakes an operator makes get a clear message and a non-zero exit, never a panic.
fn keys_errors(db: &[&str]) {
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["create", "--role", "boss", "--name", "x"],
            "unknown role \"boss\"",
        ),
        (
            vec!["create", "--role", "agent", "--name", "  "],
            "--name is empty",
        ),
        (
            vec!["revoke", "no-such-id"],
            "no API key with id \"no-such-id\"",
        ),
        (vec!["create", "--role", "agent"], "--name"),
    ];
    for (args, message) in cases {
        let o = tuoke(&[&["keys"], &args[..1], db, &args[1..]].concat());
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let db = ["--data-dir", data];

    // Before the first `tuoke serve` there is no database, and the CLI does not make one.
    let o = tuoke(&["keys", "list", "--data-dir", data]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no database at"), "{}", stderr(&o));
    assert!(!Path::new(data).join("tuoke.db").exists());

    let url = format!("sqlite://{data}/tuoke.db");
    keys_round_trip(&db, &url).await;
    keys_errors(&db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_on_postgres() {
    let Some(base) = tuoke_testkit::pg_url_or_skip("keys_on_postgres") else {
        return;
    };
    let url = tuoke_testkit::fresh_pg_database(&base).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let db = ["--data-dir", data, "--database", &url];
    keys_round_trip(&db, &url).await;
    keys_errors(&db);
}

#[test]
fn unreachable_database_is_a_clear_error() {
    let o = tuoke(&[
        "keys",
        "list",
        "--database",
        "postgres://ops:secret@127.0.0.1:1/tuoke",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("opening database postgres://ops:***@127.0.0.1:1/tuoke"),
        "{err}"
    );
    assert!(!err.contains("secret"), "password in the message: {err}");
    let o = tuoke(&["keys", "list", "--database", "mysql://h/db"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unsupported database URL"),
        "{}",
        stderr(&o)
    );
}

fn demo_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../companies/demo")
}

#[test]
fn company_check_passes_the_demo() {
    let demo = demo_dir();
    let o = tuoke(&["company", "check", demo.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains(": ok ("), "{}", stdout(&o));
    let o = tuoke(&["company", "check", "--json", demo.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["problems"], serde_json::json!([]));
}

#[test]
fn company_check_names_each_problem_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(demo_dir()).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
        }
    }
    // A YAML syntax error, a reference to a product that does not exist, a missing file.
    let pb = dir.path().join("playbook.yaml");
    let text = std::fs::read_to_string(&pb).unwrap();
    std::fs::write(&pb, format!("{text}\n  - id: [broken\n")).unwrap();
    let comp = dir.path().join("competitors.yaml");
    let text = std::fs::read_to_string(&comp).unwrap();
    let first = text
        .split("our_match: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    std::fs::write(&comp, text.replacen(first, "no-such-product", 1)).unwrap();
    std::fs::remove_file(dir.path().join("faq.yaml")).unwrap();

    let d = dir.path().to_str().unwrap();
    let o = tuoke(&["company", "check", d]);
    assert!(
        !o.status.success(),
        "a broken company passed: {}",
        stdout(&o)
    );
    let out = stdout(&o);
    assert!(out.contains("faq.yaml: the file is missing"), "{out}");
    assert!(out.contains("playbook.yaml: line "), "{out}");
    assert!(
        out.contains("competitors.yaml: competitors[0]") && out.contains("no-such-product"),
        "{out}"
    );
    assert!(stderr(&o).contains("problem(s) in"), "{}", stderr(&o));

    let o = tuoke(&["company", "check", "--json", d]);
    assert!(!o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let files: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["file"].as_str())
        .collect();
    for f in ["faq.yaml", "playbook.yaml", "competitors.yaml"] {
        assert!(files.contains(&f), "{f} not named: {v}");
    }

    let o = tuoke(&["company", "check", "/no/such/folder"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is not a folder"), "{}", stderr(&o));
}
