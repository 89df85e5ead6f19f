//! API keys as an operator sees them (`tuoke keys list`, `tuoke keys revoke`): every key with its
//! state, never its secret (only the hash is stored, and it is not read here).

use serde::Serialize;

use crate::{Result, Role, Store};

/// An API key's public facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; `None` while the key is valid.
    pub revoked_at: Option<i64>,
}

fn info_of(
    (id, name, role, created_at, revoked_at): (String, String, String, i64, Option<i64>),
) -> Option<ApiKeyInfo> {
    let Some(role) = Role::parse(&role) else {
        tracing::warn!(id = %id, role = %role, "api key with an unknown role; not listed");
        return None;
    };
    Some(ApiKeyInfo {
        id,
        name,
        role,
        created_at,
        revoked_at,
    })
}

impl Store {
    /// Every API key, revoked ones included, oldest first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let rows: Vec<(String, String, String, i64, Option<i64>)> = read!(self, p => {
            sqlx::query_as("SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at, id")
                .fetch_all(p).await?
        });
        Ok(rows.into_iter().filter_map(info_of).collect())
    }

    /// One API key by id, revoked or not; `None` if there is no such key.
    pub async fn get_api_key(&self, id: &str) -> Result<Option<ApiKeyInfo>> {
        let row: Option<(String, String, String, i64, Option<i64>)> = read!(self, p => {
            sqlx::query_as("SELECT id, name, role, created_at, revoked_at FROM api_keys WHERE id = $1")
                .bind(id).fetch_optional(p).await?
        });
        Ok(row.and_then(info_of))
    }
}

impl Store {
    /// A valid (unrevoked) key by id with its stored hash, for checking the short-lived stream
    /// tokens the server signs with that hash.
    pub async fn api_key_with_hash(&self, id: &str) -> Result<Option<(crate::ApiKey, String)>> {
        let row: Option<(String, String, String, i64, String)> = read!(self, p => {
            sqlx::query_as("SELECT id, name, role, created_at, key_hash FROM api_keys WHERE id = $1 AND revoked_at IS NULL")
                .bind(id).fetch_optional(p).await?
        });
        Ok(row.and_then(|(id, name, role, created_at, hash)| {
            Some((
                crate::ApiKey {
                    id,
                    name,
                    role: Role::parse(&role)?,
                    created_at,
                },
                hash,
            ))
        }))
    }
}

impl Store {
    /// The shared secret called `name` (64 hex chars), created on first use; every process on
    /// this database gets the same one.
    pub async fn server_secret(&self, name: &str) -> Result<String> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        write!(self, p => {
            sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
                .bind(name).bind(&fresh).bind(crate::now_ms()).execute(p).await?;
        });
        let v: String = write!(self, p => {
            sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name).fetch_one(p).await?
        });
        Ok(v)
    }
}
