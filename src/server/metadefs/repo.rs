//! All metadata-definition SQL: namespaces, their associations and items (properties, objects
//! and tags share one table), and resource types. No rules here: the service checks first.

use super::error::MetadefError;
use super::{AssociationRow, Item, Kind, NamespaceRow};
use crate::domain::metadefs::{
    Association, Namespace, NamespaceFile, NamespaceOwner, NamespaceVisibility,
    SEEDED_RESOURCE_TYPES,
};
use crate::domain::reason::Reason;
use crate::server::db::conflict_on_unique;
use crate::server::db::{BeginWrite, Db, Dialect};
use serde_json::{Map, Value};
use sqlx::{QueryBuilder, Transaction};
use std::collections::BTreeMap;

const NAMESPACE_COLS: &str =
    "namespace, display_name, description, visibility, protected, owner, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct NamespaceRecord {
    namespace: String,
    display_name: Option<String>,
    description: Option<String>,
    visibility: String,
    protected: bool,
    owner: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<NamespaceRecord> for NamespaceRow {
    fn from(r: NamespaceRecord) -> Self {
        NamespaceRow {
            ns: Namespace {
                namespace: r.namespace,
                display_name: r.display_name,
                description: r.description,
                // Only the two spellings are ever stored; anything else stays private.
                visibility: NamespaceVisibility::try_from(r.visibility).unwrap_or_default(),
                protected: r.protected,
                owner: r.owner.map(NamespaceOwner::from_stored),
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct AssociationRecord {
    namespace: String,
    resource_type: String,
    prefix: Option<String>,
    properties_target: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<AssociationRecord> for AssociationRow {
    fn from(r: AssociationRecord) -> Self {
        AssociationRow {
            assoc: Association {
                name: r.resource_type,
                prefix: r.prefix,
                properties_target: r.properties_target,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const ASSOCIATION_COLS: &str =
    "namespace, resource_type, prefix, properties_target, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ItemRecord {
    name: String,
    body: String,
    created_at: String,
    updated_at: String,
}

impl From<ItemRecord> for Item {
    fn from(r: ItemRecord) -> Self {
        Item {
            name: r.name,
            body: serde_json::from_str(&r.body).unwrap_or(Value::Null),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn taken(kind: Kind, name: &str, ns: &str) -> Reason {
    Reason::ItemTaken {
        kind: kind.noun().to_string(),
        name: name.to_string(),
        namespace: ns.to_string(),
    }
}

/// Metadata-definition queries over one database.
#[derive(Debug, Clone)]
pub struct MetadefRepo {
    db: Db,
}

impl MetadefRepo {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// One namespace by name.
    pub async fn namespace(&self, name: &str) -> Result<Option<NamespaceRow>, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r: Option<NamespaceRecord> = sqlx::query_as(&format!(
                "SELECT {NAMESPACE_COLS} FROM metadef_namespaces WHERE namespace = $1"
            ))
            .bind(name)
            .fetch_optional(pool)
            .await?;
            Ok(r.map(NamespaceRow::from))
        })
    }

    /// Every namespace in the order asked (`key` one of the sortable columns), in one query.
    pub async fn namespaces(
        &self,
        key: &'static str,
        descending: bool,
    ) -> Result<Vec<NamespaceRow>, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let dir = if descending { "DESC" } else { "ASC" };
            let rows: Vec<NamespaceRecord> = sqlx::query_as(&format!(
                "SELECT {NAMESPACE_COLS} FROM metadef_namespaces ORDER BY {key} {dir}, namespace {dir}"
            ))
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(NamespaceRow::from).collect())
        })
    }

    /// Every namespace's associations, by namespace, in one query.
    pub async fn all_associations(
        &self,
    ) -> Result<BTreeMap<String, Vec<AssociationRow>>, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<AssociationRecord> = sqlx::query_as(&format!(
                "SELECT {ASSOCIATION_COLS} FROM metadef_associations ORDER BY namespace, resource_type"
            ))
            .fetch_all(pool)
            .await?;
            let mut out: BTreeMap<String, Vec<AssociationRow>> = BTreeMap::new();
            for r in rows {
                out.entry(r.namespace.clone()).or_default().push(r.into());
            }
            Ok(out)
        })
    }

    /// One namespace's associations.
    pub async fn associations(&self, ns: &str) -> Result<Vec<AssociationRow>, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<AssociationRecord> = sqlx::query_as(&format!(
                "SELECT {ASSOCIATION_COLS} FROM metadef_associations WHERE namespace = $1
                 ORDER BY resource_type"
            ))
            .bind(ns)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(AssociationRow::from).collect())
        })
    }

    /// A namespace's properties, objects or tags, by name.
    pub async fn items(&self, ns: &str, kind: Kind) -> Result<Vec<Item>, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<ItemRecord> = sqlx::query_as(
                "SELECT name, body, created_at, updated_at FROM metadef_items
                 WHERE namespace = $1 AND kind = $2 ORDER BY name",
            )
            .bind(ns)
            .bind(kind.as_str())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(Item::from).collect())
        })
    }

    /// Stores a namespace document (already checked) in one transaction; with `replace`, an
    /// existing namespace of that name and all it holds goes first, else its name is a conflict.
    pub async fn store(
        &self,
        doc: &NamespaceFile,
        replace: bool,
        now: &str,
    ) -> Result<(), MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let name = &doc.namespace.namespace;
            let mut tx = pool.begin_write().await?;
            if replace {
                sqlx::query("DELETE FROM metadef_namespaces WHERE namespace = $1")
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
            }
            let ns = &doc.namespace;
            let done = sqlx::query(
                "INSERT INTO metadef_namespaces (namespace, display_name, description, visibility, protected, owner, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (namespace) DO NOTHING",
            )
            .bind(&ns.namespace)
            .bind(&ns.display_name)
            .bind(&ns.description)
            .bind(ns.visibility.as_str())
            .bind(ns.protected)
            .bind(ns.owner.as_ref().map(NamespaceOwner::as_str))
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(MetadefError::Conflict(Reason::NamespaceExists {
                    namespace: name.to_string(),
                }));
            }
            insert_associations(&mut tx, name, &doc.resource_type_associations, now).await?;
            let items: Vec<(Kind, String, Value)> = doc
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
                )
                .collect();
            insert_items(&mut tx, name, &items, now).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Replaces a namespace's own fields (a rename keeps its contents).
    pub async fn update_namespace(
        &self,
        name: &str,
        new: &Namespace,
        now: &str,
    ) -> Result<(), MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "UPDATE metadef_namespaces SET namespace = $1, display_name = $2, description = $3, visibility = $4,
                     protected = $5, owner = COALESCE($6, owner), updated_at = $7 WHERE namespace = $8",
            )
            .bind(&new.namespace)
            .bind(&new.display_name)
            .bind(&new.description)
            .bind(new.visibility.as_str())
            .bind(new.protected)
            .bind(new.owner.as_ref().map(NamespaceOwner::as_str))
            .bind(now)
            .bind(name)
            .execute(pool)
            .await
            .map_err(|e| {
                conflict_on_unique(e, || MetadefError::Conflict(Reason::NamespaceExists { namespace: new.namespace.clone() }))
            })?;
            Ok(())
        })
    }

    /// Deletes one namespace and all it holds.
    pub async fn delete_namespace(&self, name: &str) -> Result<(), MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("DELETE FROM metadef_namespaces WHERE namespace = $1")
                .bind(name)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Deletes every namespace; returns how many.
    pub async fn delete_all(&self) -> Result<u64, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            Ok(sqlx::query("DELETE FROM metadef_namespaces")
                .execute(pool)
                .await?
                .rows_affected())
        })
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
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            insert_items(&mut tx, ns, &[(kind, name.to_string(), body.clone())], now).await?;
            tx.commit().await?;
            Ok(())
        })
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
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "UPDATE metadef_items SET name = $1, body = $2, updated_at = $3
                 WHERE namespace = $4 AND kind = $5 AND name = $6",
            )
            .bind(new_name)
            .bind(body.to_string())
            .bind(now)
            .bind(ns)
            .bind(kind.as_str())
            .bind(name)
            .execute(pool)
            .await
            .map_err(|e| conflict_on_unique(e, || MetadefError::Conflict(taken(kind, new_name, ns))))?;
            Ok(())
        })
    }

    /// Deletes one item, or every item of a kind when `name` is `None`.
    pub async fn delete_items(
        &self,
        ns: &str,
        kind: Kind,
        name: Option<&str>,
    ) -> Result<(), MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "DELETE FROM metadef_items WHERE namespace = $1 AND kind = $2 AND ($3 IS NULL OR name = $4)",
            )
            .bind(ns)
            .bind(kind.as_str())
            .bind(name)
            .bind(name)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Adds `tags` (already checked), first removing every tag unless `append`.
    pub async fn set_tags(
        &self,
        ns: &str,
        tags: &[String],
        append: bool,
        now: &str,
    ) -> Result<(), MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            if !append {
                sqlx::query("DELETE FROM metadef_items WHERE namespace = $1 AND kind = 'tag'")
                    .bind(ns)
                    .execute(&mut *tx)
                    .await?;
            }
            let items: Vec<(Kind, String, Value)> = tags
                .iter()
                .map(|t| (Kind::Tag, t.clone(), Value::Object(Map::new())))
                .collect();
            insert_items(&mut tx, ns, &items, now).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every resource type: (name, created_at, updated_at).
    pub async fn resource_types(&self) -> Result<Vec<(String, String, String)>, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            Ok(sqlx::query_as(
                "SELECT name, created_at, updated_at FROM metadef_resource_types ORDER BY name",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// Associates a namespace with a resource type (created if new).
    pub async fn associate(
        &self,
        ns: &str,
        a: &Association,
        now: &str,
    ) -> Result<(), MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            insert_associations(&mut tx, ns, std::slice::from_ref(a), now).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes an association; false if there was none.
    pub async fn dissociate(&self, ns: &str, rt: &str) -> Result<bool, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let done = sqlx::query(
                "DELETE FROM metadef_associations WHERE namespace = $1 AND resource_type = $2",
            )
            .bind(ns)
            .bind(rt)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Seeds Glance's resource types; returns whether any resource type existed before (the
    /// database was seeded already).
    pub async fn seed_resource_types(&self, now: &str) -> Result<bool, MetadefError> {
        crate::server::db::db_run!(&self.db, pool => {
            let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metadef_resource_types")
                .fetch_one(pool)
                .await?;
            let mut tx = pool.begin_write().await?;
            insert_resource_types(&mut tx, &SEEDED_RESOURCE_TYPES, true, now).await?;
            tx.commit().await?;
            Ok(known > 0)
        })
    }
}

/// Adds items to a namespace in one statement; a name taken already (or twice in `items`) is
/// a conflict naming it.
async fn insert_items<D: Dialect>(
    tx: &mut Transaction<'_, D>,
    ns: &str,
    items: &[(Kind, String, Value)],
    now: &str,
) -> Result<(), MetadefError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut b = QueryBuilder::new(
        "INSERT INTO metadef_items (namespace, kind, name, body, created_at, updated_at) VALUES ",
    );
    for (i, (kind, name, body)) in items.iter().enumerate() {
        b.push(if i == 0 { "(" } else { ", (" });
        for (j, v) in [ns, kind.as_str(), name, &body.to_string(), now, now]
            .into_iter()
            .enumerate()
        {
            if j > 0 {
                b.push(", ");
            }
            D::text(&mut b, v.to_string());
        }
        b.push(")");
    }
    D::execute(&mut **tx, b).await.map_err(|e| {
        conflict_on_unique(e, || {
            // The one item, the first given twice, or else the first (one of them was taken).
            let (kind, name, _) = items
                .iter()
                .enumerate()
                .find(|(i, (k, n, _))| items[..*i].iter().any(|(k2, n2, _)| k2 == k && n2 == n))
                .map(|(_, it)| it)
                .unwrap_or(&items[0]);
            MetadefError::Conflict(taken(*kind, name, ns))
        })
    })?;
    Ok(())
}

