//! Quotas: a project's usage against its Keystone-style limits, and what an upload may bring.

use super::*;

impl ImageService {
    /// The most bytes this upload may bring, and the error to give past it: the size cap, or what
    /// is left of the owner's image_size_total limit. Also refuses when the owner already has as
    /// many uploads running as image_count_uploading allows (this one is not counted yet).
    pub(super) async fn upload_cap(&self, img: &Image) -> Result<(u64, ImageError), ImageError> {
        let Some(owner) = &img.owner else {
            return self.size_left(img, 0).await;
        };
        let (_, _, uploading) = self.repo.usage(owner).await?;
        if let Some(limit) = self.repo.limit(owner, "image_count_uploading").await? {
            if uploading + 1 > limit {
                return Err(ImageError::TooLarge(Reason::UploadsRunning {
                    running: uploading,
                    limit,
                }));
            }
        }
        self.size_left(img, 0).await
    }

    /// The most bytes new data for `img` may bring, and the error to give past it: the size cap,
    /// or what is left of the owner's image_size_total limit, counting `own` bytes the image
    /// already has (staged data about to be replaced by its import) as free.
    pub(super) async fn size_left(
        &self,
        img: &Image,
        own: i64,
    ) -> Result<(u64, ImageError), ImageError> {
        let cap_error = ImageError::TooLarge(Reason::SizeCap {
            bytes: self.size_cap,
        });
        let Some(owner) = &img.owner else {
            return Ok((self.size_cap, cap_error));
        };
        if let Some(limit_mib) = self.repo.limit(owner, "image_size_total").await? {
            let (bytes, _, _) = self.repo.usage(owner).await?;
            let left = (limit_mib.saturating_mul(MIB) - bytes + own).max(0) as u64;
            if left < self.size_cap {
                let e = ImageError::TooLarge(Reason::StorageQuota {
                    limit_mib,
                    used_bytes: bytes - own,
                });
                return Ok((left, e));
            }
        }
        Ok((self.size_cap, cap_error))
    }

    /// A project's usage against its limits.
    pub async fn usage(&self, actor: &Actor) -> Result<Usage, ImageError> {
        let p = &actor.project_id;
        let (size_bytes, count, uploading) = self.repo.usage(p).await?;
        let limits = self.repo.limits(p).await?;
        let limit = |name: &str| limits.get(name).copied().unwrap_or(-1);
        Ok(Usage {
            size_limit: limit("image_size_total"),
            size_bytes,
            count_limit: limit("image_count_total"),
            count,
            uploading_limit: limit("image_count_uploading"),
            uploading,
            stage_limit: limit("image_stage_total"),
        })
    }
}
