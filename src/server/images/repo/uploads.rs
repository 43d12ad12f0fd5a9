//! Upload leases (which node receives an image's data, until when), where data lives
//! (`image_locations`), and the soft delete.

use super::*;

impl ImageRepo {
    /// Starts an upload: moves the image `from` -> `to` (queued -> saving) if it is still in
    /// `from`, and records that `node` receives its data until `expires_at`. False if the image
    /// was no longer in `from`.
    pub async fn begin_upload(
        &self,
        id: &ImageId,
        (from, to): (ImageStatus, ImageStatus),
        node: &str,
        expires_at: &str,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let r = sqlx::query(
                "UPDATE images SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 AND deleted = FALSE",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(id.as_str())
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO image_upload_leases (image_id, node, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (image_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at",
            )
            .bind(id.as_str())
            .bind(node)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Extends `node`'s lease on an upload; false if the lease is no longer `node`'s.
    pub async fn renew_lease(
        &self,
        id: &ImageId,
        node: &str,
        expires_at: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query(
                "UPDATE image_upload_leases SET expires_at = $1 WHERE image_id = $2 AND node = $3",
            )
            .bind(expires_at)
            .bind(id.as_str())
            .bind(node)
            .execute(pool)
            .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Records a finished upload by `node`: the image moves `from` -> `to` (saving -> active) with
    /// its size and hashes, and its data's location in `store` is recorded. False if the image left
    /// `from` or the upload is no longer `node`'s meanwhile (then nothing changes).
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_upload(
        &self,
        id: &ImageId,
        (from, to): (ImageStatus, ImageStatus),
        node: &str,
        r: &UploadResult,
        store: &str,
        location: &str,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let q = sqlx::query(
                "UPDATE images SET status = $1, size = $2, checksum = $3, os_hash_algo = 'sha512', os_hash_value = $4,
                virtual_size = $5, updated_at = $6
             WHERE id = $7 AND status = $8 AND deleted = FALSE
               AND EXISTS (SELECT 1 FROM image_upload_leases l WHERE l.image_id = images.id AND l.node = $9)",
            )
            .bind(to.as_str())
            .bind(r.size)
            .bind(&r.checksum)
            .bind(&r.os_hash_value)
            .bind(r.virtual_size)
            .bind(now)
            .bind(id.as_str())
            .bind(from.as_str())
            .bind(node)
            .execute(&mut *tx)
            .await?;
            if q.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO image_locations (image_id, store, location, status, created_at)
             VALUES ($1, $2, $3, 'active', $4)
             ON CONFLICT (image_id, store) DO UPDATE SET location = excluded.location, status = 'active'",
            )
            .bind(id.as_str())
            .bind(store)
            .bind(location)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM image_upload_leases WHERE image_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// A failed upload by `node`: the image moves `from` -> `to` (saving -> queued) with size and
    /// hashes cleared, if the upload is still `node`'s.
    pub async fn fail_upload(
        &self,
        id: &ImageId,
        (from, to): (ImageStatus, ImageStatus),
        node: &str,
        now: &str,
    ) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let r = sqlx::query(&format!(
                "UPDATE images SET status = $1, {NO_DATA}, updated_at = $2
             WHERE id = $3 AND status = $4
               AND EXISTS (SELECT 1 FROM image_upload_leases l WHERE l.image_id = images.id AND l.node = $5)"
            ))
            .bind(to.as_str())
            .bind(now)
            .bind(id.as_str())
            .bind(from.as_str())
            .bind(node)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() > 0 {
                sqlx::query("DELETE FROM image_upload_leases WHERE image_id = $1 AND node = $2")
                    .bind(id.as_str())
                    .bind(node)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Takes back uploads whose receiver is gone: images in `from` (saving) whose lease has
    /// expired (or is missing, when `missing_counts`), and, when `own` is given, those leased by
    /// that node (a node that starts again owns nothing in flight). They move to `to` (queued)
    /// with size and hashes cleared. Returns their ids.
    pub async fn requeue_abandoned(
        &self,
        (from, to): (ImageStatus, ImageStatus),
        own: Option<&str>,
        now: &str,
        missing_counts: bool,
    ) -> Result<Vec<ImageId>, ImageError> {
        let missing = if missing_counts {
            "l.image_id IS NULL OR "
        } else {
            ""
        };
        let abandoned = format!(
            "SELECT i.id FROM images i LEFT JOIN image_upload_leases l ON l.image_id = i.id
             WHERE i.status = $1 AND ({missing}l.expires_at < $2 OR l.node = $3)"
        );
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let ids: Vec<(String,)> = sqlx::query_as(&abandoned)
                .bind(from.as_str())
                .bind(now)
                .bind(own.unwrap_or(""))
                .fetch_all(&mut *tx)
                .await?;
            for (id,) in &ids {
                sqlx::query(&format!(
                    "UPDATE images SET status = $1, {NO_DATA}, updated_at = $2 WHERE id = $3 AND status = $4"
                ))
                .bind(to.as_str())
                .bind(now)
                .bind(id)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM image_upload_leases WHERE image_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(ids
                .into_iter()
                .filter_map(|(id,)| ImageId::parse(&id).ok())
                .collect())
        })
    }

    /// Images whose data is being received now under a lease that still holds.
    pub async fn live_uploads(&self, now: &str) -> Result<Vec<ImageId>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let ids: Vec<(String,)> =
                sqlx::query_as("SELECT image_id FROM image_upload_leases WHERE expires_at >= $1")
                    .bind(now)
                    .fetch_all(pool)
                    .await?;
            Ok(ids
                .into_iter()
                .filter_map(|(id,)| ImageId::parse(&id).ok())
                .collect())
        })
    }

    /// Where an image's data is: (store id, location), oldest copy first.
    pub async fn locations(&self, id: &ImageId) -> Result<Vec<(String, String)>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            Ok(sqlx::query_as(
                "SELECT store, location FROM image_locations WHERE image_id = $1 AND status = 'active'
                 ORDER BY created_at, store",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?)
        })
    }

    /// How many live images each store holds data for, and their bytes, by store id.
    pub async fn store_usage(&self) -> Result<Vec<(String, i64, i64)>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            Ok(sqlx::query_as(
                "SELECT l.store, COUNT(*), CAST(COALESCE(SUM(i.size), 0) AS BIGINT)
                   FROM image_locations l JOIN images i ON i.id = l.image_id
                  WHERE l.status = 'active' AND i.deleted = FALSE
                  GROUP BY l.store",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// Forgets the data `store` holds for an image (its location record).
    pub async fn remove_location(&self, id: &ImageId, store: &str) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("DELETE FROM image_locations WHERE image_id = $1 AND store = $2")
                .bind(id.as_str())
                .bind(store)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Soft-deletes an image (its status becomes `to`; its tags, properties, members and
    /// location records go).
    pub async fn soft_delete(
        &self,
        id: &ImageId,
        to: ImageStatus,
        now: &str,
    ) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE images SET status = $1, deleted = TRUE, deleted_at = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(now)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            for table in CHILD_TABLES {
                sqlx::query(&format!("DELETE FROM {table} WHERE image_id = $1"))
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
