//! The S3 store: image data as objects in a bucket of any S3-compatible service (AWS, Ceph RGW,
//! Garage, MinIO), through `object_store`'s S3 client. An image's data is the object
//! `<prefix>images/<id>`. Uploads are explicit multipart uploads whose parts grow with the data
//! (8 MiB, then 32 MiB after 1,000 parts, 128 MiB after 3,000, 512 MiB after 6,000: 1 TiB fits
//! in S3's 10,000 parts) with at most two parts in flight, assembled from the pool's blocks
//! without copying. Each unfinished upload has a small marker object
//! `<prefix>uploads/<id>/<random>` holding its upload id, so that recovery can abort what a
//! crash left behind (object_store cannot list multipart uploads). Downloads are ranged GETs.

use super::{BlockPool, ImageStore, Partial, StoreWriter, Stored};
use crate::domain::ids::ImageId;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, FuturesOrdered};
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{ClientOptions, RetryConfig};
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// The blocks uploads are assembled in.
const BLOCK: usize = 1 << 20;
/// Parts that may be uploading at once.
const IN_FLIGHT: usize = 2;

/// How an S3 store is reached (from a `[[stores]]` table).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// The service's URL, e.g. `https://s3.example.com` or `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// The region the bucket is in.
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret (never logged: see the `Debug` impl).
    pub secret_access_key: String,
    /// Path-style addressing (`endpoint/bucket/key`) rather than virtual-hosted style.
    pub path_style: bool,
    /// Prepended to every key (e.g. `glimpse/`), so that a bucket can be shared.
    pub prefix: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<hidden>")
            .field("path_style", &self.path_style)
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// The size of part `n` (0-based) of an upload.
pub fn part_size(n: usize) -> usize {
    const MIB: usize = 1 << 20;
    match n {
        0..1000 => 8 * MIB,
        1000..3000 => 32 * MIB,
        3000..6000 => 128 * MIB,
        _ => 512 * MIB,
    }
}

/// Image data in an S3 bucket.
#[derive(Debug)]
pub struct S3Store {
    id: String,
    s3: Arc<AmazonS3>,
    prefix: String,
    blocks: Arc<BlockPool>,
}

impl S3Store {
    /// A store `id` over the bucket `settings` name. Nothing is contacted yet.
    pub fn new(id: &str, settings: &S3Settings) -> io::Result<S3Store> {
        // The client options first: they replace what `with_allow_http` sets.
        let s3 = AmazonS3Builder::new()
            // No overall request timeout: a download streams one ranged GET for as long as the
            // client reads (a 30 s cap would cut large images). Connecting is bounded, and so
            // are retries, so that /healthcheck answers soon when the service is down.
            .with_client_options(
                ClientOptions::new()
                    .with_timeout_disabled()
                    .with_connect_timeout(Duration::from_secs(5)),
            )
            .with_endpoint(&settings.endpoint)
            .with_allow_http(settings.endpoint.starts_with("http://"))
            .with_region(&settings.region)
            .with_bucket_name(&settings.bucket)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(&settings.secret_access_key)
            .with_virtual_hosted_style_request(!settings.path_style)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
                ..Default::default()
            })
            .build()
            .map_err(io::Error::other)?;
        Ok(S3Store {
            id: id.to_string(),
            s3: Arc::new(s3),
            prefix: settings.prefix.clone(),
            // Enough free blocks for the parts in flight and the one being filled.
            blocks: BlockPool::new(BLOCK, (IN_FLIGHT + 1) * part_size(0) / BLOCK),
        })
    }

    fn key(&self, rest: &str) -> Path {
        Path::from(format!("{}{rest}", self.prefix))
    }

    fn image_key(&self, image: &ImageId) -> Path {
        self.key(&format!("images/{image}"))
    }
}

/// One multipart upload in progress.
struct S3Writer {
    s3: Arc<AmazonS3>,
    path: Path,
    upload: String,
    marker: Path,
    /// Blocks of the part being filled, and their length.
    filling: Vec<Bytes>,
    filled: usize,
    /// Parts sent so far (their index is the next part's).
    next_part: usize,
    in_flight: FuturesOrdered<BoxFuture<'static, object_store::Result<PartId>>>,
    done: Vec<PartId>,
    size: u64,
    finished: bool,
}

