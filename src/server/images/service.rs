//! `ImageService`: THE entry point for every image use case. Each method loads the image (repo),
//! asks the domain policy, applies the status machine, persists, touches the store, and returns
//! domain types. Glance handlers and dashboard server functions are thin adapters over it.

use super::error::ImageError;
use super::hashing::Hashers;
use super::query::ListQuery;
use super::repo::{ImageRepo, UploadResult};
use crate::domain::ids::{ImageId, ProjectId};
use crate::domain::image::{
    check_container_format, check_disk_format, check_extra_value, check_key, check_minimum,
    check_name, check_tag, FieldError, Image, ImageStatus, Member, Visibility, MEMBER_STATUSES,
};
use crate::domain::inspect::{self, Inspection, Inspector, Verdict};
use crate::domain::lifecycle::{transition, Event};
use crate::domain::policy::{self, Actor, Decision, Membership};
use crate::domain::policy_rules::{PolicyOverrides, Target};
use crate::server::clock;
use crate::server::store::{read_ahead, BlockBuilder, FileStore};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use serde_json::{Map, Value};

/// Glance's default limits.
pub const MAX_PROPERTIES: usize = 128;
/// Glance's default tag limit.
pub const MAX_TAGS: usize = 128;
/// A project's usage against its limits, as `GET /v2/info/usage` reports it (-1 = unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// image_size_total limit, MiB.
    pub size_limit: i64,
    /// Bytes of image data stored.
    pub size_bytes: i64,
    /// image_count_total limit.
    pub count_limit: i64,
    /// Live images.
    pub count: i64,
    /// image_count_uploading limit.
    pub uploading_limit: i64,
    /// Images receiving data now.
    pub uploading: i64,
    /// image_stage_total limit, MiB.
    pub stage_limit: i64,
}

const MIB: i64 = 1 << 20;

/// Glance's default member limit.
pub const MAX_MEMBERS: usize = 128;

/// One JSON-patch operation, already split into key and value.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Set a property (an existing extra property is overwritten).
    Add(String, Value),
    /// Set a property that must not exist yet (an `add` in the older v2.0 patch dialect; base
    /// properties always exist).
    AddNew(String, Value),
    /// Set a property that must exist.
    Replace(String, Value),
    /// Remove an extra property that must exist.
    Remove(String),
}

/// A requested byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=a-` or `bytes=a-b`.
    From(u64, Option<u64>),
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

/// What a download returns.
pub enum Download {
    /// The image has no data (204).
    NoData,
    /// The data, positioned at `start`, `len` bytes of `total`.
    Data {
        /// The image (for Content-MD5).
        image: Box<Image>,
        /// The `len` bytes from `start`, read ahead in blocks.
        data: BoxStream<'static, std::io::Result<Bytes>>,
        /// First byte.
        start: u64,
        /// Bytes to send.
        len: u64,
        /// Whole size.
        total: u64,
        /// Whether this answers a range request (206).
        partial: bool,
    },
}

/// The image service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ImageService {
    repo: ImageRepo,
    store: FileStore,
    size_cap: u64,
    overrides: std::sync::Arc<PolicyOverrides>,
    require_format_match: bool,
}

fn allow(d: Decision, id: &ImageId) -> Result<(), ImageError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden(m) => Err(ImageError::Forbidden(m)),
        Decision::Hidden => Err(not_found(id)),
    }
}

fn not_found(id: &ImageId) -> ImageError {
    ImageError::NotFound(format!("No image found with ID {id}"))
}

