//! The database handle every repository takes: `Db`, an enum over sqlx's native SQLite and
//! PostgreSQL pools, chosen by the URL's scheme; the migrations of each dialect; the `db_run!`
//! macro that compiles one block of portable SQL once per backend; the `Dialect` trait for the
//! few phrases that differ; and the helper that turns a unique-constraint error into a conflict.
//!
//! Why an enum of native pools and not `sqlx::Any` or a trait per area: `Any` numbers `?`
//! placeholders (PostgreSQL refuses them), cannot decode booleans portably and drops SQLite's
//! pragmas; a trait per area would mean every query written twice. With native pools, one SQL
//! text (`$1` placeholders, `ON CONFLICT`, `TRUE`/`FALSE`) runs on both, each driver keeps its
//! own settings and features, and the compiler checks every query's types on both backends.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, QueryBuilder, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// An open database: the embedded SQLite file or a PostgreSQL server.
#[derive(Debug, Clone)]
pub enum Db {
    /// `sqlite://…`: the zero-setup default (WAL, one file).
    Sqlite(SqlitePool),
    /// `postgres://…` or `postgresql://…`: what several nodes share.
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the native pool of whichever backend `$db` is. The block
/// is compiled once per backend, so its SQL must be portable (see `Dialect` for what is not).
#[macro_export]
macro_rules! db_run {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($pool) => $body,
            $crate::server::db::Db::Postgres($pool) => $body,
        }
    };
}
pub use db_run;

impl Db {
    /// Opens the database at `url` (a SQLite file is created if missing).
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // A cached generic plan cannot see a filter's values: for a name search it guessed
            // 0.5 % of the rows match and walked the whole date index to count 11 of 100k
            // (67-140 ms instead of 3). Planning each query with its values costs ~0.1 ms.
            let options = PgConnectOptions::from_str(url)?
                .application_name("glimpse")
                .options([("plan_cache_mode", "force_custom_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
            return Ok(Db::Postgres(pool));
        }
        if !url.starts_with("sqlite:") {
            anyhow::bail!(
                "unsupported database URL scheme in {:?}: use sqlite://… or postgres://…",
                url.split("://").next().unwrap_or(url)
            );
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // Creating the file and switching it to WAL is not safe for two processes at once.
        let _lock = lock_beside(options.get_filename()).await?;
        Ok(Db::Sqlite(
            SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?,
        ))
    }

    /// Applies every migration of this backend's dialect that has not run yet
    /// (`migrations/sqlite/` or `migrations/postgres/`, same version numbers).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => {
                // sqlx's SQLite migrator does not lock: two processes starting on a new file
                // would both apply 0001. The lock beside the database serialises them
                // (PostgreSQL's migrator takes an advisory lock itself).
                let _lock = lock_beside(pool.connect_options().get_filename()).await?;
                sqlx::migrate!("./migrations/sqlite").run(pool).await?
            }
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        db_run!(self, pool => pool.close().await)
    }

    /// `sqlite` or `postgres`, for logs and the bench.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }
}

/// Starting a transaction that writes. SQLite's deferred `BEGIN` takes its snapshot at the first
/// read and fails at once with "database is locked" when another connection commits before it
/// writes; `BEGIN IMMEDIATE` takes the write lock first and waits its turn (busy timeout).
/// PostgreSQL's row locks need no such care.
pub trait BeginWrite {
    /// The database the transaction runs on.
    type Database: sqlx::Database;
    /// Opens a transaction that will write.
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>,
    > + Send;
}

