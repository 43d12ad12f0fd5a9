//! MD5 (`checksum`) and SHA-512 (`os_hash_value`) computed side by side while the bytes stream:
//! each digest runs on its own blocking thread fed through a small bounded channel, so the two
//! hashes and the file write overlap instead of running one after the other.

use bytes::Bytes;
use md5::Md5;
use sha2::{Digest, Sha512};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The two running digests.
pub struct Hashers {
    md5: (mpsc::Sender<Bytes>, JoinHandle<String>),
    sha512: (mpsc::Sender<Bytes>, JoinHandle<String>),
}

fn spawn<D: Digest + Send + 'static>() -> (mpsc::Sender<Bytes>, JoinHandle<String>) {
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let handle = tokio::task::spawn_blocking(move || {
        let mut d = D::new();
        while let Some(chunk) = rx.blocking_recv() {
            d.update(&chunk);
        }
        hex::encode(d.finalize())
    });
    (tx, handle)
}

impl Hashers {
    /// Starts both digests.
    pub fn start() -> Hashers {
        Hashers {
            md5: spawn::<Md5>(),
            sha512: spawn::<Sha512>(),
        }
    }

    /// Hands a chunk to both digests (waits only when a digest is 4 chunks behind).
    pub async fn feed(&self, chunk: &Bytes) {
        // A send fails only if a hashing thread died, which `finish` reports.
        let _ = self.md5.0.send(chunk.clone()).await;
        let _ = self.sha512.0.send(chunk.clone()).await;
    }

    /// Waits for both digests: (md5 hex, sha512 hex).
    pub async fn finish(self) -> std::io::Result<(String, String)> {
        drop(self.md5.0);
        drop(self.sha512.0);
        let md5 = self.md5.1.await.map_err(std::io::Error::other)?;
        let sha = self.sha512.1.await.map_err(std::io::Error::other)?;
        Ok((md5, sha))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn digests_match_known_values() {
        let h = Hashers::start();
        h.feed(&Bytes::from_static(b"hello ")).await;
        h.feed(&Bytes::from_static(b"world")).await;
        let (md5, sha) = h.finish().await.unwrap();
        assert_eq!(md5, "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert!(sha.starts_with("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f"));
        assert_eq!(sha.len(), 128);
    }
}
