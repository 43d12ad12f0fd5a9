//! Where image data lives, behind one object-safe trait: [`ImageStore`] puts a stream of blocks
//! and answers with a location, gets a byte range of a location as a stream, deletes, checks and
//! lists what an interrupted run left behind. The image service sees only the trait and the
//! locations it records (`image_locations`); how a store writes and reads (the file store's
//! direct I/O and read-ahead) is its own business. [`Stores`] holds the configured stores by id
//! and knows the default.

pub mod blocks;
pub mod file;
pub mod s3;

use crate::domain::ids::ImageId;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

pub use blocks::{BlockBuilder, BlockPool};
pub use file::{FileStore, BLOCK};

/// The data of one image in one store, as written: where it is and how many bytes it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The store's own name for the data (for the file store, the image id).
    pub location: String,
    /// Bytes written.
    pub size: u64,
}

/// Data that an interrupted upload left in a store (found by [`ImageStore::partials`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    /// The image it was for.
    pub image: ImageId,
    /// The store's name for it, to pass to [`ImageStore::discard`].
    pub key: String,
}

/// One upload into a store. Blocks go in order; `commit` makes them the image's data and returns
/// where it is; dropping the writer without committing leaves nothing behind.
pub trait StoreWriter: Send {
    /// Appends a block (shared, not copied); may wait while the store catches up.
    fn write(&mut self, block: Bytes) -> BoxFuture<'_, io::Result<()>>;
    /// Makes the data durable and visible, and says where it is.
    fn commit(self: Box<Self>) -> BoxFuture<'static, io::Result<Stored>>;
    /// Removes what was written, and returns once it is gone (dropping the writer also removes
    /// it, but a remote store's removal then finishes later).
    fn abort(self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        drop(self);
        Box::pin(async { Ok(()) })
    }
}

/// A place image data is kept.
pub trait ImageStore: Send + Sync + std::fmt::Debug {
    /// The store's id, as the settings name it (`file` by default).
    fn id(&self) -> &str;
    /// The kind of store (`file`, …).
    fn kind(&self) -> &'static str;
    /// The buffers uploads are assembled in, sized and aligned as this store writes best. Uploads
    /// hash the very blocks they hand to the writer, so the data is never copied again.
    fn block_pool(&self) -> Arc<BlockPool>;
    /// Where [`ImageStore::put`] writes the data of `image` (what its commit returns).
    fn location_for(&self, image: &ImageId) -> String;
    /// Starts writing the data of `image`.
    fn put(&self, image: &ImageId) -> BoxFuture<'_, io::Result<Box<dyn StoreWriter>>>;
    /// `len` bytes of the data at `location` from `start`, as a stream of blocks; `None` if the
    /// store has no such data.
    fn get(
        &self,
        location: &str,
        start: u64,
        len: u64,
    ) -> BoxFuture<'_, io::Result<Option<BoxStream<'static, io::Result<Bytes>>>>>;
    /// Removes the data at `location` (no error if it is already gone).
    fn delete(&self, location: &str) -> BoxFuture<'_, io::Result<()>>;
    /// Whether data is at `location`.
    fn exists(&self, location: &str) -> BoxFuture<'_, io::Result<bool>>;
    /// What interrupted uploads left behind (temporary files, unfinished multipart uploads).
    fn partials(&self) -> BoxFuture<'_, io::Result<Vec<Partial>>>;
    /// Removes one of [`ImageStore::partials`].
    fn discard(&self, key: &str) -> BoxFuture<'_, io::Result<()>>;
    /// Whether the store can be reached now (for `/healthcheck`).
    fn health(&self) -> BoxFuture<'_, io::Result<()>>;
}

/// The configured stores by id, and the default one new data goes to.
#[derive(Debug, Clone)]
pub struct Stores {
    stores: BTreeMap<String, Arc<dyn ImageStore>>,
    default: String,
    descriptions: BTreeMap<String, String>,
    /// Whether the settings name the stores (Glance's multi-store: `/v2/info/stores`, the
    /// `stores` field, choosing a store on upload).
    named: bool,
    /// Where `PUT /stage` puts data until its import (Glance's `os_glance_staging_store`):
    /// beside the default store, so every node reads it.
    staging: Option<Arc<dyn ImageStore>>,
}

impl Stores {
    /// `stores`, with `default` the id of the one new data goes to (it must be among them).
    pub fn new(stores: Vec<Arc<dyn ImageStore>>, default: &str) -> io::Result<Stores> {
        let mut map = BTreeMap::new();
        for s in stores {
            let id = s.id().to_string();
            if map.insert(id.clone(), s).is_some() {
                return Err(io::Error::other(format!("store id {id:?} is given twice")));
            }
        }
        if !map.contains_key(default) {
            return Err(io::Error::other(format!(
                "the default store {default:?} is not configured"
            )));
        }
        Ok(Stores {
            stores: map,
            default: default.to_string(),
            descriptions: BTreeMap::new(),
            named: false,
            staging: None,
        })
    }

    /// The stores with `staging` as the staging area.
    pub fn with_staging(mut self, staging: Arc<dyn ImageStore>) -> Stores {
        self.staging = Some(staging);
        self
    }

    /// The staging area, if one is set.
    pub fn staging(&self) -> Option<&Arc<dyn ImageStore>> {
        self.staging.as_ref()
    }

    /// The stores as the settings named them, with their descriptions: multi-store is on.
    pub fn named(mut self, descriptions: BTreeMap<String, String>) -> Stores {
        self.descriptions = descriptions;
        self.named = true;
        self
    }

    /// Whether the settings name the stores (multi-store on).
    pub fn is_named(&self) -> bool {
        self.named
    }

    /// A store's description, if it has one.
    pub fn description(&self, id: &str) -> Option<&str> {
        self.descriptions.get(id).map(String::as_str)
    }

    /// The id of the store new data goes to.
    pub fn default_id(&self) -> &str {
        &self.default
    }

    /// One store: the only one, and the default.
    pub fn single(store: Arc<dyn ImageStore>) -> Stores {
        let id = store.id().to_string();
        Stores {
            stores: BTreeMap::from([(id.clone(), store)]),
            default: id,
            descriptions: BTreeMap::new(),
            named: false,
            staging: None,
        }
    }

    /// The store new data goes to.
    pub fn default_store(&self) -> &Arc<dyn ImageStore> {
        &self.stores[&self.default]
    }

    /// A store by id.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn ImageStore>> {
        self.stores.get(id)
    }

    /// Every store, by id.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn ImageStore>> {
        self.stores.values()
    }
}
