//! The dashboard's pages, one module each.

use crate::app::i18n::td_string;
#[allow(unused_imports)]
use crate::app::lang::{self, fill};
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
    let l = lang::locale();
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <div class="login-page">
            <div class="login-card">
                <h1>{td_string!(l, not_found.title)}</h1>
                <p class="muted">{td_string!(l, not_found.nothing)}</p>
                <a class="btn primary" href="/">{td_string!(l, not_found.go)}</a>
            </div>
        </div>
    }
}
