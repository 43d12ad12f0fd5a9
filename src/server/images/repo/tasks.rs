//! Import tasks: starting an import (status, lock and task row in one transaction), claiming a
//! runnable task with a lease, renewing and ending it, the progress properties, and the task
//! lists.

use super::*;
use crate::domain::task::{Task, TaskStatus, FAILED_IMPORT, IMPORTING_TO, IMPORT_LOCK};

const TASK_COLS: &str = "id, type, status, input, result, message, owner, user_id, request_id, \
    image_id, created_at, updated_at, expires_at";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: String,
    #[sqlx(rename = "type")]
    kind: String,
    status: String,
    input: String,
    result: Option<String>,
    message: String,
    owner: String,
    user_id: String,
    request_id: String,
    image_id: Option<String>,
    created_at: String,
    updated_at: String,
    expires_at: Option<String>,
}

impl TaskRow {
    fn into_task(self) -> Option<Task> {
        Some(Task {
            status: TaskStatus::parse(&self.status)?,
            input: serde_json::from_str(&self.input).unwrap_or(serde_json::Value::Null),
            result: self.result.and_then(|r| serde_json::from_str(&r).ok()),
            id: self.id,
            kind: self.kind,
            message: self.message,
            owner: self.owner,
            user_id: self.user_id,
            request_id: self.request_id,
            image_id: self.image_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            expires_at: self.expires_at,
        })
    }
}

/// How starting an import went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// The image moved, is locked to the task, and the task waits for a node.
    Started,
    /// The image was no longer in the status the import needs.
    StatusChanged,
    /// Another import holds the image (its task id).
    Locked(String),
}

/// When a lock is stale: its task is over or gone, or has not moved since these times.
#[derive(Debug, Clone, Copy)]
pub struct Staleness<'a> {
    /// A processing task not updated since then is stale.
    pub processing_before: &'a str,
    /// A pending task not updated since then is stale.
    pub pending_before: &'a str,
    /// When a task whose stale lock is broken expires.
    pub broken_expires_at: &'a str,
}