impl BeginWrite for SqlitePool {
    type Database = Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// An exclusive advisory lock on `<database>.lock`, held until the returned file is dropped:
/// what processes starting on one SQLite file take while they create and migrate it.
async fn lock_beside(database: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let path = database.with_extension("lock");
    Ok(tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await??)
}

/// What a dynamic query needs from a backend: binding the value kinds the repositories use
/// (one bound here instead of one per type at every helper), and the phrases whose spelling
/// differs between the dialects.
pub trait Dialect: sqlx::Database {
    /// Appends a text placeholder bound to `v`.
    fn text(b: &mut QueryBuilder<'_, Self>, v: String);
    /// Appends a text-or-NULL placeholder bound to `v`.
    fn opt_text(b: &mut QueryBuilder<'_, Self>, v: Option<String>);
    /// Appends an integer-or-NULL placeholder bound to `v`.
    fn opt_int(b: &mut QueryBuilder<'_, Self>, v: Option<i64>);
    /// Appends an integer placeholder bound to `v`.
    fn int(b: &mut QueryBuilder<'_, Self>, v: i64);
    /// Appends a boolean placeholder bound to `v`.
    fn boolean(b: &mut QueryBuilder<'_, Self>, v: bool);
    /// Appends a condition: `column` contains `term`, ignoring case, with `%` and `_` taken
    /// literally, answered from the trigram index of each dialect.
    fn name_contains(b: &mut QueryBuilder<'_, Self>, column: &str, term: &str);
    /// Runs a built statement on a connection (a transaction's, in the generic helpers that
    /// write several rows at once); returns the rows it changed.
    fn execute<'e>(
        conn: &'e mut Self::Connection,
        b: QueryBuilder<'e, Self>,
    ) -> impl std::future::Future<Output = Result<u64, sqlx::Error>> + Send + 'e;
}

/// `term` with LIKE's wildcards and the escape character taken literally (escape `\`).
fn like_escaped(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The methods every backend spells the same way (binding through its own driver).
macro_rules! same_in_every_dialect {
    () => {
        async fn execute<'e>(
            conn: &'e mut Self::Connection,
            mut b: QueryBuilder<'e, Self>,
        ) -> Result<u64, sqlx::Error> {
            Ok(b.build().execute(conn).await?.rows_affected())
        }
        fn text(b: &mut QueryBuilder<'_, Self>, v: String) {
            b.push_bind(v);
        }
        fn opt_text(b: &mut QueryBuilder<'_, Self>, v: Option<String>) {
            b.push_bind(v);
        }
        fn int(b: &mut QueryBuilder<'_, Self>, v: i64) {
            b.push_bind(v);
        }
        fn opt_int(b: &mut QueryBuilder<'_, Self>, v: Option<i64>) {
            b.push_bind(v);
        }
        fn boolean(b: &mut QueryBuilder<'_, Self>, v: bool) {
            b.push_bind(v);
        }
    };
}

impl Dialect for Sqlite {
    same_in_every_dialect!();
    fn name_contains(b: &mut QueryBuilder<'_, Self>, column: &str, term: &str) {
        if term.contains(['%', '_', '\\']) {
            // FTS5's trigram LIKE has no ESCAPE: wildcards taken literally need a plain scan.
            b.push(format!(" AND instr(lower({column}), lower("))
                .push_bind(term.to_string())
                .push(")) > 0");
        } else {
            // The FTS5 trigram index answers substring LIKE (case-insensitive) without a scan.
            b.push(" AND i.rowid IN (SELECT rowid FROM images_name_search WHERE name LIKE ")
                .push_bind(format!("%{term}%"))
                .push(")");
        }
    }
}

impl Dialect for Postgres {
    same_in_every_dialect!();
    fn name_contains(b: &mut QueryBuilder<'_, Self>, column: &str, term: &str) {
        // pg_trgm's GIN index on the column answers ILIKE '%…%'.
        b.push(format!(" AND {column} ILIKE "))
            .push_bind(like_escaped(term))
            .push(" ESCAPE '\\'");
    }
}

/// A unique-constraint violation becomes `conflict()` (each area's "already exists" error);
/// any other database error passes through as that area's database error.
pub fn conflict_on_unique<E: From<sqlx::Error>>(e: sqlx::Error, conflict: impl FnOnce() -> E) -> E {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => conflict(),
        _ => E::from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_escaped("ubuntu"), "%ubuntu%");
        assert_eq!(like_escaped("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
