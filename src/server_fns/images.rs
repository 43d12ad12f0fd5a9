//! Images for the dashboard: one page of the list (the URL's query string is Glance's list
//! parameters, parsed by the same code as the API), one image, and the project's usage.

use super::AppError;
use crate::domain::ids::{ImageId, ProjectId};
use crate::domain::image::Image;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One image event as the dashboard's live stream (`GET /events`) sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// `image.create`, `image.update`, `image.member.create`, …
    pub event_type: String,
    /// The image.
    pub image_id: ImageId,
    /// Its name.
    pub name: Option<String>,
    /// Its status after the event.
    pub status: crate::domain::image::ImageStatus,
    /// For member events, the member project.
    pub member: Option<String>,
}

/// The images table counts matches up to this many, then says "more than".
pub const TOTAL_CAP: i64 = 1000;

/// One page of the images table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImagePage {
    /// The rows.
    pub images: Vec<Image>,
    /// The marker of the next page, when there is one.
    pub next_marker: Option<String>,
    /// The id to page back from (`before=`), when there is a page before this one.
    pub prev_marker: Option<String>,
    /// How many images match the filters, over every page; `TOTAL_CAP + 1` means "more than
    /// `TOTAL_CAP`" (counting stops there, so a large cloud's page stays fast).
    pub total: i64,
    /// For each image, in order: why each action is unavailable to the caller (the server's
    /// decision, operator policy included).
    pub actions: Vec<crate::domain::policy::Unavailable>,
    /// Names of the projects the caller belongs to, by id (other owners show as ids).
    pub project_names: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
fn image_error(e: crate::server::images::ImageError) -> AppError {
    service_error(e, "request")
}

/// An image or metadefs service error for the dashboard; bad input is reported against `field`.
#[cfg(feature = "ssr")]
pub(crate) fn service_error(e: crate::server::images::ImageError, field: &str) -> AppError {
    use crate::server::images::ImageError as E;
    e.log_if_internal();
    match e {
        // The server functions' edge: reasons in words.
        E::NotFound(r) => AppError::NotFound(r),
        E::Forbidden(r) => AppError::Forbidden(r),
        E::Conflict(r) | E::Gone(r) => AppError::Conflict(r),
        E::Invalid(r) | E::TooLarge(r) | E::UnsupportedMedia(r) => AppError::Refused(r),
        E::Interrupted(m) => AppError::Invalid {
            field: field.into(),
            message: m,
        },
        E::RangeNotSatisfiable(_) => AppError::Invalid {
            field: "range".into(),
            message: "is not satisfiable".into(),
        },
        E::Store(_) | E::Db(_) => AppError::Internal,
    }
}

/// One page of images, for Glance list parameters given as a query string
/// (`limit=20&sort_key=name&sort_dir=asc&status=active&marker=…`).
#[server]
pub async fn list_images(query: String) -> Result<ImagePage, AppError> {
    use crate::server::images::query::ListQuery;
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let mut params: Vec<(String, String)> =
        serde_urlencoded::from_str(&query).map_err(|_| AppError::Invalid {
            field: "query".into(),
            message: "is not a valid query string".into(),
        })?;
    // The filter form sends every field; an empty one means "no filter".
    params.retain(|(_, v)| !v.is_empty());
    // The dashboard's own parameters: `search` (a name substring) and `before` (page back).
    let take = |params: &mut Vec<(String, String)>, key: &str| {
        let v = params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone());
        params.retain(|(k, _)| k != key);
        v
    };
    let search = take(&mut params, "search");
    let before = take(&mut params, "before");
    if before.is_some() {
        params.retain(|(k, _)| k != "marker");
        params.push(("marker".into(), before.clone().unwrap_or_default()));
    }
    let mut q = ListQuery::parse(&params).map_err(|e| AppError::Invalid {
        field: "filter".into(),
        message: e.0,
    })?;
    q.name_contains = search.map(|t| t.trim().to_string());
    q.before_marker = before.is_some();
    let limit = q.limit.max(1);
    // One row more than a page says whether another page lies in the direction of travel.
    q.limit = limit + 1;
    let mut images = s.images.list(&actor, &q).await.map_err(image_error)?;
    let more = images.len() as i64 > limit;
    if more {
        if q.before_marker {
            images.remove(0);
        } else {
            images.pop();
        }
    }
    let (has_next, has_prev) = if q.before_marker {
        (true, more)
    } else {
        (more, q.marker.is_some())
    };
    let next_marker = has_next
        .then(|| images.last().map(|i| i.id.to_string()))
        .flatten();
    let prev_marker = has_prev
        .then(|| images.first().map(|i| i.id.to_string()))
        .flatten();
    let total = s
        .images
        .count(&actor, &q, TOTAL_CAP)
        .await
        .map_err(image_error)?;
    let actions = images
        .iter()
        .map(|img| s.images.listed_actions(&actor, img))
        .collect();
    // The owners of the images on the page (images the caller can see), by name.
    let mut owners: Vec<_> = images.iter().filter_map(|i| i.owner.clone()).collect();
    owners.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    owners.dedup();
    let project_names = s
        .identity
        .project_names(&owners)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    Ok(ImagePage {
        images,
        next_marker,
        prev_marker,
        total,
        actions,
        project_names,
    })
}

