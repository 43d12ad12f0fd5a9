//! The dashboard's pages, one module each.

pub mod create_image;
pub mod image;
pub mod images;
pub mod login;
pub mod metadata_editor;
pub mod metadefs;
pub mod overview;
pub mod projects;
pub mod shared;
pub mod stores;
pub mod trash;
pub mod users;

use leptos::prelude::*;

/// Shown for unknown paths.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <div class="login-page">
            <div class="login-card">
                <h1>"Page not found"</h1>
                <p class="muted">"There is nothing at this address."</p>
                <a class="btn primary" href="/">"Go to the dashboard"</a>
            </div>
        </div>
    }
}