/// Associates a namespace with resource types in two statements (unknown resource types are
/// created first); an association that exists already is a conflict.
async fn insert_associations<D: Dialect>(
    tx: &mut Transaction<'_, D>,
    ns: &str,
    assocs: &[Association],
    now: &str,
) -> Result<(), MetadefError> {
    if assocs.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = assocs.iter().map(|a| a.name.as_str()).collect();
    insert_resource_types::<D>(tx, &names, false, now).await?;
    let mut b = QueryBuilder::new(
        "INSERT INTO metadef_associations (namespace, resource_type, prefix, properties_target, created_at, updated_at) VALUES ",
    );
    for (i, a) in assocs.iter().enumerate() {
        b.push(if i == 0 { "(" } else { ", (" });
        D::text(&mut b, ns.to_string());
        b.push(", ");
        D::text(&mut b, a.name.clone());
        for v in [&a.prefix, &a.properties_target] {
            b.push(", ");
            D::opt_text(&mut b, v.clone());
        }
        for _ in 0..2 {
            b.push(", ");
            D::text(&mut b, now.to_string());
        }
        b.push(")");
    }
    D::execute(&mut **tx, b).await.map_err(|e| {
        conflict_on_unique(e, || {
            MetadefError::Conflict(Reason::AlreadyAssociated {
                namespace: ns.to_string(),
                resource_type: assocs[0].name.clone(),
            })
        })
    })?;
    Ok(())
}

/// Creates the resource types that do not exist yet, in one statement.
async fn insert_resource_types<D: Dialect>(
    tx: &mut Transaction<'_, D>,
    names: &[&str],
    protected: bool,
    now: &str,
) -> Result<(), MetadefError> {
    let mut b = QueryBuilder::new(
        "INSERT INTO metadef_resource_types (name, protected, created_at, updated_at) VALUES ",
    );
    for (i, name) in names.iter().enumerate() {
        b.push(if i == 0 { "(" } else { ", (" });
        D::text(&mut b, name.to_string());
        b.push(", ");
        D::boolean(&mut b, protected);
        for _ in 0..2 {
            b.push(", ");
            D::text(&mut b, now.to_string());
        }
        b.push(")");
    }
    b.push(" ON CONFLICT (name) DO NOTHING");
    D::execute(&mut **tx, b).await?;
    Ok(())
}