/// One image with its owner's project name, for the details page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageDetails {
    /// The image.
    pub image: Image,
    /// The owner project's name, when it has one.
    pub owner_name: Option<String>,
    /// Why each action is unavailable to the caller (the server's decision).
    pub actions: crate::domain::policy::Unavailable,
    /// The image's keys (and `description`) the operator's property protections keep the
    /// caller from changing, adding or removing.
    pub property_access: Vec<crate::domain::policy::PropertyAccess>,
}

/// One image and its owner's name.
#[server]
pub async fn get_image_details(id: ImageId) -> Result<ImageDetails, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let (image, actions) = s
        .images
        .get_with_actions(&actor, &id)
        .await
        .map_err(image_error)?;
    let owner_name = match &image.owner {
        Some(o) => s
            .identity
            .project_names(std::slice::from_ref(o))
            .await?
            .into_iter()
            .next()
            .map(|(_, n)| n),
        None => None,
    };
    let description = "description".to_string();
    let property_access = s
        .images
        .property_access(&actor, image.properties.keys().chain([&description]));
    Ok(ImageDetails {
        image,
        owner_name,
        actions,
        property_access,
    })
}

/// What the operator's property protections let the caller do with each of `keys` (only the
/// keys where something is refused): the metadata editor's candidate keys.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn property_access(
    keys: Vec<String>,
) -> Result<Vec<crate::domain::policy::PropertyAccess>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    if keys.len() > 4096 {
        return Err(AppError::Invalid {
            field: "keys".into(),
            message: "are too many".into(),
        });
    }
    Ok(s.images.property_access(&actor, &keys))
}

/// One image.
#[server]
pub async fn get_image(id: ImageId) -> Result<Image, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.images.get(&actor, &id).await.map_err(image_error)
}

/// What the Create Image form sends.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewImageForm {
    /// Name.
    pub name: String,
    /// Description (an extra property).
    pub description: String,
    /// Disk format.
    pub disk_format: String,
    /// Container format.
    pub container_format: String,
    /// Minimum disk, GB.
    pub min_disk: i64,
    /// Minimum RAM, MB.
    pub min_ram: i64,
    /// architecture, os_distro, os_version and custom properties.
    pub properties: Vec<(String, String)>,
    /// Visibility.
    pub visibility: String,
    /// Protected.
    pub protected: bool,
    /// Tags.
    pub tags: Vec<String>,
}

/// Creates a queued image; the browser then uploads its data straight to the image API.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn create_image(form: NewImageForm) -> Result<Image, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    create_image_inner(&s, &actor, form).await
}

/// Creates a queued image from the form's fields (also for Create from URL).
#[cfg(feature = "ssr")]
pub(crate) async fn create_image_inner(
    s: &crate::server::state::Services,
    actor: &crate::domain::policy::Actor,
    form: NewImageForm,
) -> Result<Image, AppError> {
    use serde_json::{json, Map, Value};
    let mut m = Map::new();
    m.insert("name".into(), json!(form.name));
    m.insert("disk_format".into(), json!(form.disk_format));
    m.insert("container_format".into(), json!(form.container_format));
    m.insert("min_disk".into(), json!(form.min_disk));
    m.insert("min_ram".into(), json!(form.min_ram));
    m.insert("visibility".into(), json!(form.visibility));
    m.insert("protected".into(), json!(form.protected));
    m.insert("tags".into(), json!(form.tags));
    if !form.description.is_empty() {
        m.insert("description".into(), json!(form.description));
    }
    for (k, v) in form.properties {
        if !k.is_empty() {
            m.insert(k, Value::String(v));
        }
    }
    s.images.create(actor, m).await.map_err(image_error)
}

/// Deletes an image.
#[server]
pub async fn delete_image(id: ImageId) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.images.delete(&actor, &id).await.map_err(image_error)
}

/// Deletes several images (the batch delete), each on its own: one failing does not stop the
/// others. Says, in the order given, what happened to each.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn delete_images(
    ids: Vec<ImageId>,
) -> Result<Vec<(ImageId, Result<(), String>)>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = s.images.delete(&actor, &id).await;
        out.push((id, r.map_err(|e| image_error(e).to_string())));
    }
    Ok(out)
}

