//! Project > Images: the table, paged on the server by marker, sorted and filtered with Glance's
//! own list parameters. The whole view lives in the URL, so it can be bookmarked and the back
//! button works.

use crate::app::components::{image_type, short_time, ErrorBox, PageHeader, StatusBadge};
use crate::app::components::{mutation, ConfirmDialog};
use crate::app::i18n::td_string;
use crate::app::lang::{self, fill};
use crate::app::layout::use_session;
use crate::domain::ids::ImageId;
use crate::domain::image::{Image, ImageStatus, DISK_FORMATS};
use crate::domain::policy::{can_create, Decision, Unavailable};
use crate::domain::reason::Reason;
use crate::server_fns::identity::list_projects;
use crate::server_fns::images::{
    image_usage, list_images, DeleteImages, SetImageActive, TOTAL_CAP,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// Page sizes offered.
pub const PAGE_SIZES: [u32; 3] = [20, 50, 100];
/// Filters the form offers, as Glance names them.
pub(super) const FILTERS: [&str; 9] = [
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
pub(super) struct Base(&'static str);

pub(super) fn base() -> &'static str {
    use_context::<Base>()
        .map(|b| b.0)
        .unwrap_or("/project/images")
}

/// The address a filter form's submit goes to: only the fields that hold a value (browser only;
/// before hydration the form submits as a plain GET and the server ignores empty fields).
pub(super) fn clean_form_query(ev: &leptos::ev::SubmitEvent) -> Option<String> {
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
pub(super) fn with(q: &ParamsMap, key: &str, value: Option<String>) -> String {
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
pub(super) fn boot_files(img: &Image) -> Option<impl IntoView> {
    let l = crate::app::lang::locale();
    let link = |label: &'static str, key: &str| {
        img.properties.get(key).map(|id| {
            let short: String = id.chars().take(8).collect();
            view! {
                <span class="secondary">{label}" "<a href=format!("/project/images/{id}") title=id.clone()><code>{short}"…"</code></a></span>
            }
        })
    };
    let (kernel, ramdisk) = (
        link(td_string!(l, images.kernel), "kernel_id"),
        link(td_string!(l, images.ramdisk), "ramdisk_id"),
    );
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
    // A new or deleted image (live, from the session's events) reloads the page; status changes
    // update their rows alone.
    if let Some(live) = use_context::<crate::app::layout::LiveEvents>() {
        live.watch(move |e| {
            if e.is_none_or(|e| matches!(e.event_type.as_str(), "image.create" | "image.delete")) {
                version.update(|v| *v += 1);
            }
        });
    }
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
    let l = crate::app::lang::locale();
    let title = move || {
        if admin {
            td_string!(l, images.admin_title)
        } else {
            td_string!(l, images.title)
        }
    };
    let subtitle = move || {
        if admin {
            td_string!(l, images.admin_subtitle)
        } else {
            td_string!(l, images.subtitle)
        }
    };
    view! {
        <PageHeader title=title subtitle=subtitle/>
        <div class="toolbar">
            {match use_session().actor().as_ref().map(can_create) {
                Some(Decision::Allow) => view! { <a class="btn primary" href="/project/images/create">{td_string!(l, images.create)}</a> }.into_any(),
                other => {
                    let why = move || match &other {
                        Some(Decision::Forbidden(why)) => lang::decision(l, why),
                        _ => td_string!(l, images.log_in_to_create).to_string(),
                    };
                    view! {
                        <button type="button" class="btn primary" disabled title=why.clone()>{td_string!(l, images.create)}</button>
                        <span class="muted why-create">{why}</span>
                    }.into_any()
                }
            }}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    usage.await.ok().map(|u| {
                        let text = move || {
                                                        let count = if u.count_limit < 0 {
                                let t = if u.count == 1 { td_string!(l, images.count_one) } else { td_string!(l, images.count_many) };
                                fill(t, &[("n", &u.count)])
                            } else {
                                fill(td_string!(l, images.count_of), &[("n", &u.count), ("limit", &u.count_limit)])
                            };
                            let bytes = if u.size_limit_mib < 0 {
                                fill(td_string!(l, images.bytes_unlimited), &[("size", &lang::size(l, u.bytes))])
                            } else {
                                fill(td_string!(l, images.bytes_of), &[("size", &lang::size(l, u.bytes)), ("limit", &lang::size(l, u.size_limit_mib * 1024 * 1024))])
                            };
                            fill(td_string!(l, images.usage), &[("count", &count), ("bytes", &bytes)])
                        };
                        view! {
                            <p class="usage" aria-label=move || td_string!(l, images.usage_label)>
                                {text}
                            </p>
                        }
                    })
                })}
            </Suspense>
        </div>
        <Filters projects/>
        <BatchBar selected confirming version/>
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, images.loading)}</p> }>
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
pub(super) fn Filters(
    projects: Resource<Option<Vec<crate::domain::identity::Project>>>,
) -> impl IntoView {
    let query = use_query_map();
    let value = move |k: &str| query.read().get(k).unwrap_or_default();
    let l = crate::app::lang::locale();
    let statuses = ImageStatus::ALL
        .into_iter()
        .filter(|s| *s != ImageStatus::Deleted && *s != ImageStatus::Killed);
    view! {
        <section class="card filters" aria-labelledby="filters-h">
            <h2 id="filters-h" class="sr-only">{td_string!(l, images.filters)}</h2>
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
                                <label for="f-owner">{td_string!(l, images.project)}</label>
                                <select id="f-owner" name="owner">
                                    <option value="">{td_string!(l, images.all_projects)}</option>
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
                    <label for="f-search">{td_string!(l, images.name_contains)}</label>
                    <input id="f-search" name="search" type="search" placeholder=move || td_string!(l, images.name_placeholder) value=move || value("search")/>
                </div>
                {move || (!value("name").is_empty()).then(|| view! { <input type="hidden" name="name" value=value("name")/> })}
                <div class="field">
                    <label for="f-status">{td_string!(l, images.status)}</label>
                    <select id="f-status" name="status">
                        <option value="">{td_string!(l, images.any)}</option>
                        {statuses
                            .map(|s| view! { <option value=s.as_str() selected=move || value("status") == s.as_str()>{move || lang::status(l, s)}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-visibility">{td_string!(l, images.visibility)}</label>
                    <select id="f-visibility" name="visibility">
                        <option value="">{td_string!(l, images.default)}</option>
                        {["public", "community", "shared", "private", "all"]
                            .into_iter()
                            .map(|v| view! { <option value=v selected=move || value("visibility") == v>{move || lang::visibility(l, v)}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-format">{td_string!(l, images.disk_format)}</label>
                    <select id="f-format" name="disk_format">
                        <option value="">{td_string!(l, images.any)}</option>
                        {DISK_FORMATS
                            .into_iter()
                            .map(|f| view! { <option value=f selected=move || value("disk_format") == f>{f}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-protected">{td_string!(l, images.protected)}</label>
                    <select id="f-protected" name="protected">
                        <option value="">{td_string!(l, images.any)}</option>
                        <option value="true" selected=move || value("protected") == "true">{td_string!(l, images.yes)}</option>
                        <option value="false" selected=move || value("protected") == "false">{td_string!(l, images.no)}</option>
                    </select>
                </div>
                <div class="field">
                    <label for="f-tag">{td_string!(l, images.tag)}</label>
                    <input id="f-tag" name="tag" value=move || value("tag")/>
                </div>
                <div class="field small">
                    <label for="f-min">{td_string!(l, images.min_size)}</label>
                    <input id="f-min" name="size_min" inputmode="numeric" value=move || value("size_min")/>
                </div>
                <div class="field small">
                    <label for="f-max">{td_string!(l, images.max_size)}</label>
                    <input id="f-max" name="size_max" inputmode="numeric" value=move || value("size_max")/>
                </div>
                <div class="field actions">
                    <button type="submit" class="btn primary">{td_string!(l, images.apply)}</button>
                    <a class="btn ghost-dark" href=move || {
                        let mut q = query.get();
                        for f in FILTERS {
                            q.remove(f);
                        }
                        q.remove("marker");
                        q.remove("before");
                        q.remove("owner");
                        format!("{}{}", base(), q.to_query_string())
                    }>{td_string!(l, images.clear)}</a>
                </div>
            </form>
        </section>
    }
}

mod table;
use table::*;
