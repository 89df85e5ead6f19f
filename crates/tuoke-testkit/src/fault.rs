//! Fault injection without test hooks in the code under test: a trigger makes every write of
//! one kind to one table fail, on SQLite (`RAISE(ABORT)`) and PostgreSQL (a PL/pgSQL function
//! raising an exception), so a test can check that a transaction writing to several tables
//! leaves nothing partial behind. The trigger is created from a connection of its own on the
//! database at `url`.

use sqlx::{AssertSqlSafe, Connection, PgConnection, SqliteConnection};

/// The message of the injected error.
pub const MESSAGE: &str = "injected fault";

/// A statement kind a trigger can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Insert,
    Update,
    Delete,
}

impl Write {
    fn sql(self) -> &'static str {
        match self {
            Write::Insert => "INSERT",
            Write::Update => "UPDATE",
            Write::Delete => "DELETE",
        }
    }
}

fn trigger(table: &str) -> String {
    format!("tuoke_fault_{table}")
}

/// Runs `sql` (several statements) on the database at `url` (`sqlite:` or `postgres:`).
async fn exec(url: &str, sql: String) -> Result<(), sqlx::Error> {
    if url.starts_with("sqlite:") {
        let mut c = SqliteConnection::connect(url).await?;
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut c).await?;
        c.close().await
    } else {
        let mut c = PgConnection::connect(url).await?;
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut c).await?;
        c.close().await
    }
}

/// From now on every `write` to `table` fails with [`MESSAGE`] (until [`heal`]). `table` is a
/// table name of the schema, never input.
pub async fn fail(url: &str, table: &str, write: Write) -> Result<(), sqlx::Error> {
    let (name, op) = (trigger(table), write.sql());
    let sql = if url.starts_with("sqlite:") {
        format!(
            "CREATE TRIGGER {name} BEFORE {op} ON {table} \
             BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )
    } else {
        format!(
            "CREATE OR REPLACE FUNCTION tuoke_fault() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$; \
             CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW EXECUTE FUNCTION tuoke_fault();"
        )
    };
    exec(url, sql).await
}

/// Removes the fault [`fail`] put on `table`.
pub async fn heal(url: &str, table: &str) -> Result<(), sqlx::Error> {
    let name = trigger(table);
    let sql = if url.starts_with("sqlite:") {
        format!("DROP TRIGGER {name};")
    } else {
        format!("DROP TRIGGER {name} ON {table};")
    };
    exec(url, sql).await
}
