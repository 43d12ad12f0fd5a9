//! The file store: `<root>/<image id>` for complete data, `<root>/.tmp/<image id>.<random>` while
//! an upload is in flight. Paths are built only from validated `ImageId`s (a location is the
//! image id; anything else is not found). Uploads are written
//! with direct I/O (O_DIRECT) in aligned blocks where the file system allows it, so a large image
//! neither floods the page cache nor leaves gigabytes of dirty pages for the final fsync.

use super::blocks::{is_aligned, BlockPool};
use super::{ImageStore, Partial, StoreWriter, Stored};
use crate::domain::ids::ImageId;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, Stream, StreamExt};
use std::io;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::fs::{self, File};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Image data on the local file system.
#[derive(Debug, Clone)]
pub struct FileStore {
    id: String,
    root: PathBuf,
    blocks: Arc<BlockPool>,
}

/// Image data moves in blocks of this size.
pub const BLOCK: usize = 1 << 20;
/// Free blocks kept for reuse: what one upload and one download hold at once (each at most
/// four queued plus the few being filled, hashed, written or sent).
const KEEP: usize = 16;

/// Creates the temporary file, for direct I/O if the file system supports it.
fn create_temp(path: &Path) -> io::Result<(std::fs::File, bool)> {
    let direct = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_DIRECT)
        .open(path);
    match direct {
        Ok(f) => Ok((f, true)),
        // Some file systems (tmpfs before Linux 6.6, some FUSE ones) refuse O_DIRECT.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            let _ = std::fs::remove_file(path);
            Ok((std::fs::File::create_new(path)?, false))
        }
        Err(e) => Err(e),
    }
}

/// Writes the blocks of one upload: aligned blocks go straight to the device, and from the first
/// unaligned one (normally the last, short block) on, the rest goes through the page cache.
fn write_blocks(
    mut file: std::fs::File,
    mut direct: bool,
    path: &Path,
    rx: &mut mpsc::Receiver<Bytes>,
) -> io::Result<std::fs::File> {
    while let Some(block) = rx.blocking_recv() {
        if direct && !is_aligned(&block) {
            file = std::fs::OpenOptions::new().append(true).open(path)?;
            direct = false;
        }
        file.write_all(&block)?;
    }
    Ok(file)
}

