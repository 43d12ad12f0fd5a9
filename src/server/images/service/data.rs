//! Image data use cases: the upload (receive, hash, inspect, store, then the status moves) and
//! the download (ranges), with the guard that requeues an abandoned upload.

use super::*;

/// Fails an upload if the guard is dropped before it is disarmed: the request future was dropped
/// (client gone) or returned early. The image goes back to `queued`.
struct UploadGuard {
    repo: ImageRepo,
    id: ImageId,
    armed: bool,
}

impl Drop for UploadGuard {
    fn drop(&mut self) {
        if self.armed {
            let (repo, id) = (self.repo.clone(), self.id.clone());
            tokio::spawn(async move {
                if let Err(e) = repo.fail_upload(&id, &clock::stored(clock::now())).await {
                    e.log_if_internal();
                }
            });
        }
    }
}

impl ImageService {
    /// `PUT /images/{id}/file`: streams `body` to the store while hashing it. On any failure the
    /// image is back in `queued` and no partial file remains.
    pub async fn upload<S, E>(
        &self,
        actor: &Actor,
        id: &ImageId,
        declared: Option<u64>,
        body: S,
    ) -> Result<Image, ImageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let (img, m) = self.load(actor, id).await?;
        allow(
            self.decide(
                "upload_image",
                actor,
                Some(&img),
                m,
                policy::can_upload(actor, &img, m),
            ),
            id,
        )?;
        if img.disk_format.is_none() || img.container_format.is_none() {
            return Err(ImageError::Invalid(
                "Properties disk_format, container_format must be set prior to saving data.".into(),
            ));
        }
        let (cap, cap_error) = self.upload_cap(&img).await?;
        if declared.is_some_and(|n| n > cap) {
            return Err(cap_error);
        }
        let saving = transition(img.status, Event::BeginUpload)?;
        if !self
            .repo
            .set_status(
                id,
                ImageStatus::Queued,
                saving,
                &clock::stored(clock::now()),
            )
            .await?
        {
            return Err(ImageError::Conflict(
                "Image status transition from saving to saving is not allowed".into(),
            ));
        }
        let mut guard = UploadGuard {
            repo: self.repo.clone(),
            id: id.clone(),
            armed: true,
        };
        let result = self.receive(&img, declared, body, cap, cap_error).await;
        let now = clock::stored(clock::now());
        match result {
            Ok(r) => {
                if !self.repo.finish_upload(id, &r, &now).await? {
                    // Deleted (or reset) while uploading: the data must not stay.
                    guard.armed = false;
                    self.store.delete(id).await?;
                    return Err(ImageError::Gone(
                        "Image was deleted while its data was being uploaded.".into(),
                    ));
                }
                guard.armed = false;
                tracing::info!(image = %id, size = r.size, "image data stored");
                self.repo.get(id).await?.ok_or_else(|| not_found(id))
            }
            Err(e) => {
                guard.armed = false;
                self.repo.fail_upload(id, &now).await?;
                Err(e)
            }
        }
    }

    async fn receive<S, E>(
        &self,
        img: &Image,
        declared: Option<u64>,
        mut body: S,
        cap: u64,
        cap_error: ImageError,
    ) -> Result<UploadResult, ImageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let mut staged = self.store.stage(&img.id).await?;
        let hashers = Hashers::start();
        // Glance inspects bare images only: other containers wrap the disk in their own format.
        let mut inspector = (img.container_format.as_deref() == Some("bare")).then(Inspector::new);
        let mut blocks = BlockBuilder::new(self.store.blocks().clone());
        let mut total: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ImageError::Interrupted(e.to_string()))?;
            if let Some(i) = &mut inspector {
                i.provide(total, &chunk);
            }
            total += chunk.len() as u64;
            if total > cap {
                return Err(cap_error);
            }
            if declared.is_some_and(|n| total > n) {
                return Err(size_mismatch());
            }
            let mut rest = &chunk[..];
            while !rest.is_empty() {
                if let Some(block) = blocks.fill(&mut rest) {
                    hashers.feed(&block).await;
                    staged.write(block).await?;
                }
            }
        }
        if let Some(block) = blocks.finish() {
            hashers.feed(&block).await;
            staged.write(block).await?;
        }
        if declared.is_some_and(|n| total != n) {
            return Err(size_mismatch());
        }
        let (checksum, os_hash_value) = hashers.finish().await?;
        let virtual_size = match &inspector {
            Some(i) => self.judge(img, &i.finish(total), total)?,
            None => None,
        };
        staged.commit().await?;
        Ok(UploadResult {
            size: total as i64,
            checksum,
            os_hash_value,
            virtual_size: virtual_size.and_then(|v| i64::try_from(v).ok()),
        })
    }

    /// Applies Glance's rules to what the inspector found: the virtual size to store, or 415.
    fn judge(&self, img: &Image, found: &Inspection, size: u64) -> Result<Option<u64>, ImageError> {
        let declared = img.disk_format.as_deref().unwrap_or_default();
        match inspect::judge(declared, found, size, self.require_format_match) {
            Verdict::Accept {
                virtual_size,
                warning,
            } => {
                if let Some(w) = warning {
                    tracing::warn!(image = %img.id, declared, detected = %found.format, "{w}");
                }
                Ok(virtual_size)
            }
            Verdict::Refuse(why) => {
                tracing::info!(image = %img.id, declared, detected = %found.format, "upload refused: {why}");
                Err(ImageError::UnsupportedMedia(format!(
                    "Image data was refused: {why} Nothing was kept; the image is still queued."
                )))
            }
        }
    }

    /// `GET /images/{id}/file`.
    pub async fn download(
        &self,
        actor: &Actor,
        id: &ImageId,
        range: Option<ByteRange>,
    ) -> Result<Download, ImageError> {
        let (img, m) = self.load(actor, id).await?;
        allow(
            self.decide(
                "download_image",
                actor,
                Some(&img),
                m,
                policy::can_download(actor, &img, m),
            ),
            id,
        )?;
        let Some(total) = img
            .size
            .filter(|_| matches!(img.status, ImageStatus::Active | ImageStatus::Deactivated))
        else {
            return Ok(Download::NoData);
        };
        let total = total as u64;
        let (start, len) = match range {
            None => (0, total),
            Some(r) => {
                let (s, e) = match r {
                    ByteRange::From(s, e) => (
                        s,
                        e.map(|e| e.min(total.saturating_sub(1)))
                            .unwrap_or(total.saturating_sub(1)),
                    ),
                    ByteRange::Suffix(n) => (total.saturating_sub(n), total.saturating_sub(1)),
                };
                if s >= total || e < s {
                    return Err(ImageError::RangeNotSatisfiable(total));
                }
                (s, e - s + 1)
            }
        };
        let file = self.store.open_at(id, start).await?.ok_or_else(|| {
            tracing::error!(image = %id, "active image has no data file");
            ImageError::NotFound(format!("Image {id} has no data."))
        })?;
        Ok(Download::Data {
            image: Box::new(img),
            data: read_ahead(file, len, self.store.blocks().clone()).boxed(),
            start,
            len,
            total,
            partial: range.is_some(),
        })
    }
}

fn size_mismatch() -> ImageError {
    ImageError::Invalid(
        "Size of uploaded data does not match the x-openstack-image-size header.".into(),
    )
}
