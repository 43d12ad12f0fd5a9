//! Image data use cases: the upload (receive, hash, inspect, store, then the status moves) and
//! the download (ranges), with the guard that requeues an abandoned upload.

use super::*;

/// Fails an upload if the guard is dropped before it is disarmed: the request future was dropped
/// (client gone) or returned early. The image goes back to `queued`.
pub(super) struct UploadGuard {
    repo: ImageRepo,
    id: ImageId,
    node: std::sync::Arc<str>,
    /// The status move a failure makes (saving -> queued, uploading -> queued).
    failed: (ImageStatus, ImageStatus),
    pub(super) armed: bool,
}

impl Drop for UploadGuard {
    fn drop(&mut self) {
        if self.armed {
            let (repo, id, node) = (self.repo.clone(), self.id.clone(), self.node.clone());
            let failed = self.failed;
            tokio::spawn(async move {
                if let Err(e) = repo
                    .fail_upload(&id, failed, &node, &clock::stored(clock::now()))
                    .await
                {
                    e.log_if_internal();
                }
            });
        }
    }
}

/// Renews an upload's lease until dropped.
pub(super) struct LeaseKeeper(pub(super) tokio::task::JoinHandle<()>);

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.0.abort();
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
        store: Option<&str>,
        body: S,
    ) -> Result<Image, ImageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let (img, m) = self.load(actor, id).await?;
        allow(
            self.decide(
                Rule::UploadImage,
                actor,
                Some(&img),
                m,
                policy::can_upload(actor, &img, m),
            ),
            id,
        )?;
        if img.disk_format.is_none() || img.container_format.is_none() {
            return Err(ImageError::Invalid(Reason::FormatsFirst));
        }
        // A store named by the caller (multi-store), else the default one.
        let store = match store {
            None => self.stores.default_store().clone(),
            Some(name) => self
                .stores
                .get(name)
                .filter(|_| self.stores.is_named())
                .cloned()
                .ok_or_else(|| {
                    ImageError::Invalid(Reason::NoSuchStore {
                        id: crate::domain::image::excerpt(name),
                    })
                })?,
        };
        let (cap, cap_error) = self.upload_cap(&img).await?;
        if declared.is_some_and(|n| n > cap) {
            return Err(cap_error);
        }
        let saving = transition(img.status, Event::BeginUpload)?;
        let (stored, failed) = (
            transition(saving, Event::UploadSucceeded)?,
            transition(saving, Event::UploadFailed)?,
        );
        let (mut guard, _lease) = self
            .begin_receiving(id, (img.status, saving, failed))
            .await?;
        let mut preparing = img.clone();
        preparing.status = saving;
        self.notify("image.prepare", &preparing).await;
        let result = self
            .receive(&img, store.as_ref(), declared, body, (cap, cap_error), true)
            .await;
        let now = clock::stored(clock::now());
        match result {
            Ok((r, at)) => {
                let finished = self
                    .repo
                    .finish_upload(
                        id,
                        (saving, stored),
                        &self.node,
                        &r,
                        store.id(),
                        &at.location,
                        &now,
                    )
                    .await?;
                guard.armed = false;
                if !finished {
                    // Deleted, or taken back as abandoned, while uploading: the data must not stay.
                    store.delete(&at.location).await?;
                    return Err(ImageError::Gone(Reason::DeletedDuringUpload));
                }
                tracing::info!(image = %id, size = r.size, store = store.id(), "image data stored");
                let img = self.repo.get(id).await?.ok_or_else(|| not_found(id))?;
                self.notify("image.upload", &img).await;
                if img.status == ImageStatus::Active {
                    self.notify("image.activate", &img).await;
                }
                Ok(self.readable(actor, img))
            }
            Err(e) => {
                guard.armed = false;
                self.repo
                    .fail_upload(id, (saving, failed), &self.node, &now)
                    .await?;
                if self.events.enabled("image.upload") {
                    let members = self.audience(&img).await;
                    self.events.upload_failed(&img, &e.to_string(), members);
                }
                Err(e)
            }
        }
    }

    /// Moves the image `from` -> `to` (queued -> saving, queued -> uploading) under this node's
    /// lease, or answers 409 if it moved meanwhile. The guard moves it `to` -> `failed` if it is
    /// dropped armed; the keeper renews the lease until dropped.
    pub(super) async fn begin_receiving(
        &self,
        id: &ImageId,
        (from, to, failed): (ImageStatus, ImageStatus, ImageStatus),
    ) -> Result<(UploadGuard, LeaseKeeper), ImageError> {
        let now = clock::stored(clock::now());
        if !self
            .repo
            .begin_upload(id, (from, to), &self.node, &self.lease_expiry(), &now)
            .await?
        {
            return Err(ImageError::Conflict(Reason::AlreadySaving));
        }
        let guard = UploadGuard {
            repo: self.repo.clone(),
            id: id.clone(),
            node: self.node.clone(),
            failed: (to, failed),
            armed: true,
        };
        Ok((guard, self.keep_lease(id)))
    }

    /// Renews this node's lease on the upload of `id` every third of the lease, until dropped.
    pub(super) fn keep_lease(&self, id: &ImageId) -> LeaseKeeper {
        let (repo, id, node, lease) =
            (self.repo.clone(), id.clone(), self.node.clone(), self.lease);
        LeaseKeeper(tokio::spawn(async move {
            let mut every = tokio::time::interval(lease / 3);
            every.tick().await;
            loop {
                every.tick().await;
                let until = clock::stored(clock::now() + lease);
                match repo.renew_lease(&id, &node, &until).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => e.log_if_internal(),
                }
            }
        }))
    }

    /// The receive step: streams `body` into `store` while hashing and inspecting it, and says
    /// what was stored and where (the hashers and the inspector only when `inspect`: staged data
    /// is hashed and inspected when it is imported). It knows nothing of statuses, so imports use it too.
    pub(super) async fn receive<S, E>(
        &self,
        img: &Image,
        store: &dyn ImageStore,
        declared: Option<u64>,
        body: S,
        (cap, cap_error): (u64, ImageError),
        inspect: bool,
    ) -> Result<(UploadResult, Stored), ImageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let mut staged = store.put(&img.id).await?;
        match self
            .fill(
                img,
                &mut staged,
                store,
                declared,
                body,
                (cap, cap_error),
                inspect,
            )
            .await
        {
            Ok(result) => Ok((result, staged.commit().await?)),
            Err(e) => {
                // Nothing of a failed upload stays behind, before the caller hears of it.
                if let Err(a) = staged.abort().await {
                    tracing::warn!(image = %img.id, error = %a, "cannot remove a failed upload's data; recovery will");
                }
                Err(e)
            }
        }
    }

    /// Streams the body into `staged` through the hashers and the inspector, checking sizes.
    #[allow(clippy::too_many_arguments)]
    async fn fill<S, E>(
        &self,
        img: &Image,
        staged: &mut Box<dyn StoreWriter>,
        store: &dyn ImageStore,
        declared: Option<u64>,
        mut body: S,
        (cap, cap_error): (u64, ImageError),
        inspect: bool,
    ) -> Result<UploadResult, ImageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        // Staged data (not inspected) is not hashed either: its import hashes it on the way in.
        let hashers = inspect.then(Hashers::start);
        // Glance inspects bare images only: other containers wrap the disk in their own format.
        let mut inspector =
            (inspect && img.container_format.as_deref() == Some("bare")).then(Inspector::new);
        let mut blocks = BlockBuilder::new(store.block_pool());
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
                    if let Some(h) = &hashers {
                        h.feed(&block).await;
                    }
                    staged.write(block).await?;
                }
            }
        }
        if let Some(block) = blocks.finish() {
            if let Some(h) = &hashers {
                h.feed(&block).await;
            }
            staged.write(block).await?;
        }
        if declared.is_some_and(|n| total != n) {
            return Err(size_mismatch());
        }
        let (checksum, os_hash_value) = match hashers {
            Some(h) => h.finish().await?,
            None => (String::new(), String::new()),
        };
        let virtual_size = match &inspector {
            Some(i) => self.judge(img, &i.finish(total), total)?,
            None => None,
        };
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
                Err(ImageError::UnsupportedMedia(Reason::DataRefused { why }))
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
                Rule::DownloadImage,
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
        let missing = || {
            tracing::error!(image = %id, "active image has no data in its stores");
            ImageError::NotFound(Reason::ImageHasNoData { id: id.to_string() })
        };
        let mut data = None;
        for (store, location) in self.repo.locations(id).await? {
            if let Some(s) = self.stores.get(&store) {
                if let Some(stream) = s.get(&location, start, len).await? {
                    data = Some(stream);
                    break;
                }
            }
        }
        let mut data = data.ok_or_else(missing)?;
        if self.events.enabled("image.send") {
            // `image.send` when the stream ends, or is dropped early (a client gone), with the
            // bytes that went out.
            // No members query on the download path: the audience of `image.send` is never
            // read (the live stream and the relay leave it out; AMQP consumers get it all).
            let (events, members) = (self.events.clone(), Vec::new());
            let (sent_img, project, user) = (
                img.clone(),
                actor.project_id.clone(),
                actor.user_id.to_string(),
            );
            data = Counted::new(data, len, move |sent, complete| {
                events.sent(&sent_img, (&project, &user), sent, complete, members)
            })
            .boxed();
        }
        Ok(Download::Data {
            image: Box::new(img),
            data,
            start,
            len,
            total,
            partial: range.is_some(),
        })
    }
}

/// A download stream that reports, once, how many bytes went out and whether that was all.
struct Counted<F: FnOnce(u64, bool)> {
    inner: BoxStream<'static, std::io::Result<Bytes>>,
    sent: u64,
    expected: u64,
    done: Option<F>,
}

impl<F: FnOnce(u64, bool)> Counted<F> {
    fn new(inner: BoxStream<'static, std::io::Result<Bytes>>, expected: u64, done: F) -> Self {
        Counted {
            inner,
            sent: 0,
            expected,
            done: Some(done),
        }
    }

    fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            done(self.sent, self.sent == self.expected);
        }
    }
}

impl<F: FnOnce(u64, bool) + Unpin> Stream for Counted<F> {
    type Item = std::io::Result<Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let next = self.inner.poll_next_unpin(cx);
        match &next {
            std::task::Poll::Ready(Some(Ok(b))) => self.sent += b.len() as u64,
            std::task::Poll::Ready(_) => self.finish(),
            std::task::Poll::Pending => {}
        }
        next
    }
}

impl<F: FnOnce(u64, bool)> Drop for Counted<F> {
    fn drop(&mut self) {
        self.finish();
    }
}

fn size_mismatch() -> ImageError {
    ImageError::Invalid(Reason::SizeMismatch)
}
