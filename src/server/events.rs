//! Notifications: the one event stream inside the service, Glance's notifier. The image service
//! emits `image.create|prepare|upload|activate|update|delete|send` and
//! `image.member.create|update|delete`, the metadefs service `metadef_namespace.*`,
//! `metadef_object.*`, `metadef_property.*`, `metadef_tag.*` and `metadef_resource_type.*`, with
//! Glance's payloads; `disabled_notifications` drops an event type (`image.send`) or a group
//! (`image`). Each event carries who may see it (the image or namespace as it was), so the
//! dashboard's live stream sends a caller only events about what it may see.

use crate::domain::ids::ProjectId;
use crate::domain::image::{Image, Member};
use crate::domain::metadefs::Namespace;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it misses some (it is told, and
/// the dashboard then reloads what it shows).
const BACKLOG: usize = 1024;

/// oslo.messaging's priorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Things that happened.
    Info,
    /// Things that failed (a failed upload, a download cut short).
    Error,
}

impl Priority {
    /// As oslo.messaging spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Info => "INFO",
            Priority::Error => "ERROR",
        }
    }
}

/// Who an event is about, for deciding who may see it.
#[derive(Debug, Clone)]
pub enum Audience {
    /// An image, as it was when the event happened, and the projects it is shared with.
    Image {
        /// The image.
        image: Box<Image>,
        /// Its member projects (any status): a pending member learns of its share.
        members: Vec<ProjectId>,
    },
    /// A metadata-definition namespace (or something in it), as it was.
    Namespace(Box<Namespace>),
}

/// One notification.
#[derive(Debug, Clone)]
pub struct Notification {
    /// `image.create`, …
    pub event_type: &'static str,
    /// INFO or ERROR.
    pub priority: Priority,
    /// Glance's payload for the event type.
    pub payload: Value,
    /// When, UTC, as oslo.messaging writes it (`2026-12-06 10:00:00.123456`).
    pub timestamp: String,
    /// A fresh UUID.
    pub message_id: String,
    /// `image.<node>`.
    pub publisher_id: String,
    /// Who may see it.
    pub audience: Audience,
    /// Whether another node emitted it (relayed through the database for the live stream):
    /// it is not relayed again nor sent to AMQP, which its own node did.
    pub relayed: bool,
}

impl Notification {
    /// The image the event is about, if it is about one.
    pub fn image(&self) -> Option<&Image> {
        match &self.audience {
            Audience::Image { image, .. } => Some(image),
            Audience::Namespace(_) => None,
        }
    }
}

/// The service's event stream. Cheap to clone; subscribers get every event emitted after they
/// subscribed.
#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<Arc<Notification>>,
    disabled: Arc<Vec<String>>,
    publisher: Arc<str>,
}

impl Default for Events {
    fn default() -> Self {
        Events::new("glimpse", Vec::new())
    }
}

impl Events {
    /// A stream published as `image.<node>`, dropping the `disabled` event types and groups.
    pub fn new(node: &str, disabled: Vec<String>) -> Events {
        let (tx, _) = broadcast::channel(BACKLOG);
        Events {
            tx,
            disabled: Arc::new(disabled),
            publisher: format!("image.{node}").into(),
        }
    }

    /// Whether `event_type` is sent: neither it nor its group (`image` of `image.member.create`)
    /// is disabled, as Glance decides.
    pub fn enabled(&self, event_type: &str) -> bool {
        let group = event_type.split('.').next().unwrap_or(event_type);
        !self.disabled.iter().any(|d| d == event_type || d == group)
    }

