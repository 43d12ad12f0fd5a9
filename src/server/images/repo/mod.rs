//! All image SQL, split by area: this module holds the rows and the image itself (insert, save,
//! get, status); `list` the list and count queries (visibility, filters, keyset pages);
//! `uploads` upload leases, locations and soft delete; `trash` delayed delete; `members` sharing;
//! `quota` usage and limits; `tasks` import tasks and their locks. Tags and properties are loaded in one batch per page; status changes that race (two
//! uploads, a delete during an upload) are conditional updates.

mod list;
mod members;
mod quota;
mod tasks;
pub use tasks::{Begun, Staleness};
mod trash;
mod uploads;

use super::error::ImageError;
use super::query::{Cmp, Column, ListQuery, MemberStatusFilter, SortKey, VisibilityFilter};
use crate::domain::ids::{ImageId, ProjectId};
use crate::domain::image::{Image, ImageStatus, Member, Visibility};
use crate::domain::policy::Membership;
pub(crate) use crate::domain::reason::Reason;
use crate::server::db::{conflict_on_unique, BeginWrite, Db, Dialect};
use sqlx::QueryBuilder;
use std::collections::BTreeMap;

/// The tables whose rows belong to one image, which go when it is deleted for good.
pub(super) const CHILD_TABLES: [&str; 5] = [
    "image_tags",
    "image_properties",
    "image_members",
    "image_locations",
    "image_upload_leases",
];

pub(super) const COLS: &str = "i.id, i.name, i.status, i.visibility, i.protected, i.os_hidden, i.owner, i.disk_format, \
    i.container_format, i.size, i.virtual_size, i.checksum, i.os_hash_algo, i.os_hash_value, i.min_disk, i.min_ram, \
    i.created_at, i.updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
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
    pub(super) fn into_image(self) -> Option<Image> {
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
            stores: vec![],
        })
    }
}

/// The columns an image without data has cleared (Glance: entering `queued` clears the size).
pub(super) const NO_DATA: &str =
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

/// Image queries over one database.
#[derive(Debug, Clone)]
pub struct ImageRepo {
    db: Db,
}

