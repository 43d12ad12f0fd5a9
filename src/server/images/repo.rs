//! All image SQL. Tags and properties are loaded in one batch per page; status changes that
//! race (two uploads, a delete during an upload) are conditional updates.

use super::error::ImageError;
use super::query::{Cmp, Column, ListQuery, MemberStatusFilter, SortKey, VisibilityFilter};
use crate::domain::ids::{ImageId, ProjectId};
use crate::domain::image::{Image, ImageStatus, Member, Visibility};
use crate::domain::policy::Membership;
use crate::server::db::conflict_on_unique;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::collections::BTreeMap;

const COLS: &str = "i.id, i.name, i.status, i.visibility, i.protected, i.os_hidden, i.owner, i.disk_format, \
    i.container_format, i.size, i.virtual_size, i.checksum, i.os_hash_algo, i.os_hash_value, i.min_disk, i.min_ram, \
    i.created_at, i.updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: Option<String>,
    status: String,
    visibility: String,
    protected: bool,
    os_hidden: bool,
    owner: Option<String>,
    disk_format: Option<String>,
    container_format: Option<String>,
    size: Option<i64>,
    virtual_size: Option<i64>,
    checksum: Option<String>,
    os_hash_algo: Option<String>,
    os_hash_value: Option<String>,
    min_disk: i64,
    min_ram: i64,
    created_at: String,
    updated_at: String,
}

impl Row {
    fn into_image(self) -> Option<Image> {
        Some(Image {
            id: ImageId::parse(&self.id).ok()?,
            name: self.name,
            status: ImageStatus::parse(&self.status)?,
            visibility: Visibility::parse(&self.visibility)?,
            protected: self.protected,
            os_hidden: self.os_hidden,
            owner: self.owner.and_then(|o| ProjectId::parse(&o).ok()),
            disk_format: self.disk_format,
            container_format: self.container_format,
            size: self.size,
            virtual_size: self.virtual_size,
            checksum: self.checksum,
            os_hash_algo: self.os_hash_algo,
            os_hash_value: self.os_hash_value,
            min_disk: self.min_disk,
            min_ram: self.min_ram,
            created_at: self.created_at,
            updated_at: self.updated_at,
            tags: vec![],
            properties: BTreeMap::new(),
        })
    }
}

/// The columns an image without data has cleared (Glance: entering `queued` clears the size).
const NO_DATA: &str =
    "size = NULL, virtual_size = NULL, checksum = NULL, os_hash_algo = NULL, os_hash_value = NULL";

/// What the upload computed.
#[derive(Debug, Clone)]
pub struct UploadResult {
    /// Bytes stored.
    pub size: i64,
    /// MD5 hex.
    pub checksum: String,
    /// sha512 hex.
    pub os_hash_value: String,
    /// Virtual size, if known.
    pub virtual_size: Option<i64>,
}

/// Image queries over one pool.
#[derive(Debug, Clone)]
pub struct ImageRepo {
    pool: SqlitePool,
}

impl ImageRepo {
    /// A repository over `pool`.
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Whether an image with this id ever existed (deleted ones too: ids are never reused).
    pub async fn id_taken(&self, id: &ImageId) -> Result<bool, ImageError> {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM images WHERE id = ?")
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(n.0 > 0)
    }

