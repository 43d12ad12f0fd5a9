//! Glimpse: an OpenStack-compatible image service and a Horizon-like dashboard in one crate.
//! `domain` and `app` compile for the server and the browser; `server` only with `ssr`.

#![recursion_limit = "512"]

pub mod app;
pub mod domain;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
