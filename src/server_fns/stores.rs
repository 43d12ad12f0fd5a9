//! Image stores for the dashboard: the stores an upload may choose (multi-store), and the admin
//! Stores page (each store with what it holds).

use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A store as the dashboard shows it (never its settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreRow {
    /// The store's id.
    pub id: String,
    /// A description for people.
    pub description: Option<String>,
    /// New data goes here unless the upload names another.
    pub default: bool,
    /// `file` or `s3`.
    pub kind: String,
    /// Live images with data there (admin page only; 0 otherwise).
    pub images: i64,
    /// Their bytes (admin page only; 0 otherwise).
    pub bytes: i64,
}

#[cfg(feature = "ssr")]
fn image_error(e: crate::server::images::ImageError) -> AppError {
    super::images::service_error(e, "store")
}

/// The stores an upload may go to, default first; empty unless the settings name several.
#[server]
pub async fn list_stores() -> Result<Vec<StoreRow>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    match s.images.store_infos(&actor, false) {
        Ok(stores) => Ok(stores
            .into_iter()
            .map(|st| StoreRow {
                id: st.id,
                description: st.description,
                default: st.default,
                kind: String::new(),
                images: 0,
                bytes: 0,
            })
            .collect()),
        // Multi-store off: the upload goes to the one store.
        Err(crate::server::images::ImageError::NotFound(_)) => Ok(vec![]),
        Err(e) => Err(image_error(e)),
    }
}

/// Every store with its kind and what it holds (admins).
#[server]
pub async fn store_overview() -> Result<Vec<StoreRow>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let stores = s.images.store_usage(&actor).await.map_err(image_error)?;
    Ok(stores
        .into_iter()
        .map(|u| StoreRow {
            id: u.info.id,
            description: u.info.description,
            default: u.info.default,
            kind: u.info.kind.to_string(),
            images: u.images,
            bytes: u.bytes,
        })
        .collect())
}