impl ImageRepo {
    /// Starts an import: the image moves `from` -> `to` (they may be equal, for copy-image), the
    /// import lock is taken (broken first if stale, its task then failing), and `task` is stored
    /// pending, all at once or not at all.
    pub async fn begin_import(
        &self,
        id: &ImageId,
        (from, to): (ImageStatus, ImageStatus),
        task: &Task,
        stale: Staleness<'_>,
    ) -> Result<Begun, ImageError> {
        let input = task.input.to_string();
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let held: Option<(String,)> = sqlx::query_as(
                "SELECT value FROM image_properties WHERE image_id = $1 AND name = $2",
            )
            .bind(id.as_str())
            .bind(IMPORT_LOCK)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((holder,)) = held {
                let t: Option<(String, String)> =
                    sqlx::query_as("SELECT status, updated_at FROM tasks WHERE id = $1")
                        .bind(&holder)
                        .fetch_optional(&mut *tx)
                        .await?;
                let is_stale = match &t {
                    None => true,
                    Some((status, updated)) => match TaskStatus::parse(status) {
                        Some(TaskStatus::Pending) => updated.as_str() < stale.pending_before,
                        Some(TaskStatus::Processing) => updated.as_str() < stale.processing_before,
                        _ => true,
                    },
                };
                if !is_stale {
                    return Ok(Begun::Locked(holder));
                }
                sqlx::query(
                    "UPDATE tasks SET status = 'failure', message = $1, updated_at = $2, lease_until = NULL,
                            expires_at = $3
                     WHERE id = $4 AND status IN ('pending', 'processing')",
                )
                .bind("Its import lock went stale and was broken by a newer import.")
                .bind(&task.created_at)
                .bind(stale.broken_expires_at)
                .bind(&holder)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM image_properties WHERE image_id = $1 AND name = $2")
                    .bind(id.as_str())
                    .bind(IMPORT_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let moved = sqlx::query(
                "UPDATE images SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 AND deleted = FALSE",
            )
            .bind(to.as_str())
            .bind(&task.created_at)
            .bind(id.as_str())
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 0 {
                return Ok(Begun::StatusChanged);
            }
            let locked = sqlx::query(
                "INSERT INTO image_properties (image_id, name, value) VALUES ($1, $2, $3)
                 ON CONFLICT (image_id, name) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(IMPORT_LOCK)
            .bind(&task.id)
            .execute(&mut *tx)
            .await?;
            if locked.rows_affected() == 0 {
                return Ok(Begun::Locked(String::new()));
            }
            sqlx::query(&format!(
                "INSERT INTO tasks ({TASK_COLS}) VALUES ($1, $2, $3, $4, NULL, '', $5, $6, $7, $8, $9, $9, NULL)"
            ))
            .bind(&task.id)
            .bind(&task.kind)
            .bind(task.status.as_str())
            .bind(&input)
            .bind(&task.owner)
            .bind(&task.user_id)
            .bind(&task.request_id)
            .bind(id.as_str())
            .bind(&task.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Begun::Started)
        })
    }

    /// Claims the oldest runnable task for `node` until `until`: a pending one, or a processing
    /// one whose node stopped renewing its lease. It becomes `processing`.
    pub async fn claim_task(
        &self,
        node: &str,
        until: &str,
        now: &str,
    ) -> Result<Option<Task>, ImageError> {
        const RUNNABLE: &str =
            "(status = 'pending' OR (status = 'processing' AND (lease_until IS NULL OR lease_until < $1)))";
        crate::server::db::db_run!(&self.db, pool => {
            let candidates: Vec<(String,)> = sqlx::query_as(&format!(
                "SELECT id FROM tasks WHERE {RUNNABLE} ORDER BY created_at, id LIMIT 4"
            ))
            .bind(now)
            .fetch_all(pool)
            .await?;
            for (id,) in candidates {
                let r = sqlx::query(&format!(
                    "UPDATE tasks SET status = 'processing', node = $2, lease_until = $3, updated_at = $4
                     WHERE id = $5 AND {RUNNABLE}"
                ))
                .bind(now)
                .bind(node)
                .bind(until)
                .bind(now)
                .bind(&id)
                .execute(pool)
                .await?;
                if r.rows_affected() > 0 {
                    let row: Option<TaskRow> =
                        sqlx::query_as(&format!("SELECT {TASK_COLS} FROM tasks WHERE id = $1"))
                            .bind(&id)
                            .fetch_optional(pool)
                            .await?;
                    return Ok(row.and_then(TaskRow::into_task));
                }
            }
            Ok(None)
        })
    }

    /// Extends `node`'s lease on a task it runs (and its image's upload lease); false if the
    /// task is no longer `node`'s.
    pub async fn renew_task(
        &self,
        task: &Task,
        node: &str,
        until: &str,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query(
                "UPDATE tasks SET lease_until = $1, updated_at = $2
                 WHERE id = $3 AND node = $4 AND status = 'processing'",
            )
            .bind(until)
            .bind(now)
            .bind(&task.id)
            .bind(node)
            .execute(pool)
            .await?;
            if let Some(image) = &task.image_id {
                sqlx::query(
                    "UPDATE image_upload_leases SET expires_at = $1 WHERE image_id = $2 AND node = $3",
                )
                .bind(until)
                .bind(image)
                .bind(node)
                .execute(pool)
                .await?;
            }
            Ok(r.rows_affected() > 0)
        })
    }

    /// Lets go of the tasks `node` was running (it starts again with none running): any node,
    /// this one too, claims them again at once.
    pub async fn release_tasks(&self, node: &str) -> Result<u64, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query(
                "UPDATE tasks SET lease_until = NULL WHERE node = $1 AND status = 'processing'",
            )
            .bind(node)
            .execute(pool)
            .await?;
            Ok(r.rows_affected())
        })
    }

    /// Takes the image's upload lease for `node` (a node taking over a task takes the dead
    /// node's lease with it).
    pub async fn take_lease(
        &self,
        id: &ImageId,
        node: &str,
        until: &str,
    ) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO image_upload_leases (image_id, node, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (image_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at",
            )
            .bind(id.as_str())
            .bind(node)
            .bind(until)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Ends a task `node` runs: its status, message and result; the image's lock and progress
    /// properties go, and the stores that failed are recorded. False if the task was no longer
    /// `node`'s.
    #[allow(clippy::too_many_arguments)]
    pub async fn end_task(
        &self,
        task: &Task,
        node: &str,
        status: TaskStatus,
        message: &str,
        result: Option<&serde_json::Value>,
        failed_stores: &[String],
        now: &str,
        expires_at: &str,
    ) -> Result<bool, ImageError> {
        let result = result.map(|r| r.to_string());
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let r = sqlx::query(
                "UPDATE tasks SET status = $1, message = $2, result = $3, updated_at = $4,
                        expires_at = $5, lease_until = NULL
                 WHERE id = $6 AND node = $7 AND status = 'processing'",
            )
            .bind(status.as_str())
            .bind(message)
            .bind(&result)
            .bind(now)
            .bind(expires_at)
            .bind(&task.id)
            .bind(node)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                return Ok(false);
            }
            if let Some(image) = &task.image_id {
                sqlx::query(
                    "DELETE FROM image_properties WHERE image_id = $1 AND name = $2 AND value = $3",
                )
                .bind(image)
                .bind(IMPORT_LOCK)
                .bind(&task.id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM image_properties WHERE image_id = $1 AND name = $2")
                    .bind(image)
                    .bind(IMPORTING_TO)
                    .execute(&mut *tx)
                    .await?;
                if !failed_stores.is_empty() {
                    sqlx::query(
                        "INSERT INTO image_properties (image_id, name, value) VALUES ($1, $2, $3)
                         ON CONFLICT (image_id, name) DO UPDATE SET value = excluded.value",
                    )
                    .bind(image)
                    .bind(FAILED_IMPORT)
                    .bind(failed_stores.join(","))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records finished staging by `node`: the image stays `status` (uploading) with the staged
    /// size, and the lease goes. False if the image left `status` or the lease is not `node`'s.
    pub async fn finish_stage(
        &self,
        id: &ImageId,
        status: ImageStatus,
        node: &str,
        size: i64,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let r = sqlx::query(
                "UPDATE images SET size = $1, updated_at = $2
                 WHERE id = $3 AND status = $4 AND deleted = FALSE
                   AND EXISTS (SELECT 1 FROM image_upload_leases l WHERE l.image_id = images.id AND l.node = $5)",
            )
            .bind(size)
            .bind(now)
            .bind(id.as_str())
            .bind(status.as_str())
            .bind(node)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM image_upload_leases WHERE image_id = $1 AND node = $2")
                .bind(id.as_str())
                .bind(node)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Records a copy of a live active image's data in `store`; false if the image is gone.
    pub async fn add_location(
        &self,
        id: &ImageId,
        store: &str,
        location: &str,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query(
                "INSERT INTO image_locations (image_id, store, location, status, created_at)
                 SELECT id, $2, $3, 'active', $4 FROM images
                  WHERE id = $1 AND deleted = FALSE AND status IN ('active', 'deactivated')
                 ON CONFLICT (image_id, store) DO UPDATE SET location = excluded.location, status = 'active'",
            )
            .bind(id.as_str())
            .bind(store)
            .bind(location)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Sets an image's disk format (after an import converted its data).
    pub async fn set_disk_format(&self, id: &ImageId, format: &str) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("UPDATE images SET disk_format = $1 WHERE id = $2")
                .bind(format)
                .bind(id.as_str())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Sets (or, with `None`, removes) a property the service keeps itself (`os_glance_*`).
    pub async fn set_internal_property(
        &self,
        id: &ImageId,
        name: &str,
        value: Option<&str>,
    ) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            match value {
                Some(v) => sqlx::query(
                    "INSERT INTO image_properties (image_id, name, value) VALUES ($1, $2, $3)
                     ON CONFLICT (image_id, name) DO UPDATE SET value = excluded.value",
                )
                .bind(id.as_str())
                .bind(name)
                .bind(v)
                .execute(pool)
                .await?,
                None => sqlx::query("DELETE FROM image_properties WHERE image_id = $1 AND name = $2")
                    .bind(id.as_str())
                    .bind(name)
                    .execute(pool)
                    .await?,
            };
            Ok(())
        })
    }

    /// Removes the tasks that ended and expired before `now` (Glance's `task_time_to_live`).
    pub async fn purge_expired_tasks(&self, now: &str) -> Result<u64, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query(
                "DELETE FROM tasks WHERE status IN ('success', 'failure') AND expires_at IS NOT NULL AND expires_at < $1",
            )
            .bind(now)
            .execute(pool)
            .await?;
            Ok(r.rows_affected())
        })
    }

    /// One task.
    pub async fn task(&self, id: &str) -> Result<Option<Task>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<TaskRow> =
                sqlx::query_as(&format!("SELECT {TASK_COLS} FROM tasks WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.and_then(TaskRow::into_task))
        })
    }

    /// An image's tasks, newest first.
    pub async fn image_tasks(&self, id: &ImageId) -> Result<Vec<Task>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<TaskRow> = sqlx::query_as(&format!(
                "SELECT {TASK_COLS} FROM tasks WHERE image_id = $1 ORDER BY created_at DESC, id DESC"
            ))
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().filter_map(TaskRow::into_task).collect())
        })
    }

    /// Tasks in `status` (or all), newest first, `limit` after the task `marker`.
    pub async fn tasks(
        &self,
        status: Option<TaskStatus>,
        marker: Option<&Task>,
        limit: i64,
    ) -> Result<Vec<Task>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut b: QueryBuilder<_> =
                QueryBuilder::new(format!("SELECT {TASK_COLS} FROM tasks WHERE 1 = 1"));
            if let Some(s) = status {
                b.push(" AND status = ").push_bind(s.as_str());
            }
            if let Some(m) = marker {
                b.push(" AND (created_at < ")
                    .push_bind(m.created_at.clone())
                    .push(" OR (created_at = ")
                    .push_bind(m.created_at.clone())
                    .push(" AND id < ")
                    .push_bind(m.id.clone())
                    .push("))");
            }
            b.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit);
            let rows: Vec<TaskRow> = b.build_query_as().fetch_all(pool).await?;
            Ok(rows.into_iter().filter_map(TaskRow::into_task).collect())
        })
    }
}
