//! Import for the dashboard: the enabled methods, Create Image from a URL (web-download), the
//! import tasks of an image, and retrying an import or copying an image to another store. The
//! rules are `ImageService`'s, as for the API.

use super::AppError;
use crate::domain::ids::ImageId;
use crate::domain::image::Image;
use crate::domain::task::Task;
use crate::server_fns::images::NewImageForm;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn image_error(e: crate::server::images::ImageError) -> AppError {
    super::images::service_error(e, "uri")
}

/// The import methods this cloud offers (`glance-direct`, `web-download`, `copy-image`).
#[server]
pub async fn import_methods() -> Result<Vec<String>, AppError> {
    let s = super::ctx::services()?;
    super::ctx::actor().await?;
    Ok(s.images
        .import_methods()
        .into_iter()
        .map(str::to_string)
        .collect())
}

/// Creates an image and imports its data from `uri` (web-download) into `store` (the default
/// store if `None`). If the import is refused
/// (the URI does not pass the filter, a quota), the new image is removed again and the reason
/// is given against the URL field.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn create_image_from_url(
    form: NewImageForm,
    uri: String,
    store: Option<String>,
) -> Result<Image, AppError> {
    use crate::domain::task::{ImportMethod, ImportRequest};
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let img = super::images::create_image_inner(&s, &actor, form).await?;
    let req = ImportRequest {
        method: ImportMethod::WebDownload,
        uri: Some(uri.trim().to_string()),
        stores: store.into_iter().collect(),
        all_stores: false,
        all_stores_must_succeed: true,
    };
    if let Err(e) = s.images.import(&actor, &img.id, req, "").await {
        if let Err(d) = s.images.delete(&actor, &img.id).await {
            d.log_if_internal();
        }
        return Err(image_error(e));
    }
    Ok(img)
}

/// An image's import tasks, newest first.
#[server]
pub async fn image_tasks(id: ImageId) -> Result<Vec<Task>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.images.image_tasks(&actor, &id).await.map_err(image_error)
}

/// Starts an import of image `id`: web-download again from `uri` (a retry), or copy-image to
/// `stores`.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn import_image(
    id: ImageId,
    method: String,
    uri: Option<String>,
    stores: Vec<String>,
) -> Result<(), AppError> {
    use crate::domain::task::{ImportMethod, ImportRequest};
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let method = ImportMethod::parse(&method).ok_or_else(|| AppError::Invalid {
        field: "method".into(),
        message: "is not an import method".into(),
    })?;
    let req = ImportRequest {
        method,
        uri,
        stores,
        all_stores: false,
        all_stores_must_succeed: true,
    };
    s.images
        .import(&actor, &id, req, "")
        .await
        .map(|_| ())
        .map_err(image_error)
}
