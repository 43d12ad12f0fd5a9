//! The file store: `<root>/<image id>` for complete data, `<root>/.tmp/<image id>.<random>` while
//! an upload is in flight. Paths are built only from validated `ImageId`s.

use crate::domain::ids::ImageId;
use std::io;
use std::path::{Path, PathBuf};
use tokio::fs::{self, File};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

/// Image data on the local file system.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// An upload in progress. `commit` makes it the image's data; dropping it without committing
/// removes the temporary file.
#[derive(Debug)]
pub struct StagedWrite {
    file: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    written: u64,
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
        let file = File::create(&temp).await?;
        Ok(StagedWrite {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            temp,
            target: self.path(id),
            written: 0,
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
    /// Appends bytes.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let f = self.file.as_mut().expect("not committed");
        f.write_all(data).await?;
        self.written += data.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes, fsyncs and renames the temporary file into place.
    pub async fn commit(mut self) -> io::Result<()> {
        let mut f = self.file.take().expect("not committed");
        f.flush().await?;
        let file = f.into_inner();
        file.sync_all().await?;
        drop(file);
        fs::rename(&self.temp, &self.target).await?;
        if let Some(dir) = self.target.parent() {
            // Make the rename itself durable.
            File::open(dir).await?.sync_all().await?;
        }
        Ok(())
    }
}

impl Drop for StagedWrite {
    fn drop(&mut self) {
        if self.file.is_some() {
            // Not committed: the upload failed or was abandoned. Remove the partial data now.
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
        w.write(b"partial").await.unwrap();
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
        w.write(b"hello ").await.unwrap();
        w.write(b"world").await.unwrap();
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