impl S3Writer {
    /// Sends the part being filled; waits while too many are in flight.
    async fn send_part(&mut self) -> io::Result<()> {
        let payload: PutPayload = std::mem::take(&mut self.filling).into_iter().collect();
        self.filled = 0;
        let (s3, path, upload, n) = (
            self.s3.clone(),
            self.path.clone(),
            self.upload.clone(),
            self.next_part,
        );
        self.next_part += 1;
        self.in_flight.push_back(Box::pin(async move {
            s3.put_part(&path, &upload, n, payload).await
        }));
        while self.in_flight.len() >= IN_FLIGHT {
            self.wait_one().await?;
        }
        Ok(())
    }

    async fn wait_one(&mut self) -> io::Result<()> {
        if let Some(part) = self.in_flight.next().await {
            self.done.push(part?);
        }
        Ok(())
    }
}

impl StoreWriter for S3Writer {
    fn write(&mut self, block: Bytes) -> BoxFuture<'_, io::Result<()>> {
        Box::pin(async move {
            self.size += block.len() as u64;
            self.filled += block.len();
            self.filling.push(block);
            if self.filled >= part_size(self.next_part) {
                self.send_part().await?;
            }
            Ok(())
        })
    }

    fn abort(self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        self.abort_now()
    }

    fn commit(mut self: Box<Self>) -> BoxFuture<'static, io::Result<Stored>> {
        Box::pin(async move {
            // The last part may be short (S3 requires 5 MiB of every part but the last); an
            // empty image still sends one, empty, part.
            if self.filled > 0 || self.next_part == 0 {
                self.send_part().await?;
            }
            while !self.in_flight.is_empty() {
                self.wait_one().await?;
            }
            let parts = std::mem::take(&mut self.done);
            self.s3
                .complete_multipart(&self.path, &self.upload, parts)
                .await?;
            self.finished = true;
            if let Err(e) = self.s3.delete(&self.marker).await {
                tracing::warn!(error = %e, "cannot remove an upload marker; recovery will");
            }
            Ok(Stored {
                location: self.path.to_string(),
                size: self.size,
            })
        })
    }
}

impl S3Writer {
    fn abort_now(mut self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        self.finished = true; // Drop has nothing left to do
        Box::pin(async move {
            // Parts still uploading finish or fail first; then the upload goes whole.
            while self.in_flight.next().await.is_some() {}
            abort(&self.s3, &self.path, &self.upload, &self.marker).await
        })
    }
}

impl Drop for S3Writer {
    /// An upload that did not complete is aborted (its parts are freed) and its marker removed.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let (s3, path, upload, marker) = (
            self.s3.clone(),
            self.path.clone(),
            self.upload.clone(),
            self.marker.clone(),
        );
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = abort(&s3, &path, &upload, &marker).await {
                    tracing::warn!(error = %e, "cannot abort a multipart upload; recovery will");
                }
            });
        }
    }
}

