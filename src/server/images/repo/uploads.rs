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
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "UPDATE images SET status = ?, updated_at = ? WHERE id = ? AND status = ? AND deleted = 0",
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
            "INSERT INTO image_upload_leases (image_id, node, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (image_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at",
        )
        .bind(id.as_str())
        .bind(node)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Extends `node`'s lease on an upload; false if the lease is no longer `node`'s.
    pub async fn renew_lease(
        &self,
        id: &ImageId,
        node: &str,
        expires_at: &str,
    ) -> Result<bool, ImageError> {
        let r = sqlx::query(
            "UPDATE image_upload_leases SET expires_at = ? WHERE image_id = ? AND node = ?",
        )
        .bind(expires_at)
        .bind(id.as_str())
        .bind(node)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
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
        let mut tx = self.pool.begin().await?;
        let q = sqlx::query(
            "UPDATE images SET status = ?, size = ?, checksum = ?, os_hash_algo = 'sha512', os_hash_value = ?,
                virtual_size = ?, updated_at = ?
             WHERE id = ? AND status = ? AND deleted = 0
               AND EXISTS (SELECT 1 FROM image_upload_leases l WHERE l.image_id = images.id AND l.node = ?)",
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
             VALUES (?, ?, ?, 'active', ?)
             ON CONFLICT (image_id, store) DO UPDATE SET location = excluded.location, status = 'active'",
        )
        .bind(id.as_str())
        .bind(store)
        .bind(location)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM image_upload_leases WHERE image_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
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
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(&format!(
            "UPDATE images SET status = ?, {NO_DATA}, updated_at = ?
             WHERE id = ? AND status = ?
               AND EXISTS (SELECT 1 FROM image_upload_leases l WHERE l.image_id = images.id AND l.node = ?)"
        ))
        .bind(to.as_str())
        .bind(now)
        .bind(id.as_str())
        .bind(from.as_str())
        .bind(node)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() > 0 {
            sqlx::query("DELETE FROM image_upload_leases WHERE image_id = ? AND node = ?")
                .bind(id.as_str())
                .bind(node)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Takes back uploads whose receiver is gone: images in `from` (saving) whose lease has
    /// expired or is missing, and, when `own` is given, those leased by that node (a node that
    /// starts again owns nothing in flight). They move to `to` (queued) with size and hashes
    /// cleared. Returns their ids.
    pub async fn requeue_abandoned(
        &self,
        (from, to): (ImageStatus, ImageStatus),
        own: Option<&str>,
        now: &str,
    ) -> Result<Vec<ImageId>, ImageError> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT i.id FROM images i LEFT JOIN image_upload_leases l ON l.image_id = i.id
             WHERE i.status = ? AND (l.image_id IS NULL OR l.expires_at < ? OR l.node = ?)",
        )
        .bind(from.as_str())
        .bind(now)
        .bind(own.unwrap_or(""))
        .fetch_all(&mut *tx)
        .await?;
        // The same condition, set-based: the images first, then their leases.
        let abandoned =
            "SELECT i.id FROM images i LEFT JOIN image_upload_leases l ON l.image_id = i.id
             WHERE i.status = ? AND (l.image_id IS NULL OR l.expires_at < ? OR l.node = ?)";
        sqlx::query(&format!(
            "DELETE FROM image_upload_leases WHERE image_id IN ({abandoned})"
        ))
        .bind(from.as_str())
        .bind(now)
        .bind(own.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "UPDATE images SET status = ?, {NO_DATA}, updated_at = ?
             WHERE status = ? AND id NOT IN (SELECT image_id FROM image_upload_leases)"
        ))
        .bind(to.as_str())
        .bind(now)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ids
            .into_iter()
            .filter_map(|(id,)| ImageId::parse(&id).ok())
            .collect())
    }

    /// Images whose data is being received now under a lease that still holds.
    pub async fn live_uploads(&self, now: &str) -> Result<Vec<ImageId>, ImageError> {
        let ids: Vec<(String,)> =
            sqlx::query_as("SELECT image_id FROM image_upload_leases WHERE expires_at >= ?")
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
        Ok(ids
            .into_iter()
            .filter_map(|(id,)| ImageId::parse(&id).ok())
            .collect())
    }

    /// Where an image's data is: (store id, location), oldest copy first.
    pub async fn locations(&self, id: &ImageId) -> Result<Vec<(String, String)>, ImageError> {
        Ok(sqlx::query_as(
            "SELECT store, location FROM image_locations WHERE image_id = ? AND status = 'active'
             ORDER BY created_at, store",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Soft-deletes an image (its status becomes `to`; its tags, properties, members and
    /// location records go).
    pub async fn soft_delete(
        &self,
        id: &ImageId,
        to: ImageStatus,
        now: &str,
    ) -> Result<(), ImageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE images SET status = ?, deleted = 1, deleted_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        for table in [
            "image_tags",
            "image_properties",
            "image_members",
            "image_locations",
            "image_upload_leases",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE image_id = ?"))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
