//! Interoperable import: `PUT /stage` (data to the staging area), `POST /import` (checks in
//! Glance's order, then a task, the lock and the status move in one transaction), the task
//! lists, and the runner: every node claims runnable tasks (pending, or processing on a node
//! that stopped renewing its lease) and runs glance-direct, web-download (optionally converted)
//! and copy-image.

use super::data::LeaseKeeper;
use super::*;
use crate::domain::task::{
    ImportMethod, ImportRequest, Task, TaskStatus, FAILED_IMPORT, IMPORTING_TO, IMPORT_LOCK,
    TASK_TIME_TO_LIVE, TASK_TYPE,
};
use crate::server::fetch::{FetchError, Fetcher};
use crate::server::images::repo::{Begun, Staleness};
use std::sync::Arc;
use std::time::Duration;

/// How imports run on this node.
#[derive(Debug, Clone)]
pub struct ImportSettings {
    /// The enabled methods (Glance's `enabled_import_methods`).
    pub methods: Vec<ImportMethod>,
    /// web-download's fetcher and its filter.
    pub fetcher: Fetcher,
    /// Imports are converted to this disk format (Glance's `image_conversion` plugin).
    pub conversion: Option<super::convert::Conversion>,
    /// Tasks one node runs at once.
    pub parallel: usize,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings {
            methods: ImportMethod::ALL.to_vec(),
            fetcher: Fetcher::new(
                Default::default(),
                Duration::from_secs(10),
                Duration::from_secs(60),
            ),
            conversion: None,
            parallel: 2,
        }
    }
}

/// An import that failed, with the stores it could not write to.
struct Failed {
    error: ImageError,
    stores: Vec<String>,
}

impl From<ImageError> for Failed {
    fn from(error: ImageError) -> Self {
        Failed {
            error,
            stores: Vec::new(),
        }
    }
}

impl From<std::io::Error> for Failed {
    fn from(e: std::io::Error) -> Self {
        ImageError::from(e).into()
    }
}

impl From<crate::domain::lifecycle::TransitionError> for Failed {
    fn from(e: crate::domain::lifecycle::TransitionError) -> Self {
        ImageError::from(e).into()
    }
}

/// A stale import lock: Glance breaks one whose task has not moved for an hour (two while pending).
const STALE_PROCESSING: Duration = Duration::from_secs(3600);
const STALE_PENDING: Duration = Duration::from_secs(7200);

impl ImageService {
    /// How imports run.
    pub fn imports(mut self, settings: ImportSettings) -> Self {
        self.import = Arc::new(settings);
        self
    }

