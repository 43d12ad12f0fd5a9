//! `ImageService`: THE entry point for every image use case. Each method loads the image (repo),
//! asks the domain policy, applies the status machine, persists, touches the store, and returns
//! domain types. Glance handlers and dashboard server functions are thin adapters over it. This
//! module holds the service, its loading and policy helpers; the use cases are split by area:
//! `images` (metadata), `data` (upload and download), `members` (sharing), `quota` (limits),
//! `trash` (delayed delete: the scrubber, restore), `import` (stage, import, tasks and their
//! runner) with `convert` (its conversion step).

mod convert;
mod data;
mod images;
mod import;
mod members;
mod quota;
mod stores;
mod trash;

pub use convert::Conversion;
pub use import::ImportSettings;
pub use stores::{StoreInfo, StoreUsage};

use super::error::ImageError;
use super::hashing::Hashers;
use super::query::ListQuery;
use super::repo::{ImageRepo, UploadResult};
use crate::domain::ids::{ImageId, ProjectId};
use crate::domain::image::{
    check_container_format, check_disk_format, check_extra_value, check_key, check_minimum,
    check_name, check_tag, Expected, FieldError, Image, ImageStatus, Member, SchemaProblem,
    Visibility, MEMBER_STATUSES,
};
use crate::domain::inspect::{self, Inspection, Inspector, Verdict};
use crate::domain::lifecycle::{transition, Event};
use crate::domain::policy::{self, Actor, Decision, Membership};
use crate::domain::policy_rules::{PolicyOverrides, Rule, Target};
use crate::domain::property_protections::{PropertyOp, PropertyProtections};
pub(crate) use crate::domain::reason::Reason;
use crate::server::clock;
use crate::server::store::{BlockBuilder, ImageStore, StoreWriter, Stored, Stores};
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
    stores: Stores,
    /// This process's name in upload leases (unique among the nodes sharing the database).
    node: std::sync::Arc<str>,
    /// How long an upload's lease holds without being renewed.
    lease: std::time::Duration,
    size_cap: u64,
    overrides: std::sync::Arc<PolicyOverrides>,
    require_format_match: bool,
    /// Delayed delete: deletions of images with data pend until the scrubber runs.
    delayed_delete: bool,
    /// How long a pending deletion waits for the scrubber.
    scrub_time: std::time::Duration,
    /// The operator's property protections, when a file is configured.
    protections: Option<std::sync::Arc<PropertyProtections>>,
    /// Notifications.
    events: crate::server::events::Events,
    /// How imports run.
    import: std::sync::Arc<ImportSettings>,
    /// Wakes this node's task runner when it starts an import.
    wake: std::sync::Arc<tokio::sync::Notify>,
}

fn allow(d: Decision, id: &ImageId) -> Result<(), ImageError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden(m) => Err(ImageError::Forbidden(m)),
        Decision::Hidden => Err(not_found(id)),
    }
}

fn not_found(id: &ImageId) -> ImageError {
    ImageError::NotFound(Reason::ImageNotFound { id: id.to_string() })
}

fn schema(problem: SchemaProblem) -> ImageError {
    ImageError::from(FieldError::Schema(problem))
}

fn wrong_type(key: &str, expected: Expected) -> ImageError {
    schema(SchemaProblem::WrongType {
        key: key.to_string(),
        expected,
    })
}

impl ImageService {
    /// A service over `repo` and `stores`, refusing uploads larger than `size_cap` bytes, with the
    /// operator's policy overrides (empty for Glance's defaults). Uploads are leased to `node`.
    pub fn new(repo: ImageRepo, stores: Stores, size_cap: u64, overrides: PolicyOverrides) -> Self {
        Self {
            repo,
            stores,
            node: "glimpse".into(),
            lease: std::time::Duration::from_secs(60),
            size_cap,
            overrides: std::sync::Arc::new(overrides),
            require_format_match: true,
            delayed_delete: false,
            scrub_time: std::time::Duration::ZERO,
            protections: None,
            events: crate::server::events::Events::default(),
            import: Default::default(),
            wake: Default::default(),
        }
    }

    /// Where the service's notifications go.
    pub fn with_events(mut self, events: crate::server::events::Events) -> Self {
        self.events = events;
        self
    }

    /// The service's notifications.
    pub fn events(&self) -> &crate::server::events::Events {
        &self.events
    }

    /// The projects an image is shared with (any status), for its events' audience.
    async fn audience(&self, img: &Image) -> Vec<ProjectId> {
        if img.visibility != Visibility::Shared {
            return vec![];
        }
        match self.repo.members(&img.id, None).await {
            Ok(members) => members.into_iter().map(|m| m.member_id).collect(),
            Err(e) => {
                tracing::warn!(image = %img.id, error = %e, "cannot read members for an event");
                vec![]
            }
        }
    }

