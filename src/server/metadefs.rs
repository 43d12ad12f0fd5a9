//! `MetadefService`: every metadata-definition use case (namespaces, resource-type associations,
//! properties, objects, tags) with its SQL. Rules come from `domain::metadefs`; the Glance
//! handlers, the CLI catalog commands and the dashboard call this service only.

use crate::domain::metadefs::{
    can_delete_in, can_see_namespace, can_write_metadefs, check_name, check_property, Association,
    Namespace, NamespaceFile, Object, Tag, MAX_NAME, SEEDED_RESOURCE_TYPES,
};
use crate::domain::policy::{Actor, Decision};
use crate::server::clock;
use crate::server::images::ImageError;
use serde_json::{Map, Value};
use sqlx::{Row, SqlitePool};

/// What a namespace holds besides its fields: properties, objects and tags share one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A property definition (JSON schema fragment).
    Property,
    /// An object (a named group of properties).
    Object,
    /// A tag.
    Tag,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Property => "property",
            Kind::Object => "object",
            Kind::Tag => "tag",
        }
    }
    /// Glance's word for it in messages.
    pub fn noun(self) -> &'static str {
        self.as_str()
    }
}

/// An item of a namespace with its timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Name, unique per namespace and kind.
    pub name: String,
    /// The definition (property schema, object, or `{}` for a tag).
    pub body: Value,
    /// Created, stored format.
    pub created_at: String,
    /// Updated, stored format.
    pub updated_at: String,
}

/// A namespace row with its timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceRow {
    /// The namespace's fields.
    pub ns: Namespace,
    /// Created, stored format.
    pub created_at: String,
    /// Updated, stored format.
    pub updated_at: String,
}

/// An association row with its timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct AssociationRow {
    /// The association.
    pub assoc: Association,
    /// Created, stored format.
    pub created_at: String,
    /// Updated, stored format.
    pub updated_at: String,
}

/// How namespaces are listed.
#[derive(Debug, Clone, Default)]
pub struct NamespaceQuery {
    /// `public` or `private`.
    pub visibility: Option<String>,
    /// Only namespaces associated with one of these resource types.
    pub resource_types: Vec<String>,
    /// Page size.
    pub limit: usize,
    /// Name of the last namespace of the previous page.
    pub marker: Option<String>,
    /// Sort column: `created_at`, `updated_at` or `namespace` (by name when unset).
    pub sort_key: Option<String>,
    /// Descending order.
    pub descending: bool,
}

/// The namespace columns a list may be sorted by.
pub const NAMESPACE_SORT_KEYS: [&str; 3] = ["created_at", "updated_at", "namespace"];

fn allow(d: Decision, what: &str) -> Result<(), ImageError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden(m) => Err(ImageError::Forbidden(m)),
        Decision::Hidden => Err(ImageError::NotFound(what.to_string())),
    }
}

fn no_namespace(name: &str) -> ImageError {
    ImageError::NotFound(format!(
        "Metadata definition namespace={name} was not found."
    ))
}

fn bad(e: crate::domain::metadefs::Invalid) -> ImageError {
    ImageError::Invalid(e.0)
}

/// The metadata-definition service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MetadefService {
    pool: SqlitePool,
}

