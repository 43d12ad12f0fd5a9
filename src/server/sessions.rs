//! Dashboard sessions in the database the node uses (tower-sessions' sqlx stores): one store
//! type over either backend, so several nodes on one PostgreSQL share their sessions.

use crate::server::db::Db;
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The session store of the node's database.
#[derive(Debug, Clone)]
pub enum Sessions {
    /// Table `tower_sessions` in the SQLite file.
    Sqlite(SqliteStore),
    /// Table `tower_sessions.session` in PostgreSQL.
    Postgres(PostgresStore),
}

impl Sessions {
    /// The store over `db`, its table created if missing.
    pub async fn open(db: &Db) -> anyhow::Result<Sessions> {
        Ok(match db {
            Db::Sqlite(pool) => {
                let s = SqliteStore::new(pool.clone());
                s.migrate().await?;
                Sessions::Sqlite(s)
            }
            Db::Postgres(pool) => {
                let s = PostgresStore::new(pool.clone());
                s.migrate().await?;
                Sessions::Postgres(s)
            }
        })
    }
}

macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            Sessions::Sqlite($s) => $body,
            Sessions::Postgres($s) => $body,
        }
    };
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        each!(self, s => s.create(record).await)
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        each!(self, s => s.save(record).await)
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        each!(self, s => s.load(id).await)
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        each!(self, s => s.delete(id).await)
    }
}

#[async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        each!(self, s => s.delete_expired().await)
    }
}