fn schema(msg: impl Into<String>) -> ImageError {
    ImageError::from(FieldError::Schema(msg.into()))
}

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
    /// A service over `repo` and `store`, refusing uploads larger than `size_cap` bytes, with the
    /// operator's policy overrides (empty for Glance's defaults).
    pub fn new(
        repo: ImageRepo,
        store: FileStore,
        size_cap: u64,
        overrides: PolicyOverrides,
    ) -> Self {
        Self {
            repo,
            store,
            size_cap,
            overrides: std::sync::Arc::new(overrides),
            require_format_match: true,
        }
    }

    /// Whether an upload whose data is not its declared disk format is refused (Glance's
    /// `require_image_format_match`, on by default) or only logged.
    pub fn require_format_match(mut self, on: bool) -> Self {
        self.require_format_match = on;
        self
    }

    /// A policy decision: the operator's override of Glance rule `rule` if the policy file has
    /// one, else the default decision the domain policy made.
    fn decide(
        &self,
        rule: &str,
        actor: &Actor,
        image: Option<&Image>,
        membership: Membership,
        default: Decision,
    ) -> Decision {
        match self.overrides.decide(
            rule,
            &Target {
                actor,
                image,
                membership,
            },
        ) {
            None => default,
            Some(true) => Decision::Allow,
            Some(false) if rule == "get_image" => Decision::Hidden,
            Some(false) => {
                Decision::Forbidden(format!("Policy doesn't allow {rule} to be performed."))
            }
        }
    }

    /// Crash recovery, at start: images left `saving` go back to `queued` and partial files go.
    pub async fn recover(&self) -> Result<(u64, usize), ImageError> {
        let requeued = self
            .repo
            .requeue_saving(&clock::stored(clock::now()))
            .await?;
        let removed = self.store.remove_temporaries().await?;
        Ok((requeued, removed))
    }

    async fn load(&self, actor: &Actor, id: &ImageId) -> Result<(Image, Membership), ImageError> {
        let img = self.repo.get(id).await?.ok_or_else(|| not_found(id))?;
        let m = if policy::owns(actor, &img) {
            Membership::None
        } else {
            self.repo.membership(id, &actor.project_id).await?
        };
        allow(
            self.decide(
                "get_image",
                actor,
                Some(&img),
                m,
                policy::can_see(actor, &img, m),
            ),
            id,
        )?;
        Ok((img, m))
    }

    /// Loads an image the caller may modify (`modify_image`): hidden ones are 404, others 403.
    async fn load_for_modify(&self, actor: &Actor, id: &ImageId) -> Result<Image, ImageError> {
        let (img, m) = self.load(actor, id).await?;
        let default = policy::can_modify(actor, &img, m);
        allow(
            self.decide("modify_image", actor, Some(&img), m, default),
            id,
        )?;
        Ok(img)
    }

    /// `GET /images/{id}`.
    pub async fn get(&self, actor: &Actor, id: &ImageId) -> Result<Image, ImageError> {
        Ok(self.load(actor, id).await?.0)
    }

    /// `GET /images`.
    pub async fn list(&self, actor: &Actor, q: &ListQuery) -> Result<Vec<Image>, ImageError> {
        if let Some(marker) = &q.marker {
            // The marker must be an image the caller can see.
            self.load(actor, marker)
                .await
                .map_err(|_| ImageError::Invalid(format!("marker {marker} not found")))?;
        }
        self.repo.list(&actor.project_id, actor.is_admin(), q).await
    }

    /// How many images the caller would list with these filters, over every page.
    pub async fn count(&self, actor: &Actor, q: &ListQuery) -> Result<i64, ImageError> {
        self.repo
            .count(&actor.project_id, actor.is_admin(), q)
            .await
    }

    /// `POST /images`: `body` is the request's JSON object.
    pub async fn create(
        &self,
        actor: &Actor,
        body: Map<String, Value>,
    ) -> Result<Image, ImageError> {
        if !self
            .decide(
                "add_image",
                actor,
                None,
                Membership::None,
                policy::can_create(actor),
            )
            .is_allowed()
        {
            return Err(ImageError::Forbidden(
                "You are not authorized to create images.".into(),
            ));
        }
        let now = clock::stored(clock::now());
        let mut img = Image::queued(ImageId::random(), Some(actor.project_id.clone()), now);
        for (key, value) in body {
            match key.as_str() {
                "id" => {
                    let s = value
                        .as_str()
                        .ok_or_else(|| schema("id must be a string"))?;
                    img.id = ImageId::parse(s)
                        .map_err(|_| schema(format!("'{s}' does not match the UUID pattern")))?;
                }
                "tags" => img.tags = tags_from(&value)?,
                _ => self.set_field(actor, &mut img, &key, value, true)?,
            }
        }
        if img.properties.len() > MAX_PROPERTIES {
            return Err(ImageError::TooLarge(format!(
                "Maximum number of properties ({MAX_PROPERTIES}) exceeded."
            )));
        }
        if let Some(owner) = &img.owner {
            if let Some(limit) = self.repo.limit(owner, "image_count_total").await? {
                if self.repo.usage(owner).await?.1 + 1 > limit {
                    return Err(ImageError::TooLarge(format!(
                        "Image count quota exceeded: the project may have {limit} images. Delete some, or ask an administrator for more."
                    )));
                }
            }
        }
        if self.repo.id_taken(&img.id).await? {
            return Err(ImageError::Conflict(format!(
                "An image with identifier {} already exists",
                img.id
            )));
        }
        self.repo.insert(&img).await?;
        tracing::info!(image = %img.id, project = %actor.project_id, "image created");
        Ok(img)
    }

    /// Sets one field from JSON, with every check Glance makes.
    fn set_field(
        &self,
        actor: &Actor,
        img: &mut Image,
        key: &str,
        value: Value,
        creating: bool,
    ) -> Result<(), ImageError> {
        if !check_key(key)? {
            let s = value
                .as_str()
                .ok_or_else(|| schema(format!("the value of {key:?} must be a string")))?;
            check_extra_value(key, s)?;
            img.properties.insert(key.to_string(), s.to_string());
            return Ok(());
        }
        match key {
            "name" => {
                img.name = match value {
                    Value::Null => None,
                    Value::String(s) => {
                        check_name(&s)?;
                        Some(s)
                    }
                    _ => return Err(schema("name must be a string or null")),
                }
            }
            "visibility" => {
                let s = value
                    .as_str()
                    .ok_or_else(|| schema("visibility must be a string"))?;
                let v = Visibility::parse(s).ok_or_else(|| {
                    schema(format!(
                        "'{s}' is not one of ['community', 'public', 'private', 'shared']"
                    ))
                })?;
                if v != img.visibility {
                    let rule = match v {
                        Visibility::Public => "publicize_image",
                        Visibility::Community => "communitize_image",
                        _ => "modify_image",
                    };
                    let default = policy::can_set_visibility(actor, v);
                    allow(
                        self.decide(rule, actor, Some(img), Membership::None, default),
                        &img.id,
                    )?;
                }
                img.visibility = v;
            }
            "protected" | "os_hidden" => {
                let b = value
                    .as_bool()
                    .ok_or_else(|| schema(format!("{key} must be a boolean")))?;
                if key == "protected" {
                    img.protected = b;
                } else {
                    img.os_hidden = b;
                }
            }
            "owner" => {
                let owner = match value {
                    Value::Null => None,
                    Value::String(s) => Some(
                        ProjectId::parse(&s)
                            .map_err(|_| schema(format!("'{s}' is not a project id")))?,
                    ),
                    _ => return Err(schema("owner must be a string or null")),
                };
                if owner != img.owner {
                    allow(policy::can_set_owner(actor, owner.as_ref()), &img.id)?;
                }
                img.owner = owner;
            }
            "disk_format" | "container_format" => {
                if !creating && !matches!(img.status, ImageStatus::Queued | ImageStatus::Importing)
                {
                    return Err(ImageError::Forbidden(format!(
                        "Attribute {key} can be only replaced for a queued image."
                    )));
                }
                let v = match value {
                    Value::Null => None,
                    Value::String(s) => {
                        if key == "disk_format" {
                            check_disk_format(&s)?;
                        } else {
                            check_container_format(&s)?;
                        }
                        Some(s)
                    }
                    _ => return Err(schema(format!("{key} must be a string or null"))),
                };
                if key == "disk_format" {
                    img.disk_format = v;
                } else {
                    img.container_format = v;
                }
            }
            "min_ram" | "min_disk" => {
                let n = value
                    .as_i64()
                    .ok_or_else(|| schema(format!("{key} must be an integer")))?;
                check_minimum(key, n)?;
                if key == "min_ram" {
                    img.min_ram = n;
                } else {
                    img.min_disk = n;
                }
            }
            _ => unreachable!("check_key lists the writable keys"),
        }
        Ok(())
    }

    /// `PATCH /images/{id}`: applies the changes in order, all or nothing.
    pub async fn update(
        &self,
        actor: &Actor,
        id: &ImageId,
        changes: Vec<Change>,
    ) -> Result<Image, ImageError> {
        let mut img = self.load_for_modify(actor, id).await?;
        for change in changes {
            match change {
                Change::Add(key, value) | Change::Replace(key, value) if key == "tags" => {
                    img.tags = tags_from(&value)?
                }
                Change::Remove(key) if key == "tags" => img.tags.clear(),
                Change::Add(key, value) => self.set_field(actor, &mut img, &key, value, false)?,
                Change::AddNew(key, value) => {
                    if key == "tags" || check_key(&key)? || img.properties.contains_key(&key) {
                        return Err(ImageError::Conflict(format!(
                            "Property {key} already present."
                        )));
                    }
                    self.set_field(actor, &mut img, &key, value, false)?;
                }
                Change::Replace(key, value) => {
                    if !check_key(&key)? && !img.properties.contains_key(&key) {
                        return Err(ImageError::Conflict(format!(
                            "Property {key} does not exist."
                        )));
                    }
                    self.set_field(actor, &mut img, &key, value, false)?;
                }
                Change::Remove(key) => {
                    if check_key(&key)? {
                        return Err(ImageError::Forbidden(format!(
                            "Property {key} is a base property and cannot be removed."
                        )));
                    }
                    if img.properties.remove(&key).is_none() {
                        return Err(ImageError::Conflict(format!(
                            "Property {key} does not exist."
                        )));
                    }
                }
            }
        }
        if img.properties.len() > MAX_PROPERTIES {
            return Err(ImageError::TooLarge(format!(
                "Maximum number of properties ({MAX_PROPERTIES}) exceeded."
            )));
        }
        img.updated_at = clock::stored(clock::now());
        self.repo.save(&img).await?;
        Ok(img)
    }

    /// `DELETE /images/{id}`: refused for protected images; the data goes, the row is soft-deleted.
    pub async fn delete(&self, actor: &Actor, id: &ImageId) -> Result<(), ImageError> {
        let (img, m) = self.load(actor, id).await?;
        allow(
            self.decide(
                "delete_image",
                actor,
                Some(&img),
                m,
                policy::can_delete(actor, &img, m),
            ),
            id,
        )?;
        if img.protected {
            return Err(ImageError::Forbidden(format!(
                "Image {id} is protected and cannot be deleted."
            )));
        }
        transition(img.status, Event::Delete)?;
        self.repo
            .soft_delete(id, &clock::stored(clock::now()))
            .await?;
        self.store.delete(id).await?;
        tracing::info!(image = %id, by = %actor.user_name, "image deleted");
        Ok(())
    }

    /// `PUT /images/{id}/tags/{tag}` (idempotent).
    pub async fn add_tag(&self, actor: &Actor, id: &ImageId, tag: &str) -> Result<(), ImageError> {
        let mut img = self.load_for_modify(actor, id).await?;
        check_tag(tag)?;
        if !img.tags.iter().any(|t| t == tag) {
            if img.tags.len() >= MAX_TAGS {
                return Err(ImageError::TooLarge(format!(
                    "Maximum number of tags ({MAX_TAGS}) exceeded."
                )));
            }
            img.tags.push(tag.to_string());
            img.updated_at = clock::stored(clock::now());
            self.repo.save(&img).await?;
        }
        Ok(())
    }

    /// `DELETE /images/{id}/tags/{tag}`: 404 if the tag is not there.
    pub async fn remove_tag(
        &self,
        actor: &Actor,
        id: &ImageId,
        tag: &str,
    ) -> Result<(), ImageError> {
        let mut img = self.load_for_modify(actor, id).await?;
        let before = img.tags.len();
        img.tags.retain(|t| t != tag);
        if img.tags.len() == before {
            return Err(ImageError::NotFound(format!("Tag {tag} not found")));
        }
        img.updated_at = clock::stored(clock::now());
        self.repo.save(&img).await
    }

    /// `POST /images/{id}/actions/deactivate` or `reactivate` (no-op when already there).
    pub async fn set_active(
        &self,
        actor: &Actor,
        id: &ImageId,
        active: bool,
    ) -> Result<(), ImageError> {
        let (img, m) = self.load(actor, id).await?;
        let rule = if active { "reactivate" } else { "deactivate" };
        allow(
            self.decide(
                rule,
                actor,
                Some(&img),
                m,
                policy::can_deactivate(actor, &img, m),
            ),
            id,
        )?;
        let to = transition(
            img.status,
            if active {
                Event::Reactivate
            } else {
                Event::Deactivate
            },
        )?;
        if to != img.status
            && !self
                .repo
                .set_status(id, img.status, to, &clock::stored(clock::now()))
                .await?
        {
            return Err(ImageError::Conflict(
                "The image changed status meanwhile; try again.".into(),
            ));
        }
        Ok(())
    }

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

    /// The most bytes this upload may bring, and the error to give past it: the size cap, or what
    /// is left of the owner's image_size_total limit. Also refuses when the owner already has as
    /// many uploads running as image_count_uploading allows (this one is not counted yet).
    async fn upload_cap(&self, img: &Image) -> Result<(u64, ImageError), ImageError> {
        let cap_error = ImageError::TooLarge(format!(
            "Image exceeds the size cap of {} bytes.",
            self.size_cap
        ));
        let Some(owner) = &img.owner else {
            return Ok((self.size_cap, cap_error));
        };
        let (bytes, _, uploading) = self.repo.usage(owner).await?;
        if let Some(limit) = self.repo.limit(owner, "image_count_uploading").await? {
            if uploading + 1 > limit {
                return Err(ImageError::TooLarge(format!(
                    "The project already has {uploading} uploads running; its limit is {limit}."
                )));
            }
        }
        if let Some(limit_mib) = self.repo.limit(owner, "image_size_total").await? {
            let left = (limit_mib.saturating_mul(MIB) - bytes).max(0) as u64;
            if left < self.size_cap {
                let e = ImageError::TooLarge(format!(
                    "Image storage quota exceeded: the project may store {limit_mib} MiB and uses {:.1} MiB.",
                    bytes as f64 / MIB as f64
                ));
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

impl ImageService {
    /// `POST /images/{id}/members`: shares a shared image with an existing project (pending).
    pub async fn add_member(
        &self,
        actor: &Actor,
        id: &ImageId,
        member: &str,
    ) -> Result<Member, ImageError> {
        let (img, m) = self.load(actor, id).await?;
        allow(
            self.decide(
                "add_member",
                actor,
                Some(&img),
                m,
                policy::can_manage_members(actor, &img, m),
            ),
            id,
        )?;
        if member.trim().is_empty() {
            return Err(ImageError::Invalid("A member id is required.".into()));
        }
        let member = ProjectId::parse(member.trim())
            .map_err(|_| ImageError::Invalid(format!("{member} is not a valid project id.")))?;
        if !self.repo.project_exists(&member).await? {
            return Err(ImageError::Invalid(format!(
                "Project {member} does not exist."
            )));
        }
        if self.repo.members(id, None).await?.len() >= MAX_MEMBERS {
            return Err(ImageError::TooLarge(format!(
                "Maximum number of members ({MAX_MEMBERS}) exceeded."
            )));
        }
        self.repo
            .add_member(id, &member, &clock::stored(clock::now()))
            .await?;
        self.member(actor, id, &member).await
    }

    /// `GET /images/{id}/members`: all of them for the owner, only itself for a member.
    pub async fn members(&self, actor: &Actor, id: &ImageId) -> Result<Vec<Member>, ImageError> {
        let (img, _) = self.load(actor, id).await?;
        allow(policy::can_list_members(&img), id)?;
        let all = self.repo.members(id, None).await?;
        Ok(all
            .into_iter()
            .filter(|mb| policy::can_see_member(actor, &img, &mb.member_id).is_allowed())
            .collect())
    }

    /// `GET /images/{id}/members/{member}`.
    pub async fn member(
        &self,
        actor: &Actor,
        id: &ImageId,
        member: &ProjectId,
    ) -> Result<Member, ImageError> {
        let (img, _) = self.load(actor, id).await?;
        allow(policy::can_list_members(&img), id)?;
        let missing = || ImageError::NotFound(format!("{member} is not a member of image {id}."));
        allow(policy::can_see_member(actor, &img, member), id).map_err(|_| missing())?;
        self.repo
            .members(id, Some(member))
            .await?
            .pop()
            .ok_or_else(missing)
    }

    /// `PUT /images/{id}/members/{member}`: the member accepts, rejects or resets its share.
    pub async fn set_member_status(
        &self,
        actor: &Actor,
        id: &ImageId,
        member: &ProjectId,
        status: &str,
    ) -> Result<Member, ImageError> {
        let (img, _) = self.load(actor, id).await?;
        if !MEMBER_STATUSES.contains(&status) {
            return Err(ImageError::Invalid(format!(
                "Invalid status '{status}': use pending, accepted or rejected."
            )));
        }
        allow(policy::can_see_member(actor, &img, member), id)?;
        allow(
            self.decide(
                "modify_member",
                actor,
                Some(&img),
                Membership::None,
                policy::can_set_member_status(actor, member),
            ),
            id,
        )?;
        if !self
            .repo
            .set_member_status(id, member, status, &clock::stored(clock::now()))
            .await?
        {
            return Err(ImageError::NotFound(format!(
                "{member} is not a member of image {id}."
            )));
        }
        self.member(actor, id, member).await
    }

    /// `DELETE /images/{id}/members/{member}`: the owner (or an admin) stops sharing.
    pub async fn remove_member(
        &self,
        actor: &Actor,
        id: &ImageId,
        member: &ProjectId,
    ) -> Result<(), ImageError> {
        let (img, m) = self.load(actor, id).await?;
        match self.decide(
            "delete_member",
            actor,
            Some(&img),
            m,
            policy::owner_member_decision(actor, &img, m),
        ) {
            Decision::Allow => {}
            Decision::Forbidden(msg) => return Err(ImageError::Forbidden(msg)),
            Decision::Hidden => return Err(not_found(id)),
        }
        if !self.repo.remove_member(id, member).await? {
            return Err(ImageError::NotFound(format!(
                "{member} is not a member of image {id}."
            )));
        }
        Ok(())
    }
}

impl ImageService {
    /// Shared images the caller's project is a member of (any status), with that membership.
    pub async fn shared_with(&self, actor: &Actor) -> Result<Vec<(Image, Member)>, ImageError> {
        self.repo.shared_with(&actor.project_id).await
    }

    /// How many shares wait for the caller's project to accept or reject them.
    pub async fn pending_shares(&self, actor: &Actor) -> Result<usize, ImageError> {
        Ok(self.repo.pending_shares(&actor.project_id).await? as usize)
    }
}

fn size_mismatch() -> ImageError {
    ImageError::Invalid(
        "Size of uploaded data does not match the x-openstack-image-size header.".into(),
    )
}

fn tags_from(value: &Value) -> Result<Vec<String>, ImageError> {
    let arr = value
        .as_array()
        .ok_or_else(|| schema("tags must be an array of strings"))?;
    let mut tags: Vec<String> = Vec::new();
    for t in arr {
        let s = t
            .as_str()
            .ok_or_else(|| schema("tags must be an array of strings"))?;
        check_tag(s)?;
        if !tags.iter().any(|x| x == s) {
            tags.push(s.to_string());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(ImageError::TooLarge(format!(
            "Maximum number of tags ({MAX_TAGS}) exceeded."
        )));
    }
    Ok(tags)
}
