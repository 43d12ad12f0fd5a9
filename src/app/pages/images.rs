//! Project > Images: the table, paged on the server by marker, sorted and filtered with Glance's
//! own list parameters. The whole view lives in the URL, so it can be bookmarked and the back
//! button works.

use crate::app::components::{image_type, short_time, ErrorBox, PageHeader, StatusBadge};
use crate::app::components::{use_toasts, ToastKind};
use crate::app::layout::use_session;
use crate::domain::ids::ImageId;
use crate::domain::image::{human_size, Image, ImageStatus, DISK_FORMATS};
use crate::domain::policy::{can_create, Decision, Unavailable};
use crate::server_fns::identity::list_projects;
use crate::server_fns::images::{
    delete_image, get_image, image_usage, list_images, set_image_active, TOTAL_CAP,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// Page sizes offered.
pub const PAGE_SIZES: [u32; 3] = [20, 50, 100];
/// Filters the form offers, as Glance names them.
const FILTERS: [&str; 9] = [
    "search",
    "name",
    "status",
    "visibility",
    "disk_format",
    "protected",
    "tag",
    "size_min",
    "size_max",
];

/// Where the list lives: the project's view or the admin's all-projects view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Base(&'static str);

fn base() -> &'static str {
    use_context::<Base>()
        .map(|b| b.0)
        .unwrap_or("/project/images")
}

/// The address a filter form's submit goes to: only the fields that hold a value (browser only;
/// before hydration the form submits as a plain GET and the server ignores empty fields).
fn clean_form_query(ev: &leptos::ev::SubmitEvent) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let form: leptos::web_sys::HtmlFormElement = ev.target()?.dyn_into().ok()?;
        let data = leptos::web_sys::FormData::new_with_form(&form).ok()?;
        let mut pairs = Vec::new();
        for entry in js_sys::try_iter(&data).ok()??.flatten() {
            let entry: js_sys::Array = entry.dyn_into().ok()?;
            let (k, v) = (
                entry.get(0).as_string()?,
                entry.get(1).as_string().unwrap_or_default(),
            );
            if !v.trim().is_empty() {
                pairs.push((k, v));
            }
        }
        let mut q = ParamsMap::new();
        for (k, v) in pairs {
            q.insert(k, v);
        }
        Some(format!("{}{}", base(), q.to_query_string()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}

/// The list's query with one parameter changed and the paging dropped (a new view starts at
/// the first page).
fn with(q: &ParamsMap, key: &str, value: Option<String>) -> String {
    let mut q = q.clone();
    q.remove("marker");
    q.remove("before");
    match value {
        Some(v) => q.replace(key.to_string(), v),
        None => {
            q.remove(key);
        }
    }
    format!("{}{}", base(), q.to_query_string())
}

/// The kernel and ramdisk an AMI-style image boots with, when set: a second line under its name.
fn boot_files(img: &Image) -> Option<impl IntoView> {
    let link = |label: &'static str, key: &str| {
        img.properties.get(key).map(|id| {
            let short: String = id.chars().take(8).collect();
            view! {
                <span class="secondary">{label}" "<a href=format!("/project/images/{id}") title=id.clone()><code>{short}"…"</code></a></span>
            }
        })
    };
    let (kernel, ramdisk) = (link("kernel", "kernel_id"), link("ramdisk", "ramdisk_id"));
    (kernel.is_some() || ramdisk.is_some())
        .then(|| view! { <div class="boot-files">{kernel}{ramdisk}</div> })
}

/// Project > Images.
#[component]
pub fn ProjectImagesPage() -> impl IntoView {
    view! { <ImagesPage admin=false/> }
}

/// Admin > Images: every project's images, with a project filter.
#[component]
pub fn AdminImagesPage() -> impl IntoView {
    view! { <ImagesPage admin=true/> }
}