    /// How many subscribers listen now.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Notification>> {
        self.tx.subscribe()
    }

    fn emit(
        &self,
        event_type: &'static str,
        priority: Priority,
        payload: Value,
        audience: Audience,
    ) {
        if !self.enabled(event_type) {
            return;
        }
        let n = Notification {
            event_type,
            priority,
            payload,
            timestamp: crate::server::clock::now()
                .format(&time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]"
                ))
                .unwrap_or_default(),
            message_id: uuid::Uuid::new_v4().to_string(),
            publisher_id: self.publisher.to_string(),
            audience,
            relayed: false,
        };
        tracing::debug!(event = event_type, "notification");
        // Nobody listening is fine.
        let _ = self.tx.send(Arc::new(n));
    }

    /// An image event with Glance's image payload (`format_image_notification`).
    pub fn image(&self, event_type: &'static str, img: &Image, members: Vec<ProjectId>) {
        self.emit(
            event_type,
            Priority::Info,
            image_payload(img),
            Audience::Image {
                image: Box::new(img.clone()),
                members,
            },
        );
    }

    /// `image.upload` at ERROR: the upload failed, with why (Glance's payload is the message).
    pub fn upload_failed(&self, img: &Image, why: &str, members: Vec<ProjectId>) {
        self.emit(
            "image.upload",
            Priority::Error,
            Value::String(format!(
                "Failed to upload image data for image {}: {why}",
                img.id
            )),
            Audience::Image {
                image: Box::new(img.clone()),
                members,
            },
        );
    }

    /// `image.send`: a download ended after `sent` bytes (ERROR when it was cut short).
    pub fn sent(
        &self,
        img: &Image,
        receiver: (&ProjectId, &str),
        sent: u64,
        complete: bool,
        members: Vec<ProjectId>,
    ) {
        self.emit(
            "image.send",
            if complete {
                Priority::Info
            } else {
                Priority::Error
            },
            json!({
                "bytes_sent": sent,
                "image_id": img.id.to_string(),
                "owner_id": img.owner.as_ref().map(|o| o.to_string()),
                "receiver_tenant_id": receiver.0.to_string(),
                "receiver_user_id": receiver.1,
            }),
            Audience::Image {
                image: Box::new(img.clone()),
                members,
            },
        );
    }

    /// `image.member.create|update|delete` with Glance's member payload.
    pub fn member(
        &self,
        event_type: &'static str,
        img: &Image,
        m: &Member,
        members: Vec<ProjectId>,
    ) {
        self.emit(
            event_type,
            Priority::Info,
            json!({
                "image_id": img.id.to_string(),
                "member_id": m.member_id.to_string(),
                "status": m.status,
                "created_at": crate::server::clock::stored_to_seconds(&m.created_at),
                "updated_at": crate::server::clock::stored_to_seconds(&m.updated_at),
                "deleted": event_type == "image.member.delete",
                "deleted_at": (event_type == "image.member.delete").then(|| m.updated_at.clone()),
            }),
            Audience::Image {
                image: Box::new(img.clone()),
                members,
            },
        );
    }
}

/// What a metadefs event is about, for its payload.
pub enum MetadefSubject<'a> {
    /// The namespace itself (`namespace_old`: its name before a rename).
    Namespace {
        /// Its name before the change.
        old: &'a str,
        /// Created, stored form.
        created_at: &'a str,
        /// Updated, stored form.
        updated_at: &'a str,
    },
    /// A property, object or tag: its name before the change, its name and its body.
    Item {
        /// `property`, `object` or `tag`.
        kind: &'static str,
        /// Its name before the change.
        old: &'a str,
        /// Its name.
        name: &'a str,
        /// Its stored definition.
        body: &'a Value,
        /// Created, stored form.
        created_at: &'a str,
        /// Updated, stored form.
        updated_at: &'a str,
    },
    /// A resource type association.
    ResourceType(&'a crate::domain::metadefs::Association),
    /// Every item of one kind went (`metadef_namespace.delete_properties|objects|tags`).
    AllOf,
}

