//! `tuoke keys create|list|revoke`: API keys on the database of `tuoke serve`, without a running
//! server (the admin key shown once at first start can be replaced when it is lost).
//!
//! The same store calls as the server's `/v1/api_keys` handlers, and the same audit entries
//! (with no acting key: the operator at the shell).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::json;
use tuoke_store::{ApiKeyInfo, Role, Store};

use super::serve::{database_url, redact_url};

/// Where the database is: the same options as `tuoke serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// Folder of the SQLite database (as given to `tuoke serve`).
    #[arg(long, default_value = "tuoke-data")]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://…` or `sqlite:PATH`. Default: `sqlite:<data-dir>/tuoke.db`.
    #[arg(long)]
    pub database: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum KeysCommand {
    /// Create an API key and print its secret (shown once; only its hash is stored).
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// admin (everything), agent (dashboard: leads, take over, reply) or widget (chat only).
        #[arg(long)]
        role: String,
        /// What the key is for, e.g. "Li Na's dashboard" or "shop website".
        #[arg(long)]
        name: String,
        /// Print `{id, key, role, name, created_at}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List API keys: id, name, role, created, revoked (never a secret).
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key by id (from `tuoke keys list`).
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        /// The key's id.
        id: String,
        /// Print the revoked key as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(c: KeysCommand) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let db = match &c {
                KeysCommand::Create { db, .. }
                | KeysCommand::List { db, .. }
                | KeysCommand::Revoke { db, .. } => db.clone(),
            };
            // Check what can be checked before touching the database.
            if let KeysCommand::Create { role, name, .. } = &c {
                parse_role(role)?;
                check_name(name)?;
            }
            let store = open(&db).await?;
            let r = match c {
                KeysCommand::Create {
                    role, name, json, ..
                } => create(&store, &role, &name, json).await,
                KeysCommand::List { json, .. } => list(&store, json).await,
                KeysCommand::Revoke { id, json, .. } => revoke(&store, &id, json).await,
            };
            store.close().await;
            r
        })
}

fn parse_role(role: &str) -> anyhow::Result<Role> {
    Role::parse(role.trim())
        .with_context(|| format!("unknown role {role:?}: expected admin, agent or widget"))
}

fn check_name(name: &str) -> anyhow::Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        bail!("--name is empty");
    }
    if name.chars().count() > 200 {
        bail!("--name is longer than 200 characters");
    }
    Ok(name)
}

/// Opens the database of `db`. A SQLite file must exist already: a mistyped `--data-dir` would
/// otherwise create an empty database beside the real one.
async fn open(db: &DbArgs) -> anyhow::Result<Store> {
    let url = database_url(&db.data_dir, db.database.as_deref());
    if let Some(file) = sqlite_file(&url)
        && !file.exists()
    {
        bail!(
            "no database at {} (check --data-dir / --database; `tuoke serve` creates it on its first start)",
            file.display()
        );
    }
    Store::connect(&url).await.with_context(|| {
        let hint = if sqlite_file(&url).is_some() {
            ""
        } else {
            " (is the database server running and reachable from here?)"
        };
        format!("opening database {}{hint}", redact_url(&url))
    })
}

/// The file of a `sqlite:` URL (`None` for in-memory databases and other engines).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| Path::new(path).to_path_buf())
}

async fn create(store: &Store, role: &str, name: &str, json: bool) -> anyhow::Result<()> {
    let role = parse_role(role)?;
    let name = check_name(name)?;
    let (k, secret) = store
        .create_api_key(role, name)
        .await
        .context("creating the key")?;
    store
        .audit(
            None,
            "api_keys.create",
            Some(&k.id),
            &json!({"role": role.as_str(), "via": "cli"}),
        )
        .await
        .context("writing the audit entry")?;
    if json {
        let out = json!({
            "id": k.id, "key": secret, "role": role.as_str(), "name": k.name, "created_at": k.created_at,
        });
        println!("{out}");
    } else {
        println!("created {} key {:?}, id {}", role.as_str(), k.name, k.id);
        println!("key (shown once; store it now): {secret}");
    }
    Ok(())
}

async fn list(store: &Store, json: bool) -> anyhow::Result<()> {
    let keys = store.list_api_keys().await.context("listing keys")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&keys)?);
        return Ok(());
    }
    if keys.is_empty() {
        println!("no API keys");
        return Ok(());
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY)
        .set_header(["id", "name", "role", "created (UTC)", "revoked (UTC)"]);
    for k in &keys {
        t.add_row([
            k.id.clone(),
            k.name.clone(),
            k.role.as_str().to_string(),
            time(k.created_at),
            k.revoked_at.map(time).unwrap_or_else(|| "-".into()),
        ]);
    }
    println!("{t}");
    let valid = keys.iter().filter(|k| k.revoked_at.is_none()).count();
    println!("{} key(s), {valid} valid", keys.len());
    Ok(())
}

async fn revoke(store: &Store, id: &str, json: bool) -> anyhow::Result<()> {
    let id = id.trim();
    let Some(before) = store.get_api_key(id).await.context("reading the key")? else {
        bail!("no API key with id {id:?} (`tuoke keys list` shows the ids)");
    };
    let revoked_now = store.revoke_api_key(id).await.context("revoking the key")?;
    if revoked_now {
        store
            .audit(None, "api_keys.revoke", Some(id), &json!({"via": "cli"}))
            .await
            .context("writing the audit entry")?;
    }
    let after: ApiKeyInfo = store
        .get_api_key(id)
        .await
        .context("reading the key")?
        .unwrap_or(before);
    if json {
        println!("{}", serde_json::to_string_pretty(&after)?);
    } else if revoked_now {
        println!(
            "revoked {} key {:?} ({id}); running servers refuse it within 30 s",
            after.role.as_str(),
            after.name
        );
    } else {
        println!(
            "{} key {:?} ({id}) was already revoked at {}",
            after.role.as_str(),
            after.name,
            after.revoked_at.map(time).unwrap_or_default()
        );
    }
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a millisecond timestamp.
fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;
    use std::path::PathBuf;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://d/tuoke.db"),
            Some(PathBuf::from("d/tuoke.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:x.db?mode=rwc"),
            Some(PathBuf::from("x.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