/// The images table with filters, sorting and pages.
#[component]
pub fn ImagesPage(admin: bool) -> impl IntoView {
    provide_context(Base(if admin {
        "/admin/images"
    } else {
        "/project/images"
    }));
    let query = use_query_map();
    let api_query = move || {
        let mut q = query.get();
        if q.get("limit").is_none_or(|l| l.is_empty()) {
            q.replace("limit", "20".to_string());
        }
        if admin && q.get("visibility").is_none_or(|v| v.is_empty()) {
            q.replace("visibility", "all".to_string());
        }
        q.to_query_string().trim_start_matches('?').to_string()
    };
    let version = RwSignal::new(0u32);
    let selected = RwSignal::new(Vec::<Selected>::new());
    let confirming = RwSignal::new(false);
    let page = Resource::new(
        move || (api_query(), version.get()),
        |(q, _)| list_images(q),
    );
    // Loaded by the browser once the page is up: the sums grow with the project's images, and the
    // table should not wait for them.
    let usage = LocalResource::new(move || {
        version.get();
        image_usage()
    });
    let projects = Resource::new(
        move || admin,
        |admin| async move {
            if admin {
                list_projects().await.ok()
            } else {
                None
            }
        },
    );
    let (title, subtitle) = if admin {
        ("All Images", "Every project's images. Administrators can publish, protect, deactivate and delete any of them.")
    } else {
        ("Images", "Images your project owns, shares and can use.")
    };
    view! {
        <PageHeader title=title subtitle=subtitle/>
        <div class="toolbar">
            {match use_session().actor().as_ref().map(can_create) {
                Some(Decision::Allow) => view! { <a class="btn primary" href="/project/images/create">"Create Image"</a> }.into_any(),
                other => {
                    let why = match other {
                        Some(Decision::Forbidden(why)) => why,
                        _ => "Log in again to create images.".to_string(),
                    };
                    view! {
                        <button type="button" class="btn primary" disabled title=why.clone()>"Create Image"</button>
                        <span class="muted why-create">{why}</span>
                    }.into_any()
                }
            }}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    usage.await.ok().map(|u| {
                        let count = if u.count_limit < 0 {
                            format!("{} {} (no limit)", u.count, if u.count == 1 { "image" } else { "images" })
                        } else {
                            format!("{} of {} images", u.count, u.count_limit)
                        };
                        let bytes = if u.size_limit_mib < 0 {
                            format!("{} stored (no limit)", human_size(u.bytes))
                        } else {
                            format!("{} of {} stored", human_size(u.bytes), human_size(u.size_limit_mib * 1024 * 1024))
                        };
                        view! {
                            <p class="usage" aria-label="Project quota usage">
                                {format!("Your project: {count} · {bytes}")}
                            </p>
                        }
                    })
                })}
            </Suspense>
        </div>
        <Filters projects/>
        <BatchBar selected confirming version/>
        <Transition fallback=|| view! { <p class="loading">"Loading images…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => view! { <ImagesTable page=p selected confirming version/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(projects: Resource<Option<Vec<crate::domain::identity::Project>>>) -> impl IntoView {
    let query = use_query_map();
    let value = move |k: &str| query.read().get(k).unwrap_or_default();
    let statuses = ImageStatus::ALL
        .into_iter()
        .filter(|s| *s != ImageStatus::Deleted && *s != ImageStatus::Killed);
    view! {
        <section class="card filters" aria-labelledby="filters-h">
            <h2 id="filters-h" class="sr-only">"Filters"</h2>
            <form method="get" action=base() class="form-row" on:submit=move |ev: leptos::ev::SubmitEvent| {
                // Only the fields that hold a value go into the address.
                if let Some(href) = clean_form_query(&ev) {
                    ev.prevent_default();
                    leptos_router::hooks::use_navigate()(&href, Default::default());
                }
            }>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        projects.await.map(|list| view! {
                            <div class="field">
                                <label for="f-owner">"Project"</label>
                                <select id="f-owner" name="owner">
                                    <option value="">"All projects"</option>
                                    {list.into_iter().map(|p| {
                                        let id = p.id.to_string();
                                        let selected = value("owner") == id;
                                        view! { <option value=id selected=selected>{p.name}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                        })
                    })}
                </Suspense>
                {["limit", "sort_key", "sort_dir"].into_iter().map(|k| {
                    move || (!value(k).is_empty()).then(|| view! { <input type="hidden" name=k value=value(k)/> })
                }).collect_view()}
                <div class="field">
                    <label for="f-search">"Name contains"</label>
                    <input id="f-search" name="search" type="search" placeholder="any part of the name" value=move || value("search")/>
                </div>
                {move || (!value("name").is_empty()).then(|| view! { <input type="hidden" name="name" value=value("name")/> })}
                <div class="field">
                    <label for="f-status">"Status"</label>
                    <select id="f-status" name="status">
                        <option value="">"Any"</option>
                        {statuses
                            .map(|s| view! { <option value=s.as_str() selected=move || value("status") == s.as_str()>{s.as_str()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-visibility">"Visibility"</label>
                    <select id="f-visibility" name="visibility">
                        <option value="">"Default"</option>
                        {["public", "community", "shared", "private", "all"]
                            .into_iter()
                            .map(|v| view! { <option value=v selected=move || value("visibility") == v>{v}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-format">"Disk format"</label>
                    <select id="f-format" name="disk_format">
                        <option value="">"Any"</option>
                        {DISK_FORMATS
                            .into_iter()
                            .map(|f| view! { <option value=f selected=move || value("disk_format") == f>{f}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-protected">"Protected"</label>
                    <select id="f-protected" name="protected">
                        <option value="">"Any"</option>
                        <option value="true" selected=move || value("protected") == "true">"Yes"</option>
                        <option value="false" selected=move || value("protected") == "false">"No"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="f-tag">"Tag"</label>
                    <input id="f-tag" name="tag" value=move || value("tag")/>
                </div>
                <div class="field small">
                    <label for="f-min">"Min size (bytes)"</label>
                    <input id="f-min" name="size_min" inputmode="numeric" value=move || value("size_min")/>
                </div>
                <div class="field small">
                    <label for="f-max">"Max size (bytes)"</label>
                    <input id="f-max" name="size_max" inputmode="numeric" value=move || value("size_max")/>
                </div>
                <div class="field actions">
                    <button type="submit" class="btn primary">"Apply filters"</button>
                    <a class="btn ghost-dark" href=move || {
                        let mut q = query.get();
                        for f in FILTERS {
                            q.remove(f);
                        }
                        q.remove("marker");
                        q.remove("before");
                        q.remove("owner");
                        format!("{}{}", base(), q.to_query_string())
                    }>"Clear"</a>
                </div>
            </form>
        </section>
    }
}

#[component]
fn SortHeader(key: &'static str, label: &'static str) -> impl IntoView {
    let query = use_query_map();
    let current = move || {
        (
            query
                .read()
                .get("sort_key")
                .unwrap_or_else(|| "created_at".into()),
            query
                .read()
                .get("sort_dir")
                .unwrap_or_else(|| "desc".into()),
        )
    };
    let href = move || {
        let (k, d) = current();
        let dir = if k == key && d == "asc" {
            "desc"
        } else {
            "asc"
        };
        let mut q = query.get();
        q.remove("marker");
        q.replace("sort_key", key.to_string());
        q.replace("sort_dir", dir.to_string());
        format!("{}{}", base(), q.to_query_string())
    };
    let aria = move || {
        let (k, d) = current();
        if k == key {
            if d == "asc" {
                "ascending"
            } else {
                "descending"
            }
        } else {
            "none"
        }
    };
    let arrow = move || {
        let (k, d) = current();
        if k == key {
            if d == "asc" {
                " ▲"
            } else {
                " ▼"
            }
        } else {
            ""
        }
    };
    view! {
        <th scope="col" aria-sort=aria>
            <a class="sort" href=href>{label}{arrow}</a>
        </th>
    }
}

#[component]
fn ImagesTable(
    page: crate::server_fns::images::ImagePage,
    selected: RwSignal<Vec<Selected>>,
    confirming: RwSignal<bool>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let query = use_query_map();
    let names = page.project_names.clone();
    let owner_cell = move |img: &Image| {
        let id = img
            .owner
            .as_ref()
            .map(|o| o.to_string())
            .unwrap_or_default();
        let name = names
            .iter()
            .find(|(pid, _)| *pid == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| id.chars().take(8).collect::<String>() + "…");
        view! { <td class="nowrap" title=format!("Project id {id}")>{name}</td> }
    };
    let count = page.images.len();
    let total = page.total;
    let next = page.next_marker.clone();
    let prev = page.prev_marker.clone();
    let limit = move || {
        query
            .read()
            .get("limit")
            .and_then(|l| l.parse::<u32>().ok())
            .unwrap_or(20)
    };
    let on_first =
        move || query.read().get("marker").is_none() && query.read().get("before").is_none();
    view! {
        <div class="table-wrap">
            <table class="data">
                <caption>
                    {match (count, total) {
                        (0, _) => "No images match.".to_string(),
                        (n, t) if t > TOTAL_CAP => format!("{n} of more than {TOTAL_CAP} images on this page"),
                        (n, t) if n as i64 >= t => format!("{t} {}", if t == 1 { "image" } else { "images" }),
                        (n, t) => format!("{n} of {t} images on this page"),
                    }}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" class="select"><span class="sr-only">"Select"</span></th>
                        <th scope="col">"Owner"</th>
                        <SortHeader key="name" label="Name"/>
                        <th scope="col">"Type"</th>
                        <SortHeader key="status" label="Status"/>
                        <th scope="col">"Visibility"</th>
                        <th scope="col">"Protected"</th>
                        <SortHeader key="disk_format" label="Disk format"/>
                        <SortHeader key="size" label="Size"/>
                        <SortHeader key="created_at" label="Created"/>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .images
                        .iter()
                        .zip(page.actions.iter())
                        .map(|(img, why)| {
                            let href = format!("/project/images/{}", img.id);
                            let name = img.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| img.id.to_string());
                            let row = Selected { id: img.id.to_string(), name: name.clone(), protected: img.protected };
                            let (row_id, row2, row3) = (row.id.clone(), row.clone(), row.clone());
                            view! {
                                <tr>
                                    <td class="select">
                                        <input
                                            type="checkbox"
                                            aria-label=format!("Select {name}")
                                            prop:checked=move || selected.with(|s| s.iter().any(|x| x.id == row_id))
                                            on:change=move |e| {
                                                let on = event_target_checked(&e);
                                                let r = row2.clone();
                                                selected.update(|s| {
                                                    s.retain(|x| x.id != r.id);
                                                    if on {
                                                        s.push(r);
                                                    }
                                                });
                                            }
                                        />
                                    </td>
                                    {owner_cell(img)}
                                    <th scope="row">
                                        <a href=href class="cell-name" title=name.clone()>{name.clone()}</a>
                                        {boot_files(img)}
                                    </th>
                                    <td class="nowrap">{image_type(img)}</td>
                                    <td>
                                        <LiveStatus id=img.id.clone() status=img.status/>
                                    </td>
                                    <td>{img.visibility.as_str()}</td>
                                    <td>{if img.protected { "Yes" } else { "No" }}</td>
                                    <td>{img.disk_format.clone().unwrap_or_default()}</td>
                                    <td class="num nowrap">{img.size.map(human_size).unwrap_or_default()}</td>
                                    <td class="nowrap">{short_time(&img.created_at)}</td>
                                    <td class="actions">
                                        <RowActions image=img.clone() why=why.clone() row=row3 selected confirming version/>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span class="muted">"Per page:"</span>
            {PAGE_SIZES
                .into_iter()
                .map(|n| {
                    view! {
                        <a
                            class="btn small"
                            aria-current=move || (limit() == n).then_some("true")
                            href=move || with(&query.get(), "limit", Some(n.to_string()))
                        >
                            {n.to_string()}
                        </a>
                    }
                })
                .collect_view()}
            <span class="spacer"></span>
            {move || (!on_first()).then(|| view! { <a class="btn small" href=with(&query.get(), "marker", None)>"« First page"</a> })}
            {prev.map(|m| {
                view! {
                    <a class="btn small" rel="prev" href=move || {
                        let mut q = query.get();
                        q.remove("marker");
                        q.replace("before", m.clone());
                        format!("{}{}", base(), q.to_query_string())
                    }>"‹ Previous page"</a>
                }
            })}
            {next.map(|m| {
                view! {
                    <a class="btn small" rel="next" href=move || {
                        let mut q = query.get();
                        q.remove("before");
                        q.replace("marker", m.clone());
                        format!("{}{}", base(), q.to_query_string())
                    }>"Next page »"</a>
                }
            })}
        </nav>
    }
}

/// One row's actions, each decided by the domain policy for this image and the caller (the same
/// function as the details page); an action the caller cannot take is disabled with the reason.
#[component]
fn RowActions(
    image: Image,
    why: Unavailable,
    row: Selected,
    selected: RwSignal<Vec<Selected>>,
    confirming: RwSignal<bool>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let toasts = use_toasts();
    let id = image.id.to_string();
    let deactivated = image.status == ImageStatus::Deactivated;
    let menu = NodeRef::<leptos::html::Details>::new();
    let opened = RwSignal::new(false);
    let close = move || {
        if let Some(d) = menu.get_untracked() {
            d.set_open(false);
        }
    };
    let file_name = image.download_file_name();
    let link =
        |label: &'static str, href: String, why_not: Option<String>, download: Option<String>| {
            match why_not {
                None => view! {
                    <a class="menu-item" href=href download=download>{label}</a>
                }
                .into_any(),
                Some(why) => disabled_item(label, why),
            }
        };
    let toggle_id = image.id.clone();
    let toggle = move |_| {
        close();
        let id = toggle_id.clone();
        crate::app::browser_task(async move {
            match set_image_active(id, deactivated).await {
                Ok(()) => {
                    let done = if deactivated {
                        "reactivated"
                    } else {
                        "deactivated"
                    };
                    toasts.push(ToastKind::Success, format!("The image was {done}."));
                    version.update(|v| *v += 1);
                }
                Err(e) => toasts.push(ToastKind::Error, e.to_string()),
            }
        });
    };
    let delete = move |_| {
        close();
        selected.set(vec![row.clone()]);
        confirming.set(true);
    };
    let activate_label = if deactivated {
        "Reactivate"
    } else {
        "Deactivate"
    };
    let name = image.name.clone().unwrap_or_else(|| id.clone());
    view! {
        <details class="row-menu" node_ref=menu on:toggle=move |_| {
            opened.set(menu.get_untracked().is_some_and(|d| d.open()));
        }>
            <summary aria-label=format!("Actions for {name}")>"Actions"</summary>
            // Built when first opened: twenty closed menus cost the server render nothing.
            {move || opened.get().then(|| {
                let why = why.clone();
                view! {
                    <div class="menu">
                        {link("Edit", format!("/project/images/{id}?edit=1"), why.modify.clone(), None)}
                        {link("Update metadata", format!("/project/images/{id}?metadata=1"), why.modify, None)}
                        {link("Manage members", format!("/project/images/{id}#members"), why.members, None)}
                        {link("Download", format!("/image/v2/images/{id}/file"), why.download, Some(file_name.clone()))}
                        {match why.activate {
                            None => view! { <button type="button" class="menu-item" on:click=toggle.clone()>{activate_label}</button> }.into_any(),
                            Some(w) => disabled_item(activate_label, w),
                        }}
                        {match why.delete {
                            None => view! { <button type="button" class="menu-item danger" on:click=delete.clone()>"Delete"</button> }.into_any(),
                            Some(w) => disabled_item("Delete", w),
                        }}
                    </div>
                }
            })}
        </details>
    }
}

/// A menu entry the caller cannot use: disabled, with the policy's reason under its label.
fn disabled_item(label: &'static str, why: String) -> AnyView {
    let title = why.clone();
    view! {
        <button type="button" class="menu-item" disabled title=title>
            {label}
            <small class="why">{why}</small>
        </button>
    }
    .into_any()
}

/// A row the user selected for a batch action.
#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    id: String,
    name: String,
    protected: bool,
}

/// The status of one row; while it is transitional (queued, saving, …) it refreshes itself every
/// two seconds, alone: the table is not reloaded, so selection and scroll stay.
#[component]
fn LiveStatus(id: ImageId, status: ImageStatus) -> impl IntoView {
    let current = RwSignal::new(status);
    #[cfg(feature = "hydrate")]
    if status.is_transitional() {
        Effect::new(move |started: Option<()>| {
            if started.is_some() {
                return;
            }
            let id = id.clone();
            let poll = move || {
                let id = id.clone();
                crate::app::browser_task(async move {
                    if let Ok(img) = get_image(id).await {
                        current.set(img.status);
                    }
                });
            };
            if let Ok(handle) = set_interval_with_handle(poll, std::time::Duration::from_secs(2)) {
                on_cleanup(move || handle.clear());
                Effect::new(move |_| {
                    if !current.get().is_transitional() {
                        handle.clear();
                    }
                });
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, get_image);
    view! { {move || view! { <StatusBadge status=current.get()/> }} }
}

/// Selected rows and the batch delete: a confirmation that names every image, explains the
/// protected ones (unprotect them first) instead of skipping them silently, and reports each result.
#[component]
fn BatchBar(
    selected: RwSignal<Vec<Selected>>,
    confirming: RwSignal<bool>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let toasts = use_toasts();
    let results = RwSignal::new(Vec::<(String, Result<(), String>)>::new());
    let run = move || {
        let chosen = selected.get_untracked();
        confirming.set(false);
        crate::app::browser_task(async move {
            let mut out = Vec::new();
            for s in chosen {
                if s.protected {
                    out.push((s.name, Err("protected: unprotect it first".to_string())));
                    continue;
                }
                let r = match ImageId::parse(&s.id) {
                    Ok(id) => delete_image(id).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                out.push((s.name, r));
            }
            let deleted = out.iter().filter(|r| r.1.is_ok()).count();
            toasts.push(
                ToastKind::Success,
                format!("{deleted} of {} images deleted.", out.len()),
            );
            results.set(out);
            selected.set(vec![]);
            version.update(|v| *v += 1);
        });
    };
    view! {
        {move || {
            let list = selected.get();
            (!list.is_empty()).then(|| view! {
                <div class="batch" role="region" aria-label="Selected images">
                    <span>{format!("{} selected", list.len())}</span>
                    <button class="btn danger" on:click=move |_| confirming.set(true)>"Delete selected"</button>
                    <button class="btn" on:click=move |_| selected.set(vec![])>"Clear selection"</button>
                </div>
            })
        }}
        {move || confirming.get().then(|| {
            let list = selected.get();
            view! {
                <div class="confirm" role="alertdialog" aria-label="Confirm delete">
                    <div>
                        <p>{match list.len() {
                            1 => "Delete this image? Its data is removed and this cannot be undone.".to_string(),
                            n => format!("Delete {n} images? Their data is removed and this cannot be undone."),
                        }}</p>
                        <ul>
                            {list.into_iter().map(|s| view! {
                                <li>{s.name.clone()}{s.protected.then_some(" (protected: it will be kept; unprotect it first)")}</li>
                            }).collect_view()}
                        </ul>
                    </div>
                    <button class="btn danger" on:click=move |_| run()>"Delete images"</button>
                    <button class="btn" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            }
        })}
        {move || {
            let r = results.get();
            (!r.is_empty()).then(|| view! {
                <section class="card" aria-label="Delete results">
                    <ul class="results">
                        {r.into_iter().map(|(name, res)| match res {
                            Ok(()) => view! { <li class="ok">{format!("{name}: deleted")}</li> }.into_any(),
                            Err(e) => view! { <li class="err">{format!("{name}: not deleted, {e}")}</li> }.into_any(),
                        }).collect_view()}
                    </ul>
                    <button class="btn small" on:click=move |_| results.set(vec![])>"Dismiss"</button>
                </section>
            })
        }}
    }
}
