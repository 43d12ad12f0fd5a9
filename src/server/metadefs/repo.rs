//! All metadata-definition SQL: namespaces, their associations and items (properties, objects
//! and tags share one table), and resource types. No rules here: the service checks first.

use super::error::MetadefError;
use super::{AssociationRow, Item, Kind, NamespaceRow};
use crate::domain::metadefs::{Association, Namespace, NamespaceFile, SEEDED_RESOURCE_TYPES};
use crate::server::db::conflict_on_unique;
use serde_json::{Map, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use std::collections::BTreeMap;

const NAMESPACE_COLS: &str =
    "namespace, display_name, description, visibility, protected, owner, created_at, updated_at";

fn namespace_row(r: SqliteRow) -> NamespaceRow {
    NamespaceRow {
        ns: Namespace {
            namespace: r.get(0),
            display_name: r.get(1),
            description: r.get(2),
            visibility: r.get(3),
            protected: r.get::<i64, _>(4) != 0,
            owner: r.get(5),
        },
        created_at: r.get(6),
        updated_at: r.get(7),
    }
}

fn association_row(r: &SqliteRow) -> AssociationRow {
    AssociationRow {
        assoc: Association {
            name: r.get("resource_type"),
            prefix: r.get("prefix"),
            properties_target: r.get("properties_target"),
        },
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

fn taken(kind: Kind, name: &str, ns: &str) -> String {
    format!(
        "A metadata definition {} with name={name} already exists in namespace={ns}.",
        kind.noun()
    )
}

/// Metadata-definition queries over one pool.
#[derive(Debug, Clone)]
pub struct MetadefRepo {
    pool: SqlitePool,
}

impl MetadefRepo {
    /// A repository over `pool`.
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// One namespace by name.
    pub async fn namespace(&self, name: &str) -> Result<Option<NamespaceRow>, MetadefError> {
        let r = sqlx::query(&format!(
            "SELECT {NAMESPACE_COLS} FROM metadef_namespaces WHERE namespace = ?"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(namespace_row))
    }

    /// Every namespace in the order asked (`key` one of the sortable columns), in one query.
    pub async fn namespaces(
        &self,
        key: &'static str,
        descending: bool,
    ) -> Result<Vec<NamespaceRow>, MetadefError> {
        let dir = if descending { "DESC" } else { "ASC" };
        let rows = sqlx::query(&format!(
            "SELECT {NAMESPACE_COLS} FROM metadef_namespaces ORDER BY {key} {dir}, namespace {dir}"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(namespace_row).collect())
    }

    /// Every namespace's associations, by namespace, in one query.
    pub async fn all_associations(
        &self,
    ) -> Result<BTreeMap<String, Vec<AssociationRow>>, MetadefError> {
        let rows = sqlx::query(
            "SELECT namespace, resource_type, prefix, properties_target, created_at, updated_at
             FROM metadef_associations ORDER BY namespace, resource_type",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: BTreeMap<String, Vec<AssociationRow>> = BTreeMap::new();
        for r in &rows {
            out.entry(r.get("namespace"))
                .or_default()
                .push(association_row(r));
        }
        Ok(out)
    }

    /// One namespace's associations.
    pub async fn associations(&self, ns: &str) -> Result<Vec<AssociationRow>, MetadefError> {
        let rows = sqlx::query(
            "SELECT resource_type, prefix, properties_target, created_at, updated_at
             FROM metadef_associations WHERE namespace = ? ORDER BY resource_type",
        )
        .bind(ns)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(association_row).collect())
    }

    /// A namespace's properties, objects or tags, by name.
    pub async fn items(&self, ns: &str, kind: Kind) -> Result<Vec<Item>, MetadefError> {
        let rows = sqlx::query(
            "SELECT name, body, created_at, updated_at FROM metadef_items
             WHERE namespace = ? AND kind = ? ORDER BY name",
        )
        .bind(ns)
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Item {
                name: r.get(0),
                body: serde_json::from_str(r.get::<&str, _>(1)).unwrap_or(Value::Null),
                created_at: r.get(2),
                updated_at: r.get(3),
            })
            .collect())
    }

    /// Stores a namespace document (already checked) in one transaction; with `replace`, an
    /// existing namespace of that name and all it holds goes first, else its name is a conflict.
    pub async fn store(
        &self,
        doc: &NamespaceFile,
        replace: bool,
        now: &str,
    ) -> Result<(), MetadefError> {
        let name = &doc.namespace.namespace;
        let mut tx = self.pool.begin().await?;
        if replace {
            sqlx::query("DELETE FROM metadef_namespaces WHERE namespace = ?")
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        let ns = &doc.namespace;
        let done = sqlx::query(
            "INSERT INTO metadef_namespaces (namespace, display_name, description, visibility, protected, owner, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (namespace) DO NOTHING",
        )
        .bind(&ns.namespace)
        .bind(&ns.display_name)
        .bind(&ns.description)
        .bind(&ns.visibility)
        .bind(ns.protected as i64)
        .bind(&ns.owner)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(MetadefError::Conflict(format!(
                "Metadata definition namespace={name} already exists."
            )));
        }
        for a in &doc.resource_type_associations {
            insert_association(&mut tx, name, a, now).await?;
        }
        let items = doc
            .properties
            .iter()
            .map(|(k, v)| (Kind::Property, k.clone(), v.clone()))
            .chain(
                doc.objects
                    .iter()
                    .map(|o| (Kind::Object, o.name.clone(), o.body())),
            )
            .chain(
                doc.tags
                    .iter()
                    .map(|t| (Kind::Tag, t.name.clone(), Value::Object(Map::new()))),
            );
        for (kind, item, body) in items {
            insert_item(&mut tx, name, kind, &item, &body, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a namespace's own fields (a rename keeps its contents).
    pub async fn update_namespace(
        &self,
        name: &str,
        new: &Namespace,
        now: &str,
    ) -> Result<(), MetadefError> {
        sqlx::query(
            "UPDATE metadef_namespaces SET namespace = ?, display_name = ?, description = ?, visibility = ?,
                 protected = ?, owner = COALESCE(?, owner), updated_at = ? WHERE namespace = ?",
        )
        .bind(&new.namespace)
        .bind(&new.display_name)
        .bind(&new.description)
        .bind(&new.visibility)
        .bind(new.protected as i64)
        .bind(&new.owner)
        .bind(now)
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || MetadefError::Conflict(format!("Metadata definition namespace={} already exists.", new.namespace)))
        })?;
        Ok(())
    }

    /// Deletes one namespace and all it holds.
    pub async fn delete_namespace(&self, name: &str) -> Result<(), MetadefError> {
        sqlx::query("DELETE FROM metadef_namespaces WHERE namespace = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes every namespace; returns how many.
    pub async fn delete_all(&self) -> Result<u64, MetadefError> {
        Ok(sqlx::query("DELETE FROM metadef_namespaces")
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Adds an item (already checked); a taken name is a conflict.
    pub async fn create_item(
        &self,
        ns: &str,
        kind: Kind,
        name: &str,
        body: &Value,
        now: &str,
    ) -> Result<(), MetadefError> {
        let mut tx = self.pool.begin().await?;
        insert_item(&mut tx, ns, kind, name, body, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces an item, renaming it to `new_name`.
    pub async fn replace_item(
        &self,
        ns: &str,
        kind: Kind,
        (name, new_name): (&str, &str),
        body: &Value,
        now: &str,
    ) -> Result<(), MetadefError> {
        sqlx::query(
            "UPDATE metadef_items SET name = ?, body = ?, updated_at = ?
             WHERE namespace = ? AND kind = ? AND name = ?",
        )
        .bind(new_name)
        .bind(body.to_string())
        .bind(now)
        .bind(ns)
        .bind(kind.as_str())
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(|e| conflict_on_unique(e, || MetadefError::Conflict(taken(kind, new_name, ns))))?;
        Ok(())
    }

    /// Deletes one item, or every item of a kind when `name` is `None`.
    pub async fn delete_items(
        &self,
        ns: &str,
        kind: Kind,
        name: Option<&str>,
    ) -> Result<(), MetadefError> {
        sqlx::query(
            "DELETE FROM metadef_items WHERE namespace = ? AND kind = ? AND (? IS NULL OR name = ?)",
        )
        .bind(ns)
        .bind(kind.as_str())
        .bind(name)
        .bind(name)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Adds `tags` (already checked), first removing every tag unless `append`.
    pub async fn set_tags(
        &self,
        ns: &str,
        tags: &[String],
        append: bool,
        now: &str,
    ) -> Result<(), MetadefError> {
        let mut tx = self.pool.begin().await?;
        if !append {
            sqlx::query("DELETE FROM metadef_items WHERE namespace = ? AND kind = 'tag'")
                .bind(ns)
                .execute(&mut *tx)
                .await?;
        }
        for t in tags {
            insert_item(&mut tx, ns, Kind::Tag, t, &Value::Object(Map::new()), now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every resource type: (name, created_at, updated_at).
    pub async fn resource_types(&self) -> Result<Vec<(String, String, String)>, MetadefError> {
        let rows = sqlx::query(
            "SELECT name, created_at, updated_at FROM metadef_resource_types ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    /// Associates a namespace with a resource type (created if new).
    pub async fn associate(
        &self,
        ns: &str,
        a: &Association,
        now: &str,
    ) -> Result<(), MetadefError> {
        let mut tx = self.pool.begin().await?;
        insert_association(&mut tx, ns, a, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an association; false if there was none.
    pub async fn dissociate(&self, ns: &str, rt: &str) -> Result<bool, MetadefError> {
        let done = sqlx::query(
            "DELETE FROM metadef_associations WHERE namespace = ? AND resource_type = ?",
        )
        .bind(ns)
        .bind(rt)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Seeds Glance's resource types; returns whether any resource type existed before (the
    /// database was seeded already).
    pub async fn seed_resource_types(&self, now: &str) -> Result<bool, MetadefError> {
        let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metadef_resource_types")
            .fetch_one(&self.pool)
            .await?;
        for name in SEEDED_RESOURCE_TYPES {
            sqlx::query(
                "INSERT INTO metadef_resource_types (name, protected, created_at, updated_at)
                 VALUES (?, 1, ?, ?) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        Ok(known > 0)
    }
}

async fn insert_item(
    tx: &mut Transaction<'_, Sqlite>,
    ns: &str,
    kind: Kind,
    name: &str,
    body: &Value,
    now: &str,
) -> Result<(), MetadefError> {
    sqlx::query(
        "INSERT INTO metadef_items (namespace, kind, name, body, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(ns)
    .bind(kind.as_str())
    .bind(name)
    .bind(body.to_string())
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| conflict_on_unique(e, || MetadefError::Conflict(taken(kind, name, ns))))?;
    Ok(())
}

async fn insert_association(
    tx: &mut Transaction<'_, Sqlite>,
    ns: &str,
    a: &Association,
    now: &str,
) -> Result<(), MetadefError> {
    sqlx::query(
        "INSERT INTO metadef_resource_types (name, protected, created_at, updated_at)
         VALUES (?, 0, ?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(&a.name)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO metadef_associations (namespace, resource_type, prefix, properties_target, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(ns)
    .bind(&a.name)
    .bind(&a.prefix)
    .bind(&a.properties_target)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        conflict_on_unique(e, || MetadefError::Conflict(format!("Namespace {ns} is already associated with resource type {}.", a.name)))
    })?;
    Ok(())
}
