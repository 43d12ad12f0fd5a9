//! The Trash (delayed delete) for admins: the images waiting for the scrubber, restoring one,
//! and removing one's data at once.

use super::AppError;
use crate::domain::ids::ImageId;
use crate::domain::image::PendingDeletion;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One pending deletion, with its owner's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashItem {
    /// The image and when it goes.
    pub pending: PendingDeletion,
    /// The owner project's name ("" if unknown).
    pub owner_name: String,
}

/// What the Trash page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashPage {
    /// Whether deletions pend at all (the `delayed_delete` setting).
    pub delayed_delete: bool,
    /// Seconds a deletion waits for the scrubber.
    pub scrub_time: u64,
    /// Oldest deletion first.
    pub items: Vec<TrashItem>,
}

#[cfg(feature = "ssr")]
fn image_error(e: crate::server::images::ImageError) -> AppError {
    super::images::service_error(e, "image")
}

/// Every pending deletion (admins only).
#[server]
pub async fn list_trash() -> Result<TrashPage, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let pending = s.images.trash(&actor).await.map_err(image_error)?;
    let owners: Vec<_> = pending
        .iter()
        .filter_map(|p| p.image.owner.clone())
        .collect();
    let names = s.identity.project_names(&owners).await?;
    let (delayed_delete, scrub_time) = s.images.delayed_delete_settings();
    Ok(TrashPage {
        delayed_delete,
        scrub_time: scrub_time.as_secs(),
        items: pending
            .into_iter()
            .map(|pending| TrashItem {
                owner_name: names
                    .iter()
                    .find(|(i, _)| Some(i) == pending.image.owner.as_ref())
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
                pending,
            })
            .collect(),
    })
}

/// Restores a pending deletion: active again, with its data, members, tags and properties.
#[server]
pub async fn restore_image(id: ImageId) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.images.restore(&actor, &id).await.map_err(image_error)?;
    Ok(())
}

/// Removes a pending deletion's data now.
#[server]
pub async fn purge_image(id: ImageId) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.images.purge_now(&actor, &id).await.map_err(image_error)
}