    /// Stores a new image with its tags and properties.
    pub async fn insert(&self, img: &Image) -> Result<(), ImageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO images (id, name, status, visibility, protected, os_hidden, owner, disk_format, container_format,
                size, virtual_size, checksum, os_hash_algo, os_hash_value, min_disk, min_ram, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(img.id.as_str())
        .bind(&img.name)
        .bind(img.status.as_str())
        .bind(img.visibility.as_str())
        .bind(img.protected)
        .bind(img.os_hidden)
        .bind(img.owner.as_ref().map(|o| o.as_str()))
        .bind(&img.disk_format)
        .bind(&img.container_format)
        .bind(img.size)
        .bind(img.virtual_size)
        .bind(&img.checksum)
        .bind(&img.os_hash_algo)
        .bind(&img.os_hash_value)
        .bind(img.min_disk)
        .bind(img.min_ram)
        .bind(&img.created_at)
        .bind(&img.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                ImageError::Conflict(format!("An image with identifier {} already exists", img.id))
            })
        })?;
        Self::write_children(&mut tx, img).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_children(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        img: &Image,
    ) -> Result<(), ImageError> {
        sqlx::query("DELETE FROM image_tags WHERE image_id = ?")
            .bind(img.id.as_str())
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM image_properties WHERE image_id = ?")
            .bind(img.id.as_str())
            .execute(&mut **tx)
            .await?;
        for t in &img.tags {
            sqlx::query("INSERT OR IGNORE INTO image_tags (image_id, tag) VALUES (?, ?)")
                .bind(img.id.as_str())
                .bind(t)
                .execute(&mut **tx)
                .await?;
        }
        for (k, v) in &img.properties {
            sqlx::query("INSERT INTO image_properties (image_id, name, value) VALUES (?, ?, ?)")
                .bind(img.id.as_str())
                .bind(k)
                .bind(v)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Saves the caller-settable fields, tags and properties of an image that is not deleted.
    pub async fn save(&self, img: &Image) -> Result<(), ImageError> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "UPDATE images SET name = ?, visibility = ?, protected = ?, os_hidden = ?, owner = ?, disk_format = ?,
                container_format = ?, min_disk = ?, min_ram = ?, updated_at = ?
             WHERE id = ? AND deleted = 0",
        )
        .bind(&img.name)
        .bind(img.visibility.as_str())
        .bind(img.protected)
        .bind(img.os_hidden)
        .bind(img.owner.as_ref().map(|o| o.as_str()))
        .bind(&img.disk_format)
        .bind(&img.container_format)
        .bind(img.min_disk)
        .bind(img.min_ram)
        .bind(&img.updated_at)
        .bind(img.id.as_str())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(ImageError::NotFound(format!(
                "No image found with ID {}",
                img.id
            )));
        }
        Self::write_children(&mut tx, img).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One image that is not deleted, with tags and properties.
    pub async fn get(&self, id: &ImageId) -> Result<Option<Image>, ImageError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLS} FROM images i WHERE i.id = ? AND i.deleted = 0"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(img) = row.and_then(Row::into_image) else {
            return Ok(None);
        };
        let mut v = vec![img];
        self.load_children(&mut v).await?;
        Ok(v.pop())
    }

    async fn load_children(&self, images: &mut [Image]) -> Result<(), ImageError> {
        if images.is_empty() {
            return Ok(());
        }
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT image_id, tag FROM image_tags WHERE image_id IN (");
        let mut sep = q.separated(", ");
        for i in images.iter() {
            sep.push_bind(i.id.as_str());
        }
        q.push(") ORDER BY tag");
        let tags: Vec<(String, String)> = q.build_query_as().fetch_all(&self.pool).await?;
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT image_id, name, value FROM image_properties WHERE image_id IN (",
        );
        let mut sep = q.separated(", ");
        for i in images.iter() {
            sep.push_bind(i.id.as_str());
        }
        q.push(")");
        let props: Vec<(String, String, String)> = q.build_query_as().fetch_all(&self.pool).await?;
        for img in images.iter_mut() {
            img.tags = tags
                .iter()
                .filter(|t| t.0 == img.id.as_str())
                .map(|t| t.1.clone())
                .collect();
            img.properties = props
                .iter()
                .filter(|p| p.0 == img.id.as_str())
                .map(|p| (p.1.clone(), p.2.clone()))
                .collect();
        }
        Ok(())
    }

    /// Moves an image from one status to another if it is still in `from`; returns whether it did.
    pub async fn set_status(
        &self,
        id: &ImageId,
        from: ImageStatus,
        to: ImageStatus,
        now: &str,
    ) -> Result<bool, ImageError> {
        let r = sqlx::query("UPDATE images SET status = ?, updated_at = ? WHERE id = ? AND status = ? AND deleted = 0")
            .bind(to.as_str())
            .bind(now)
            .bind(id.as_str())
            .bind(from.as_str())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

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
        for (id,) in &ids {
            sqlx::query(&format!(
                "UPDATE images SET status = ?, {NO_DATA}, updated_at = ? WHERE id = ? AND status = ?"
            ))
            .bind(to.as_str())
            .bind(now)
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM image_upload_leases WHERE image_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
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

    /// The membership of `project` in an image.
    pub async fn membership(
        &self,
        id: &ImageId,
        project: &ProjectId,
    ) -> Result<Membership, ImageError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM image_members WHERE image_id = ? AND member = ?")
                .bind(id.as_str())
                .bind(project.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row.as_ref().map(|r| r.0.as_str()) {
            Some("accepted") => Membership::Accepted,
            Some("rejected") => Membership::Rejected,
            Some(_) => Membership::Pending,
            None => Membership::None,
        })
    }

    /// What a project's images use: (bytes of data, live images, images receiving data).
    pub async fn usage(&self, project: &ProjectId) -> Result<(i64, i64, i64), ImageError> {
        let r: (i64, i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(size), 0), COUNT(*),
                    COALESCE(SUM(status IN ('saving', 'uploading', 'importing')), 0)
               FROM images WHERE owner = ? AND deleted = 0",
        )
        .bind(project.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(r)
    }

    /// A project's limit on an image resource, if one is set.
    pub async fn limit(
        &self,
        project: &ProjectId,
        resource: &str,
    ) -> Result<Option<i64>, ImageError> {
        let r: Option<(i64,)> = sqlx::query_as(
            "SELECT resource_limit FROM limits WHERE project_id = ? AND service_id = ? AND resource_name = ?",
        )
        .bind(project.as_str())
        .bind(crate::domain::identity::IMAGE_SERVICE_ID)
        .bind(resource)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| r.0).filter(|l| *l >= 0))
    }

    /// Every image limit of `project` in one query, by resource name (negative ones left out).
    pub async fn limits(
        &self,
        project: &ProjectId,
    ) -> Result<std::collections::HashMap<String, i64>, ImageError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT resource_name, resource_limit FROM limits WHERE project_id = ? AND service_id = ?",
        )
        .bind(project.as_str())
        .bind(crate::domain::identity::IMAGE_SERVICE_ID)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter(|(_, l)| *l >= 0).collect())
    }

    /// Shared images `project` is a member of, with its membership, newest first (at most 1000).
    pub async fn shared_with(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<(Image, Member)>, ImageError> {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT i.id FROM image_members m JOIN images i ON i.id = m.image_id
              WHERE m.member = ? AND i.deleted = 0 AND i.visibility = 'shared'
              ORDER BY i.created_at DESC LIMIT 1000",
        )
        .bind(project.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let Ok(id) = ImageId::parse(&id) else {
                continue;
            };
            if let (Some(img), Some(m)) = (
                self.get(&id).await?,
                self.members(&id, Some(project)).await?.pop(),
            ) {
                out.push((img, m));
            }
        }
        Ok(out)
    }

    /// How many shares wait for `project`'s answer.
    pub async fn pending_shares(&self, project: &ProjectId) -> Result<i64, ImageError> {
        let n: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM image_members m JOIN images i ON i.id = m.image_id
              WHERE m.member = ? AND m.status = 'pending' AND i.deleted = 0 AND i.visibility = 'shared'",
        )
        .bind(project.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(n.0)
    }

    /// Whether a project exists (members must be real projects).
    pub async fn project_exists(&self, id: &ProjectId) -> Result<bool, ImageError> {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM projects WHERE id = ?")
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(n.0 > 0)
    }

    /// The members of an image, optionally only one.
    pub async fn members(
        &self,
        id: &ImageId,
        only: Option<&ProjectId>,
    ) -> Result<Vec<Member>, ImageError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT member, status, created_at, updated_at FROM image_members
              WHERE image_id = ?1 AND (?2 IS NULL OR member = ?2) ORDER BY created_at, member",
        )
        .bind(id.as_str())
        .bind(only.map(|p| p.as_str()))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(Member {
                    image_id: id.clone(),
                    member_id: ProjectId::parse(&r.0).ok()?,
                    status: r.1,
                    created_at: r.2,
                    updated_at: r.3,
                })
            })
            .collect())
    }

    /// Adds a member (pending); `Conflict` if it is one already.
    pub async fn add_member(
        &self,
        id: &ImageId,
        member: &ProjectId,
        now: &str,
    ) -> Result<(), ImageError> {
        sqlx::query("INSERT INTO image_members (image_id, member, status, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?)")
            .bind(id.as_str())
            .bind(member.as_str())
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(|e| {
                conflict_on_unique(e, || {
                    ImageError::Conflict(format!("Member {member} already exists for image {id}."))
                })
            })?;
        Ok(())
    }

    /// Sets a member's status; false if there is no such member.
    pub async fn set_member_status(
        &self,
        id: &ImageId,
        member: &ProjectId,
        status: &str,
        now: &str,
    ) -> Result<bool, ImageError> {
        let r = sqlx::query(
            "UPDATE image_members SET status = ?, updated_at = ? WHERE image_id = ? AND member = ?",
        )
        .bind(status)
        .bind(now)
        .bind(id.as_str())
        .bind(member.as_str())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Removes a member; false if there was none.
    pub async fn remove_member(
        &self,
        id: &ImageId,
        member: &ProjectId,
    ) -> Result<bool, ImageError> {
        let r = sqlx::query("DELETE FROM image_members WHERE image_id = ? AND member = ?")
            .bind(id.as_str())
            .bind(member.as_str())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// One page of images visible to `project` (`admin` sees every project's).
    pub async fn list(
        &self,
        project: &ProjectId,
        admin: bool,
        q: &ListQuery,
    ) -> Result<Vec<Image>, ImageError> {
        let mut b: QueryBuilder<Sqlite> = QueryBuilder::new(format!("SELECT {COLS} FROM images i"));
        push_filters(&mut b, project, admin, q);
        let mut keys = q.sort.clone();
        let last_dir = keys.last().map(|k| k.1).unwrap_or(true);
        for tie in [SortKey::CreatedAt, SortKey::Id] {
            if !keys.iter().any(|k| k.0 == tie) {
                keys.push((tie, last_dir));
            }
        }
        // Backwards: the same keyset walk in the opposite order, then the page turned around.
        let backwards = q.before_marker && q.marker.is_some();
        if backwards {
            for k in &mut keys {
                k.1 = !k.1;
            }
        }
        if let Some(marker) = &q.marker {
            let m: Option<Row> =
                sqlx::query_as(&format!("SELECT {COLS} FROM images i WHERE i.id = ?"))
                    .bind(marker.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
            let m = m.ok_or_else(|| ImageError::Invalid(format!("marker {marker} not found")))?;
            push_keyset(&mut b, &keys, &m);
        }
        b.push(" ORDER BY ");
        let mut sep = b.separated(", ");
        for (k, desc) in &keys {
            sep.push(format!(
                "{} {}",
                k.sql(),
                if *desc { "DESC" } else { "ASC" }
            ));
        }
        b.push(" LIMIT ").push_bind(q.limit);
        let rows: Vec<Row> = b.build_query_as().fetch_all(&self.pool).await?;
        let mut images: Vec<Image> = rows.into_iter().filter_map(Row::into_image).collect();
        if backwards {
            images.reverse();
        }
        self.load_children(&mut images).await?;
        Ok(images)
    }

    /// How many images match the query's filters (marker and limit aside).
    pub async fn count(
        &self,
        project: &ProjectId,
        admin: bool,
        q: &ListQuery,
    ) -> Result<i64, ImageError> {
        let mut b: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT COUNT(*) FROM images i");
        push_filters(&mut b, project, admin, q);
        Ok(b.build_query_scalar().fetch_one(&self.pool).await?)
    }
}

/// The WHERE clause of a list or count: live images the caller may see, then every filter.
fn push_filters(b: &mut QueryBuilder<Sqlite>, project: &ProjectId, admin: bool, q: &ListQuery) {
    b.push(" WHERE i.deleted = 0 AND i.status NOT IN ('killed', 'deleted')");
    push_visibility(b, project, admin, q);
    if let Some(term) = q.name_contains.as_deref().filter(|t| !t.is_empty()) {
        if term.contains(['%', '_']) {
            // LIKE's wildcards taken literally: a plain scan.
            b.push(" AND instr(lower(i.name), lower(")
                .push_bind(term.to_string())
                .push(")) > 0");
        } else {
            // The trigram index answers substring LIKE (case-insensitive) without a scan.
            b.push(" AND i.rowid IN (SELECT rowid FROM images_name_search WHERE name LIKE ")
                .push_bind(format!("%{term}%"))
                .push(")");
        }
    }
    {
        let b = &mut *b;
        for (col, values) in &q.columns {
            let col = match col {
                Column::Name => "name",
                Column::Id => "id",
                Column::Status => "status",
                Column::DiskFormat => "disk_format",
                Column::ContainerFormat => "container_format",
                Column::Owner => "owner",
                Column::Checksum => "checksum",
                Column::OsHashValue => "os_hash_value",
            };
            b.push(format!(" AND i.{col} IN ("));
            let mut sep = b.separated(", ");
            for v in values {
                sep.push_bind(v.clone());
            }
            b.push(")");
        }
        for (col, conds) in [("created_at", &q.created_at), ("updated_at", &q.updated_at)] {
            for (op, v) in conds {
                let op = match op {
                    Cmp::Gt => ">",
                    Cmp::Gte => ">=",
                    Cmp::Lt => "<",
                    Cmp::Lte => "<=",
                    Cmp::Eq => "=",
                    Cmp::Neq => "!=",
                };
                b.push(format!(" AND substr(i.{col}, 1, 19) {op} substr("))
                    .push_bind(v.clone())
                    .push(", 1, 19)");
            }
        }
        if let Some(min) = q.size_min {
            b.push(" AND i.size >= ").push_bind(min);
        }
        if let Some(max) = q.size_max {
            b.push(" AND i.size <= ").push_bind(max);
        }
        if let Some(p) = q.protected {
            b.push(" AND i.protected = ").push_bind(p);
        }
        b.push(" AND i.os_hidden = ").push_bind(q.os_hidden);
        for t in &q.tags {
            b.push(" AND EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = i.id AND t.tag = ")
                .push_bind(t.clone())
                .push(")");
        }
        for (k, v) in &q.properties {
            b.push(" AND EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = i.id AND p.name = ")
                .push_bind(k.clone())
                .push(" AND p.value = ")
                .push_bind(v.clone())
                .push(")");
        }
    }
}

fn push_member(b: &mut QueryBuilder<Sqlite>, project: &ProjectId, status: MemberStatusFilter) {
    b.push("EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = ")
        .push_bind(project.as_str().to_string());
    match status {
        MemberStatusFilter::All => {}
        s => {
            let v = match s {
                MemberStatusFilter::Pending => "pending",
                MemberStatusFilter::Rejected => "rejected",
                _ => "accepted",
            };
            b.push(" AND m.status = ").push_bind(v);
        }
    }
    b.push(")");
}

/// Glance's visible set: own images, public ones, shared ones where the project is a member with
/// the requested status; community images only when asked for (or owned). Admins see all.
fn push_visibility(b: &mut QueryBuilder<Sqlite>, project: &ProjectId, admin: bool, q: &ListQuery) {
    let p = project.as_str().to_string();
    match (admin, q.visibility) {
        (true, None) => {
            b.push(" AND (i.visibility != 'community' OR i.owner = ")
                .push_bind(p)
                .push(")");
        }
        (true, Some(VisibilityFilter::All)) => {}
        (true, Some(VisibilityFilter::Only(v))) => {
            b.push(" AND i.visibility = ").push_bind(v.as_str());
        }
        (false, vis) => {
            b.push(" AND (");
            match vis {
                None | Some(VisibilityFilter::All) => {
                    b.push("i.owner = ")
                        .push_bind(p.clone())
                        .push(" OR i.visibility = 'public'");
                    if vis.is_some() {
                        b.push(" OR i.visibility = 'community'");
                    }
                    b.push(" OR (i.visibility = 'shared' AND ");
                    push_member(b, project, q.member_status);
                    b.push(")");
                }
                Some(VisibilityFilter::Only(Visibility::Public)) => {
                    b.push("i.visibility = 'public'");
                }
                Some(VisibilityFilter::Only(Visibility::Community)) => {
                    b.push("i.visibility = 'community'");
                }
                Some(VisibilityFilter::Only(Visibility::Private)) => {
                    b.push("i.visibility = 'private' AND i.owner = ")
                        .push_bind(p.clone());
                }
                Some(VisibilityFilter::Only(Visibility::Shared)) => {
                    b.push("i.visibility = 'shared' AND (i.owner = ")
                        .push_bind(p.clone())
                        .push(" OR ");
                    push_member(b, project, q.member_status);
                    b.push(")");
                }
            }
            b.push(")");
        }
    }
}

fn sort_value(k: SortKey, m: &Row) -> SortValue {
    match k {
        SortKey::Name => SortValue::Text(m.name.clone().unwrap_or_default()),
        SortKey::Status => SortValue::Text(m.status.clone()),
        SortKey::ContainerFormat => SortValue::Text(m.container_format.clone().unwrap_or_default()),
        SortKey::DiskFormat => SortValue::Text(m.disk_format.clone().unwrap_or_default()),
        SortKey::Size => SortValue::Int(m.size.unwrap_or(-1)),
        SortKey::Id => SortValue::Text(m.id.clone()),
        SortKey::CreatedAt => SortValue::Text(m.created_at.clone()),
        SortKey::UpdatedAt => SortValue::Text(m.updated_at.clone()),
    }
}

enum SortValue {
    Text(String),
    Int(i64),
}

fn push_value(b: &mut QueryBuilder<Sqlite>, v: SortValue) {
    match v {
        SortValue::Text(s) => b.push_bind(s),
        SortValue::Int(i) => b.push_bind(i),
    };
}

/// Rows strictly after the marker in the sort order: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …
fn push_keyset(b: &mut QueryBuilder<Sqlite>, keys: &[(SortKey, bool)], marker: &Row) {
    b.push(" AND (");
    for (i, (k, desc)) in keys.iter().enumerate() {
        if i > 0 {
            b.push(" OR ");
        }
        b.push("(");
        for (prev, _) in &keys[..i] {
            b.push(format!("{} = ", prev.sql()));
            push_value(b, sort_value(*prev, marker));
            b.push(" AND ");
        }
        b.push(format!("{} {} ", k.sql(), if *desc { "<" } else { ">" }));
        push_value(b, sort_value(*k, marker));
        b.push(")");
    }
    b.push(")");
}
