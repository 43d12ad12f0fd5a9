//! The file store: `<root>/<image id>` for complete data, `<root>/.tmp/<image id>.<random>` while
//! an upload is in flight. Paths are built only from validated `ImageId`s.

use crate::domain::ids::ImageId;
use bytes::Bytes;
use std::io;
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::fs::{self, File};
use tokio::io::AsyncSeekExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Image data on the local file system.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
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
    written: u64,
    committed: bool,
}

impl FileStore {
    /// A store rooted at `root` (created if missing).
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<FileStore> {
        let root = root.into();
        fs::create_dir_all(root.join(".tmp")).await?;
        Ok(FileStore { root })
    }

    fn path(&self, id: &ImageId) -> PathBuf {
        self.root.join(id.as_str())
    }

    /// Starts writing the data of `id` into a temporary file.
    pub async fn stage(&self, id: &ImageId) -> io::Result<StagedWrite> {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let temp = self.root.join(".tmp").join(format!("{id}.{suffix}"));
        let mut file = std::fs::File::create(&temp)?;
        let (tx, mut rx) = mpsc::channel::<Bytes>(4);
        let writer = tokio::task::spawn_blocking(move || {
            while let Some(block) = rx.blocking_recv() {
                file.write_all(&block)?;
            }
            Ok(file)
        });
        Ok(StagedWrite {
            tx: Some(tx),
            writer: Some(writer),
            temp,
            target: self.path(id),
            written: 0,
            committed: false,
        })
    }

    /// Opens the data of `id`, positioned at `offset`; `None` if there is none.
    pub async fn open_at(&self, id: &ImageId, offset: u64) -> io::Result<Option<File>> {
        match File::open(self.path(id)).await {
            Ok(mut f) => {
                if offset > 0 {
                    f.seek(io::SeekFrom::Start(offset)).await?;
                }
                Ok(Some(f))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes the data of `id` (no error if there is none).
    pub async fn delete(&self, id: &ImageId) -> io::Result<()> {
        match fs::remove_file(self.path(id)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes every leftover temporary file (run at start, when no upload can be in flight).
    pub async fn remove_temporaries(&self) -> io::Result<usize> {
        let mut n = 0;
        let mut dir = fs::read_dir(self.root.join(".tmp")).await?;
        while let Some(entry) = dir.next_entry().await? {
            fs::remove_file(entry.path()).await?;
            n += 1;
        }
        Ok(n)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl StagedWrite {
    /// Appends a block (shared, not copied); waits only when the writer is 4 blocks behind.
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
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn commit_makes_data_visible_and_abandon_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("images")).await.unwrap();
        let id = ImageId::random();

        let mut w = store.stage(&id).await.unwrap();
        w.write(Bytes::from_static(b"partial")).await.unwrap();
        assert!(
            store.open_at(&id, 0).await.unwrap().is_none(),
            "nothing visible before commit"
        );
        drop(w);
        assert_eq!(
            std::fs::read_dir(store.root().join(".tmp"))
                .unwrap()
                .count(),
            0,
            "temp removed"
        );

        let mut w = store.stage(&id).await.unwrap();
        w.write(Bytes::from_static(b"hello ")).await.unwrap();
        w.write(Bytes::from_static(b"world")).await.unwrap();
        assert_eq!(w.written(), 11);
        w.commit().await.unwrap();
        let mut s = String::new();
        store
            .open_at(&id, 6)
            .await
            .unwrap()
            .unwrap()
            .read_to_string(&mut s)
            .await
            .unwrap();
        assert_eq!(s, "world");

        store.delete(&id).await.unwrap();
        store.delete(&id).await.unwrap();
        assert!(store.open_at(&id, 0).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).await.unwrap();
        std::fs::write(store.root().join(".tmp").join("x.1"), b"junk").unwrap();
        assert_eq!(store.remove_temporaries().await.unwrap(), 1);
    }
}
