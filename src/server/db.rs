//! The SQLite pool (WAL, busy timeout, foreign keys), the embedded migrations, and the one
//! helper every repository uses to turn a unique-constraint violation into its conflict error.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// Opens (creating if missing) the database at `url`.
pub async fn connect(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    Ok(SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?)
}

/// Applies every migration in `migrations/` that has not run yet.
pub async fn migrate(pool: &SqlitePool) -> anyhow::Result<()> {
    sqlx::migrate!("./migrations/sqlite").run(pool).await?;
    Ok(())
}

/// A unique-constraint violation becomes `conflict()` (each area's "already exists" error);
/// any other database error passes through as that area's database error.
pub fn conflict_on_unique<E: From<sqlx::Error>>(e: sqlx::Error, conflict: impl FnOnce() -> E) -> E {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => conflict(),
        _ => E::from(e),
    }
}