/// The next `len` bytes of `file` as a stream of blocks of `pool`'s size, read by their own
/// thread a few blocks ahead of the consumer, so the disk reads overlap the network sends. At
/// most four blocks wait in memory; the thread stops when the stream is dropped.
fn read_ahead(
    mut file: std::fs::File,
    len: u64,
    pool: Arc<BlockPool>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut left = len;
        while left > 0 {
            let want = left.min(pool.size() as u64) as usize;
            let mut block = pool.take();
            let item = match file.read_exact(&mut block.bytes_mut()[..want]) {
                Ok(()) => Ok(block.freeze(want)),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "image data shorter than recorded",
                )),
                Err(e) => Err(e),
            };
            left -= want as u64;
            let failed = item.is_err();
            if tx.blocking_send(item).is_err() || failed {
                break;
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// An upload in progress, written by its own thread so the file write overlaps hashing and the
/// network. `commit` makes it the image's data; dropping it without committing removes the
/// temporary file.
#[derive(Debug)]
pub struct StagedWrite {
    tx: Option<mpsc::Sender<Bytes>>,
    writer: Option<JoinHandle<io::Result<std::fs::File>>>,
    temp: PathBuf,
    target: PathBuf,
    location: String,
    written: u64,
    committed: bool,
}

impl FileStore {
    /// A store named `id` rooted at `root` (created if missing).
    pub async fn open(id: &str, root: impl Into<PathBuf>) -> io::Result<FileStore> {
        let root = root.into();
        fs::create_dir_all(root.join(".tmp")).await?;
        Ok(FileStore {
            id: id.to_string(),
            root,
            blocks: BlockPool::new(BLOCK, KEEP),
        })
    }

    fn path(&self, id: &ImageId) -> PathBuf {
        self.root.join(id.as_str())
    }

    /// The path of a location: only an image id names one.
    fn location_path(&self, location: &str) -> Option<PathBuf> {
        ImageId::parse(location).ok().map(|id| self.path(&id))
    }

    /// Starts writing the data of `id` into a temporary file.
    pub async fn stage(&self, id: &ImageId) -> io::Result<StagedWrite> {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let temp = self.root.join(".tmp").join(format!("{id}.{suffix}"));
        let (file, direct) = create_temp(&temp)?;
        // Four blocks in flight absorb the device's latency under direct I/O.
        let (tx, mut rx) = mpsc::channel::<Bytes>(4);
        let path = temp.clone();
        let writer =
            tokio::task::spawn_blocking(move || write_blocks(file, direct, &path, &mut rx));
        Ok(StagedWrite {
            tx: Some(tx),
            writer: Some(writer),
            temp,
            target: self.path(id),
            location: id.to_string(),
            written: 0,
            committed: false,
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl ImageStore for FileStore {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "file"
    }

    fn block_pool(&self) -> Arc<BlockPool> {
        self.blocks.clone()
    }

    fn location_for(&self, image: &ImageId) -> String {
        image.to_string()
    }

    fn put(&self, image: &ImageId) -> BoxFuture<'_, io::Result<Box<dyn StoreWriter>>> {
        let image = image.clone();
        async move { Ok(Box::new(self.stage(&image).await?) as Box<dyn StoreWriter>) }.boxed()
    }

    fn get(
        &self,
        location: &str,
        start: u64,
        len: u64,
    ) -> BoxFuture<'_, io::Result<Option<BoxStream<'static, io::Result<Bytes>>>>> {
        let path = self.location_path(location);
        async move {
            let Some(path) = path else { return Ok(None) };
            let opened = tokio::task::spawn_blocking(move || {
                let mut f = std::fs::File::open(path)?;
                f.seek(io::SeekFrom::Start(start))?;
                Ok::<_, io::Error>(f)
            })
            .await
            .map_err(io::Error::other)?;
            match opened {
                Ok(f) => Ok(Some(read_ahead(f, len, self.blocks.clone()).boxed())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn delete(&self, location: &str) -> BoxFuture<'_, io::Result<()>> {
        let path = self.location_path(location);
        async move {
            let Some(path) = path else { return Ok(()) };
            match fs::remove_file(path).await {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        }
        .boxed()
    }

    fn exists(&self, location: &str) -> BoxFuture<'_, io::Result<bool>> {
        let path = self.location_path(location);
        async move {
            match path {
                Some(p) => fs::try_exists(p).await,
                None => Ok(false),
            }
        }
        .boxed()
    }

    fn health(&self) -> BoxFuture<'_, io::Result<()>> {
        // The upload folder is where writes begin: if it is gone (a volume unmounted), uploads
        // would fail.
        let tmp = self.root.join(".tmp");
        async move {
            if fs::metadata(&tmp).await?.is_dir() {
                Ok(())
            } else {
                Err(io::Error::other(format!(
                    "{} is not a directory",
                    tmp.display()
                )))
            }
        }
        .boxed()
    }

    fn partials(&self) -> BoxFuture<'_, io::Result<Vec<Partial>>> {
        async move {
            let mut out = Vec::new();
            let mut dir = fs::read_dir(self.root.join(".tmp")).await?;
            while let Some(entry) = dir.next_entry().await? {
                let key = entry.file_name().to_string_lossy().into_owned();
                let image = key.split('.').next().and_then(|i| ImageId::parse(i).ok());
                match image {
                    Some(image) => out.push(Partial { image, key }),
                    // Not one of ours: nothing names it, so it goes.
                    None => fs::remove_file(entry.path()).await?,
                }
            }
            Ok(out)
        }
        .boxed()
    }

    fn discard(&self, key: &str) -> BoxFuture<'_, io::Result<()>> {
        let path =
            (!key.contains('/') && !key.starts_with('.')).then(|| self.root.join(".tmp").join(key));
        async move {
            match path {
                Some(p) => match fs::remove_file(p).await {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                },
                None => Ok(()),
            }
        }
        .boxed()
    }
}

impl StoreWriter for StagedWrite {
    fn write(&mut self, block: Bytes) -> BoxFuture<'_, io::Result<()>> {
        StagedWrite::write(self, block).boxed()
    }

    fn commit(self: Box<Self>) -> BoxFuture<'static, io::Result<Stored>> {
        let (location, size) = (self.location.clone(), self.written);
        async move {
            StagedWrite::commit(*self).await?;
            Ok(Stored { location, size })
        }
        .boxed()
    }
}

impl StagedWrite {
    /// Appends a block (shared, not copied); waits only when the writer is 4 blocks behind.
    /// Blocks from a `BlockBuilder` are written with direct I/O.
    pub async fn write(&mut self, data: Bytes) -> io::Result<()> {
        let len = data.len() as u64;
        let sent = self.tx.as_ref().expect("not committed").send(data).await;
        if sent.is_err() {
            // The writer stopped: report its error.
            return Err(self
                .join()
                .await
                .err()
                .unwrap_or_else(|| io::Error::other("writer stopped")));
        }
        self.written += len;
        Ok(())
    }

    async fn join(&mut self) -> io::Result<std::fs::File> {
        self.tx.take();
        match self.writer.take() {
            Some(h) => h.await.map_err(io::Error::other)?,
            None => Err(io::Error::other("writer already finished")),
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Waits for the writer, fsyncs and renames the temporary file into place.
    pub async fn commit(mut self) -> io::Result<()> {
        let file = self.join().await?;
        tokio::task::spawn_blocking(move || file.sync_all())
            .await
            .map_err(io::Error::other)??;
        fs::rename(&self.temp, &self.target).await?;
        self.committed = true;
        if let Some(dir) = self.target.parent() {
            // Make the rename itself durable.
            File::open(dir).await?.sync_all().await?;
        }
        Ok(())
    }
}

impl Drop for StagedWrite {
    fn drop(&mut self) {
        if !self.committed {
            // Not committed: the upload failed or was abandoned. Stop the writer and remove the
            // partial data now (an open handle keeps writing into the unlinked file harmlessly).
            self.tx.take();
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::blocks::{BlockBuilder, ALIGN};
    use futures::StreamExt;

    async fn read_all(store: &FileStore, location: &str, start: u64, len: u64) -> Option<Vec<u8>> {
        let stream = store.get(location, start, len).await.unwrap()?;
        let blocks: Vec<Bytes> = stream.map(Result::unwrap).collect().await;
        Some(blocks.concat())
    }

    #[tokio::test]
    async fn commit_makes_data_visible_and_abandon_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open("file", dir.path().join("images"))
            .await
            .unwrap();
        let id = ImageId::random();

        let mut w = store.put(&id).await.unwrap();
        w.write(Bytes::from_static(b"partial")).await.unwrap();
        assert!(
            !store.exists(id.as_str()).await.unwrap(),
            "nothing visible before commit"
        );
        assert_eq!(store.partials().await.unwrap().len(), 1);
        drop(w);
        assert!(store.partials().await.unwrap().is_empty(), "temp removed");

        let mut w = store.put(&id).await.unwrap();
        w.write(Bytes::from_static(b"hello ")).await.unwrap();
        w.write(Bytes::from_static(b"world")).await.unwrap();
        let stored = w.commit().await.unwrap();
        assert_eq!(
            stored,
            Stored {
                location: id.to_string(),
                size: 11
            }
        );
        assert_eq!(
            read_all(&store, &stored.location, 6, 5).await.unwrap(),
            b"world"
        );
        assert!(store.exists(&stored.location).await.unwrap());

        store.delete(&stored.location).await.unwrap();
        store.delete(&stored.location).await.unwrap();
        assert!(read_all(&store, &stored.location, 0, 1).await.is_none());
        // Only image ids name data: anything else is simply not there.
        assert!(read_all(&store, "../glimpse.db", 0, 1).await.is_none());
        assert!(!store.exists("../glimpse.db").await.unwrap());
    }

    #[tokio::test]
    async fn aligned_blocks_then_a_short_tail_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open("file", dir.path()).await.unwrap();
        let id = ImageId::random();
        let data: Vec<u8> = (0..5 * ALIGN + 7).map(|i| (i % 253) as u8).collect();
        let mut b = BlockBuilder::new(BlockPool::new(2 * ALIGN, 4));
        let mut w = store.stage(&id).await.unwrap();
        let mut rest = &data[..];
        while !rest.is_empty() {
            if let Some(block) = b.fill(&mut rest) {
                w.write(block).await.unwrap();
            }
        }
        w.write(b.finish().unwrap()).await.unwrap();
        // An unaligned block after the switch to buffered writes is still appended.
        w.write(Bytes::from_static(b"end")).await.unwrap();
        w.commit().await.unwrap();
        let mut expected = data.clone();
        expected.extend_from_slice(b"end");
        let stored = std::fs::read(store.root().join(id.as_str())).unwrap();
        assert_eq!(stored.len(), expected.len());
        assert!(stored == expected, "same bytes in the same order");
    }

    #[tokio::test]
    async fn read_ahead_streams_the_asked_range_in_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 241) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let mut f = std::fs::File::open(&path).unwrap();
        f.seek(io::SeekFrom::Start(100)).unwrap();
        let blocks: Vec<Bytes> = read_ahead(f, 9_000, BlockPool::new(4096, 4))
            .map(Result::unwrap)
            .collect()
            .await;
        let lens: Vec<usize> = blocks.iter().map(|b| b.len()).collect();
        assert_eq!(lens, [4096, 4096, 808]);
        assert_eq!(blocks.concat(), &data[100..9_100]);

        // A file shorter than the recorded size ends the stream with an error, not silently.
        let f = std::fs::File::open(&path).unwrap();
        let items: Vec<io::Result<Bytes>> = read_ahead(f, 20_000, BlockPool::new(8192, 4))
            .collect()
            .await;
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert_eq!(
            items.last().unwrap().as_ref().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }

    #[tokio::test]
    async fn leftovers_are_listed_by_image_and_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open("file", dir.path()).await.unwrap();
        let id = ImageId::random();
        std::fs::write(store.root().join(".tmp").join(format!("{id}.abc")), b"junk").unwrap();
        std::fs::write(store.root().join(".tmp").join("stray"), b"junk").unwrap();
        let found = store.partials().await.unwrap();
        assert_eq!(
            found,
            vec![Partial {
                image: id.clone(),
                key: format!("{id}.abc")
            }]
        );
        store.discard("../x").await.unwrap();
        store.discard(&found[0].key).await.unwrap();
        assert!(store.partials().await.unwrap().is_empty());
        assert_eq!(
            std::fs::read_dir(store.root().join(".tmp"))
                .unwrap()
                .count(),
            0
        );
    }
}
