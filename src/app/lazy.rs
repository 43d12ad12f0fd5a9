//! The pages whose code loads when first opened: each is a `LazyRoute`, which the split release
//! build (`cargo leptos build --split`) puts in wasm chunks of their own, so that the login page
//! and the Images list load without them. A page rendered on the server asks its `<head>` to
//! preload its chunks, so that opening it directly does not wait for one download after another.

use super::pages;
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// On the server, adds `<link rel="preload">`s to the page's head for the chunks of the lazy view
/// whose name starts with `view` (`__<route type in snake case>_view_`), when the build is split
/// (`server::assets::SplitChunks` in the context). Does nothing in the browser.
fn preload(view: &str) {
    #[cfg(feature = "ssr")]
    if let Some(split) = use_context::<crate::server::assets::SplitChunks>() {
        use leptos_meta::Link;
        for url in split.not_yet_asked(view) {
            // Rendering a leptos_meta tag registers it with the page's head.
            if url.ends_with(".js") {
                _ = view! { <Link rel="modulepreload" href=url crossorigin="anonymous"/> }
                    .to_html();
            } else {
                _ = view! {
                    <Link rel="preload" href=url as_="fetch" type_="application/wasm" crossorigin="anonymous"/>
                }
                .to_html();
            }
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = view;
}

/// A lazy page: `$name` is the route's type, `$chunk` the start of its chunks' names
/// (`__<name in snake case>_view_`), `$page` the page component.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident, $chunk:literal, $($page:ident)::+) => {
        $(#[$doc])*
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                preload($chunk);
                Self
            }
            fn view(this: Self) -> AnyView {
                let $name = this;
                view! { <$($page)::+/> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// Create Image, with the format inspector.
    CreateImage,
    "__create_image_view_",
    pages::create_image::CreateImagePage
);
lazy_page!(
    /// An image's details, with its import tasks and Update Metadata.
    Image,
    "__image_view_",
    pages::image::ImagePage
);
lazy_page!(
    /// Admin: the images in the trash.
    Trash,
    "__trash_view_",
    pages::trash::TrashPage
);
lazy_page!(
    /// Admin: the stores.
    Stores,
    "__stores_view_",
    pages::stores::StoresPage
);
lazy_page!(
    /// Admin: the metadata definition namespaces.
    Metadefs,
    "__metadefs_view_",
    pages::metadefs::MetadefsPage
);
lazy_page!(
    /// Admin: one metadata definition namespace.
    Metadef,
    "__metadef_view_",
    pages::metadefs::MetadefPage
);
lazy_page!(
    /// Identity: projects.
    Projects,
    "__projects_view_",
    pages::projects::ProjectsPage
);
lazy_page!(
    /// Identity: users.
    Users,
    "__users_view_",
    pages::users::UsersPage
);
lazy_page!(
    /// The login page (its own chunk, so that the Images list loads without it).
    Login,
    "__login_view_",
    pages::login::LoginPage
);
lazy_page!(
    /// The project overview.
    Overview,
    "__overview_view_",
    pages::overview::OverviewPage
);
lazy_page!(
    /// Images shared with the project.
    Shared,
    "__shared_view_",
    pages::shared::SharedPage
);
