//! Glance's multi-store, on when the settings name the stores: which stores there are
//! (`/v2/info/stores`, and the admin detail) and removing one store's copy of an image's data.

use super::*;

/// A configured store as `/v2/info/stores` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub id: String,
    pub description: Option<String>,
    pub default: bool,
    /// `file` or `s3` (admin detail only).
    pub kind: &'static str,
}

/// A store with what it holds (the admin Stores page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUsage {
    pub info: StoreInfo,
    /// Live images with data there.
    pub images: i64,
    /// Their bytes.
    pub bytes: i64,
}

impl ImageService {
    /// Every store, default first; 404 when multi-store is off, as Glance answers.
    pub fn store_infos(&self, actor: &Actor, detail: bool) -> Result<Vec<StoreInfo>, ImageError> {
        if !self.stores.is_named() {
            return Err(ImageError::NotFound(Reason::MultiStoreOff));
        }
        if detail {
            match policy::can_see_store_details(actor) {
                Decision::Allow => {}
                Decision::Forbidden(why) => return Err(ImageError::Forbidden(why)),
                Decision::Hidden => return Err(ImageError::NotFound(Reason::Hidden)),
            }
        }
        let default = self.stores.default_id();
        let mut out: Vec<StoreInfo> = self
            .stores
            .all()
            .map(|s| StoreInfo {
                id: s.id().to_string(),
                description: self.stores.description(s.id()).map(str::to_string),
                default: s.id() == default,
                kind: s.kind(),
            })
            .collect();
        out.sort_by_key(|s| !s.default);
        Ok(out)
    }

    /// Every store (named or not) with how many images and bytes it holds, default first
    /// (admins).
    pub async fn store_usage(&self, actor: &Actor) -> Result<Vec<StoreUsage>, ImageError> {
        match policy::can_see_store_details(actor) {
            Decision::Allow => {}
            Decision::Forbidden(why) => return Err(ImageError::Forbidden(why)),
            Decision::Hidden => return Err(ImageError::NotFound(Reason::Hidden)),
        }
        let held = self.repo.store_usage().await?;
        let default = self.stores.default_id();
        let mut out: Vec<StoreUsage> = self
            .stores
            .all()
            .map(|s| {
                let (images, bytes) = held
                    .iter()
                    .find(|h| h.0 == s.id())
                    .map_or((0, 0), |h| (h.1, h.2));
                StoreUsage {
                    info: StoreInfo {
                        id: s.id().to_string(),
                        description: self.stores.description(s.id()).map(str::to_string),
                        default: s.id() == default,
                        kind: s.kind(),
                    },
                    images,
                    bytes,
                }
            })
            .collect();
        out.sort_by_key(|s| !s.info.default);
        Ok(out)
    }

    /// `DELETE /v2/stores/{store}/{image}`: removes the image's data from one store, with
    /// Glance's answers (multi-store off or not in that store 404, unknown store or image not
    /// active 409, the last copy 403).
    pub async fn delete_from_store(
        &self,
        actor: &Actor,
        store: &str,
        id: &ImageId,
    ) -> Result<(), ImageError> {
        if !self.stores.is_named() {
            return Err(ImageError::NotFound(Reason::MultiStoreOff));
        }
        let Some(target) = self.stores.get(store).cloned() else {
            return Err(ImageError::Conflict(Reason::NoSuchStore {
                id: crate::domain::image::excerpt(store),
            }));
        };
        let (img, m) = self.load(actor, id).await?;
        allow(
            self.decide(
                Rule::DeleteImageLocation,
                actor,
                Some(&img),
                m,
                policy::can_delete_image_location(actor),
            ),
            id,
        )?;
        if img.status != ImageStatus::Active {
            return Err(ImageError::Conflict(Reason::NotActive {
                status: img.status.to_string(),
            }));
        }
        let locations = self.repo.locations(id).await?;
        let Some((_, location)) = locations.iter().find(|(s, _)| s == store) else {
            return Err(ImageError::NotFound(Reason::NotInStore {
                store: store.to_string(),
                image: id.to_string(),
            }));
        };
        if locations.len() == 1 {
            return Err(ImageError::Forbidden(Reason::LastLocation));
        }
        self.repo.remove_location(id, store).await?;
        target.delete(location).await?;
        tracing::info!(image = %id, store, by = %actor.user_name, "image data removed from a store");
        Ok(())
    }
}