    /// Emits an image event (Glance's payload) if it is enabled.
    async fn notify(&self, event_type: &'static str, img: &Image) {
        if self.events.enabled(event_type) {
            let members = self.audience(img).await;
            self.events.image(event_type, img, members);
        }
    }

    /// Whether `actor` may see the image an event is about (the same decision as showing it,
    /// operator policy included; a member project counts whatever its share's status).
    pub fn may_see(&self, actor: &Actor, n: &crate::server::events::Notification) -> bool {
        let crate::server::events::Audience::Image { image, members } = &n.audience else {
            return false;
        };
        let m = if members.contains(&actor.project_id) {
            Membership::Pending
        } else {
            Membership::None
        };
        self.decide(
            Rule::GetImage,
            actor,
            Some(image),
            m,
            policy::can_see(actor, image, m),
        )
        .is_allowed()
    }

    /// Property protections (Glance's `property_protection_file`), already checked against the
    /// policy overrides.
    pub fn property_protections(mut self, p: Option<PropertyProtections>) -> Self {
        self.protections = p.map(std::sync::Arc::new);
        self
    }

    /// Whether `actor` may do `op` on the extra property `key` (always, without protections).
    pub fn property_allowed(&self, actor: &Actor, key: &str, op: PropertyOp) -> bool {
        self.protections
            .as_ref()
            .is_none_or(|p| p.allows(key, op, actor, &self.overrides))
    }

