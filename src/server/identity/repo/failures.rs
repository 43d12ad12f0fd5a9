//! Failed-login records, shared by every node on this database (the rules are in
//! `identity::throttle`).

use super::*;
use crate::server::identity::throttle::FailureRecord;

impl IdentityRepo {
    /// The failure records of these keys.
    pub async fn login_failures(
        &self,
        keys: &[String],
    ) -> Result<Vec<FailureRecord>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut b = sqlx::QueryBuilder::new(
                "SELECT key, failures, last_ms, locked_until_ms FROM login_failures WHERE key IN (",
            );
            let mut sep = b.separated(", ");
            for k in keys {
                sep.push_bind(k.as_str());
            }
            b.push(")");
            Ok(b.build_query_as().fetch_all(pool).await?)
        })
    }

    /// Counts one failure for `key` at `now_ms`, atomically across nodes; a record that went
    /// stale (last failure before `stale_before`, or its lock has ended) starts again at one.
    /// Locks the key until `lock_until` once its count reaches `lock_at`. Returns the count.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now_ms: i64,
        stale_before: i64,
        (lock_at, lock_until): (i64, i64),
    ) -> Result<i64, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let failures: i64 = sqlx::query_scalar(
                "INSERT INTO login_failures (key, failures, last_ms, locked_until_ms)
                 VALUES ($1, 1, $2, CASE WHEN $4 <= 1 THEN $5 END)
                 ON CONFLICT (key) DO UPDATE SET
                     failures = CASE
                         WHEN login_failures.last_ms < $3 OR login_failures.locked_until_ms <= $2 THEN 1
                         ELSE login_failures.failures + 1 END,
                     locked_until_ms = CASE
                         WHEN login_failures.locked_until_ms > $2 THEN login_failures.locked_until_ms
                         WHEN (CASE
                             WHEN login_failures.last_ms < $3 OR login_failures.locked_until_ms <= $2 THEN 1
                             ELSE login_failures.failures + 1 END) >= $4 THEN $5
                         END,
                     last_ms = $2
                 RETURNING failures",
            )
            .bind(key)
            .bind(now_ms)
            .bind(stale_before)
            .bind(lock_at)
            .bind(lock_until)
            .fetch_one(pool)
            .await?;
            // Keep the table small: records that can no longer slow or lock anyone go.
            sqlx::query(
                "DELETE FROM login_failures WHERE last_ms < $1
                    AND (locked_until_ms IS NULL OR locked_until_ms <= $2)",
            )
            .bind(stale_before)
            .bind(now_ms)
            .execute(pool)
            .await?;
            Ok(failures)
        })
    }

    /// Clears a key's failures (a user who logged in).
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1")
                .bind(key)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
