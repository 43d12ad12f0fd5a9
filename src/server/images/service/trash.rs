//! Delayed delete (Glance's `delayed_delete` and scrubber): the Trash of pending deletions, the
//! scrubber that removes their data once `scrub_time` has passed, restore (which Glance offers
//! only as `glance-scrubber --restore`), and purging one at once. Listing, restoring and purging
//! are for admins.

use super::*;
use crate::domain::image::PendingDeletion;

impl ImageService {
    fn pending(&self, (image, deleted_at): (Image, String)) -> PendingDeletion {
        let scrub_after = clock::parse_stored(&deleted_at)
            .map(|t| clock::stored(t + self.scrub_time))
            .unwrap_or_else(|| deleted_at.clone());
        PendingDeletion {
            image,
            deleted_at,
            scrub_after,
        }
    }

    /// Every pending deletion, oldest first.
    pub async fn trash(&self, actor: &Actor) -> Result<Vec<PendingDeletion>, ImageError> {
        allow_trash(actor)?;
        let rows = self.repo.pending_deletes(None, None).await?;
        Ok(rows.into_iter().map(|r| self.pending(r)).collect())
    }

    /// Removes the data of every pending deletion older than `scrub_time`, then marks it
    /// `deleted`. Returns how many it removed. Callers run it on one node at a time (a claim);
    /// each image is taken by a conditional update, so even two scrubbers never both delete one.
    pub async fn scrub(&self) -> Result<usize, ImageError> {
        let due = clock::stored(clock::now() - self.scrub_time);
        let mut done = 0;
        for (image, _) in self.repo.pending_deletes(Some(&due), None).await? {
            if self.purge(&image.id).await? {
                done += 1;
            }
        }
        Ok(done)
    }

    /// Restores a pending deletion: back to `active` with its data, checksums, members, tags and
    /// properties.
    pub async fn restore(&self, actor: &Actor, id: &ImageId) -> Result<Image, ImageError> {
        allow_trash(actor)?;
        let not_pending = || ImageError::NotFound(Reason::NotPendingDelete { id: id.to_string() });
        let (img, _) = self
            .repo
            .pending_deletes(None, Some(id))
            .await?
            .pop()
            .ok_or_else(not_pending)?;
        let to = transition(img.status, Event::Restore)?;
        // Only data that is still there comes back.
        let mut present = false;
        for (store, location) in self.repo.locations(id).await? {
            if let Some(s) = self.stores.get(&store) {
                present |= s.exists(&location).await?;
            }
        }
        if !present {
            return Err(ImageError::Conflict(Reason::DataGone {
                id: id.to_string(),
            }));
        }
        let now = clock::stored(clock::now());
        if !self.repo.restore_pending_delete(id, to, &now).await? {
            return Err(not_pending());
        }
        tracing::info!(image = %id, by = %actor.user_name, "image restored from the trash");
        let img = self.repo.get(id).await?.ok_or_else(|| not_found(id))?;
        Ok(self.readable(actor, img))
    }

    /// Removes a pending deletion's data now, without waiting for the scrubber.
    pub async fn purge_now(&self, actor: &Actor, id: &ImageId) -> Result<(), ImageError> {
        allow_trash(actor)?;
        if self.purge(id).await? {
            tracing::info!(image = %id, by = %actor.user_name, "image purged from the trash");
            Ok(())
        } else {
            Err(ImageError::NotFound(Reason::NotPendingDelete {
                id: id.to_string(),
            }))
        }
    }

    /// Marks one pending deletion `deleted` (if it still is pending), then deletes its data.
    async fn purge(&self, id: &ImageId) -> Result<bool, ImageError> {
        let to = transition(ImageStatus::PendingDelete, Event::Scrub)?;
        let now = clock::stored(clock::now());
        let Some(locations) = self.repo.purge_pending_delete(id, to, &now).await? else {
            return Ok(false);
        };
        for (store, location) in locations {
            match self.stores.get(&store) {
                Some(s) => s.delete(&location).await?,
                None => {
                    tracing::warn!(image = %id, store, "data left in a store no longer configured")
                }
            }
        }
        Ok(true)
    }
}

fn allow_trash(actor: &Actor) -> Result<(), ImageError> {
    match policy::can_manage_trash(actor) {
        Decision::Allow => Ok(()),
        Decision::Forbidden(why) => Err(ImageError::Forbidden(why)),
        Decision::Hidden => Err(ImageError::NotFound(Reason::Hidden)),
    }
}
