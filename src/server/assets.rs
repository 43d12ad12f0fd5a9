//! The dashboard's assets (`target/site/pkg`: the wasm, its JS loader, the CSS). Pages name them
//! under `/pkg/<build>/…`, where `<build>` is a hash of their contents taken when the server
//! starts: a new build is a new URL, so they are cached for a year, `immutable`, and a warm visit
//! fetches nothing again. The `.br` and `.gz` copies a release build makes (`cargo leptos build
//! --release --precompress`) are served to clients that accept them (`Vary: Accept-Encoding`);
//! without them the compression layer compresses on the fly. `/pkg/…` without a build stays
//! served, revalidated on each use, for pages rendered before a new build.

use axum::http::{header, HeaderValue};
use axum::Router;
use sha2::{Digest, Sha256};
use std::path::Path;
use tower::ServiceBuilder;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The files whose contents make the build id.
const BUILT: [&str; 3] = ["glimpse.js", "glimpse.wasm", "glimpse.css"];

/// The build id of the assets in `pkg`: 16 hex digits of a SHA-256 over their names and
/// contents (`none` when there are none, e.g. a server built without the dashboard).
pub fn build_id(pkg: &Path) -> String {
    let mut h = Sha256::new();
    let mut found = false;
    for name in BUILT {
        if let Ok(bytes) = std::fs::read(pkg.join(name)) {
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
