//! Metadata definitions (namespaces, resource-type associations, properties, objects, tags):
//! `service` holds every use case and asks `domain::metadefs` for the rules, `repo` all the SQL,
//! `catalog` Glimpse's built-in namespaces, `error` what can go wrong. The Glance handlers, the
//! CLI catalog commands and the dashboard call the service only.

mod catalog;
mod error;
mod repo;
mod service;

pub use catalog::catalog;
pub use error::MetadefError;
pub use repo::MetadefRepo;
pub use service::{object_from, MetadefService};

use crate::domain::metadefs::{Association, Namespace};
use serde_json::Value;

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
    pub(crate) fn as_str(self) -> &'static str {
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
