//! Password hashing with argon2id (RustCrypto `argon2`, default parameters), run off the async
//! threads by one dedicated hashing thread that keeps its 19 MiB of argon2 memory for good.
//! Password work is queued to it, so a burst of logins (or of wrong passwords from many
//! addresses) costs time in the queue, not memory: before, each hash took its memory on
//! whichever blocking thread ran it and the allocator kept every thread's arena, so three logins
//! left a server ~80 MB larger for good. Unknown users are checked against a dummy hash so both
//! failures take the same time.

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::distributions::{Alphanumeric, DistString};
use std::sync::mpsc;
use std::sync::OnceLock;

/// One piece of password work, run with the hashing thread's memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The hashing thread: started on first use, it owns the argon2 memory and runs jobs in order.
fn hasher() -> &'static mpsc::Sender<Job> {
    static HASHER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    HASHER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                let mut memory = vec![Block::default(); Params::DEFAULT.block_count()];
                while let Ok(job) = rx.recv() {
                    job(&mut memory);
                }
            })
            .expect("starting the password hashing thread");
        tx
    })
}

/// Runs `work` on the hashing thread and waits (asynchronously) for its answer.
async fn on_hasher<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    hasher()
        .send(Box::new(move |memory| {
            let _ = tx.send(work(memory));
        }))
        .map_err(|_| anyhow::anyhow!("the password hashing thread has stopped"))?;
    Ok(rx.await?)
}

/// Hashes `password` into a PHC string (`$argon2id$…`).
pub async fn hash(password: String) -> anyhow::Result<String> {
    on_hasher(move |memory| hash_with(&password, memory)).await?
}

/// argon2id with the default parameters into `memory`: what `PasswordHasher::hash_password`
/// computes, without allocating.
fn hash_with(password: &str, memory: &mut Vec<Block>) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::DEFAULT;
    let out = compute(
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
        password,
        &salt,
        Params::DEFAULT_OUTPUT_LEN,
        memory,
    )?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(anyhow::Error::msg)?,
        salt: Some(salt.as_salt()),
        hash: Some(out),
    }
    .to_string())
}

/// The argon2 output of `password` with `salt`, computed in `memory` (grown only for a stored
/// hash whose parameters need more than the default).
fn compute(
    argon: Argon2<'_>,
    password: &str,
    salt: &SaltString,
    len: usize,
    memory: &mut Vec<Block>,
) -> anyhow::Result<Output> {
    let mut raw = [0u8; 64];
    let salt = salt
        .as_salt()
        .decode_b64(&mut raw)
        .map_err(anyhow::Error::msg)?;
    let blocks = argon.params().block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// Whether `password` matches the PHC string `stored` (constant-time comparison of outputs).
fn verify_with(stored: &str, password: &str, memory: &mut Vec<Block>) -> bool {
    let mut check = || -> anyhow::Result<bool> {
        let parsed = PasswordHash::new(stored).map_err(anyhow::Error::msg)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let argon = Argon2::new(
            Algorithm::try_from(parsed.algorithm).map_err(anyhow::Error::msg)?,
            parsed
                .version
                .map(Version::try_from)
                .transpose()
                .map_err(anyhow::Error::msg)?
                .unwrap_or_default(),
            Params::try_from(&parsed).map_err(anyhow::Error::msg)?,
        );
        let salt = SaltString::from_b64(salt.as_str()).map_err(anyhow::Error::msg)?;
        let got = compute(argon, password, &salt, expected.len(), memory)?;
        Ok(got == expected)
    };
    check().unwrap_or(false)
}

/// Checks `password` against `stored`; with no stored hash (unknown user) a dummy hash is checked
/// instead and the answer is `false`, so the two cases cannot be told apart by timing.
pub async fn verify(stored: Option<String>, password: String) -> bool {
    let dummy = dummy_hash().await;
    on_hasher(move |memory| {
        let (phc, real) = match &stored {
            Some(s) => (s.as_str(), true),
            None => (dummy, false),
        };
        verify_with(phc, &password, memory) && real
    })
    .await
    .unwrap_or(false)
}

async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async { hash(generate(24)).await.expect("hashing a random password") })
        .await
}

/// A random alphanumeric secret of `len` characters (generated passwords).
pub fn generate(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rngs::OsRng, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(Some(h.clone()), "correct horse".into()).await);
        assert!(!verify(Some(h), "wrong horse".into()).await);
        assert!(!verify(None, "anything".into()).await);
        assert!(!verify(Some("not a hash".into()), "x".into()).await);
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_itself_verify_and_vice_versa() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // What older Glimpse versions stored (the crate's own hash_password).
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"old password", &salt)
            .unwrap()
            .to_string();
        assert!(verify(Some(theirs.clone()), "old password".into()).await);
        assert!(!verify(Some(theirs), "old passwore".into()).await);
        // And the crate accepts ours.
        let ours = hash("new password".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"new password", &parsed)
            .is_ok());
        // Stronger parameters than the default need more memory; they still verify.
        let strong = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(32 * 1024, 2, 1, None).unwrap(),
        )
        .hash_password(b"strong", &salt)
        .unwrap()
        .to_string();
        assert!(verify(Some(strong), "strong".into()).await);
    }
}
