//! The `glimpse` binary: parses the command line and runs it (serving by default).
#![recursion_limit = "512"]

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    glimpse::server::cli::run().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser build has no binary: `hydrate()` in lib.rs is its entry point.
}
