//! `MetadefService`: every metadata-definition use case. Each takes the caller, asks
//! `domain::metadefs` whether it may see or change the namespace (a private namespace is 404 to
//! others, as in Glance), checks definitions by the domain's rules, then calls the repository.
//! Operator commands (`glimpse metadefs …`) pass the CLI's operator, an admin.

use super::error::MetadefError;
use super::repo::MetadefRepo;
use super::{
    catalog, AssociationRow, Item, Kind, NamespaceQuery, NamespaceRow, NAMESPACE_SORT_KEYS,
};
use crate::domain::metadefs::{
    can_delete_in, can_see_namespace, can_write_metadefs, check_name, check_property, Association,
    Namespace, NamespaceFile, NamespaceOwner, Object, Tag, MAX_NAME,
};
use crate::domain::policy::{Actor, Decision};
use crate::domain::reason::{NamespacePart, Reason};
use crate::server::clock;
use crate::server::events::{Events, MetadefSubject};
use serde_json::{Map, Value};

fn allow(d: Decision, hidden: impl FnOnce() -> MetadefError) -> Result<(), MetadefError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden(m) => Err(MetadefError::Forbidden(m)),
        Decision::Hidden => Err(hidden()),
    }
}

fn no_namespace(name: &str) -> MetadefError {
    MetadefError::NotFound(Reason::NamespaceNotFound {
        namespace: name.to_string(),
    })
}

fn check_item(kind: Kind, name: &str, body: &Value) -> Result<(), MetadefError> {
    match kind {
        Kind::Property => check_property(name, body)?,
        Kind::Object => object_from(&Item {
            name: name.to_string(),
            body: body.clone(),
            created_at: String::new(),
            updated_at: String::new(),
        })
        .check()?,
        Kind::Tag => check_name("name", name, MAX_NAME)?,
    }
    Ok(())
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

fn now() -> String {
    clock::stored(clock::now())
}

/// The metadata-definition service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MetadefService {
    repo: MetadefRepo,
    events: Events,
}

/// The event type of `kind`'s items (`metadef_property.create`, …).
fn item_event_type(kind: Kind, verb: &str) -> &'static str {
    match (kind, verb) {
        (Kind::Property, "create") => "metadef_property.create",
        (Kind::Property, "update") => "metadef_property.update",
        (Kind::Property, _) => "metadef_property.delete",
        (Kind::Object, "create") => "metadef_object.create",
        (Kind::Object, "update") => "metadef_object.update",
        (Kind::Object, _) => "metadef_object.delete",
        (Kind::Tag, "create") => "metadef_tag.create",
        (Kind::Tag, "update") => "metadef_tag.update",
        (Kind::Tag, _) => "metadef_tag.delete",
    }
}

impl MetadefService {
    /// A service over `repo`.
    pub fn new(repo: MetadefRepo) -> Self {
        Self {
            repo,
            events: Events::default(),
        }
    }

