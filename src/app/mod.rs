//! The Leptos dashboard (server-rendered, hydrated in the browser): the HTML shell, the routes,
//! the layout with top bar and side navigation, shared components and the pages.

pub mod components;
pub mod lang;
pub mod layout;
pub mod lazy;
pub mod pages;
pub mod upload;
pub mod words;

// The catalogs' typed keys, `Locale` and `td_string!` (leptos_i18n's macro reads
// `[package.metadata.leptos-i18n]`; its build-script form would download CLDR data).
#[allow(deprecated)]
pub(crate) mod catalog {
    leptos_i18n::load_locales!();
}
/// The catalogs' keys and `Locale`, and `td_string!`: leptos_i18n's on the server; in the browser
/// the same key's English through the page's loaded words (`words`), so that the wasm holds the
/// English catalog only.
pub mod i18n {
    pub use super::catalog::i18n::*;
    #[cfg(feature = "hydrate")]
    pub use crate::td_string_loaded as td_string;
}

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy};

/// Runs browser work (a server function called from an event handler or an effect, a file read)
/// on the browser's task queue. On the server it does nothing: pages are only rendered there, and
/// a task spawned while rendering panics that render (no `LocalSet`), which took down the
/// Update Metadata page once. `clippy.toml` forbids `leptos::task::spawn_local` everywhere else.
pub fn browser_task(fut: impl std::future::Future<Output = ()> + 'static) {
    #[cfg(feature = "hydrate")]
    #[allow(clippy::disallowed_methods)]
    leptos::task::spawn_local(fut);
    #[cfg(not(feature = "hydrate"))]
    drop(fut);
}

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's Content-Security-Policy names the nonce Leptos puts on its inline scripts.
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(v) =
            axum::http::HeaderValue::from_str(&crate::server::http::dashboard_csp(&nonce))
        {
            res.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" id="leptos" href=format!("/{}/glimpse.css", options.site_pkg_dir)/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: routes and the providers every page uses.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::provide_toasts();
    // The page's language (the session's choice, else Accept-Language; in the browser, the
    // server's `<html lang>`). leptos_i18n's provider is not used: it renders an inline <script>
    // the Content-Security-Policy refuses, and its context's server-side effect could outlive it.
    let l = lang::provide();
    #[cfg(feature = "ssr")]
    words::serve::head(l);
    view! {
        <Title formatter=|t: String| if t.is_empty() { "Glimpse".to_string() } else { format!("{t} · Glimpse") }/>
        // `hydrate()` (lib.rs) turns this to "true" once the page, lazily loaded parts included, is live.
        <div id="app" data-hydrated="false">
            <Router>
                <Routes fallback=|| view! { <pages::NotFoundPage/> }>
                    <Route path=path!("/login") view={Lazy::<lazy::Login>::new()}/>
                    <ParentRoute path=path!("") view=layout::Shell>
                        <Route path=path!("") view=|| view! { <Redirect path="/project"/> }/>
                        <Route path=path!("/project") view={Lazy::<lazy::Overview>::new()}/>
                        <Route path=path!("/project/images") view=pages::images::ProjectImagesPage/>
                        <Route path=path!("/project/images/create") view={Lazy::<lazy::CreateImage>::new()}/>
                        <Route path=path!("/project/shared") view={Lazy::<lazy::Shared>::new()}/>
                        <Route path=path!("/admin/images") view=pages::images::AdminImagesPage/>
                        <Route path=path!("/project/images/:id") view={Lazy::<lazy::Image>::new()}/>
                        <Route path=path!("/admin/trash") view={Lazy::<lazy::Trash>::new()}/>
                        <Route path=path!("/admin/stores") view={Lazy::<lazy::Stores>::new()}/>
                        <Route path=path!("/admin/metadefs") view={Lazy::<lazy::Metadefs>::new()}/>
                        <Route path=path!("/admin/metadefs/:ns") view={Lazy::<lazy::Metadef>::new()}/>
                        <Route path=path!("/accounts/projects") view={Lazy::<lazy::Projects>::new()}/>
                        <Route path=path!("/accounts/users") view={Lazy::<lazy::Users>::new()}/>
                    </ParentRoute>
                </Routes>
            </Router>
            <components::Toaster/>
        </div>
        // After the page, so that it names the language the page was rendered in.
        <leptos_meta::Html attr:lang=leptos_i18n::Locale::as_str(l)/>
    }
}