    /// What `actor` may do with each of `keys`, for the keys where it may not do everything
    /// (empty without protections).
    pub fn property_access<'k>(
        &self,
        actor: &Actor,
        keys: impl IntoIterator<Item = &'k String>,
    ) -> Vec<policy::PropertyAccess> {
        if self.protections.is_none() {
            return vec![];
        }
        let mut out: Vec<policy::PropertyAccess> = keys
            .into_iter()
            .map(|k| policy::PropertyAccess {
                key: k.clone(),
                create: self.property_allowed(actor, k, PropertyOp::Create),
                update: self.property_allowed(actor, k, PropertyOp::Update),
                delete: self.property_allowed(actor, k, PropertyOp::Delete),
            })
            .filter(|a| !(a.create && a.update && a.delete))
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out.dedup_by(|a, b| a.key == b.key);
        out
    }

    /// Refuses `op` on `key` as Glance does (403, "Attribute 'key' is reserved.").
    fn check_property(&self, actor: &Actor, key: &str, op: PropertyOp) -> Result<(), ImageError> {
        if self.property_allowed(actor, key, op) {
            Ok(())
        } else {
            Err(ImageError::Forbidden(Reason::Reserved {
                attribute: key.to_string(),
            }))
        }
    }

    /// `img` as `actor` may see it: without the properties it may not read.
    fn readable(&self, actor: &Actor, mut img: Image) -> Image {
        if self.protections.is_some() {
            img.properties
                .retain(|k, _| self.property_allowed(actor, k, PropertyOp::Read));
        }
        img
    }

    /// Splits off the properties `actor` may not read: they are neither shown nor touched by
    /// its changes, and are kept as they are when the image is saved.
    fn split_unreadable(
        &self,
        actor: &Actor,
        img: &mut Image,
    ) -> std::collections::BTreeMap<String, String> {
        let mut hidden = std::collections::BTreeMap::new();
        if self.protections.is_some() {
            let keys: Vec<String> = img
                .properties
                .keys()
                .filter(|k| !self.property_allowed(actor, k, PropertyOp::Read))
                .cloned()
                .collect();
            for k in keys {
                if let Some(v) = img.properties.remove(&k) {
                    hidden.insert(k, v);
                }
            }
        }
        hidden
    }

    /// Why each action on `img` is unavailable to `actor` (seen with `membership`), decided
    /// with the operator's policy overrides: what the dashboard greys out.
    pub fn actions(
        &self,
        actor: &Actor,
        img: &Image,
        membership: Membership,
    ) -> policy::Unavailable {
        policy::unavailable(actor, img, membership, &|rule, default| {
            self.decide(rule, actor, Some(img), membership, default)
        })
    }

    /// What the caller may do with an image it got from `list`: a listed image of another
    /// project that is shared is one the caller is a member of (no extra query per row).
    pub fn listed_actions(&self, actor: &Actor, img: &Image) -> policy::Unavailable {
        let m = if img.visibility == Visibility::Shared && !policy::owns(actor, img) {
            Membership::Accepted
        } else {
            Membership::None
        };
        self.actions(actor, img, m)
    }

    /// One image with what the caller may do with it.
    pub async fn get_with_actions(
        &self,
        actor: &Actor,
        id: &ImageId,
    ) -> Result<(Image, policy::Unavailable), ImageError> {
        let (img, m) = self.load(actor, id).await?;
        let why = self.actions(actor, &img, m);
        Ok((self.readable(actor, img), why))
    }

    /// Whether this node can serve images now: the database answers and every store can be
    /// reached. The error says which part failed (its cause is logged, not shown).
    pub async fn health(&self) -> Result<(), String> {
        if let Err(e) = self.repo.ping().await {
            tracing::warn!(error = %e, "healthcheck: the database does not answer");
            return Err("database unreachable".into());
        }
        for store in self.stores.all() {
            if let Err(e) = store.health().await {
                tracing::warn!(store = store.id(), error = %e, "healthcheck: a store cannot be reached");
                return Err(format!("store {} unreachable", store.id()));
            }
        }
        Ok(())
    }

    /// This process's node name in upload leases, and how long a lease holds unrenewed.
    pub fn node(mut self, name: &str, lease: std::time::Duration) -> Self {
        self.node = name.into();
        self.lease = lease;
        self
    }

    /// The configured stores.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// Whether an upload whose data is not its declared disk format is refused (Glance's
    /// `require_image_format_match`, on by default) or only logged.
    pub fn require_format_match(mut self, on: bool) -> Self {
        self.require_format_match = on;
        self
    }

    /// Whether delayed delete is on, and how long a pending deletion waits.
    pub fn delayed_delete_settings(&self) -> (bool, std::time::Duration) {
        (self.delayed_delete, self.scrub_time)
    }

    /// Delayed delete on or off, and how long the scrubber leaves a pending deletion alone.
    pub fn delayed_delete(mut self, on: bool, scrub_time: std::time::Duration) -> Self {
        self.delayed_delete = on;
        self.scrub_time = scrub_time;
        self
    }

    /// A policy decision: the operator's override of Glance rule `rule` if the policy file has
    /// one, else the default decision the domain policy made.
    fn decide(
        &self,
        rule: Rule,
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
            Some(false) if rule == Rule::GetImage => Decision::Hidden,
            Some(false) => Decision::Forbidden(Reason::PolicyRefuses {
                rule: rule.as_str().to_string(),
            }),
        }
    }

    /// Recovery at start: this node's uploads (it starts with none in flight) and uploads whose
    /// lease went stale go back to `queued`, and the stores' partial data of every upload that is
    /// not live goes. Returns (uploads requeued, partials removed).
    pub async fn recover(&self) -> Result<(usize, usize), ImageError> {
        // Import tasks this node ran before it stopped are claimed again (by any node).
        self.repo.release_tasks(&self.node).await?;
        self.take_back(Some(&self.node)).await
    }

    /// The same, while running: uploads whose receiving node stopped renewing their lease (it
    /// died) go back to `queued` with their partial data removed; live uploads are untouched.
    pub async fn sweep(&self) -> Result<(usize, usize), ImageError> {
        self.take_back(None).await
    }

    async fn take_back(&self, own: Option<&str>) -> Result<(usize, usize), ImageError> {
        let to = transition(ImageStatus::Saving, Event::UploadFailed)?;
        let now = clock::stored(clock::now());
        let mut requeued = self
            .repo
            .requeue_abandoned((ImageStatus::Saving, to), own, &now, true)
            .await?;
        // Staging in flight holds a lease; finished staging (still `uploading`) holds none.
        let staged_back = transition(ImageStatus::Uploading, Event::StageFailed)?;
        requeued.extend(
            self.repo
                .requeue_abandoned((ImageStatus::Uploading, staged_back), own, &now, false)
                .await?,
        );
        let live = self.repo.live_uploads(&now).await?;
        let mut removed = 0;
        for store in self.stores.all().chain(self.stores.staging()) {
            for partial in store.partials().await? {
                if !live.contains(&partial.image) {
                    store.discard(&partial.key).await?;
                    removed += 1;
                }
            }
        }
        Ok((requeued.len(), removed))
    }

    /// When a lease taken now runs out.
    fn lease_expiry(&self) -> String {
        clock::stored(clock::now() + self.lease)
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
                Rule::GetImage,
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
            self.decide(Rule::ModifyImage, actor, Some(&img), m, default),
            id,
        )?;
        Ok(img)
    }
}