async fn abort(s3: &AmazonS3, path: &Path, upload: &str, marker: &Path) -> io::Result<()> {
    s3.abort_multipart(path, &upload.to_string()).await?;
    match s3.delete(marker).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

impl ImageStore for S3Store {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "s3"
    }

    fn block_pool(&self) -> Arc<BlockPool> {
        self.blocks.clone()
    }

    fn location_for(&self, image: &ImageId) -> String {
        self.image_key(image).to_string()
    }

    fn put(&self, image: &ImageId) -> BoxFuture<'_, io::Result<Box<dyn StoreWriter>>> {
        let path = self.image_key(image);
        let marker = self.key(&format!(
            "uploads/{image}/{}",
            uuid::Uuid::new_v4().simple()
        ));
        Box::pin(async move {
            let upload = self.s3.create_multipart(&path).await?;
            // The marker first: a crash from here on leaves something recovery can find.
            if let Err(e) = self
                .s3
                .put(&marker, PutPayload::from(upload.clone().into_bytes()))
                .await
            {
                let _ = self.s3.abort_multipart(&path, &upload).await;
                return Err(e.into());
            }
            Ok(Box::new(S3Writer {
                s3: self.s3.clone(),
                path,
                upload,
                marker,
                filling: Vec::new(),
                filled: 0,
                next_part: 0,
                in_flight: FuturesOrdered::new(),
                done: Vec::new(),
                size: 0,
                finished: false,
            }) as Box<dyn StoreWriter>)
        })
    }

    fn get(
        &self,
        location: &str,
        start: u64,
        len: u64,
    ) -> BoxFuture<'_, io::Result<Option<BoxStream<'static, io::Result<Bytes>>>>> {
        let path = Path::from(location);
        Box::pin(async move {
            if len == 0 {
                // A ranged GET of nothing is an error in S3; the data exists or not.
                return match self.s3.head(&path).await {
                    Ok(_) => Ok(Some(futures::stream::empty().boxed())),
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e.into()),
                };
            }
            let options = GetOptions {
                range: Some(GetRange::Bounded(start..start + len)),
                ..Default::default()
            };
            match self.s3.get_opts(&path, options).await {
                Ok(found) => Ok(Some(found.into_stream().map_err(io::Error::from).boxed())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn delete(&self, location: &str) -> BoxFuture<'_, io::Result<()>> {
        let path = Path::from(location);
        Box::pin(async move {
            match self.s3.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn exists(&self, location: &str) -> BoxFuture<'_, io::Result<bool>> {
        let path = Path::from(location);
        Box::pin(async move {
            match self.s3.head(&path).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// Unfinished uploads, by their markers.
    fn partials(&self) -> BoxFuture<'_, io::Result<Vec<Partial>>> {
        let uploads = self.key("uploads");
        Box::pin(async move {
            let markers: Vec<_> = self.s3.list(Some(&uploads)).try_collect().await?;
            let mut out = Vec::new();
            for m in markers {
                // <prefix>uploads/<image id>/<random>
                let mut parts: Vec<_> = m.location.parts().collect();
                let image = parts
                    .len()
                    .checked_sub(2)
                    .map(|i| parts.swap_remove(i))
                    .and_then(|p| ImageId::parse(p.as_ref()).ok());
                if let Some(image) = image {
                    out.push(Partial {
                        image,
                        key: m.location.to_string(),
                    });
                }
            }
            Ok(out)
        })
    }

    /// Aborts the upload a marker names, then removes the marker.
    fn discard(&self, key: &str) -> BoxFuture<'_, io::Result<()>> {
        let marker = Path::from(key);
        let key = key.to_string();
        Box::pin(async move {
            let upload = match self.s3.get(&marker).await {
                Ok(found) => found.bytes().await?,
                Err(object_store::Error::NotFound { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let image = marker
                .parts()
                .collect::<Vec<_>>()
                .iter()
                .rev()
                .nth(1)
                .and_then(|p| ImageId::parse(p.as_ref()).ok())
                .ok_or_else(|| io::Error::other(format!("not an upload marker: {key}")))?;
            let upload = String::from_utf8_lossy(&upload).to_string();
            match abort(&self.s3, &self.image_key(&image), &upload, &marker).await {
                // An upload that completed or was aborted already: only the marker is left.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let _ = self.s3.delete(&marker).await;
                    Ok(())
                }
                other => other,
            }
        })
    }

    fn health(&self) -> BoxFuture<'_, io::Result<()>> {
        let probe = self.key("images");
        Box::pin(async move {
            self.s3.list_with_delimiter(Some(&probe)).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_so_that_a_tebibyte_fits_in_ten_thousand() {
        let total: u64 = (0..10_000).map(|n| part_size(n) as u64).sum();
        assert!(total >= 1 << 40, "{total}");
        assert!(
            (0..10_000).all(|n| part_size(n) >= 5 << 20),
            "S3's minimum part"
        );
        assert_eq!(part_size(0), 8 << 20);
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = S3Settings {
            endpoint: "http://127.0.0.1:9000".into(),
            region: "us-east-1".into(),
            bucket: "images".into(),
            access_key_id: "AKIA".into(),
            secret_access_key: "very-secret".into(),
            path_style: true,
            prefix: String::new(),
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("very-secret") && shown.contains("<hidden>"),
            "{shown}"
        );
    }
}
