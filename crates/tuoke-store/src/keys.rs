//! API keys: creating them (only the SHA-256 of the secret is stored), looking one up by its
//! secret, counting and revoking. The operator's listing is in [`key_admin`](crate::key_admin).

use crate::{
    ApiKey, Result, Role, Store, StoreError, generate_key, hash_key, is_unique_violation, new_id,
    now_ms,
};

impl Store {
    /// Creates a key with a fresh random secret; returns the row and the secret (shown once).
    pub async fn create_api_key(&self, role: Role, name: &str) -> Result<(ApiKey, String)> {
        let key = generate_key();
        let row = self.insert_api_key(&key, role, name).await?;
        Ok((row, key))
    }

    /// Stores a key whose secret the caller chose (e.g. a bootstrap admin key from the
    /// environment). Only the hash is stored.
    pub async fn insert_api_key(&self, key: &str, role: Role, name: &str) -> Result<ApiKey> {
        let k = ApiKey {
            id: new_id(),
            name: name.to_string(),
            role,
            created_at: now_ms(),
        };
        write!(self, p => {
            sqlx::query("INSERT INTO api_keys (id, name, role, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&k.id).bind(&k.name).bind(role.as_str()).bind(hash_key(key)).bind(k.created_at)
                .execute(p).await.map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { e.into() })?;
        });
        Ok(k)
    }

    /// Looks a key up by its secret. Revoked and unknown keys give `None`.
    pub async fn find_api_key(&self, key: &str) -> Result<Option<ApiKey>> {
        let h = hash_key(key);
        let row: Option<(String, String, String, i64)> = read!(self, p => {
            sqlx::query_as("SELECT id, name, role, created_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                .bind(&h).fetch_optional(p).await?
        });
        Ok(row.and_then(|(id, name, role, created_at)| {
            Some(ApiKey {
                id,
                name,
                role: Role::parse(&role)?,
                created_at,
            })
        }))
    }

    pub async fn count_api_keys(&self, role: Option<Role>) -> Result<i64> {
        let n: i64 = read!(self, p => {
            match role {
                Some(r) => sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE role = $1 AND revoked_at IS NULL").bind(r.as_str()).fetch_one(p).await?,
                None => sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL").fetch_one(p).await?,
            }
        });
        Ok(n)
    }

    pub async fn revoke_api_key(&self, id: &str) -> Result<bool> {
        let n = write!(self, p => {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_ms()).bind(id).execute(p).await?.rows_affected()
        });
        Ok(n > 0)
    }
}