impl Events {
    /// A metadefs event with Glance's payload (`format_metadef_*_notification`).
    pub fn metadef(&self, event_type: &'static str, ns: &Namespace, subject: MetadefSubject<'_>) {
        if !self.enabled(event_type) {
            return;
        }
        let deleted = event_type.ends_with(".delete");
        let seconds = crate::server::clock::stored_to_seconds;
        let mut payload = match subject {
            MetadefSubject::Namespace {
                old,
                created_at,
                updated_at,
            } => json!({
                "namespace": ns.namespace,
                "namespace_old": old,
                "display_name": ns.display_name,
                "protected": ns.protected,
                "visibility": ns.visibility.as_str(),
                "owner": ns.owner.as_ref().map(|o| o.as_str().to_string()),
                "description": ns.description,
                "created_at": seconds(created_at),
                "updated_at": seconds(updated_at),
            }),
            MetadefSubject::Item {
                kind,
                old,
                name,
                body,
                created_at,
                updated_at,
            } => {
                let mut p = json!({
                    "namespace": ns.namespace,
                    "name": name,
                    "name_old": old,
                    "created_at": seconds(created_at),
                    "updated_at": seconds(updated_at),
                });
                if kind != "tag" {
                    // A property's schema fields, or an object's description, required and
                    // properties, beside the name.
                    if let (Some(m), Some(b)) = (p.as_object_mut(), body.as_object()) {
                        for (k, v) in b {
                            m.entry(k.clone()).or_insert(v.clone());
                        }
                    }
                }
                p
            }
            MetadefSubject::ResourceType(a) => json!({
                "namespace": ns.namespace,
                "name": a.name,
                "name_old": a.name,
                "prefix": a.prefix,
                "properties_target": a.properties_target,
            }),
            MetadefSubject::AllOf => json!({"namespace": ns.namespace}),
        };
        if let Some(m) = payload.as_object_mut() {
            m.insert("deleted".into(), Value::Bool(deleted));
            m.insert(
                "deleted_at".into(),
                if deleted {
                    Value::String(crate::server::clock::stored_to_seconds(
                        &crate::server::clock::stored(crate::server::clock::now()),
                    ))
                } else {
                    Value::Null
                },
            );
        }
        self.emit(
            event_type,
            Priority::Info,
            payload,
            Audience::Namespace(Box::new(ns.clone())),
        );
    }
}

/// Glance's `format_image_notification` (no locations: they may hold credentials).
pub fn image_payload(img: &Image) -> Value {
    let deleted = matches!(
        img.status,
        crate::domain::image::ImageStatus::Deleted
            | crate::domain::image::ImageStatus::PendingDelete
    );
    json!({
        "id": img.id.to_string(),
        "name": img.name,
        "status": img.status.as_str(),
        "created_at": crate::server::clock::stored_to_seconds(&img.created_at),
        "updated_at": crate::server::clock::stored_to_seconds(&img.updated_at),
        "min_disk": img.min_disk,
        "min_ram": img.min_ram,
        "protected": img.protected,
        "checksum": img.checksum,
        "owner": img.owner.as_ref().map(|o| o.to_string()),
        "disk_format": img.disk_format,
        "container_format": img.container_format,
        "size": img.size,
        "virtual_size": img.virtual_size,
        "is_public": img.visibility == crate::domain::image::Visibility::Public,
        "visibility": img.visibility.as_str(),
        "properties": img.properties,
        "tags": img.tags,
        "deleted": deleted,
        "deleted_at": deleted.then(|| crate::server::clock::stored_to_seconds(&img.updated_at)),
    })
}

/// Every event type an image event can have (a relayed event's name is one of these).
const IMAGE_EVENTS: [&str; 10] = [
    "image.create",
    "image.prepare",
    "image.upload",
    "image.activate",
    "image.update",
    "image.delete",
    "image.send",
    "image.member.create",
    "image.member.update",
    "image.member.delete",
];

/// How often a node reads the events other nodes wrote.
const RELAY_POLL: std::time::Duration = std::time::Duration::from_millis(300);
/// How long relayed events stay in the table.
const RELAY_KEEP_MS: i64 = 60_000;
/// How far back each read looks again, in sequence numbers: on PostgreSQL a row can commit after
/// a later-numbered one, so recent numbers are read again and de-duplicated.
const RELAY_LOOKBACK: i64 = 100;

#[derive(serde::Serialize, serde::Deserialize)]
struct Relayed {
    event_type: String,
    error: bool,
    payload: Value,
    timestamp: String,
    message_id: String,
    publisher_id: String,
    image: Image,
    members: Vec<ProjectId>,
}