impl ImageRepo {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Whether an image with this id ever existed (deleted ones too: ids are never reused).
    pub async fn id_taken(&self, id: &ImageId) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM images WHERE id = $1")
                .bind(id.as_str())
                .fetch_one(pool)
                .await?;
            Ok(n.0 > 0)
        })
    }

    /// Stores a new image with its tags and properties.
    pub async fn insert(&self, img: &Image) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO images (id, name, status, visibility, protected, os_hidden, owner, disk_format, container_format,
                size, virtual_size, checksum, os_hash_algo, os_hash_value, min_disk, min_ram, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
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
                    ImageError::Conflict(Reason::ImageExists { id: img.id.to_string() })
                })
            })?;
            Self::write_children(&mut tx, img).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Replaces an image's tags and properties: two deletes and at most two multi-row inserts.
    async fn write_children<D: Dialect>(
        tx: &mut sqlx::Transaction<'_, D>,
        img: &Image,
    ) -> Result<(), ImageError> {
        let id = img.id.as_str();
        for table in ["image_tags", "image_properties"] {
            let mut b = QueryBuilder::new(format!("DELETE FROM {table} WHERE image_id = "));
            D::text(&mut b, id.to_string());
            D::execute(&mut **tx, b).await?;
        }
        if !img.tags.is_empty() {
            let mut b = QueryBuilder::new("INSERT INTO image_tags (image_id, tag) VALUES ");
            for (i, t) in img.tags.iter().enumerate() {
                b.push(if i == 0 { "(" } else { ", (" });
                D::text(&mut b, id.to_string());
                b.push(", ");
                D::text(&mut b, t.clone());
                b.push(")");
            }
            b.push(" ON CONFLICT DO NOTHING");
            D::execute(&mut **tx, b).await?;
        }
        if !img.properties.is_empty() {
            let mut b =
                QueryBuilder::new("INSERT INTO image_properties (image_id, name, value) VALUES ");
            for (i, (k, v)) in img.properties.iter().enumerate() {
                b.push(if i == 0 { "(" } else { ", (" });
                D::text(&mut b, id.to_string());
                b.push(", ");
                D::text(&mut b, k.clone());
                b.push(", ");
                D::text(&mut b, v.clone());
                b.push(")");
            }
            D::execute(&mut **tx, b).await?;
        }
        Ok(())
    }

    /// Saves the caller-settable fields, tags and properties of an image that is not deleted.
    pub async fn save(&self, img: &Image) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let r = sqlx::query(
                "UPDATE images SET name = $1, visibility = $2, protected = $3, os_hidden = $4, owner = $5, disk_format = $6,
                container_format = $7, min_disk = $8, min_ram = $9, updated_at = $10
             WHERE id = $11 AND deleted = FALSE",
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
                return Err(ImageError::NotFound(Reason::ImageNotFound {
                    id: img.id.to_string(),
                }));
            }
            Self::write_children(&mut tx, img).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// One image that is not deleted, with tags and properties.
    pub async fn get(&self, id: &ImageId) -> Result<Option<Image>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<Row> = sqlx::query_as(&format!(
                "SELECT {COLS} FROM images i WHERE i.id = $1 AND i.deleted = FALSE"
            ))
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?;
            let Some(img) = row.and_then(Row::into_image) else {
                return Ok(None);
            };
            let mut v = vec![img];
            self.load_children(&mut v).await?;
            Ok(v.pop())
        })
    }

    pub(super) async fn load_children(&self, images: &mut [Image]) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            if images.is_empty() {
                return Ok(());
            }
            // Tags, properties and stores in one round trip: kind 't' (name = the tag), 'p', or
            // 's' (name = a store holding the data).
            let mut q: QueryBuilder<_> = QueryBuilder::new(
                "SELECT image_id, 't' AS kind, tag AS name, '' AS value FROM image_tags WHERE image_id IN (",
            );
            let mut sep = q.separated(", ");
            for i in images.iter() {
                sep.push_bind(i.id.as_str());
            }
            q.push(
                ") UNION ALL SELECT image_id, 'p', name, value FROM image_properties WHERE image_id IN (",
            );
            let mut sep = q.separated(", ");
            for i in images.iter() {
                sep.push_bind(i.id.as_str());
            }
            q.push(
                ") UNION ALL SELECT image_id, 's', store, '' FROM image_locations WHERE status = 'active' AND image_id IN (",
            );
            let mut sep = q.separated(", ");
            for i in images.iter() {
                sep.push_bind(i.id.as_str());
            }
            q.push(")");
            let rows: Vec<(String, String, String, String)> =
                q.build_query_as().fetch_all(pool).await?;
            let at: std::collections::HashMap<String, usize> = images
                .iter()
                .enumerate()
                .map(|(n, i)| (i.id.as_str().to_string(), n))
                .collect();
            for img in images.iter_mut() {
                img.tags.clear();
                img.properties.clear();
                img.stores.clear();
            }
            for (image_id, kind, name, value) in rows {
                let Some(img) = at.get(&image_id).map(|&n| &mut images[n]) else {
                    continue;
                };
                match kind.as_str() {
                    "t" => img.tags.push(name),
                    "s" => img.stores.push(name),
                    _ => {
                        img.properties.insert(name, value);
                    }
                }
            }
            // Tags in byte order, as `ORDER BY tag` gave on both backends ("C" / BINARY).
            for img in images.iter_mut() {
                img.tags.sort_unstable();
                img.stores.sort_unstable();
            }
            Ok(())
        })
    }

    /// Moves an image from one status to another if it is still in `from`; returns whether it did.
    pub async fn set_status(
        &self,
        id: &ImageId,
        from: ImageStatus,
        to: ImageStatus,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query("UPDATE images SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 AND deleted = FALSE")
                .bind(to.as_str())
                .bind(now)
                .bind(id.as_str())
                .bind(from.as_str())
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }
}
