//! Glimpse: an OpenStack-compatible image service and a Horizon-like dashboard in one crate.
//! `domain` and `app` compile for the server and the browser; `server` only with `ssr`.

#![recursion_limit = "512"]

pub mod app;
pub mod domain;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point: hydrates the server-rendered page once the code of the lazily loaded
/// page it shows (if any) has arrived (as `leptos::mount::hydrate_lazy` does), then marks `#app`
/// `data-hydrated="true"`: from then on every handler on the page is live, the lazy page's too.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // hydrate_from_async sets up Leptos' executor itself.
    wasm_bindgen_futures::spawn_local(async {
        // A page not in English hydrates with its language's words (`app::words`).
        app::words::load().await;
        let body = leptos::prelude::document().body().expect("a <body>");
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        if let Some(app) = leptos::prelude::document().get_element_by_id("app") {
            _ = app.set_attribute("data-hydrated", "true");
        }
    });
}