/// One change to an image, as the dashboard sends it (a JSON-patch operation on one key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ImageChange {
    /// Set a property (extra properties are overwritten).
    Set(String, serde_json::Value),
    /// Remove an extra property.
    Remove(String),
}

/// Applies changes to an image, all or nothing, with every rule the PATCH API applies.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn update_image(id: ImageId, changes: Vec<ImageChange>) -> Result<Image, AppError> {
    use crate::server::images::service::Change;
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let changes = changes
        .into_iter()
        .map(|c| match c {
            ImageChange::Set(k, v) => Change::Add(k, v),
            ImageChange::Remove(k) => Change::Remove(k),
        })
        .collect();
    s.images
        .update(&actor, &id, changes)
        .await
        .map_err(image_error)
}

/// Deactivates (`active = false`) or reactivates an image.
#[server]
pub async fn set_image_active(id: ImageId, active: bool) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.images
        .set_active(&actor, &id, active)
        .await
        .map_err(image_error)
}

/// A member row for the owner's Manage Members card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    /// The member project's id.
    pub member_id: String,
    /// Its name, when known.
    pub name: String,
    /// pending, accepted or rejected.
    pub status: String,
}

/// The members of an image (all for the owner, only itself for a member; none unless it is shared).
#[server]
pub async fn list_members(image_id: ImageId) -> Result<Vec<MemberRow>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let id = image_id;
    // The details page asks for every image; only shared images have members (the API says 403).
    let image = s.images.get(&actor, &id).await.map_err(image_error)?;
    if image.visibility != crate::domain::image::Visibility::Shared {
        return Ok(Vec::new());
    }
    let members = s.images.members(&actor, &id).await.map_err(image_error)?;
    let ids: Vec<_> = members.iter().map(|m| m.member_id.clone()).collect();
    let names = s.identity.project_names(&ids).await?;
    Ok(members
        .into_iter()
        .map(|m| MemberRow {
            name: names
                .iter()
                .find(|(i, _)| *i == m.member_id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            member_id: m.member_id.to_string(),
            status: m.status,
        })
        .collect())
}

/// Shares an image with a project given by name or id.
#[server]
pub async fn add_member(image_id: ImageId, project: String) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let id = image_id;
    let p = s
        .identity
        .resolve_project(project.trim())
        .await?
        .ok_or_else(|| {
            AppError::Refused(crate::domain::reason::Reason::UnknownProject {
                name: crate::domain::image::excerpt(project.trim()),
            })
        })?;
    s.images
        .add_member(&actor, &id, p.id.as_str())
        .await
        .map_err(image_error)?;
    Ok(())
}

/// Stops sharing an image with a project.
#[server]
pub async fn remove_member(image_id: ImageId, member_id: ProjectId) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let id = image_id;
    s.images
        .remove_member(&actor, &id, &member_id)
        .await
        .map_err(image_error)
}

/// A share as the member project sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// The image.
    pub image: Image,
    /// pending, accepted or rejected.
    pub status: String,
    /// The owner project's name, when known.
    pub owner_name: String,
}

/// Images shared with the caller's project, in every status.
#[server]
pub async fn shared_with_me() -> Result<Vec<Share>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let shares = s.images.shared_with(&actor).await.map_err(image_error)?;
    let owners: Vec<_> = shares.iter().filter_map(|(i, _)| i.owner.clone()).collect();
    let names = s.identity.project_names(&owners).await?;
    Ok(shares
        .into_iter()
        .map(|(image, m)| Share {
            owner_name: names
                .iter()
                .find(|(i, _)| Some(i) == image.owner.as_ref())
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            image,
            status: m.status,
        })
        .collect())
}

/// Accepts, rejects or resets a share for the caller's project.
#[server]
pub async fn answer_share(image_id: ImageId, status: String) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let id = image_id;
    let me = actor.project_id.clone();
    s.images
        .set_member_status(&actor, &id, &me, &status)
        .await
        .map_err(image_error)?;
    Ok(())
}

/// The current project's usage against its image quotas (-1 = unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSummary {
    /// Images.
    pub count: i64,
    /// Image count limit.
    pub count_limit: i64,
    /// Bytes stored.
    pub bytes: i64,
    /// Storage limit, MiB.
    pub size_limit_mib: i64,
}

/// The current project's usage against its image quotas.
#[server]
pub async fn image_usage() -> Result<UsageSummary, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let u = s.images.usage(&actor).await.map_err(image_error)?;
    Ok(UsageSummary {
        count: u.count,
        count_limit: u.count_limit,
        bytes: u.size_bytes,
        size_limit_mib: u.size_limit,
    })
}