impl MetadefService {
    /// A service over `pool`.
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    async fn row(&self, name: &str) -> Result<Option<NamespaceRow>, ImageError> {
        let r = sqlx::query(
            "SELECT namespace, display_name, description, visibility, protected, owner, created_at, updated_at
             FROM metadef_namespaces WHERE namespace = ?",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| NamespaceRow {
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
        }))
    }

    /// A namespace the actor may see (404 otherwise, as Glance hides private ones).
    pub async fn namespace(&self, actor: &Actor, name: &str) -> Result<NamespaceRow, ImageError> {
        let row = self.row(name).await?.ok_or_else(|| no_namespace(name))?;
        allow(
            can_see_namespace(actor, &row.ns),
            &no_namespace(name).to_string(),
        )?;
        Ok(row)
    }

    /// A namespace the actor may change.
    async fn writable(&self, actor: &Actor, name: &str) -> Result<NamespaceRow, ImageError> {
        let row = self.namespace(actor, name).await?;
        allow(can_write_metadefs(actor), name)?;
        Ok(row)
    }

    /// Namespaces the actor may see, by name, keyset-paged.
    pub async fn list(
        &self,
        actor: &Actor,
        q: &NamespaceQuery,
    ) -> Result<Vec<NamespaceRow>, ImageError> {
        let mut out = Vec::new();
        let key = q.sort_key.as_deref().unwrap_or("namespace");
        if !NAMESPACE_SORT_KEYS.contains(&key) {
            return Err(ImageError::Invalid(format!(
                "Invalid sort key: {key}. It must be one of the following: {}.",
                NAMESPACE_SORT_KEYS.join(", ")
            )));
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        // Catalogs hold tens to hundreds of namespaces: the names in order, then the page after
        // the marker.
        let names = sqlx::query_scalar::<_, String>(&format!(
            "SELECT namespace FROM metadef_namespaces ORDER BY {key} {dir}, namespace {dir}"
        ))
        .fetch_all(&self.pool)
        .await?;
        let skip = match &q.marker {
            Some(m) => {
                names.iter().position(|n| n == m).ok_or_else(|| {
                    ImageError::NotFound(format!("Namespace marker {m} could not be found."))
                })? + 1
            }
            None => 0,
        };
        for name in names.into_iter().skip(skip) {
            if out.len() >= q.limit {
                break;
            }
            let Some(row) = self.row(&name).await? else {
                continue;
            };
            if !can_see_namespace(actor, &row.ns).is_allowed() {
                continue;
            }
            if q.visibility
                .as_ref()
                .is_some_and(|v| *v != row.ns.visibility)
            {
                continue;
            }
            if !q.resource_types.is_empty() {
                let assoc = self.associations(&name).await?;
                if !assoc
                    .iter()
                    .any(|a| q.resource_types.contains(&a.assoc.name))
                {
                    continue;
                }
            }
            out.push(row);
        }
        Ok(out)
    }

    /// Creates a namespace with everything the document holds (Glance's inline creation).
    pub async fn create(
        &self,
        actor: &Actor,
        mut doc: NamespaceFile,
    ) -> Result<NamespaceRow, ImageError> {
        allow(can_write_metadefs(actor), "")?;
        if doc.namespace.owner.is_none() {
            doc.namespace.owner = Some(actor.project_id.to_string());
        }
        self.store(doc, false).await
    }

    /// Stores a namespace document; with `replace`, an existing namespace of that name and all it
    /// holds is replaced, else its name answers 409.
    pub async fn store(
        &self,
        doc: NamespaceFile,
        replace: bool,
    ) -> Result<NamespaceRow, ImageError> {
        doc.check().map_err(bad)?;
        let now = clock::stored(clock::now());
        let name = doc.namespace.namespace.clone();
        let mut tx = self.pool.begin().await?;
        if replace {
            sqlx::query("DELETE FROM metadef_namespaces WHERE namespace = ?")
                .bind(&name)
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
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ImageError::Conflict(format!(
                "Metadata definition namespace={name} already exists."
            )));
        }
        for a in &doc.resource_type_associations {
            insert_association(&mut tx, &name, a, &now).await?;
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
            insert_item(&mut tx, &name, kind, &item, &body, &now).await?;
        }
        tx.commit().await?;
        self.row(&name).await?.ok_or_else(|| no_namespace(&name))
    }

    /// `PUT /namespaces/{ns}`: replaces the namespace's own fields (a rename keeps its contents).
    pub async fn replace(
        &self,
        actor: &Actor,
        name: &str,
        new: Namespace,
    ) -> Result<NamespaceRow, ImageError> {
        self.writable(actor, name).await?;
        new.check().map_err(bad)?;
        if new.namespace != name && self.row(&new.namespace).await?.is_some() {
            return Err(ImageError::Conflict(format!(
                "Metadata definition namespace={} already exists.",
                new.namespace
            )));
        }
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
        .bind(clock::stored(clock::now()))
        .bind(name)
        .execute(&self.pool)
        .await?;
        self.row(&new.namespace)
            .await?
            .ok_or_else(|| no_namespace(&new.namespace))
    }

    /// Deletes a namespace and all it holds; protected ones answer 403.
    pub async fn delete(&self, actor: &Actor, name: &str) -> Result<(), ImageError> {
        let row = self.writable(actor, name).await?;
        allow(can_delete_in(&row.ns, "it"), name)?;
        sqlx::query("DELETE FROM metadef_namespaces WHERE namespace = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every namespace, whole (for export), ignoring visibility: operator use only.
    pub async fn export_all(&self) -> Result<Vec<NamespaceFile>, ImageError> {
        let names: Vec<String> =
            sqlx::query_scalar("SELECT namespace FROM metadef_namespaces ORDER BY namespace")
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::new();
        for n in names {
            if let Some(row) = self.row(&n).await? {
                out.push(self.document(row).await?);
            }
        }
        Ok(out)
    }

    /// Removes every namespace (operator use: `glimpse metadefs unload`). Returns how many.
    pub async fn unload_all(&self) -> Result<u64, ImageError> {
        Ok(sqlx::query("DELETE FROM metadef_namespaces")
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The namespace with everything it holds.
    pub async fn document(&self, row: NamespaceRow) -> Result<NamespaceFile, ImageError> {
        let name = row.ns.namespace.clone();
        let items = |kind| self.items_unchecked(&name, kind);
        let properties = items(Kind::Property)
            .await?
            .into_iter()
            .map(|i| (i.name, i.body))
            .collect();
        let objects = items(Kind::Object)
            .await?
            .into_iter()
            .map(|i| object_from(&i))
            .collect();
        let tags = items(Kind::Tag)
            .await?
            .into_iter()
            .map(|i| Tag { name: i.name })
            .collect();
        Ok(NamespaceFile {
            namespace: row.ns,
            resource_type_associations: self
                .associations(&name)
                .await?
                .into_iter()
                .map(|a| a.assoc)
                .collect(),
            properties,
            objects,
            tags,
        })
    }

    async fn items_unchecked(&self, ns: &str, kind: Kind) -> Result<Vec<Item>, ImageError> {
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

    /// A namespace's properties, objects or tags.
    pub async fn items(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
    ) -> Result<Vec<Item>, ImageError> {
        self.namespace(actor, ns).await?;
        self.items_unchecked(ns, kind).await
    }

    /// One item.
    pub async fn item(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
        name: &str,
    ) -> Result<Item, ImageError> {
        self.items(actor, ns, kind)
            .await?
            .into_iter()
            .find(|i| i.name == name)
            .ok_or_else(|| {
                ImageError::NotFound(format!(
                    "Metadata definition {} not found: {name} in namespace {ns}.",
                    kind.noun()
                ))
            })
    }

    /// Creates an item; a taken name answers 409.
    pub async fn create_item(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
        name: &str,
        body: Value,
    ) -> Result<Item, ImageError> {
        self.writable(actor, ns).await?;
        check_item(kind, name, &body)?;
        let mut tx = self.pool.begin().await?;
        insert_item(&mut tx, ns, kind, name, &body, &clock::stored(clock::now())).await?;
        tx.commit().await?;
        self.item(actor, ns, kind, name).await
    }

    /// Replaces an item (a new name renames it).
    pub async fn replace_item(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
        name: &str,
        new_name: &str,
        body: Value,
    ) -> Result<Item, ImageError> {
        self.writable(actor, ns).await?;
        self.item(actor, ns, kind, name).await?;
        check_item(kind, new_name, &body)?;
        let r = sqlx::query(
            "UPDATE metadef_items SET name = ?, body = ?, updated_at = ?
             WHERE namespace = ? AND kind = ? AND name = ?",
        )
        .bind(new_name)
        .bind(body.to_string())
        .bind(clock::stored(clock::now()))
        .bind(ns)
        .bind(kind.as_str())
        .bind(name)
        .execute(&self.pool)
        .await;
        match r {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(taken(kind, new_name, ns))
            }
            r => r.map(|_| ()).map_err(ImageError::from),
        }?;
        self.item(actor, ns, kind, new_name).await
    }

    /// Deletes one item, or all of a kind when `name` is `None`; protected namespaces answer 403.
    pub async fn delete_items(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
        name: Option<&str>,
    ) -> Result<(), ImageError> {
        let row = self.writable(actor, ns).await?;
        if let Some(n) = name {
            self.item(actor, ns, kind, n).await?;
        }
        allow(can_delete_in(&row.ns, &format!("its {}s", kind.noun())), ns)?;
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

    /// `POST /tags`: replaces every tag with `tags`, or adds them when `append`.
    pub async fn set_tags(
        &self,
        actor: &Actor,
        ns: &str,
        tags: &[String],
        append: bool,
    ) -> Result<Vec<Item>, ImageError> {
        let row = self.writable(actor, ns).await?;
        for t in tags {
            check_name("tags.name", t, MAX_NAME).map_err(bad)?;
        }
        let now = clock::stored(clock::now());
        let mut tx = self.pool.begin().await?;
        if !append {
            allow(can_delete_in(&row.ns, "its tags"), ns)?;
            sqlx::query("DELETE FROM metadef_items WHERE namespace = ? AND kind = 'tag'")
                .bind(ns)
                .execute(&mut *tx)
                .await?;
        }
        for t in tags {
            insert_item(&mut tx, ns, Kind::Tag, t, &Value::Object(Map::new()), &now).await?;
        }
        tx.commit().await?;
        self.items_unchecked(ns, Kind::Tag).await
    }

    /// Every resource type (the seeded ones and those associations created).
    pub async fn resource_types(&self) -> Result<Vec<(String, String, String)>, ImageError> {
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

    /// A namespace's associations.
    pub async fn associations(&self, ns: &str) -> Result<Vec<AssociationRow>, ImageError> {
        let rows = sqlx::query(
            "SELECT resource_type, prefix, properties_target, created_at, updated_at
             FROM metadef_associations WHERE namespace = ? ORDER BY resource_type",
        )
        .bind(ns)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AssociationRow {
                assoc: Association {
                    name: r.get(0),
                    prefix: r.get(1),
                    properties_target: r.get(2),
                },
                created_at: r.get(3),
                updated_at: r.get(4),
            })
            .collect())
    }

    /// Associates a namespace with a resource type (created if new); 409 if already associated.
    pub async fn associate(
        &self,
        actor: &Actor,
        ns: &str,
        a: Association,
    ) -> Result<AssociationRow, ImageError> {
        self.writable(actor, ns).await?;
        a.check().map_err(bad)?;
        let mut tx = self.pool.begin().await?;
        insert_association(&mut tx, ns, &a, &clock::stored(clock::now())).await?;
        tx.commit().await?;
        self.associations(ns)
            .await?
            .into_iter()
            .find(|r| r.assoc.name == a.name)
            .ok_or_else(|| no_namespace(ns))
    }

    /// Removes an association.
    pub async fn dissociate(&self, actor: &Actor, ns: &str, rt: &str) -> Result<(), ImageError> {
        let row = self.writable(actor, ns).await?;
        allow(can_delete_in(&row.ns, "its associations"), ns)?;
        let done = sqlx::query(
            "DELETE FROM metadef_associations WHERE namespace = ? AND resource_type = ?",
        )
        .bind(ns)
        .bind(rt)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ImageError::NotFound(format!(
                "Namespace {ns} is not associated with resource type {rt}."
            )));
        }
        Ok(())
    }

    /// Loads one namespace document (`glimpse metadefs load`): a new namespace is created; an
    /// existing one is skipped, or with `merge` gets the file's fields and items while keeping
    /// the items only it has. Returns what happened.
    pub async fn load(
        &self,
        mut doc: NamespaceFile,
        merge: bool,
    ) -> Result<&'static str, ImageError> {
        doc.check().map_err(bad)?;
        for w in doc.warnings() {
            tracing::warn!(namespace = %doc.namespace.namespace, "{w} (kept, as Glance does)");
        }
        let Some(row) = self.row(&doc.namespace.namespace).await? else {
            self.store(doc, false).await?;
            return Ok("created");
        };
        if !merge {
            return Ok("skipped");
        }
        let current = self.document(row).await?;
        for (k, v) in current.properties {
            doc.properties.entry(k).or_insert(v);
        }
        for o in current.objects {
            if !doc.objects.iter().any(|x| x.name == o.name) {
                doc.objects.push(o);
            }
        }
        for t in current.tags {
            if !doc.tags.contains(&t) {
                doc.tags.push(t);
            }
        }
        for a in current.resource_type_associations {
            if !doc
                .resource_type_associations
                .iter()
                .any(|x| x.name == a.name)
            {
                doc.resource_type_associations.push(a);
            }
        }
        if doc.namespace.owner.is_none() {
            doc.namespace.owner = current.namespace.owner;
        }
        self.store(doc, true).await?;
        Ok("merged")
    }

    /// At start: the seeded resource types exist, and on the very first start (no resource type
    /// yet) Glimpse's own catalog is loaded.
    pub async fn seed(&self) -> Result<(), ImageError> {
        let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metadef_resource_types")
            .fetch_one(&self.pool)
            .await?;
        let now = clock::stored(clock::now());
        for name in SEEDED_RESOURCE_TYPES {
            sqlx::query(
                "INSERT INTO metadef_resource_types (name, protected, created_at, updated_at)
                 VALUES (?, 1, ?, ?) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(&now)
            .bind(&now)
            .execute(&self.pool)
            .await?;
        }
        if known == 0 {
            for doc in catalog() {
                self.load(doc, false).await?;
            }
        }
        Ok(())
    }
}

/// Glimpse's own catalog, in Glance's namespace-file format: operating system, libvirt virtual
/// hardware for images, and image signature verification.
const CATALOG: [&str; 3] = [
    include_str!("catalog/operating-system.json"),
    include_str!("catalog/libvirt-image.json"),
    include_str!("catalog/image-signature.json"),
];

/// The built-in catalog's namespaces.
pub fn catalog() -> Vec<NamespaceFile> {
    CATALOG
        .iter()
        .map(|text| serde_json::from_str(text).expect("the built-in catalog is valid JSON"))
        .collect()
}

fn taken(kind: Kind, name: &str, ns: &str) -> ImageError {
    ImageError::Conflict(format!(
        "A metadata definition {} with name={name} already exists in namespace={ns}.",
        kind.noun()
    ))
}

fn check_item(kind: Kind, name: &str, body: &Value) -> Result<(), ImageError> {
    match kind {
        Kind::Property => check_property(name, body).map_err(bad),
        Kind::Object => object_from(&Item {
            name: name.to_string(),
            body: body.clone(),
            created_at: String::new(),
            updated_at: String::new(),
        })
        .check()
        .map_err(bad),
        Kind::Tag => check_name("name", name, MAX_NAME).map_err(bad),
    }
}

/// An object from its stored item.
pub fn object_from(i: &Item) -> Object {
    let mut body = i.body.clone();
    if let Some(m) = body.as_object_mut() {
        m.insert("name".into(), Value::String(i.name.clone()));
    }
    serde_json::from_value(body).unwrap_or(Object {
        name: i.name.clone(),
        description: None,
        required: vec![],
        properties: Map::new(),
    })
}

async fn insert_item(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    ns: &str,
    kind: Kind,
    name: &str,
    body: &Value,
    now: &str,
) -> Result<(), ImageError> {
    check_item(kind, name, body)?;
    let r = sqlx::query(
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
    .await;
    match r {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(taken(kind, name, ns)),
        r => r.map(|_| ()).map_err(ImageError::from),
    }
}

async fn insert_association(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    ns: &str,
    a: &Association,
    now: &str,
) -> Result<(), ImageError> {
    sqlx::query(
        "INSERT INTO metadef_resource_types (name, protected, created_at, updated_at)
         VALUES (?, 0, ?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(&a.name)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let r = sqlx::query(
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
    .await;
    match r {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(ImageError::Conflict(format!(
                "Namespace {ns} is already associated with resource type {}.",
                a.name
            )))
        }
        r => r.map(|_| ()).map_err(ImageError::from),
    }
}
