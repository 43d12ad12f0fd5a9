//! Delayed delete's SQL: marking an image `pending_delete` (its children and data records stay),
//! listing pending deletions, and the two ways out, each a conditional update so that a restore
//! and the scrubber (or two scrubbers) never both win: purge (children and location records go,
//! status `deleted`) and restore (back to `active`, not deleted).

use super::*;

impl ImageRepo {
    /// Marks a live image deleted with status `to` (`pending_delete`), keeping its tags,
    /// properties, members and data records; its upload lease, if any, goes.
    pub async fn mark_pending_delete(
        &self,
        id: &ImageId,
        to: ImageStatus,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let r = sqlx::query(
                "UPDATE images SET status = $1, deleted = TRUE, deleted_at = $2, updated_at = $3
                  WHERE id = $4 AND deleted = FALSE",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(now)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM image_upload_leases WHERE image_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Images waiting for the scrubber, oldest deletion first, with when each was deleted; only
    /// those deleted at or before `due` when given, only `id` when given.
    pub async fn pending_deletes(
        &self,
        due: Option<&str>,
        id: Option<&ImageId>,
    ) -> Result<Vec<(Image, String)>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let filter = "i.deleted = TRUE AND i.status = 'pending_delete' AND i.deleted_at <= $1
                          AND ($2 = '' OR i.id = $2) ORDER BY i.deleted_at, i.id";
            let due = due.unwrap_or("9999");
            let only = id.map(|i| i.as_str().to_string()).unwrap_or_default();
            let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLS} FROM images i WHERE {filter}"))
                .bind(due)
                .bind(&only)
                .fetch_all(pool)
                .await?;
            let when: Vec<(String, String)> =
                sqlx::query_as(&format!("SELECT i.id, i.deleted_at FROM images i WHERE {filter}"))
                    .bind(due)
                    .bind(&only)
                    .fetch_all(pool)
                    .await?;
            let when: BTreeMap<String, String> = when.into_iter().collect();
            let mut images: Vec<Image> = rows.into_iter().filter_map(Row::into_image).collect();
            self.load_children(&mut images).await?;
            Ok(images
                .into_iter()
                .map(|img| {
                    let at = when.get(img.id.as_str()).cloned().unwrap_or_default();
                    (img, at)
                })
                .collect())
        })
    }

    /// Ends a pending deletion: status `to` (`deleted`), children and location records gone.
    /// Returns the locations whose data the caller must now delete, or `None` if the image was
    /// no longer pending (restored, or purged by someone else).
    pub async fn purge_pending_delete(
        &self,
        id: &ImageId,
        to: ImageStatus,
        now: &str,
    ) -> Result<Option<Vec<(String, String)>>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let r = sqlx::query(
                "UPDATE images SET status = $1, updated_at = $2
                  WHERE id = $3 AND deleted = TRUE AND status = 'pending_delete'",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                return Ok(None);
            }
            let locations: Vec<(String, String)> = sqlx::query_as(
                "SELECT store, location FROM image_locations WHERE image_id = $1",
            )
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await?;
            for table in CHILD_TABLES {
                sqlx::query(&format!("DELETE FROM {table} WHERE image_id = $1"))
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(Some(locations))
        })
    }

    /// Takes an image out of pending deletion with status `to` (`active`); whether it was
    /// pending.
    pub async fn restore_pending_delete(
        &self,
        id: &ImageId,
        to: ImageStatus,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query(
                "UPDATE images SET status = $1, deleted = FALSE, deleted_at = NULL, updated_at = $2
                  WHERE id = $3 AND deleted = TRUE AND status = 'pending_delete'",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(id.as_str())
            .execute(pool)
            .await?;
            Ok(r.rows_affected() > 0)
        })
    }
}
