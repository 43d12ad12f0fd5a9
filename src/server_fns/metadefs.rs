//! Metadata definitions for the dashboard: the admin's list, import, details and changes, and the
//! namespaces an image owner's Update Metadata editor offers. Each calls `MetadefService`.

use super::AppError;
use crate::domain::metadefs::{Association, NamespaceFile};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of Admin > Metadata Definitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceSummary {
    /// Unique name.
    pub namespace: String,
    /// Name to show.
    pub display_name: Option<String>,
    /// What it is for.
    pub description: Option<String>,
    /// Associated resource types.
    pub resource_types: Vec<String>,
    /// `public` or `private`.
    pub visibility: String,
    /// Cannot be deleted.
    pub protected: bool,
}

#[cfg(feature = "ssr")]
fn error(e: crate::server::metadefs::MetadefError) -> AppError {
    use crate::server::metadefs::MetadefError as E;
    e.log_if_internal();
    match e {
        // The server functions' edge: reasons in words.
        E::NotFound(r) => AppError::NotFound(r),
        E::Forbidden(r) => AppError::Forbidden(r),
        E::Conflict(r) => AppError::Conflict(r),
        E::Invalid(r) => AppError::Refused(r),
        E::Db(_) => AppError::Internal,
    }
}

/// Namespaces the caller may see, optionally only those associated with `resource_type`.
#[server]
pub async fn list_namespaces(resource_type: String) -> Result<Vec<NamespaceSummary>, AppError> {
    use crate::server::metadefs::NamespaceQuery;
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let q = NamespaceQuery {
        resource_types: if resource_type.is_empty() {
            vec![]
        } else {
            vec![resource_type]
        },
        limit: usize::MAX,
        ..Default::default()
    };
    let mut out = Vec::new();
    for row in s.metadefs.list(&actor, &q).await.map_err(error)? {
        let assoc = s
            .metadefs
            .associations(&actor, &row.ns.namespace)
            .await
            .map_err(error)?;
        out.push(NamespaceSummary {
            namespace: row.ns.namespace,
            display_name: row.ns.display_name,
            description: row.ns.description,
            resource_types: assoc.into_iter().map(|a| a.assoc.name).collect(),
            visibility: row.ns.visibility.as_str().into(),
            protected: row.ns.protected,
        });
    }
    Ok(out)
}

/// Every resource type name.
#[server]
pub async fn resource_types() -> Result<Vec<String>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    Ok(s.metadefs
        .resource_types(&actor)
        .await
        .map_err(error)?
        .into_iter()
        .map(|(n, _, _)| n)
        .collect())
}

/// One namespace with everything it holds.
#[server]
pub async fn get_namespace(name: String) -> Result<NamespaceFile, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.metadefs.document(&actor, &name).await.map_err(error)
}

/// Imports a namespace from its JSON text (Glance's namespace-file format); returns its name.
#[server]
pub async fn import_namespace(json: String) -> Result<String, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let doc: NamespaceFile = serde_json::from_str(&json).map_err(|e| AppError::Invalid {
        field: "json".into(),
        message: e.to_string(),
    })?;
    let row = s.metadefs.create(&actor, doc).await.map_err(error)?;
    Ok(row.ns.namespace)
}

/// Sets a namespace's public and protected flags, keeping its other fields.
#[server]
pub async fn set_namespace_flags(
    name: String,
    public: bool,
    protected: bool,
) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let mut ns = s.metadefs.namespace(&actor, &name).await.map_err(error)?.ns;
    ns.visibility = if public {
        crate::domain::metadefs::NamespaceVisibility::Public
    } else {
        crate::domain::metadefs::NamespaceVisibility::Private
    };
    ns.protected = protected;
    s.metadefs.replace(&actor, &name, ns).await.map_err(error)?;
    Ok(())
}

/// Associates a namespace with a resource type, with its prefix and properties target.
#[server]
pub async fn associate_namespace(name: String, association: Association) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.metadefs
        .associate(&actor, &name, association)
        .await
        .map_err(error)?;
    Ok(())
}

/// Deletes a namespace (protected ones are refused with the reason).
#[server]
pub async fn delete_namespace(name: String) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.metadefs.delete(&actor, &name).await.map_err(error)
}

/// The namespaces associated with images, for the Update Metadata editor: each with its
/// properties already named as they go on an image (the association's prefix applied).
#[server]
pub async fn image_metadata() -> Result<Vec<NamespaceFile>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let q = crate::server::metadefs::NamespaceQuery {
        resource_types: vec!["OS::Glance::Image".into()],
        limit: usize::MAX,
        ..Default::default()
    };
    let mut out = Vec::new();
    for row in s.metadefs.list(&actor, &q).await.map_err(error)? {
        let doc = s
            .metadefs
            .document(&actor, &row.ns.namespace)
            .await
            .map_err(error)?
            .prefixed_for("OS::Glance::Image");
        out.push(doc);
    }
    Ok(out)
}

#[cfg(feature = "ssr")]
fn kind(kind: &str) -> Result<crate::server::metadefs::Kind, AppError> {
    use crate::server::metadefs::Kind;
    match kind {
        "property" => Ok(Kind::Property),
        "object" => Ok(Kind::Object),
        "tag" => Ok(Kind::Tag),
        _ => Err(AppError::Invalid {
            field: "kind".into(),
            message: "must be property, object or tag".into(),
        }),
    }
}

/// Creates (`old_name` empty) or replaces a property, object or tag; `body` is its JSON
/// definition without the name (`{}` for a tag).
#[server]
pub async fn save_metadef_item(
    namespace: String,
    kind_name: String,
    old_name: String,
    name: String,
    body: String,
) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let k = kind(&kind_name)?;
    let body: serde_json::Value = serde_json::from_str(&body).map_err(|e| AppError::Invalid {
        field: "definition".into(),
        message: e.to_string(),
    })?;
    if old_name.is_empty() {
        s.metadefs
            .create_item(&actor, &namespace, k, &name, body)
            .await
    } else {
        s.metadefs
            .replace_item(&actor, &namespace, k, &old_name, &name, body)
            .await
    }
    .map_err(error)?;
    Ok(())
}

/// Deletes a property, object or tag (refused while the namespace is protected).
#[server]
pub async fn delete_metadef_item(
    namespace: String,
    kind_name: String,
    name: String,
) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.metadefs
        .delete_items(&actor, &namespace, kind(&kind_name)?, Some(&name))
        .await
        .map_err(error)
}
