//! Claim-with-lease, in one place: a named piece of work that exactly one node may do at a time
//! (the first-start bootstrap and catalog seed, the stale-upload sweep, later the scrubber,
//! import tasks and cache pruning). A claim is a row in `claims` taken by one atomic upsert,
//! renewed by its holder and free again when released or when its lease runs out (a node that
//! died holds nothing for long).

use crate::server::clock;
use crate::server::db::Db;
use std::time::Duration;

/// Claims made in this node's name.
#[derive(Debug, Clone)]
pub struct Claims {
    db: Db,
    node: String,
}

impl Claims {
    /// Claims over `db` made by `node` (its name in leases; unique per node).
    pub fn new(db: Db, node: &str) -> Self {
        Self {
            db,
            node: node.to_string(),
        }
    }

    /// Takes (or renews) `name` for `lease` if it is free, expired or already this node's;
    /// returns whether this node holds it now.
    pub async fn try_claim(&self, name: &str, lease: Duration) -> Result<bool, sqlx::Error> {
        self.try_claim_at(name, clock::now_ms(), lease).await
    }

    /// `try_claim` as if the time were `now` (milliseconds since the Unix epoch).
    pub async fn try_claim_at(
        &self,
        name: &str,
        now: i64,
        lease: Duration,
    ) -> Result<bool, sqlx::Error> {
        let until = now + lease.as_millis() as i64;
        let done = crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO claims (name, holder, expires_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
                 WHERE claims.holder = excluded.holder OR claims.expires_ms < $4",
            )
            .bind(name)
            .bind(&self.node)
            .bind(until)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// Lets `name` go if this node holds it.
    pub async fn release(&self, name: &str) -> Result<(), sqlx::Error> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("DELETE FROM claims WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(&self.node)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Runs `job` every `every` (the first time after one interval) on whichever node holds
    /// the claim `name`: its holder renews it each run, and it passes to another node once a
    /// holder stops for two intervals. For background work such as sweeps and the scrubber.
    pub fn spawn_periodic<F, Fut>(self, name: &'static str, every: Duration, mut job: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                match self.try_claim(name, every * 2).await {
                    Ok(true) => job().await,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, claim = name, "cannot claim background work")
                    }
                }
            }
        });
    }

    /// Waits until this node holds `name` (checking every `lease / 10`, at most 250 ms), runs
    /// `work`, then releases it, whatever `work` returned. For short work: `work` must finish
    /// well within `lease`, or another node may take the claim meanwhile.
    pub async fn exclusively<T, E: From<sqlx::Error>>(
        &self,
        name: &str,
        lease: Duration,
        work: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let poll = (lease / 10).min(Duration::from_millis(250));
        while !self.try_claim(name, lease).await? {
            tokio::time::sleep(poll).await;
        }
        let out = work.await;
        self.release(name).await?;
        out
    }
}
