//! Shared state: `Services` (what handlers and server functions call) and `AppState` for axum.

use super::config::Config;
use super::identity::IdentityService;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// The services every handler and server function reaches through a request extension.
#[derive(Debug, Clone)]
pub struct Services {
    /// Users, projects, roles, sessions and tokens.
    pub identity: IdentityService,
    /// Images and their data.
    pub images: crate::server::images::ImageService,
    /// Metadata definitions.
    pub metadefs: crate::server::metadefs::MetadefService,
    /// The resolved configuration.
    pub config: Arc<Config>,
    /// Public base URL (no trailing slash), used in the links the APIs return.
    pub public_url: Arc<str>,
}

/// The axum router state.
#[derive(Debug, Clone, FromRef)]
pub struct AppState {
    /// Leptos' options (site root, output name).
    pub leptos_options: LeptosOptions,
    /// The services.
    pub services: Services,
}
