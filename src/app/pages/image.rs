//! Project > Images > one image: every field, tags, custom properties, and a Download button
//! that streams the data from the image API.

use crate::app::components::{image_type, short_time, StatusBadge};
use crate::app::components::{mutation, ConfirmDialog, ErrorBox, PageHeader};
use crate::app::i18n::td_string;
use crate::app::lang::{self, fill};
use crate::app::layout::use_session;
use crate::app::pages::metadata_editor::UpdateMetadata;
use crate::domain::ids::{ImageId, ProjectId};
use crate::domain::image::excerpt;
use crate::domain::image::{
    check_minimum, check_name, parse_property_lines, Image, ImageStatus, Visibility,
};
use crate::domain::policy::{can_set_visibility, PropertyAccess, Unavailable};
use crate::domain::reason::Reason;
use crate::server_fns::images::{
    get_image_details, list_members, AddMember, DeleteImage, ImageChange, ImageDetails,
    RemoveMember, SetImageActive, UpdateImage,
};
use crate::server_fns::import::{image_tasks, ImportImage};
use crate::server_fns::stores::list_stores;
use crate::server_fns::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The details page.
#[component]
pub fn ImagePage() -> impl IntoView {
    let l = lang::locale();
    let params = use_params_map();
    let version = RwSignal::new(0u32);
    // The images table's row menu links here with ?edit=1 or ?metadata=1: that editor opens
    // on arrival (and stays open while the image reloads).
    let asked = |key: &str| use_query_map().with_untracked(|q| q.get(key).as_deref() == Some("1"));
    let open_editor = RwSignal::new(asked("edit"));
    let open_metadata = RwSignal::new(asked("metadata"));
    // Another tab, user or client changing this image reloads it (live, no polling); an editor
    // that is open stays open.
    if let Some(live) = use_context::<crate::app::layout::LiveEvents>() {
        live.watch(move |e| {
            let this = params.with_untracked(|p| p.get("id").unwrap_or_default());
            // (A deletion is left to the page: its own Delete redirects; reloading would 404.)
            if e.is_none_or(|e| e.image_id.to_string() == this && e.event_type != "image.delete") {
                version.update(|v| *v += 1);
            }
        });
    }
    let image = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), version.get()),
        |(id, _)| async move {
            match ImageId::parse(&id) {
                Ok(id) => get_image_details(id).await,
                Err(_) => Err(AppError::NotFound(Reason::ImageNotFound {
                    id: excerpt(&id),
                })),
            }
        },
    );
    // Loaded beside the image (never inside its Suspend: a resource made there would not hydrate).
    let members = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), version.get()),
        |(id, _)| async move {
            match ImageId::parse(&id) {
                Ok(id) => list_members(id).await,
                Err(_) => Ok(Vec::new()),
            }
        },
    );
    let tasks = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), version.get()),
        |(id, _)| async move {
            match ImageId::parse(&id) {
                Ok(id) => image_tasks(id).await,
                Err(_) => Ok(Vec::new()),
            }
        },
    );
    let stores = Resource::new(|| (), |_| list_stores());
    let methods = Resource::new(|| (), |_| crate::server_fns::import::import_methods());
    view! {
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, image.loading)}</p> }>
            {move || Suspend::new(async move {
                let members = members.await.unwrap_or_default();
                let tasks = tasks.await.unwrap_or_default();
                let stores = stores.await.unwrap_or_default();
                let methods = methods.await.unwrap_or_default();
                match image.await {
                    Err(e) => view! { <PageHeader title=td_string!(l, image.image)/><ErrorBox error=e/> }.into_any(),
                    Ok(ImageDetails { image: img, owner_name, actions, property_access }) => {
                        let title = img.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| img.id.to_string());
                        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
                        let size = |v: Option<i64>| v.map(|b| fill(td_string!(l, image.bytes), &[("size", &lang::size(l, b)), ("b", &b)])).unwrap_or_else(|| "—".into());
                        view! {
                            <PageHeader title=title.clone() subtitle=td_string!(l, image.details)/>
                            <div class="toolbar">
                                <a class="btn" href="/project/images">{td_string!(l, image.all_images)}</a>
                                <ImageActions image=img.clone() why=actions.clone() access=property_access.clone() version open_editor open_metadata/>
                            </div>
                            <div class="cards">
                                <section class="card" aria-labelledby="overview-h">
                                    <h2 id="overview-h">{td_string!(l, image.overview)}</h2>
                                    <dl class="facts">
                                        <dt>"ID"</dt><dd><code>{img.id.to_string()}</code></dd>
                                        <dt>{td_string!(l, image.name)}</dt><dd>{opt(&img.name)}</dd>
                                        <dt>{td_string!(l, image.status)}</dt><dd><StatusBadge status=img.status/></dd>
                                        <dt>{td_string!(l, image.owner_project)}</dt>
                                        <dd>
                                            {owner_name.clone().unwrap_or_else(|| "—".into())}
                                            {img.owner.as_ref().map(|o| view! { <br/><code class="secondary">{o.to_string()}</code> })}
                                        </dd>
                                        <dt>{td_string!(l, image.kind)}</dt><dd>{image_type(l, &img)}</dd>
                                        <dt>{td_string!(l, image.visibility)}</dt><dd>{lang::visibility(l, img.visibility.as_str())}</dd>
                                        <dt>{td_string!(l, image.protected)}</dt><dd>{if img.protected { {td_string!(l, image.yes)} } else { {td_string!(l, image.no)} }}</dd>
                                        <dt>{td_string!(l, image.hidden)}</dt><dd>{if img.os_hidden { {td_string!(l, image.yes)} } else { {td_string!(l, image.no)} }}</dd>
                                        <dt>{td_string!(l, image.created)}</dt><dd>{short_time(l, &img.created_at)}</dd>
                                        <dt>{td_string!(l, image.updated)}</dt><dd>{short_time(l, &img.updated_at)}</dd>
                                    </dl>
                                </section>
                                <section class="card" aria-labelledby="data-h">
                                    <h2 id="data-h">{td_string!(l, image.data)}</h2>
                                    <dl class="facts">
                                        <dt>{td_string!(l, image.size)}</dt>
                                        <dd>
                                            {size(img.size)}
                                            {img.virtual_size.map(|v| view! { <span class="muted">{fill(td_string!(l, image.virtual_size), &[("size", &lang::size(l, v))])}</span> })}
                                        </dd>
                                        <dt>{td_string!(l, image.disk_format)}</dt><dd>{opt(&img.disk_format)}</dd>
                                        <dt>{td_string!(l, image.container_format)}</dt><dd>{opt(&img.container_format)}</dd>
                                        {(!img.stores.is_empty()).then(|| view! {
                                            <dt>{td_string!(l, image.stored_in)}</dt><dd>{img.stores.join(", ")}</dd>
                                        })}
                                        <dt>{td_string!(l, image.min_disk_short)}</dt><dd>{format!("{} GB", img.min_disk)}</dd>
                                        <dt>{td_string!(l, image.min_ram_short)}</dt><dd>{format!("{} MB", img.min_ram)}</dd>
                                        <dt>{td_string!(l, image.checksum)}</dt><dd><code>{opt(&img.checksum)}</code></dd>
                                        <dt>{td_string!(l, image.hash_algo)}</dt><dd>{opt(&img.os_hash_algo)}</dd>
                                        <dt>{td_string!(l, image.hash_value)}</dt><dd><code class="hash">{opt(&img.os_hash_value)}</code></dd>
                                    </dl>
                                </section>
                                <ImportCard image=img.clone() tasks stores methods version/>
                                {(img.visibility == Visibility::Shared
                                    && use_session().project_id == img.owner.as_ref().map(|o| o.to_string()).unwrap_or_default())
                                    .then(|| view! { <MembersCard image_id=img.id.clone() members=members.clone() version/> })}
                                <section class="card" aria-labelledby="meta-h">
                                    <h2 id="meta-h">{td_string!(l, image.tags_props)}</h2>
                                    <p>
                                        {if img.tags.is_empty() {
                                            view! { <span class="muted">{td_string!(l, image.no_tags)}</span> }.into_any()
                                        } else {
                                            img.tags.iter().map(|t| view! { <span class="badge role">{t.clone()}</span> }).collect_view().into_any()
                                        }}
                                    </p>
                                    <dl class="facts">
                                        {img
                                            .properties
                                            .iter()
                                            .map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> })
                                            .collect_view()}
                                    </dl>
                                </section>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The image's imports: a running one's progress, each task with its status and message, Retry
/// for a failed web-download, and, for admins with several stores, Copy to store.
#[component]
fn ImportCard(
    image: Image,
    tasks: Vec<crate::domain::task::Task>,
    stores: Vec<crate::server_fns::stores::StoreRow>,
    methods: Vec<String>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let l = lang::locale();
    use crate::domain::task::{ImportMethod, TaskStatus};
    let offered = |m: ImportMethod| methods.iter().any(|o| o == m.as_str());
    let copy_offered =
        use_session().actor().is_some_and(|a| a.is_admin()) && offered(ImportMethod::CopyImage);
    let missing: Vec<String> = stores
        .iter()
        .map(|s| s.id.clone())
        .filter(|s| !image.stores.contains(s))
        .collect();
    let can_copy = copy_offered && image.status == ImageStatus::Active && !missing.is_empty();
    let running = image.status == ImageStatus::Importing
        || tasks
            .iter()
            .any(|t| matches!(t.status, TaskStatus::Pending | TaskStatus::Processing));
    if tasks.is_empty() && !can_copy && !running {
        return ().into_any();
    }
    let bump = move || version.update(|v| *v += 1);
    let import = mutation::<ImportImage>(
        move |_| Some(td_string!(l, image.import_started).into()),
        move |_| bump(),
    );
    // A failed web-download into a queued image can be tried again from the same URL.
    let retry = tasks.first().filter(|t| {
        t.status == TaskStatus::Failure
            && image.status == ImageStatus::Queued
            && t.method() == Some(ImportMethod::WebDownload)
            && offered(ImportMethod::WebDownload)
    });
    let retry = retry.and_then(|t| t.uri().map(str::to_string));
    let id = image.id.clone();
    let id2 = image.id.clone();
    let target = RwSignal::new(missing.first().cloned().unwrap_or_default());
    let importing_to = image
        .properties
        .get(crate::domain::task::IMPORTING_TO)
        .cloned()
        .unwrap_or_default();
    view! {
        <section class="card span-all" aria-labelledby="import-h">
            <h2 id="import-h">{td_string!(l, image.import)}</h2>
            {running.then(|| view! {
                <p role="status">
                    <progress aria-label=td_string!(l, image.import_progress)></progress>
                    {if importing_to.is_empty() {
                        td_string!(l, image.importing).to_string()
                    } else {
                        fill(td_string!(l, image.importing_to), &[("store", &importing_to)])
                    }}
                </p>
            })}
            {retry.map(|uri| {
                let (id, uri2) = (id.clone(), uri.clone());
                view! {
                    <p class="muted">{td_string!(l, image.last_failed)}</p>
                    <div class="toolbar">
                        <button class="btn primary" on:click=move |_| {
                            import.dispatch(ImportImage {
                                id: id.clone(),
                                method: "web-download".into(),
                                uri: Some(uri2.clone()),
                                stores: vec![],
                            });
                        }>{td_string!(l, image.retry)}</button>
                        <span class="muted">{fill(td_string!(l, image.from_uri), &[("uri", &uri)])}</span>
                    </div>
                }
            })}
            {can_copy.then(|| view! {
                <div class="toolbar">
                    <label for="copy-store">{td_string!(l, image.copy_to_store)}</label>
                    <select id="copy-store" on:change=move |e| target.set(event_target_value(&e))>
                        {missing.iter().map(|s| view! { <option value=s.clone()>{s.clone()}</option> }).collect_view()}
                    </select>
                    <button class="btn" on:click=move |_| {
                        import.dispatch(ImportImage {
                            id: id2.clone(),
                            method: "copy-image".into(),
                            uri: None,
                            stores: vec![target.get_untracked()],
                        });
                    }>{td_string!(l, image.copy)}</button>
                </div>
            })}
            {(!tasks.is_empty()).then(|| view! {
                <table class="data compact">
                    <caption class="sr-only">{td_string!(l, image.import_tasks)}</caption>
                    <thead><tr>
                        <th scope="col">{td_string!(l, image.method)}</th><th scope="col">{td_string!(l, image.status)}</th><th scope="col">{td_string!(l, image.message)}</th>
                        <th scope="col">{td_string!(l, image.started)}</th><th scope="col">{td_string!(l, image.updated)}</th>
                    </tr></thead>
                    <tbody>
                        {tasks.iter().map(|t| {
                            let class = match t.status {
                                TaskStatus::Success => "badge ok",
                                TaskStatus::Failure => "badge off",
                                _ => "badge warn",
                            };
                            let method = t.method().map(|m| m.as_str()).unwrap_or("import");
                            view! {
                                <tr>
                                    <td>{method}{t.uri().map(|u| view! { <br/><span class="muted">{u.to_string()}</span> })}</td>
                                    <td><span class=class>{t.status.as_str()}</span></td>
                                    <td>{if t.message.is_empty() { "—".to_string() } else { t.message.clone() }}</td>
                                    <td>{short_time(l, &t.created_at)}</td>
                                    <td>{short_time(l, &t.updated_at)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
    .into_any()
}

/// A button that is disabled, with its reason shown, when the policy refuses the action.
#[component]
fn ActionButton(
    #[prop(into)] label: String,
    why_not: Option<String>,
    on_click: impl Fn() + Send + Sync + 'static,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    let class = if danger { "btn danger" } else { "btn" };
    let disabled = why_not.is_some();
    view! {
        <button
            class=class
            disabled=disabled
            title=why_not.clone().unwrap_or_default()
            aria-description=why_not.clone().unwrap_or_default()
            on:click=move |_| on_click()
        >
            {label}
        </button>
    }
}

/// Download, edit, protect, deactivate and delete, greyed out with the server's reasons.
#[component]
fn ImageActions(
    image: Image,
    why: Unavailable,
    access: Vec<PropertyAccess>,
    version: RwSignal<u32>,
    open_editor: RwSignal<bool>,
    open_metadata: RwSignal<bool>,
) -> impl IntoView {
    let l = lang::locale();
    let Unavailable {
        modify,
        delete: delete_why,
        activate: activate_why,
        download: download_why,
        ..
    } = why;
    // The dashboard's edge: each reason in words.
    let words = move |r: Option<Reason>| r.map(|r| lang::reason(l, &r));
    let (modify, delete_why, activate_why, download_why) = (
        words(modify),
        words(delete_why),
        words(activate_why),
        words(download_why),
    );
    let download = match download_why.clone() {
        None => view! {
            <a class="btn primary" href=format!("/image/v2/images/{}/file", image.id)
                download=image.download_file_name()>{td_string!(l, image.download)}</a>
        }
        .into_any(),
        Some(why) => {
            view! { <ActionButton label=td_string!(l, image.download) why_not=Some(why) on_click=|| {}/> }.into_any()
        }
    };
    let id = image.id.clone();
    let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
    let protected = image.protected;
    let deactivated = image.status == ImageStatus::Deactivated;
    // Which editor is open lives on the page, not here: these actions are built again whenever
    // the image reloads, and an open editor (e.g. from `?metadata=1`) must stay open.
    let (editing, metadata) = (open_editor, open_metadata);
    if modify.is_some() {
        editing.set(false);
        metadata.set(false);
    }
    let confirming = RwSignal::new(false);
    let gone = RwSignal::new(false);

    let bump = move || version.update(|v| *v += 1);
    let protect = mutation::<UpdateImage>(
        move |_| {
            Some(if protected {
                { td_string!(l, image.unprotected_done) }.into()
            } else {
                { td_string!(l, image.protected_done) }.into()
            })
        },
        move |_| bump(),
    );
    let activate = mutation::<SetImageActive>(
        move |_| {
            Some(if deactivated {
                { td_string!(l, image.reactivated_done) }.into()
            } else {
                { td_string!(l, image.deactivated_done) }.into()
            })
        },
        move |_| bump(),
    );
    let delete = mutation::<DeleteImage>(
        move |_| Some(td_string!(l, image.deleted_done).into()),
        move |_| gone.set(true),
    );
    let toggle_protect = move || {
        protect.dispatch(UpdateImage {
            id: id1.clone(),
            changes: vec![ImageChange::Set(
                "protected".into(),
                serde_json::json!(!protected),
            )],
        });
    };
    let toggle_active = move || {
        activate.dispatch(SetImageActive {
            id: id2.clone(),
            active: deactivated,
        });
    };
    let really_delete = move || {
        delete.dispatch(DeleteImage { id: id3.clone() });
    };
    let edit_image = image.clone();
    let metadata_image = image.clone();
    let (edit_access, metadata_access) = (access.clone(), access);
    // Each distinct reason once, under the buttons (each button also carries its own).
    let mut reasons: Vec<String> = Vec::new();
    for r in [&download_why, &modify, &delete_why, &activate_why]
        .into_iter()
        .flatten()
    {
        if !reasons.contains(r) {
            reasons.push(r.clone());
        }
    }
    view! {
        {move || gone.get().then(|| view! { <Redirect path="/project/images"/> })}
        {download}
        <ActionButton label=td_string!(l, image.edit) why_not=modify.clone() on_click=move || editing.update(|e| *e = !*e)/>
        <ActionButton label=td_string!(l, image.update_metadata) why_not=modify.clone() on_click=move || metadata.update(|e| *e = !*e)/>
        <ActionButton label=if protected { {td_string!(l, image.unprotect)} } else { {td_string!(l, image.protect)} } why_not=modify.clone() on_click=toggle_protect/>
        <ActionButton label=if deactivated { {td_string!(l, image.reactivate)} } else { {td_string!(l, image.deactivate)} } why_not=activate_why on_click=toggle_active/>
        <ActionButton label=td_string!(l, image.delete) why_not=delete_why danger=true on_click=move || confirming.set(true)/>
        {move || confirming.get().then(|| {
            let really_delete = really_delete.clone();
            view! {
                <ConfirmDialog label=td_string!(l, image.delete_q) on_cancel=move || confirming.set(false)>
                    <p>{td_string!(l, image.delete_confirm)}</p>
                    <button class="btn danger" on:click=move |_| really_delete()>{td_string!(l, image.delete_image)}</button>
                    <button class="btn" on:click=move |_| confirming.set(false)>{td_string!(l, image.cancel)}</button>
                </ConfirmDialog>
            }
        })}
        {(!reasons.is_empty())
            .then(|| {
                view! {
                    <ul class="reasons" aria-label=td_string!(l, image.why_unavailable)>
                        {reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                    </ul>
                }
            })}
        {move || editing.get().then(|| view! { <EditForm image=edit_image.clone() access=edit_access.clone() version editing/> })}
        {move || metadata.get().then(|| view! { <UpdateMetadata image=metadata_image.clone() access=metadata_access.clone() version open=metadata/> })}
    }
}

/// Edit Image: sends only what the user changed.
#[component]
fn EditForm(
    image: Image,
    access: Vec<PropertyAccess>,
    version: RwSignal<u32>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let l = lang::locale();
    let session = use_session();
    // Keys the operator's property protections keep as they are: shown, not editable, and never
    // sent (the server decided which).
    let locked: Vec<String> = access
        .iter()
        .filter(|a| !(a.update && a.delete))
        .map(|a| a.key.clone())
        .collect();
    let description_locked = access.iter().any(|a| {
        a.key == "description"
            && if image.properties.contains_key("description") {
                !(a.update && a.delete)
            } else {
                !a.create
            }
    });
    let locked_rows: Vec<(String, String)> = image
        .properties
        .iter()
        .filter(|(k, _)| k.as_str() != "description" && locked.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // What the textarea may hold: every key but description and the locked ones.
    let locked_check = StoredValue::new(locked.clone());
    let lines = move |text: &str| -> Result<Vec<(String, String)>, String> {
        let props =
            parse_property_lines(text, &["description"]).map_err(|p| lang::line_problem(l, &p))?;
        match props
            .iter()
            .find(|(k, _)| locked_check.with_value(|l| l.contains(k)))
        {
            Some((k, _)) => Err(fill(td_string!(l, lines.locked), &[("key", &excerpt(k))])),
            None => Ok(props),
        }
    };
    let update = mutation::<UpdateImage>(
        move |_| Some(td_string!(l, image.updated_done).into()),
        move |_| {
            editing.set(false);
            version.update(|v| *v += 1);
        },
    );
    let actor = session.actor();
    let name = RwSignal::new(image.name.clone().unwrap_or_default());
    let description = RwSignal::new(
        image
            .properties
            .get("description")
            .cloned()
            .unwrap_or_default(),
    );
    let min_disk = RwSignal::new(image.min_disk.to_string());
    let min_ram = RwSignal::new(image.min_ram.to_string());
    let visibility = RwSignal::new(image.visibility.as_str().to_string());
    let tags = RwSignal::new(image.tags.join(", "));
    let custom = RwSignal::new(
        image
            .properties
            .iter()
            .filter(|(k, _)| k.as_str() != "description" && !locked.contains(k))
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect::<String>(),
    );
    let current = image.visibility;
    let options: Vec<Visibility> = Visibility::ALL
        .into_iter()
        .filter(|v| {
            *v == current
                || actor
                    .as_ref()
                    .is_some_and(|a| can_set_visibility(a, *v).is_allowed())
        })
        .collect();
    let error = move || {
        check_name(&name.get())
            .err()
            .map(|e| lang::field_error(l, &e))
            .or_else(|| lines(&custom.get()).err())
            .or_else(|| {
                [
                    ({ td_string!(l, image.min_disk) }, min_disk.get()),
                    ({ td_string!(l, image.min_ram) }, min_ram.get()),
                ]
                .into_iter()
                .find_map(|(f, v)| match v.trim().parse::<i64>() {
                    Ok(n) => check_minimum(f, n)
                        .err()
                        .map(|_| fill(td_string!(l, create.negative), &[("field", &f)])),
                    Err(_) => Some(fill(td_string!(l, create.whole), &[("field", &f)])),
                })
            })
    };
    let original = image.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if error().is_some() {
            return;
        }
        let o = &original;
        let mut changes = Vec::new();
        let n = name.get_untracked();
        if Some(&n) != o.name.as_ref() && !(n.is_empty() && o.name.is_none()) {
            changes.push(ImageChange::Set("name".into(), serde_json::json!(n)));
        }
        let d = description.get_untracked();
        match (o.properties.get("description"), d.is_empty()) {
            _ if description_locked => {}
            (Some(old), true) if !old.is_empty() => {
                changes.push(ImageChange::Remove("description".into()))
            }
            (old, false) if old != Some(&d) => {
                changes.push(ImageChange::Set("description".into(), serde_json::json!(d)))
            }
            _ => {}
        }
        for (key, v, old) in [
            ("min_disk", min_disk.get_untracked(), o.min_disk),
            ("min_ram", min_ram.get_untracked(), o.min_ram),
        ] {
            let v: i64 = v.trim().parse().unwrap_or(old);
            if v != old {
                changes.push(ImageChange::Set(key.into(), serde_json::json!(v)));
            }
        }
        let vis = visibility.get_untracked();
        if vis != o.visibility.as_str() {
            changes.push(ImageChange::Set(
                "visibility".into(),
                serde_json::json!(vis),
            ));
        }
        let t: Vec<String> = tags
            .get_untracked()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        if t != o.tags {
            changes.push(ImageChange::Set("tags".into(), serde_json::json!(t)));
        }
        let props = lines(&custom.get_untracked()).unwrap_or_default();
        for key in o.properties.keys() {
            if key != "description" && !locked.contains(key) && !props.iter().any(|(k, _)| k == key)
            {
                changes.push(ImageChange::Remove(key.clone()));
            }
        }
        for (k, v) in props {
            if o.properties.get(&k) != Some(&v) {
                changes.push(ImageChange::Set(k, serde_json::json!(v)));
            }
        }
        if changes.is_empty() {
            editing.set(false);
            return;
        }
        update.dispatch(UpdateImage {
            id: o.id.clone(),
            changes,
        });
    };
    view! {
        <form class="card edit-image" on:submit=save aria-labelledby="edit-h">
            <h2 id="edit-h">{td_string!(l, image.edit_image)}</h2>
            <div class="form-grid">
                <div class="field">
                    <label for="ed-name">{td_string!(l, image.name)}</label>
                    <input id="ed-name" prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                </div>
                <div class="field">
                    <label for="ed-description">{td_string!(l, image.description)}</label>
                    <input id="ed-description" disabled=description_locked
                        aria-describedby=description_locked.then_some("ed-description-locked")
                        prop:value=move || description.get() on:input=move |e| description.set(event_target_value(&e))/>
                    {description_locked.then(|| view! { <p class="hint" id="ed-description-locked">{td_string!(l, editor.read_only_hint)}</p> })}
                </div>
                <div class="field">
                    <label for="ed-min-disk">{td_string!(l, image.min_disk_gb)}</label>
                    <input id="ed-min-disk" inputmode="numeric" prop:value=move || min_disk.get() on:input=move |e| min_disk.set(event_target_value(&e))/>
                </div>
                <div class="field">
                    <label for="ed-min-ram">{td_string!(l, image.min_ram_mb)}</label>
                    <input id="ed-min-ram" inputmode="numeric" prop:value=move || min_ram.get() on:input=move |e| min_ram.set(event_target_value(&e))/>
                </div>
                <div class="field">
                    <label for="ed-visibility">{td_string!(l, image.visibility)}</label>
                    <select id="ed-visibility" on:change=move |e| visibility.set(event_target_value(&e))>
                        {options.iter().map(|v| view! { <option value=v.as_str() selected=*v == current>{v.as_str()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="ed-tags">{td_string!(l, image.tags_comma)}</label>
                    <input id="ed-tags" prop:value=move || tags.get() on:input=move |e| tags.set(event_target_value(&e))/>
                </div>
                <div class="field wide">
                    <label for="ed-props">{td_string!(l, image.properties_lines)}</label>
                    <textarea id="ed-props" rows="4" prop:value=move || custom.get() on:input=move |e| custom.set(event_target_value(&e))></textarea>
                </div>
                {(!locked_rows.is_empty()).then(|| view! {
                    <div class="field wide">
                        <p class="label" id="ed-locked-h">{td_string!(l, image.protected_properties)}</p>
                        <p class="hint">{td_string!(l, editor.read_only_hint)}</p>
                        <dl class="facts" aria-labelledby="ed-locked-h">
                            {locked_rows.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
                        </dl>
                    </div>
                })}
            </div>
            {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="toolbar">
                <button type="submit" class="btn primary" disabled=move || error().is_some()>{td_string!(l, image.save)}</button>
                <button type="button" class="btn" on:click=move |_| editing.set(false)>{td_string!(l, image.cancel)}</button>
            </div>
        </form>
    }
}

/// The owner's Manage Members card: add a project by name or id, see each member's status,
/// remove members.
#[component]
fn MembersCard(
    image_id: ImageId,
    members: Vec<crate::server_fns::images::MemberRow>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let l = lang::locale();
    let project = RwSignal::new(String::new());
    let shared_with = RwSignal::new(String::new());
    let add = mutation::<AddMember>(
        move |_| {
            Some(fill(
                td_string!(l, image.shared_with),
                &[("name", &shared_with.get_untracked())],
            ))
        },
        move |_| {
            project.set(String::new());
            version.update(|v| *v += 1);
        },
    );
    let remove = mutation::<RemoveMember>(|_| None, move |_| version.update(|v| *v += 1));
    let add_id = image_id.clone();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, p) = (add_id.clone(), project.get_untracked());
        if p.trim().is_empty() {
            return;
        }
        shared_with.set(p.trim().to_string());
        add.dispatch(AddMember {
            image_id: id,
            project: p,
        });
    };
    let list = if members.is_empty() {
        view! { <p class="muted">{td_string!(l, image.not_shared)}</p> }.into_any()
    } else {
        view! {
            <ul class="members">
                {members
                    .into_iter()
                    .map(|m| {
                        let label = if m.name.is_empty() { m.member_id.clone() } else { m.name.clone() };
                        let (iid, mid) = (image_id.clone(), m.member_id.clone());
                        let remove_label = fill(td_string!(l, image.remove_member), &[("label", &label)]);
                        view! {
                            <li>
                                <span>{label}</span>
                                <span class="badge role">{m.status.clone()}</span>
                                <button class="btn small" aria-label=remove_label on:click=move |_| {
                                    let (iid, mid) = (iid.clone(), mid.clone());
                                    let Ok(mid) = ProjectId::parse(&mid) else { return };
                                    remove.dispatch(RemoveMember { image_id: iid, member_id: mid });
                                }>{td_string!(l, image.remove)}</button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
            .into_any()
    };
    view! {
        <section class="card" id="members" aria-labelledby="members-h">
            <h2 id="members-h">{td_string!(l, image.members)}</h2>
            {list}
            <form class="inline-form" on:submit=add>
                <label for="member-project">{td_string!(l, image.share_with)}</label>
                <input id="member-project" prop:value=move || project.get() on:input=move |e| project.set(event_target_value(&e))/>
                <button type="submit" class="btn primary small">{td_string!(l, image.share)}</button>
            </form>
        </section>
    }
}