    /// Where the service's notifications go.
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = events;
        self
    }

    fn namespace_event(&self, event_type: &'static str, row: &NamespaceRow, old: &str) {
        self.events.metadef(
            event_type,
            &row.ns,
            MetadefSubject::Namespace {
                old,
                created_at: &row.created_at,
                updated_at: &row.updated_at,
            },
        );
    }

    fn item_event(
        &self,
        event_type: &'static str,
        row: &NamespaceRow,
        kind: Kind,
        old: &str,
        item: &Item,
    ) {
        self.events.metadef(
            event_type,
            &row.ns,
            MetadefSubject::Item {
                kind: kind.noun(),
                old,
                name: &item.name,
                body: &item.body,
                created_at: &item.created_at,
                updated_at: &item.updated_at,
            },
        );
    }

    /// A namespace the actor may see (404 otherwise, as Glance hides private ones).
    pub async fn namespace(&self, actor: &Actor, name: &str) -> Result<NamespaceRow, MetadefError> {
        let row = self
            .repo
            .namespace(name)
            .await?
            .ok_or_else(|| no_namespace(name))?;
        allow(can_see_namespace(actor, &row.ns), || no_namespace(name))?;
        Ok(row)
    }

    /// A namespace the actor may change.
    async fn writable(&self, actor: &Actor, name: &str) -> Result<NamespaceRow, MetadefError> {
        let row = self.namespace(actor, name).await?;
        allow(can_write_metadefs(actor), || no_namespace(name))?;
        Ok(row)
    }

    /// Namespaces the actor may see, filtered and paged after the marker's name (two queries:
    /// catalogs hold tens to hundreds of namespaces).
    pub async fn list(
        &self,
        actor: &Actor,
        q: &NamespaceQuery,
    ) -> Result<Vec<NamespaceRow>, MetadefError> {
        let requested = q.sort_key.as_deref().unwrap_or("namespace");
        let key = NAMESPACE_SORT_KEYS
            .into_iter()
            .find(|k| *k == requested)
            .ok_or_else(|| {
                MetadefError::Invalid(Reason::BadSortKey {
                    requested: requested.to_string(),
                    allowed: NAMESPACE_SORT_KEYS.iter().map(|k| k.to_string()).collect(),
                })
            })?;
        let rows = self.repo.namespaces(key, q.descending).await?;
        let skip = match &q.marker {
            Some(m) => {
                rows.iter()
                    .position(|r| r.ns.namespace == *m)
                    .ok_or_else(|| {
                        MetadefError::NotFound(Reason::NamespaceMarkerNotFound {
                            marker: m.to_string(),
                        })
                    })?
                    + 1
            }
            None => 0,
        };
        let associations = if q.resource_types.is_empty() {
            Default::default()
        } else {
            self.repo.all_associations().await?
        };
        Ok(rows
            .into_iter()
            .skip(skip)
            .filter(|row| can_see_namespace(actor, &row.ns).is_allowed())
            .filter(|row| {
                q.visibility
                    .as_ref()
                    .is_none_or(|v| v == row.ns.visibility.as_str())
            })
            .filter(|row| {
                q.resource_types.is_empty()
                    || associations.get(&row.ns.namespace).is_some_and(|list| {
                        list.iter()
                            .any(|a| q.resource_types.contains(&a.assoc.name))
                    })
            })
            .take(q.limit)
            .collect())
    }

    /// Creates a namespace with everything the document holds (Glance's inline creation).
    pub async fn create(
        &self,
        actor: &Actor,
        mut doc: NamespaceFile,
    ) -> Result<NamespaceRow, MetadefError> {
        allow(can_write_metadefs(actor), || no_namespace(""))?;
        if doc.namespace.owner.is_none() {
            doc.namespace.owner = Some(NamespaceOwner::project(&actor.project_id));
        }
        let row = self.store(doc, false).await?;
        let name = row.ns.namespace.clone();
        self.namespace_event("metadef_namespace.create", &row, &name);
        Ok(row)
    }

    /// Checks and stores a namespace document; with `replace`, an existing namespace of that
    /// name and all it holds is replaced, else its name answers 409.
    async fn store(&self, doc: NamespaceFile, replace: bool) -> Result<NamespaceRow, MetadefError> {
        doc.check()?;
        let name = doc.namespace.namespace.clone();
        self.repo.store(&doc, replace, &now()).await?;
        self.repo
            .namespace(&name)
            .await?
            .ok_or_else(|| no_namespace(&name))
    }

    /// `PUT /namespaces/{ns}`: replaces the namespace's own fields (a rename keeps its contents).
    pub async fn replace(
        &self,
        actor: &Actor,
        name: &str,
        new: Namespace,
    ) -> Result<NamespaceRow, MetadefError> {
        self.writable(actor, name).await?;
        new.check()?;
        self.repo.update_namespace(name, &new, &now()).await?;
        let row = self
            .repo
            .namespace(&new.namespace)
            .await?
            .ok_or_else(|| no_namespace(&new.namespace))?;
        self.namespace_event("metadef_namespace.update", &row, name);
        Ok(row)
    }

    /// Deletes a namespace and all it holds; protected ones answer 403.
    pub async fn delete(&self, actor: &Actor, name: &str) -> Result<(), MetadefError> {
        let row = self.writable(actor, name).await?;
        allow(can_delete_in(&row.ns, NamespacePart::Itself), || {
            no_namespace(name)
        })?;
        self.repo.delete_namespace(name).await?;
        self.namespace_event("metadef_namespace.delete", &row, name);
        Ok(())
    }

    /// Every namespace the actor may see, whole (`glimpse metadefs export`).
    pub async fn export_all(&self, actor: &Actor) -> Result<Vec<NamespaceFile>, MetadefError> {
        let mut out = Vec::new();
        for row in self.repo.namespaces("namespace", false).await? {
            if can_see_namespace(actor, &row.ns).is_allowed() {
                out.push(self.whole(row).await?);
            }
        }
        Ok(out)
    }

    /// Removes every namespace (`glimpse metadefs unload`); admins only. Returns how many.
    pub async fn unload_all(&self, actor: &Actor) -> Result<u64, MetadefError> {
        allow(can_write_metadefs(actor), || no_namespace(""))?;
        self.repo.delete_all().await
    }

    /// A namespace the actor may see, with everything it holds.
    pub async fn document(&self, actor: &Actor, name: &str) -> Result<NamespaceFile, MetadefError> {
        let row = self.namespace(actor, name).await?;
        self.whole(row).await
    }

    async fn whole(&self, row: NamespaceRow) -> Result<NamespaceFile, MetadefError> {
        let name = row.ns.namespace.clone();
        let properties = self
            .repo
            .items(&name, Kind::Property)
            .await?
            .into_iter()
            .map(|i| (i.name, i.body))
            .collect();
        let objects = self
            .repo
            .items(&name, Kind::Object)
            .await?
            .iter()
            .map(object_from)
            .collect();
        let tags = self
            .repo
            .items(&name, Kind::Tag)
            .await?
            .into_iter()
            .map(|i| Tag { name: i.name })
            .collect();
        Ok(NamespaceFile {
            namespace: row.ns,
            resource_type_associations: self
                .repo
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

    /// A namespace's properties, objects or tags.
    pub async fn items(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
    ) -> Result<Vec<Item>, MetadefError> {
        self.namespace(actor, ns).await?;
        self.repo.items(ns, kind).await
    }

    /// One item.
    pub async fn item(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
        name: &str,
    ) -> Result<Item, MetadefError> {
        self.items(actor, ns, kind)
            .await?
            .into_iter()
            .find(|i| i.name == name)
            .ok_or_else(|| {
                MetadefError::NotFound(Reason::ItemNotFound {
                    kind: kind.noun().to_string(),
                    name: name.to_string(),
                    namespace: ns.to_string(),
                })
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
    ) -> Result<Item, MetadefError> {
        let row = self.writable(actor, ns).await?;
        check_item(kind, name, &body)?;
        self.repo.create_item(ns, kind, name, &body, &now()).await?;
        let item = self.item(actor, ns, kind, name).await?;
        self.item_event(item_event_type(kind, "create"), &row, kind, name, &item);
        Ok(item)
    }

    /// Replaces an item (a new name renames it).
    #[allow(clippy::too_many_arguments)]
    pub async fn replace_item(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
        name: &str,
        new_name: &str,
        body: Value,
    ) -> Result<Item, MetadefError> {
        let row = self.writable(actor, ns).await?;
        self.item(actor, ns, kind, name).await?;
        check_item(kind, new_name, &body)?;
        self.repo
            .replace_item(ns, kind, (name, new_name), &body, &now())
            .await?;
        let item = self.item(actor, ns, kind, new_name).await?;
        self.item_event(item_event_type(kind, "update"), &row, kind, name, &item);
        Ok(item)
    }

    /// Deletes one item, or all of a kind when `name` is `None`; protected namespaces answer 403.
    pub async fn delete_items(
        &self,
        actor: &Actor,
        ns: &str,
        kind: Kind,
        name: Option<&str>,
    ) -> Result<(), MetadefError> {
        let row = self.writable(actor, ns).await?;
        let one = match name {
            Some(n) => Some(self.item(actor, ns, kind, n).await?),
            None => None,
        };
        allow(
            can_delete_in(&row.ns, NamespacePart::Items(kind.noun().to_string())),
            || no_namespace(ns),
        )?;
        self.repo.delete_items(ns, kind, name).await?;
        match one {
            Some(item) => self.item_event(
                item_event_type(kind, "delete"),
                &row,
                kind,
                &item.name,
                &item,
            ),
            None => self.events.metadef(
                match kind {
                    Kind::Property => "metadef_namespace.delete_properties",
                    Kind::Object => "metadef_namespace.delete_objects",
                    Kind::Tag => "metadef_namespace.delete_tags",
                },
                &row.ns,
                MetadefSubject::AllOf,
            ),
        }
        Ok(())
    }

    /// `POST /tags`: replaces every tag with `tags`, or adds them when `append`.
    pub async fn set_tags(
        &self,
        actor: &Actor,
        ns: &str,
        tags: &[String],
        append: bool,
    ) -> Result<Vec<Item>, MetadefError> {
        let row = self.writable(actor, ns).await?;
        for t in tags {
            check_name("tags.name", t, MAX_NAME)?;
        }
        if !append {
            allow(
                can_delete_in(&row.ns, NamespacePart::Items("tag".into())),
                || no_namespace(ns),
            )?;
        }
        let before: Vec<String> = self
            .repo
            .items(ns, Kind::Tag)
            .await?
            .into_iter()
            .map(|i| i.name)
            .collect();
        self.repo.set_tags(ns, tags, append, &now()).await?;
        let after = self.repo.items(ns, Kind::Tag).await?;
        if !append {
            self.events.metadef(
                "metadef_namespace.delete_tags",
                &row.ns,
                MetadefSubject::AllOf,
            );
        }
        for t in after
            .iter()
            .filter(|t| !append || !before.contains(&t.name))
        {
            self.item_event("metadef_tag.create", &row, Kind::Tag, &t.name, t);
        }
        Ok(after)
    }

    /// Every resource type (the seeded ones and those associations created).
    pub async fn resource_types(
        &self,
        _actor: &Actor,
    ) -> Result<Vec<(String, String, String)>, MetadefError> {
        self.repo.resource_types().await
    }

    /// The associations of a namespace the actor may see.
    pub async fn associations(
        &self,
        actor: &Actor,
        ns: &str,
    ) -> Result<Vec<AssociationRow>, MetadefError> {
        self.namespace(actor, ns).await?;
        self.repo.associations(ns).await
    }

    /// Associates a namespace with a resource type (created if new); 409 if already associated.
    pub async fn associate(
        &self,
        actor: &Actor,
        ns: &str,
        a: Association,
    ) -> Result<AssociationRow, MetadefError> {
        let row = self.writable(actor, ns).await?;
        a.check()?;
        self.repo.associate(ns, &a, &now()).await?;
        let made = self
            .repo
            .associations(ns)
            .await?
            .into_iter()
            .find(|r| r.assoc.name == a.name)
            .ok_or_else(|| no_namespace(ns))?;
        self.events.metadef(
            "metadef_resource_type.create",
            &row.ns,
            MetadefSubject::ResourceType(&made.assoc),
        );
        Ok(made)
    }

    /// Removes an association.
    pub async fn dissociate(&self, actor: &Actor, ns: &str, rt: &str) -> Result<(), MetadefError> {
        let row = self.writable(actor, ns).await?;
        allow(can_delete_in(&row.ns, NamespacePart::Associations), || {
            no_namespace(ns)
        })?;
        if !self.repo.dissociate(ns, rt).await? {
            return Err(MetadefError::NotFound(Reason::NotAssociated {
                namespace: ns.to_string(),
                resource_type: rt.to_string(),
            }));
        }
        self.events.metadef(
            "metadef_resource_type.delete",
            &row.ns,
            MetadefSubject::ResourceType(&crate::domain::metadefs::Association {
                name: rt.to_string(),
                prefix: None,
                properties_target: None,
            }),
        );
        Ok(())
    }

    /// Loads one namespace document (`glimpse metadefs load`, admins only): a new namespace is
    /// created; an existing one is skipped, or with `merge` gets the file's fields and items
    /// while keeping the items only it has. Returns what happened.
    pub async fn load(
        &self,
        actor: &Actor,
        mut doc: NamespaceFile,
        merge: bool,
    ) -> Result<&'static str, MetadefError> {
        allow(can_write_metadefs(actor), || no_namespace(""))?;
        doc.check()?;
        for w in doc.warnings() {
            tracing::warn!(namespace = %doc.namespace.namespace, "{w} (kept, as Glance does)");
        }
        let Some(row) = self.repo.namespace(&doc.namespace.namespace).await? else {
            self.store(doc, false).await?;
            return Ok("created");
        };
        if !merge {
            return Ok("skipped");
        }
        let current = self.whole(row).await?;
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
    pub async fn seed(&self) -> Result<(), MetadefError> {
        if !self.repo.seed_resource_types(&now()).await? {
            for doc in catalog() {
                let name = doc.namespace.namespace.clone();
                if self.repo.namespace(&name).await?.is_none() {
                    self.store(doc, false).await?;
                }
            }
        }
        Ok(())
    }
}