    /// The enabled import methods, by Glance's names (for `/v2/info/import` and the
    /// `OpenStack-image-import-methods` header).
    pub fn import_methods(&self) -> Vec<&'static str> {
        self.import.methods.iter().map(|m| m.as_str()).collect()
    }

    fn enabled(&self, m: ImportMethod) -> bool {
        self.import.methods.contains(&m)
    }

    fn staging(&self) -> Result<Arc<dyn ImageStore>, ImageError> {
        self.stores.staging().cloned().ok_or_else(|| {
            ImageError::NotFound(Reason::ImportMethodDisabled {
                method: ImportMethod::GlanceDirect.as_str().into(),
            })
        })
    }

    /// `PUT /images/{id}/stage`: streams `body` to the staging area (queued -> uploading). On any
    /// failure the image is back in `queued` with nothing staged.
    pub async fn stage<S, E>(
        &self,
        actor: &Actor,
        id: &ImageId,
        declared: Option<u64>,
        body: S,
    ) -> Result<(), ImageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        if !self.enabled(ImportMethod::GlanceDirect) {
            return Err(ImageError::NotFound(Reason::ImportMethodDisabled {
                method: ImportMethod::GlanceDirect.as_str().into(),
            }));
        }
        let staging = self.staging()?;
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
        let (cap, cap_error) = self.upload_cap(&img).await?;
        if declared.is_some_and(|n| n > cap) {
            return Err(cap_error);
        }
        let uploading = transition(img.status, Event::BeginStage)?;
        let failed = transition(uploading, Event::StageFailed)?;
        let (mut guard, _lease) = self
            .begin_receiving(id, (img.status, uploading, failed))
            .await?;
        let result = self
            .receive(
                &img,
                staging.as_ref(),
                declared,
                body,
                (cap, cap_error),
                false,
            )
            .await;
        let now = clock::stored(clock::now());
        guard.armed = false;
        match result {
            Ok((r, at)) => {
                if !self
                    .repo
                    .finish_stage(id, uploading, &self.node, r.size, &now)
                    .await?
                {
                    staging.delete(&at.location).await?;
                    return Err(ImageError::Gone(Reason::DeletedDuringUpload));
                }
                tracing::info!(image = %id, size = r.size, "image data staged");
                Ok(())
            }
            Err(e) => {
                self.repo
                    .fail_upload(id, (uploading, failed), &self.node, &now)
                    .await?;
                Err(e)
            }
        }
    }

    /// `POST /images/{id}/import`: checks the request in Glance's order (status, formats,
    /// stores, policy, the lock, the URI, quotas), then starts a task that some node runs.
    pub async fn import(
        &self,
        actor: &Actor,
        id: &ImageId,
        req: ImportRequest,
        request_id: &str,
    ) -> Result<Task, ImageError> {
        let (img, m) = self.load(actor, id).await?;
        let method = req.method;
        if !self.enabled(method) {
            return Err(ImageError::Invalid(Reason::ImportMethodDisabled {
                method: method.as_str().into(),
            }));
        }
        if !req.all_stores_must_succeed && !self.stores.is_named() {
            return Err(ImageError::Invalid(Reason::AllStoresNeedsStores));
        }
        if img.status != method.needs_status() {
            return Err(ImageError::Conflict(Reason::ImportNeedsStatus {
                method: method.as_str().into(),
                status: method.needs_status().to_string(),
            }));
        }
        if img.disk_format.is_none() || img.container_format.is_none() {
            return Err(ImageError::Conflict(Reason::ImportFormatsFirst));
        }
        let targets = self.import_targets(&img, &req).await?;
        let decision = if method == ImportMethod::CopyImage {
            let default = if actor.is_admin() {
                Decision::Allow
            } else {
                Decision::Forbidden(Reason::AdminOnlyCopy)
            };
            self.decide(Rule::CopyImage, actor, Some(&img), m, default)
        } else {
            self.decide(
                Rule::ModifyImage,
                actor,
                Some(&img),
                m,
                policy::can_modify(actor, &img, m),
            )
        };
        allow(decision, id)?;
        if let Some(holder) = img.properties.get(IMPORT_LOCK) {
            if self.lock_holds(holder).await? {
                return Err(ImageError::Conflict(Reason::ImportRunning {
                    task: holder.clone(),
                }));
            }
        }
        if method == ImportMethod::WebDownload {
            let uri = req.uri.as_deref().unwrap_or_default();
            self.import
                .fetcher
                .filter()
                .check(uri)
                .map_err(|why| ImageError::Invalid(Reason::UriRefused { why }))?;
        }
        if method != ImportMethod::CopyImage {
            let (cap, cap_error) = self.upload_cap(&img).await?;
            if img.size.is_some_and(|s| s as u64 > cap) && method == ImportMethod::GlanceDirect {
                return Err(cap_error);
            }
        }
        let now = clock::now();
        let created = clock::stored(now);
        let mut method_json = serde_json::json!({"name": method.as_str()});
        if let Some(uri) = &req.uri {
            method_json["uri"] = Value::String(uri.clone());
        }
        let task = Task {
            id: uuid::Uuid::new_v4().to_string(),
            kind: TASK_TYPE.into(),
            status: TaskStatus::Pending,
            input: serde_json::json!({
                "image_id": id.as_str(),
                "import_req": {
                    "method": method_json,
                    "stores": req.stores,
                    "all_stores": req.all_stores,
                    "all_stores_must_succeed": req.all_stores_must_succeed,
                },
                "backend": targets,
            }),
            result: None,
            message: String::new(),
            owner: img
                .owner
                .clone()
                .map(|o| o.to_string())
                .unwrap_or_else(|| actor.project_id.to_string()),
            user_id: actor.user_id.to_string(),
            request_id: request_id.to_string(),
            image_id: Some(id.to_string()),
            created_at: created.clone(),
            updated_at: created.clone(),
            expires_at: None,
        };
        let to = if method.sets_importing() {
            transition(img.status, Event::BeginImport)?
        } else {
            img.status
        };
        let stale = (
            clock::stored(now - STALE_PROCESSING),
            clock::stored(now - STALE_PENDING),
            clock::stored(now + Duration::from_secs(TASK_TIME_TO_LIVE)),
        );
        let begun = self
            .repo
            .begin_import(
                id,
                (img.status, to),
                &task,
                Staleness {
                    processing_before: &stale.0,
                    pending_before: &stale.1,
                    broken_expires_at: &stale.2,
                },
            )
            .await?;
        match begun {
            Begun::Started => {}
            Begun::StatusChanged => {
                return Err(ImageError::Conflict(Reason::StatusChangedMeanwhile))
            }
            Begun::Locked(task) => {
                return Err(ImageError::Conflict(Reason::ImportRunning { task }))
            }
        }
        self.repo
            .set_internal_property(id, IMPORTING_TO, Some(&targets.join(",")))
            .await?;
        self.repo
            .set_internal_property(id, FAILED_IMPORT, None)
            .await?;
        tracing::info!(image = %id, task = %task.id, method = method.as_str(), "import started");
        self.wake.notify_one();
        Ok(task)
    }

    /// Whether the lock held by task `holder` still holds (its task is live and recent).
    async fn lock_holds(&self, holder: &str) -> Result<bool, ImageError> {
        let Some(t) = self.repo.task(holder).await? else {
            return Ok(false);
        };
        let limit = match t.status {
            TaskStatus::Pending => STALE_PENDING,
            TaskStatus::Processing => STALE_PROCESSING,
            _ => return Ok(false),
        };
        Ok(t.updated_at >= clock::stored(clock::now() - limit))
    }

    /// The stores an import writes to: those asked for (all with `all_stores`), checked; for
    /// copy-image, the ones that do not hold the image yet.
    async fn import_targets(
        &self,
        img: &Image,
        req: &ImportRequest,
    ) -> Result<Vec<String>, ImageError> {
        let mut asked: Vec<String> = if req.all_stores {
            self.stores.all().map(|s| s.id().to_string()).collect()
        } else {
            req.stores.clone()
        };
        for s in &asked {
            if self.stores.get(s).is_none() || (!self.stores.is_named() && !req.stores.is_empty()) {
                return Err(ImageError::Conflict(Reason::NoSuchStore {
                    id: crate::domain::image::excerpt(s),
                }));
            }
        }
        if req.method != ImportMethod::CopyImage {
            if asked.is_empty() {
                asked.push(self.stores.default_id().to_string());
            }
            return Ok(asked);
        }
        let held: Vec<String> = self
            .repo
            .locations(&img.id)
            .await?
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        if !req.all_stores {
            if let Some(s) = asked.iter().find(|s| held.contains(s)) {
                return Err(ImageError::Invalid(Reason::StoreHasImage {
                    store: s.clone(),
                }));
            }
        }
        asked.retain(|s| !held.contains(s));
        if asked.is_empty() {
            return Err(ImageError::Invalid(Reason::NothingToCopy));
        }
        Ok(asked)
    }

    /// `GET /images/{id}/tasks`: the image's tasks, for whoever may see the image.
    /// Members and other viewers who do not own the image see web-download sources without their
    /// query strings (a signed URL's secret).
    pub async fn image_tasks(&self, actor: &Actor, id: &ImageId) -> Result<Vec<Task>, ImageError> {
        let (img, _) = self.load(actor, id).await?;
        let tasks = self.repo.image_tasks(id).await?;
        if policy::owns(actor, &img) || actor.is_admin() {
            return Ok(tasks);
        }
        Ok(tasks.into_iter().map(Task::redacted).collect())
    }

    /// `GET /tasks` (admin, `tasks_api_access`).
    pub async fn tasks(
        &self,
        actor: &Actor,
        status: Option<TaskStatus>,
        marker: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Task>, ImageError> {
        self.tasks_allowed(actor)?;
        let marker = match marker {
            None => None,
            Some(m) => Some(self.repo.task(m).await?.ok_or_else(|| {
                ImageError::Invalid(Reason::TaskMarkerNotFound {
                    marker: m.to_string(),
                })
            })?),
        };
        self.repo.tasks(status, marker.as_ref(), limit).await
    }

    /// `GET /tasks/{id}` (admin, `tasks_api_access`).
    pub async fn task(&self, actor: &Actor, id: &str) -> Result<Task, ImageError> {
        self.tasks_allowed(actor)?;
        self.repo.task(id).await?.ok_or_else(|| {
            ImageError::NotFound(Reason::TaskNotFound {
                id: crate::domain::image::excerpt(id),
            })
        })
    }

    fn tasks_allowed(&self, actor: &Actor) -> Result<(), ImageError> {
        let default = if actor.is_admin() {
            Decision::Allow
        } else {
            Decision::Forbidden(Reason::AdminOnlyTasks)
        };
        match self.decide(Rule::TasksApiAccess, actor, None, Membership::None, default) {
            Decision::Allow => Ok(()),
            Decision::Forbidden(r) => Err(ImageError::Forbidden(r)),
            Decision::Hidden => Err(ImageError::Forbidden(Reason::AdminOnlyTasks)),
        }
    }

    /// Removes tasks that ended more than their time to live ago (48 hours); returns how many.
    pub async fn purge_expired_tasks(&self) -> Result<u64, ImageError> {
        self.repo
            .purge_expired_tasks(&clock::stored(clock::now()))
            .await
    }

    /// Starts this node's task runner: it claims runnable tasks (at most `parallel` at once),
    /// at once when this node starts an import and otherwise every second (tasks another node
    /// started, or took over from a dead one).
    pub fn spawn_task_runner(&self) {
        let svc = self.clone();
        tokio::spawn(async move {
            let slots = Arc::new(tokio::sync::Semaphore::new(svc.import.parallel.max(1)));
            loop {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    return;
                };
                let now = clock::stored(clock::now());
                match svc
                    .repo
                    .claim_task(&svc.node, &svc.lease_expiry(), &now)
                    .await
                {
                    Ok(Some(task)) => {
                        let s = svc.clone();
                        tokio::spawn(async move {
                            s.run_task(task).await;
                            drop(permit);
                        });
                    }
                    Ok(None) => {
                        drop(permit);
                        tokio::select! {
                            _ = svc.wake.notified() => {}
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                    Err(e) => {
                        drop(permit);
                        e.log_if_internal();
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }

    /// Runs one claimed task to its end, renewing its lease meanwhile.
    async fn run_task(&self, task: Task) {
        tracing::info!(task = %task.id, image = ?task.image_id, "import task running");
        let keeper = self.keep_task_lease(&task);
        let outcome = self.execute(&task).await;
        drop(keeper);
        let now = clock::now();
        let expires = clock::stored(now + Duration::from_secs(TASK_TIME_TO_LIVE));
        let now = clock::stored(now);
        let (status, message, result, failed) = match outcome {
            Ok(failed) => {
                let result = serde_json::json!({"image_id": task.image_id});
                (TaskStatus::Success, String::new(), Some(result), failed)
            }
            Err(f) => {
                f.error.log_if_internal();
                (TaskStatus::Failure, f.error.to_string(), None, f.stores)
            }
        };
        tracing::info!(task = %task.id, status = %status, message, "import task ended");
        match self
            .repo
            .end_task(
                &task,
                &self.node,
                status,
                &message,
                result.as_ref(),
                &failed,
                &now,
                &expires,
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!(task = %task.id, "the task was taken over meanwhile"),
            Err(e) => e.log_if_internal(),
        }
        if let Some(Ok(id)) = task.image_id.as_deref().map(ImageId::parse) {
            if let Ok(Some(img)) = self.repo.get(&id).await {
                self.notify("image.update", &img).await;
            }
        }
    }

    /// Renews this node's lease on a task every third of the lease, until dropped.
    fn keep_task_lease(&self, task: &Task) -> LeaseKeeper {
        let (repo, task, node, lease) = (
            self.repo.clone(),
            task.clone(),
            self.node.clone(),
            self.lease,
        );
        LeaseKeeper(tokio::spawn(async move {
            let mut every = tokio::time::interval(lease / 3);
            every.tick().await;
            loop {
                every.tick().await;
                let until = clock::stored(clock::now() + lease);
                let now = clock::stored(clock::now());
                match repo.renew_task(&task, &node, &until, &now).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => e.log_if_internal(),
                }
            }
        }))
    }

    /// What a task does; the stores that failed (when some may).
    async fn execute(&self, task: &Task) -> Result<Vec<String>, Failed> {
        let id = task
            .image_id
            .as_deref()
            .and_then(|i| ImageId::parse(i).ok())
            .ok_or(ImageError::Conflict(Reason::DeletedDuringImport))?;
        let method = task
            .method()
            .ok_or_else(|| ImageError::Invalid(Reason::TaskWithoutMethod))?;
        let img = self
            .repo
            .get(&id)
            .await?
            .ok_or(ImageError::Gone(Reason::DeletedDuringImport))?;
        if img.properties.get(IMPORT_LOCK) != Some(&task.id) {
            return Err(ImageError::Conflict(Reason::ImportRunning {
                task: img.properties.get(IMPORT_LOCK).cloned().unwrap_or_default(),
            })
            .into());
        }
        let targets: Vec<String> = task
            .input
            .get("backend")
            .and_then(|b| b.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if method == ImportMethod::CopyImage {
            let must = task
                .input
                .pointer("/import_req/all_stores_must_succeed")
                .and_then(|b| b.as_bool())
                .unwrap_or(true);
            return self.copy_to_stores(&img, &targets, must).await;
        }
        if img.status == ImageStatus::Active {
            // A node finished it and died before saying so.
            return Ok(Vec::new());
        }
        if img.status != ImageStatus::Importing {
            return Err(ImageError::Conflict(Reason::StatusChangedMeanwhile).into());
        }
        self.repo
            .take_lease(&id, &self.node, &self.lease_expiry())
            .await?;
        let store = targets
            .first()
            .and_then(|s| self.stores.get(s))
            .unwrap_or(self.stores.default_store())
            .clone();
        let result = self.bring_data(&img, method, task, store.as_ref()).await;
        let now = clock::stored(clock::now());
        let staged = || async {
            if method == ImportMethod::GlanceDirect {
                if let Ok(staging) = self.staging() {
                    if let Err(e) = staging.delete(&staging.location_for(&id)).await {
                        tracing::warn!(image = %id, error = %e, "cannot remove staged data");
                    }
                }
            }
        };
        match result {
            Ok((r, at)) => {
                let done = (
                    ImageStatus::Importing,
                    transition(ImageStatus::Importing, Event::ImportSucceeded)?,
                );
                let finished = self
                    .repo
                    .finish_upload(&id, done, &self.node, &r, store.id(), &at.location, &now)
                    .await?;
                staged().await;
                if !finished {
                    store.delete(&at.location).await?;
                    return Err(ImageError::Gone(Reason::DeletedDuringImport).into());
                }
                tracing::info!(image = %id, size = r.size, store = store.id(), "image imported");
                if let Some(img) = self.repo.get(&id).await? {
                    self.notify("image.upload", &img).await;
                    self.notify("image.activate", &img).await;
                }
                Ok(Vec::new())
            }
            Err(e) => {
                let back = transition(ImageStatus::Importing, Event::ImportFailed)?;
                self.repo
                    .fail_upload(&id, (ImageStatus::Importing, back), &self.node, &now)
                    .await?;
                staged().await;
                Err(Failed {
                    error: e,
                    stores: targets,
                })
            }
        }
    }

    /// Streams the data of a glance-direct or web-download import into `store` (through the
    /// conversion when one is set), hashed and inspected on the way.
    async fn bring_data(
        &self,
        img: &Image,
        method: ImportMethod,
        task: &Task,
        store: &dyn ImageStore,
    ) -> Result<(UploadResult, Stored), ImageError> {
        let own = if method == ImportMethod::GlanceDirect {
            img.size.unwrap_or(0)
        } else {
            0
        };
        let cap = self.size_left(img, own).await?;
        let (declared, body): (Option<u64>, BoxStream<'static, Result<Bytes, String>>) =
            match method {
                ImportMethod::WebDownload => {
                    let uri = task.uri().unwrap_or_default();
                    let source = self.import.fetcher.open(uri).await.map_err(|e| match e {
                        FetchError::Refused(why) => ImageError::Invalid(Reason::UriRefused { why }),
                        FetchError::Failed(why) => {
                            ImageError::Invalid(Reason::SourceFailed { why })
                        }
                    })?;
                    (source.length, source.body)
                }
                _ => {
                    let staging = self.staging()?;
                    let size = img.size.unwrap_or(0).max(0) as u64;
                    let data = staging
                        .get(&staging.location_for(&img.id), 0, size)
                        .await?
                        .ok_or(ImageError::Conflict(Reason::NoDataYet))?;
                    (
                        Some(size),
                        data.map(|r| r.map_err(|e| e.to_string())).boxed(),
                    )
                }
            };
        match &self.import.conversion {
            Some(conv) => {
                let converted = conv.convert(img, declared, body, cap.0).await?;
                let mut target = img.clone();
                target.disk_format = Some(conv.format().to_string());
                let size = converted.size;
                let (r, at) = self
                    .receive(
                        &target,
                        store,
                        Some(size),
                        converted.stream().await?,
                        cap,
                        true,
                    )
                    .await?;
                self.repo.set_disk_format(&img.id, conv.format()).await?;
                Ok((r, at))
            }
            None => self.receive(img, store, declared, body, cap, true).await,
        }
    }

    /// copy-image: the image's data into each target store, one after another, showing which
    /// remain in `os_glance_importing_to_stores`.
    async fn copy_to_stores(
        &self,
        img: &Image,
        targets: &[String],
        all_must_succeed: bool,
    ) -> Result<Vec<String>, Failed> {
        let size = img.size.unwrap_or(0).max(0) as u64;
        let mut failed = Vec::new();
        for (i, target) in targets.iter().enumerate() {
            self.repo
                .set_internal_property(&img.id, IMPORTING_TO, Some(&targets[i..].join(",")))
                .await?;
            let copied = self.copy_one(img, target, size).await;
            match copied {
                Ok(()) => tracing::info!(image = %img.id, store = target, "image copied"),
                Err(e) => {
                    tracing::warn!(image = %img.id, store = target, error = %e, "copy failed");
                    failed.push(target.clone());
                    if all_must_succeed {
                        failed.extend(targets[i + 1..].iter().cloned());
                        return Err(Failed {
                            error: e,
                            stores: failed,
                        });
                    }
                }
            }
        }
        Ok(failed)
    }

    /// Copies the image's data into the store `target` and records it there.
    async fn copy_one(&self, img: &Image, target: &str, size: u64) -> Result<(), ImageError> {
        let store = self
            .stores
            .get(target)
            .cloned()
            .ok_or_else(|| ImageError::Conflict(Reason::NoSuchStore { id: target.into() }))?;
        let mut source = None;
        for (s, location) in self.repo.locations(&img.id).await? {
            if let Some(from) = self.stores.get(&s) {
                if let Some(data) = from.get(&location, 0, size).await? {
                    source = Some(data);
                    break;
                }
            }
        }
        let mut data = source.ok_or_else(|| {
            ImageError::NotFound(Reason::ImageHasNoData {
                id: img.id.to_string(),
            })
        })?;
        let mut writer = store.put(&img.id).await?;
        let mut blocks = BlockBuilder::new(store.block_pool());
        let mut total = 0u64;
        let copied: Result<(), ImageError> = async {
            while let Some(chunk) = data.next().await {
                let chunk = chunk?;
                total += chunk.len() as u64;
                let mut rest = &chunk[..];
                while !rest.is_empty() {
                    if let Some(block) = blocks.fill(&mut rest) {
                        writer.write(block).await?;
                    }
                }
            }
            if let Some(block) = blocks.finish() {
                writer.write(block).await?;
            }
            if total != size {
                return Err(ImageError::Invalid(Reason::SizeMismatch));
            }
            Ok(())
        }
        .await;
        if let Err(e) = copied {
            if let Err(a) = writer.abort().await {
                tracing::warn!(image = %img.id, error = %a, "cannot remove a failed copy");
            }
            return Err(e);
        }
        let at = writer.commit().await?;
        let now = clock::stored(clock::now());
        if !self
            .repo
            .add_location(&img.id, store.id(), &at.location, &now)
            .await?
        {
            store.delete(&at.location).await?;
            return Err(ImageError::Gone(Reason::DeletedDuringImport));
        }
        Ok(())
    }
}
