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

/// Create Image, with the format inspector.
pub struct CreateImage;

#[lazy_route]
impl LazyRoute for CreateImage {
    fn data() -> Self {
        preload("__create_image_view_");
        Self
    }
    fn view(this: Self) -> AnyView {
        let CreateImage = this;
        view! { <pages::create_image::CreateImagePage/> }.into_any()
    }
}

/// An image's details, with its import tasks and Update Metadata.
pub struct Image;

#[lazy_route]
impl LazyRoute for Image {
    fn data() -> Self {
        preload("__image_view_");
        Self
    }
    fn view(this: Self) -> AnyView {
        let Image = this;
        view! { <pages::image::ImagePage/> }.into_any()
    }
}

/// Admin: the images in the trash.
pub struct Trash;

#[lazy_route]
impl LazyRoute for Trash {
    fn data() -> Self {
        preload("__trash_view_");
        Self
    }
    fn view(this: Self) -> AnyView {
        let Trash = this;
        view! { <pages::trash::TrashPage/> }.into_any()
    }
}

/// Admin: the stores.
pub struct Stores;

#[lazy_route]
impl LazyRoute for Stores {
    fn data() -> Self {
        preload("__stores_view_");
        Self
    }
    fn view(this: Self) -> AnyView {
        let Stores = this;
        view! { <pages::stores::StoresPage/> }.into_any()
    }
}

/// Admin: the metadata definition namespaces.
pub struct Metadefs;

#[lazy_route]
impl LazyRoute for Metadefs {
    fn data() -> Self {
        preload("__metadefs_view_");
        Self
    }
    fn view(this: Self) -> AnyView {
        let Metadefs = this;
        view! { <pages::metadefs::MetadefsPage/> }.into_any()
    }
}

/// Admin: one metadata definition namespace.
pub struct Metadef;

#[lazy_route]
impl LazyRoute for Metadef {
    fn data() -> Self {
        preload("__metadef_view_");
        Self
    }
    fn view(this: Self) -> AnyView {
        let Metadef = this;
        view! { <pages::metadefs::MetadefPage/> }.into_any()
    }
}

/// Identity: projects.
pub struct Projects;

#[lazy_route]
impl LazyRoute for Projects {
    fn data() -> Self {
        preload("__projects_view_");
        Self
    }
    fn view(this: Self) -> AnyView {
        let Projects = this;
        view! { <pages::projects::ProjectsPage/> }.into_any()
    }
}

/// Identity: users.
pub struct Users;

#[lazy_route]
impl LazyRoute for Users {
    fn data() -> Self {
        preload("__users_view_");
        Self
    }
    fn view(this: Self) -> AnyView {
        let Users = this;
        view! { <pages::users::UsersPage/> }.into_any()
    }
}
