//! The dashboard's assets (`target/site/pkg`: the wasm, its JS loader, the CSS and, in a split
//! release build, the lazily loaded chunks with their manifest). Pages name them under
//! `/pkg/<build>/…`, where `<build>` is a hash of their contents taken when the server starts: a
//! new build is a new URL, so they are cached for a year, `immutable`, and a warm visit fetches
//! nothing again. The `.br` and `.gz` copies a release build makes (`cargo leptos build --release
//! --precompress`) are served to clients that accept them (`Vary: Accept-Encoding`); without them
//! the compression layer compresses on the fly. `/pkg/…` without a build stays served, revalidated
//! on each use, for pages rendered before a new build.

use axum::http::{header, HeaderValue};
use axum::Router;
use sha2::{Digest, Sha256};
use std::path::Path;
use tower::ServiceBuilder;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The build id of the assets in `pkg`: 16 hex digits of a SHA-256 over the names and contents
/// of every file there (the wasm, its JS loader, the CSS and, in a split build, the lazily loaded
/// chunks and their manifest; not the `.br`/`.gz` copies of them), `none` when there are none
/// (e.g. a server built without the dashboard).
pub fn build_id(pkg: &Path) -> String {
    let mut names: Vec<_> = std::fs::read_dir(pkg)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".br") && !n.ends_with(".gz"))
        .collect();
    names.sort();
    let mut h = Sha256::new();
    let mut found = false;
    for name in names {
        if let Ok(bytes) = std::fs::read(pkg.join(&name)) {
            h.update((name.len() as u64).to_le_bytes());
            h.update(name.as_bytes());
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
            found = true;
        }
    }
    if !found {
        return "none".into();
    }
    hex::encode(&h.finalize()[..8])
}

/// What a split build's manifest (`__wasm_split_manifest.json`) says each lazily loaded function
/// needs: the chunks, by the function's name (`__<route>_view_<hash>` for a lazy route), and the
/// URL they are served under. Handed to each render, where a lazy route's page asks its `<head>`
/// to preload its chunks beside the main wasm (`app::lazy`), so that hydration does not wait for
/// one download after another. Leptos' own preloading looks for the manifest under the site's
/// package directory, here a URL (`pkg/<build>`) rather than a directory, and finds none.
#[derive(Clone, Debug)]
pub struct SplitChunks {
    /// Where the chunks are served: `/pkg/<build>`.
    pub base: String,
    /// Read once at start and shared by every render.
    pub needs: std::sync::Arc<std::collections::HashMap<String, Vec<String>>>,
    /// The URLs this render has asked to preload already (a route's data is made more than once).
    asked: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl SplitChunks {
    /// Reads `pkg`'s manifest; `None` without a split build.
    pub fn read(pkg: &Path, build: &str) -> Option<Self> {
        let text = std::fs::read_to_string(pkg.join("__wasm_split_manifest.json")).ok()?;
        let needs = serde_json::from_str(&text)
            .inspect_err(|e| tracing::warn!("unreadable __wasm_split_manifest.json: {e}"))
            .ok()
            .map(std::sync::Arc::new)?;
        Some(Self {
            base: format!("/pkg/{build}"),
            needs,
            asked: Default::default(),
        })
    }

    /// A copy for one render, which has asked for nothing yet (the manifest itself is shared).
    pub fn for_render(&self) -> Self {
        Self {
            asked: Default::default(),
            ..self.clone()
        }
    }

    /// [`Self::urls_for`] without the URLs this render has asked for already.
    pub fn not_yet_asked(&self, prefix: &str) -> Vec<String> {
        let mut asked = self.asked.lock().unwrap_or_else(|e| e.into_inner());
        self.urls_for(prefix)
            .into_iter()
            .filter(|u| asked.insert(u.clone()))
            .collect()
    }

    /// The URLs of the chunks the lazy function whose name starts with `prefix` needs, and of the
    /// loader that fetches them (`__wasm_split.….js`); empty when no function has that name.
    pub fn urls_for(&self, prefix: &str) -> Vec<String> {
        let mut urls: Vec<String> = self
            .needs
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .flat_map(|(_, chunks)| chunks)
            .map(|c| format!("{}/{c}.wasm", self.base))
            .collect();
        if !urls.is_empty() {
            urls.sort();
            urls.dedup();
            urls.push(format!(
                "{}/__wasm_split.______________________.js",
                self.base
            ));
        }
        urls
    }
}

/// `router` with the assets of `pkg` served under `/pkg/<build>` (immutable, precompressed copies
/// preferred) and under `/pkg` (revalidated).
pub fn serve<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    pkg: &Path,
    build: &str,
) -> Router<S> {
    let immutable = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .service(ServeDir::new(pkg).precompressed_br().precompressed_gzip());
    router
        .nest_service(&format!("/pkg/{build}"), immutable)
        // With a 304 to a browser that has the file already (compressed on the fly).
        .nest_service("/pkg", ServeDir::new(pkg))
}