impl Events {
    /// Relays image events between the nodes sharing `db`, for the dashboard's live stream:
    /// this node writes the ones it emits (not `image.send`), and re-emits to its own
    /// subscribers the ones other nodes wrote, within about `RELAY_POLL`.
    pub fn spawn_relay(&self, db: crate::server::db::Db, node: &str) {
        let node: Arc<str> = node.into();
        let mut rx = self.subscribe();
        let (wdb, wnode) = (db.clone(), node.clone());
        tokio::spawn(async move {
            loop {
                let n = match rx.recv().await {
                    Ok(n) => n,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let Audience::Image { image, members } = &n.audience else {
                    continue;
                };
                if n.relayed || n.event_type == "image.send" {
                    continue;
                }
                let body = Relayed {
                    event_type: n.event_type.to_string(),
                    error: n.priority == Priority::Error,
                    payload: n.payload.clone(),
                    timestamp: n.timestamp.clone(),
                    message_id: n.message_id.clone(),
                    publisher_id: n.publisher_id.clone(),
                    image: (**image).clone(),
                    members: members.clone(),
                };
                let body = serde_json::to_string(&body).unwrap_or_default();
                let now = crate::server::clock::now_ms();
                let r = crate::server::db::db_run!(&wdb, pool => {
                    sqlx::query(
                        "INSERT INTO live_events (node, created_ms, body) VALUES ($1, $2, $3)",
                    )
                    .bind(&*wnode)
                    .bind(now)
                    .bind(&body)
                    .execute(pool)
                    .await
                    .map(|_| ())
                });
                if let Err(e) = r {
                    tracing::warn!(error = %e, "cannot relay a live event to the other nodes");
                }
            }
        });
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut last: i64 = crate::server::db::db_run!(&db, pool => {
                sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM live_events")
                    .fetch_one(pool)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(0)
            });
            let mut seen = std::collections::BTreeSet::new();
            let mut tick = tokio::time::interval(RELAY_POLL);
            let mut rounds = 0u64;
            loop {
                tick.tick().await;
                rounds += 1;
                let rows: Result<Vec<(i64, String)>, sqlx::Error> = crate::server::db::db_run!(&db, pool => {
                    sqlx::query_as(
                        "SELECT seq, body FROM live_events WHERE seq > $1 AND node <> $2
                          ORDER BY seq",
                    )
                    .bind(last - RELAY_LOOKBACK)
                    .bind(&*node)
                    .fetch_all(pool)
                    .await
                });
                let rows = match rows {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the other nodes' live events");
                        continue;
                    }
                };
                for (seq, body) in rows {
                    last = last.max(seq);
                    if !seen.insert(seq) {
                        continue;
                    }
                    let Ok(r) = serde_json::from_str::<Relayed>(&body) else {
                        continue;
                    };
                    let Some(event_type) = IMAGE_EVENTS.iter().find(|t| **t == r.event_type) else {
                        continue;
                    };
                    let _ = tx.send(Arc::new(Notification {
                        event_type,
                        priority: if r.error {
                            Priority::Error
                        } else {
                            Priority::Info
                        },
                        payload: r.payload,
                        timestamp: r.timestamp,
                        message_id: r.message_id,
                        publisher_id: r.publisher_id,
                        audience: Audience::Image {
                            image: Box::new(r.image),
                            members: r.members,
                        },
                        relayed: true,
                    }));
                }
                // Sequence numbers below the look-back cannot come again.
                seen = seen.split_off(&(last - RELAY_LOOKBACK));
                if rounds.is_multiple_of(100) {
                    let before = crate::server::clock::now_ms() - RELAY_KEEP_MS;
                    let _ = crate::server::db::db_run!(&db, pool => {
                        sqlx::query("DELETE FROM live_events WHERE created_ms < $1")
                            .bind(before)
                            .execute(pool)
                            .await
                            .map(|_| ())
                    });
                }
            }
        });
    }
}
