//! Project > Images > Create Image: the metadata is validated as you type with the domain's own
//! rules, the image is created by a server function, and the file goes from the browser straight
//! to the image API with a progress bar, speed, time left and an Abort button. An aborted or failed
//! upload leaves a queued image that the page offers to retry or delete. The domain's format
//! inspector reads the chosen file's headers first: the detected disk format is pre-selected and
//! a mismatch or a failed safety check is shown before anything is sent. When the cloud offers
//! web-download, the source may be a URL instead: the image is created and its import started
//! in one call, and its page follows the import.

use crate::app::components::{mutation, use_toasts, PageHeader};
use crate::app::i18n::td_string;
use crate::app::lang::{self, fill};
use crate::app::layout::use_session;
#[cfg(feature = "hydrate")]
use crate::app::upload::UploadEnd;
use crate::domain::image::{
    check_minimum, check_name, parse_property_lines, Visibility, CONTAINER_FORMATS, DISK_FORMATS,
};
use crate::domain::inspect::{judge, Format, Inspection, Verdict};
use crate::domain::policy::{can_create, can_set_visibility, Decision};
use crate::server_fns::images::{CreateImage, DeleteImage, NewImageForm};
use crate::server_fns::import::{import_methods, CreateImageFromUrl};
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Phase {
    Editing,
    Creating,
    Uploading {
        id: String,
        loaded: f64,
        total: f64,
        started: f64,
    },
    Stopped {
        id: String,
        reason: String,
    },
}

fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// Extra properties the form has fields for.
const OWN_FIELDS: [&str; 4] = ["description", "architecture", "os_distro", "os_version"];

/// What the inspector made of the chosen file.
#[derive(Debug, Clone, PartialEq)]
enum FileCheck {
    Reading,
    Done(Inspection, u64),
    Failed(String),
}

/// The disk format to pre-select for what was detected (a partitioned or encrypted disk is raw).
fn preset_format(found: &Inspection) -> Option<&'static str> {
    let name = match found.format {
        Format::Gpt | Format::Luks => "raw",
        f => f.name(),
    };
    (found.problem.is_none() && DISK_FORMATS.contains(&name)).then_some(name)
}

/// The create form and the upload progress.
#[component]
pub fn CreateImagePage() -> impl IntoView {
    let l = crate::app::lang::locale();
    let session = use_session();
    let actor = session.actor();
    let toasts = use_toasts();
    // Set when the upload finished: renders a redirect to the image's page.
    let done = RwSignal::new(None::<String>);
    let visibilities: Vec<Visibility> = Visibility::ALL
        .into_iter()
        .filter(|v| {
            actor
                .as_ref()
                .is_some_and(|a| can_set_visibility(a, *v).is_allowed())
        })
        .collect();

    // Who may not create images is told before filling the form (the server decides the same).
    let refused = match actor.as_ref().map(can_create) {
        Some(Decision::Allow) => None,
        Some(Decision::Forbidden(why)) => Some(lang::reason(l, &why)),
        _ => Some(td_string!(l, create.log_in).to_string()),
    };
    let name = RwSignal::new(String::new());
    // The name's error waits until the field was left or something else was filled.
    let name_touched = RwSignal::new(false);
    let description = RwSignal::new(String::new());
    let disk_format = RwSignal::new("qcow2".to_string());
    let container_format = RwSignal::new("bare".to_string());
    let min_disk = RwSignal::new("0".to_string());
    let min_ram = RwSignal::new("0".to_string());
    let architecture = RwSignal::new(String::new());
    let os_distro = RwSignal::new(String::new());
    let os_version = RwSignal::new(String::new());
    let visibility = RwSignal::new("shared".to_string());
    // Multi-store: where the data goes ("" = the default store).
    let stores = Resource::new(|| (), |_| crate::server_fns::stores::list_stores());
    let store = RwSignal::new(String::new());
    let protected = RwSignal::new(false);
    let tags = RwSignal::new(String::new());
    let custom = RwSignal::new(String::new());
    let file_name = RwSignal::new(None::<(String, f64)>);
    let file_check = RwSignal::new(None::<FileCheck>);
    let phase = RwSignal::new(Phase::Editing);
    let file_input = NodeRef::<leptos::html::Input>::new();
    // Where the data comes from: a file from this computer, or a URL the cloud fetches
    // (web-download, offered only when the cloud enables it).
    let methods = Resource::new(|| (), |_| import_methods());
    let from_url = RwSignal::new(false);
    let uri = RwSignal::new(String::new());
    let uri_touched = RwSignal::new(false);

    let name_error = move || {
        let n = name.get();
        if n.trim().is_empty() {
            return (name_touched.get() || file_name.get().is_some())
                .then(|| td_string!(l, create.enter_name).to_string());
        }
        check_name(&n).err().map(|e| lang::field_error(l, &e))
    };
    let uri_error = move || {
        let u = uri.get();
        let u = u.trim();
        if u.is_empty() {
            return uri_touched
                .get()
                .then(|| td_string!(l, create.enter_url).to_string());
        }
        (!(u.starts_with("http://") || u.starts_with("https://"))
            || u.contains(char::is_whitespace))
        .then(|| td_string!(l, create.bad_url).to_string())
    };
    // What still stands between the form and Create, said beside the button.
    let missing = move || {
        let mut m = Vec::new();
        if name.get().trim().is_empty() {
            m.push(td_string!(l, create.missing_name));
        }
        if from_url.get() {
            if uri.get().trim().is_empty() {
                m.push(td_string!(l, create.missing_url));
            }
        } else if file_name.get().is_none() {
            m.push(td_string!(l, create.missing_file));
        }
        (!m.is_empty()).then(|| {
            fill(
                td_string!(l, create.missing),
                &[("what", &m.join(td_string!(l, create.missing_and)))],
            )
        })
    };
    let number_error = move |field: &str, v: String| match v.trim().parse::<i64>() {
        Ok(n) => check_minimum(field, n)
            .err()
            .map(|_| fill(td_string!(l, create.negative), &[("field", &field)])),
        Err(_) => Some(fill(td_string!(l, create.whole), &[("field", &field)])),
    };
    let disk_error = move || number_error(td_string!(l, create.min_disk_field), min_disk.get());
    let ram_error = move || number_error(td_string!(l, create.min_ram_field), min_ram.get());
    let props_error = move || {
        parse_property_lines(&custom.get(), &OWN_FIELDS)
            .err()
            .map(|p| lang::line_problem(l, &p))
    };
    // Only bare images are inspected by the server, so only they are checked here.
    let inspected = move || match file_check.get() {
        Some(FileCheck::Done(found, size))
            if container_format.get() == "bare" && !from_url.get() =>
        {
            Some((found, size))
        }
        _ => None,
    };
    // A failed safety check is always refused by the server: the form says so and stops.
    let unsafe_file = move || inspected().and_then(|(found, _)| found.problem);
    let mismatch = move || {
        inspected().and_then(
            |(found, size)| match judge(&disk_format.get(), &found, size, true) {
                Verdict::Refuse(why) if found.problem.is_none() => Some(fill(
                    td_string!(l, create.refuse_choose),
                    &[("why", &lang::refusal(l, &why)), ("format", &found.format)],
                )),
                Verdict::Accept { warning, .. } => warning.map(|w| lang::refusal(l, &w)),
                Verdict::Refuse(_) => None,
            },
        )
    };
    let invalid = move || {
        name.get().trim().is_empty()
            || if from_url.get() {
                uri.get().trim().is_empty() || uri_error().is_some()
            } else {
                file_name.get().is_none()
            }
            || name_error().is_some()
            || disk_error().is_some()
            || ram_error().is_some()
            || props_error().is_some()
            || unsafe_file().is_some()
    };

    // Starts (or restarts) the upload of the chosen file to image `id`.
    let begin_upload = move |id: String| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = file_input
                .get_untracked()
                .and_then(|i| i.files())
                .and_then(|f| f.get(0))
            else {
                phase.set(Phase::Stopped {
                    id,
                    reason: td_string!(l, create.choose_again).into(),
                });
                return;
            };
            let total = file.size();
            phase.set(Phase::Uploading {
                id: id.clone(),
                loaded: 0.0,
                total,
                started: now_ms(),
            });
            let done_id = id.clone();
            let chosen = Some(store.get_untracked()).filter(|s| !s.is_empty());
            let started = crate::app::upload::start(
                &id,
                &file,
                chosen,
                move |loaded, total| {
                    phase.update(|p| {
                        if let Phase::Uploading {
                            loaded: l,
                            total: t,
                            ..
                        } = p
                        {
                            *l = loaded;
                            *t = total;
                        }
                    })
                },
                move |end| match end {
                    UploadEnd::Done => {
                        toasts.push(
                            crate::app::components::ToastKind::Success,
                            td_string!(l, create.uploaded).into(),
                        );
                        done.set(Some(format!("/project/images/{done_id}")));
                    }
                    UploadEnd::Aborted => phase.set(Phase::Stopped {
                        id: done_id.clone(),
                        reason: td_string!(l, create.aborted).into(),
                    }),
                    UploadEnd::Failed(reason) => phase.set(Phase::Stopped {
                        id: done_id.clone(),
                        reason,
                    }),
                },
            );
            if let Err(e) = started {
                phase.set(Phase::Stopped { id, reason: e });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, file_input, done, toasts);
    };
    // The record first, then the data (XMLHttpRequest, for its progress events).
    let creating = mutation::<CreateImage>(|_| None, move |img| begin_upload(img.id.to_string()));
    Effect::new(move |_| {
        if let Some(Err(_)) = creating.value().get() {
            phase.set(Phase::Editing);
        }
    });
    // From a URL: one call creates the image and starts its import; its page shows the rest.
    let importing = mutation::<CreateImageFromUrl>(
        move |_| Some(td_string!(l, create.import_started).into()),
        move |img| done.set(Some(format!("/project/images/{}", img.id))),
    );
    Effect::new(move |_| {
        if let Some(Err(_)) = importing.value().get() {
            phase.set(Phase::Editing);
        }
    });
    let url_refused = move || match importing.value().get() {
        Some(Err(e)) => Some(lang::error(l, &e)),
        _ => None,
    };
    let leftover = mutation::<DeleteImage>(
        move |_| Some(td_string!(l, create.leftover_deleted).into()),
        move |_| phase.set(Phase::Editing),
    );

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if invalid() {
            return;
        }
        let mut properties =
            parse_property_lines(&custom.get_untracked(), &OWN_FIELDS).unwrap_or_default();
        for (k, v) in [
            ("architecture", architecture),
            ("os_distro", os_distro),
            ("os_version", os_version),
        ] {
            let v = v.get_untracked();
            if !v.trim().is_empty() {
                properties.push((k.to_string(), v.trim().to_string()));
            }
        }
        let form = NewImageForm {
            name: name.get_untracked().trim().to_string(),
            description: description.get_untracked(),
            disk_format: disk_format.get_untracked(),
            container_format: container_format.get_untracked(),
            min_disk: min_disk.get_untracked().trim().parse().unwrap_or(0),
            min_ram: min_ram.get_untracked().trim().parse().unwrap_or(0),
            properties,
            visibility: visibility.get_untracked(),
            protected: protected.get_untracked(),
            tags: tags
                .get_untracked()
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        };
        phase.set(Phase::Creating);
        if from_url.get_untracked() {
            importing.dispatch(CreateImageFromUrl {
                form,
                uri: uri.get_untracked().trim().to_string(),
                store: Some(store.get_untracked()).filter(|s| !s.is_empty()),
            });
        } else {
            creating.dispatch(CreateImage { form });
        }
    };

    let remove = move |id: String| {
        let Ok(id) = crate::domain::ids::ImageId::parse(&id) else {
            return;
        };
        leftover.dispatch(DeleteImage { id });
    };

    let blocked = refused.is_some();
    let busy = move || blocked || !matches!(phase.get(), Phase::Editing);
    view! {
        {move || done.get().map(|path| view! { <Redirect path/> })}
        <PageHeader title=td_string!(l, create.title) subtitle=td_string!(l, create.subtitle)/>
        {refused.map(|why| view! {
            <section class="card warn-card" role="alert" aria-labelledby="refused-h">
                <h2 id="refused-h">{td_string!(l, create.cannot)}</h2>
                <p>{why}</p>
            </section>
        })}
        <form class="card create-image" on:submit=submit novalidate>
            <fieldset disabled=busy>
                <legend class="sr-only">{td_string!(l, create.details)}</legend>
                <div class="form-grid">
                    <div class="field">
                        <label for="ci-name">{td_string!(l, create.name)}<span class="required" aria-hidden="true">"*"</span></label>
                        <input id="ci-name" required maxlength="255" aria-describedby="ci-name-error"
                            on:input=move |e| name.set(event_target_value(&e))
                            on:blur=move |_| name_touched.set(true)
                            aria-invalid=move || name_error().is_some().to_string()/>
                        <p class="field-error" id="ci-name-error">{move || name_error()}</p>
                    </div>
                    <div class="field">
                        <label for="ci-description">{td_string!(l, create.description)}</label>
                        <input id="ci-description" maxlength="255" on:input=move |e| description.set(event_target_value(&e))/>
                    </div>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let offered = methods.await.unwrap_or_default().iter().any(|m| m == "web-download");
                            offered.then(|| view! {
                                <fieldset class="field wide source-choice">
                                    <legend>{td_string!(l, create.source)}</legend>
                                    <label class="checkbox">
                                        <input type="radio" name="ci-source" value="file" checked=move || !from_url.get()
                                            on:change=move |_| from_url.set(false)/>
                                        {td_string!(l, create.source_file)}
                                    </label>
                                    <label class="checkbox">
                                        <input type="radio" name="ci-source" value="url" checked=move || from_url.get()
                                            on:change=move |_| from_url.set(true)/>
                                        {td_string!(l, create.source_url)}
                                    </label>
                                </fieldset>
                            })
                        })}
                    </Suspense>
                    <div class="field wide" hidden=move || !from_url.get()>
                        <label for="ci-url">{td_string!(l, create.url)}<span class="required" aria-hidden="true">"*"</span></label>
                        <input id="ci-url" type="url" inputmode="url" placeholder="https://cloud-images.example.org/image.qcow2"
                            aria-describedby="ci-url-error ci-url-help"
                            on:input=move |e| uri.set(event_target_value(&e))
                            on:blur=move |_| uri_touched.set(true)
                            aria-invalid=move || (uri_error().is_some() || url_refused().is_some()).to_string()/>
                        <p class="muted" id="ci-url-help">{td_string!(l, create.url_help)}</p>
                        <p class="field-error" id="ci-url-error" role="alert">{move || uri_error().or_else(url_refused)}</p>
                    </div>
                    <div class="field wide" hidden=move || from_url.get()>
                        <label for="ci-file">{td_string!(l, create.file)}<span class="required" aria-hidden="true">"*"</span></label>
                        <input id="ci-file" type="file" node_ref=file_input required=move || !from_url.get() on:change=move |e| {
                            let input: web_sys_input::Input = event_target(&e);
                            file_name.set(web_sys_input::first_file(&input));
                            file_check.set(Some(FileCheck::Reading));
                            web_sys_input::inspect_first(&input, move |result| match result {
                                Ok((found, size)) => {
                                    if let Some(f) = preset_format(&found) {
                                        disk_format.set(f.to_string());
                                    }
                                    file_check.set(Some(FileCheck::Done(found, size)));
                                }
                                Err(e) => file_check.set(Some(FileCheck::Failed(e))),
                            });
                        }/>
                        {move || file_name.get().map(|(n, s)| view! { <p class="muted">{fill(td_string!(l, create.file_size), &[("name", &n), ("size", &lang::size(l, s as i64))])}</p> })}
                        <p class="muted" role="status" aria-label=td_string!(l, create.detected_label)>
                            {move || match file_check.get() {
                                Some(FileCheck::Reading) => {td_string!(l, create.reading)}.to_string(),
                                Some(FileCheck::Done(found, _)) => match found.virtual_size {
                                    Some(v) => fill(td_string!(l, create.detected_virtual), &[("format", &found.format), ("size", &lang::size(l, v as i64))]),
                                    None => fill(td_string!(l, create.detected), &[("format", &found.format)]),
                                },
                                Some(FileCheck::Failed(e)) => fill(td_string!(l, create.unreadable), &[("why", &e)]),
                                None => String::new(),
                            }}
                        </p>
                        {move || unsafe_file().map(|p| view! { <p class="field-error" role="alert">{lang::inspection_problem(l, &p)}{td_string!(l, create.refuses_such)}</p> })}
                    </div>
                    <div class="field">
                        <label for="ci-disk">{td_string!(l, create.disk_format)}</label>
                        <select id="ci-disk" prop:value=move || disk_format.get() on:change=move |e| disk_format.set(event_target_value(&e))>
                            {DISK_FORMATS.into_iter().map(|f| view! { <option value=f selected=f == "qcow2">{f}</option> }).collect_view()}
                        </select>
                        {move || mismatch().map(|w| view! { <p class="field-warning" role="alert">{w}</p> })}
                    </div>
                    <div class="field">
                        <label for="ci-container">{td_string!(l, create.container_format)}</label>
                        <select id="ci-container" on:change=move |e| container_format.set(event_target_value(&e))>
                            {CONTAINER_FORMATS.into_iter().map(|f| view! { <option value=f selected=f == "bare">{f}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="ci-min-disk">{td_string!(l, create.min_disk)}</label>
                        <input id="ci-min-disk" inputmode="numeric" value="0" on:input=move |e| min_disk.set(event_target_value(&e))/>
                        {move || disk_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field">
                        <label for="ci-min-ram">{td_string!(l, create.min_ram)}</label>
                        <input id="ci-min-ram" inputmode="numeric" value="0" on:input=move |e| min_ram.set(event_target_value(&e))/>
                        {move || ram_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field">
                        <label for="ci-arch">{td_string!(l, create.architecture)}</label>
                        <input id="ci-arch" placeholder="x86_64" on:input=move |e| architecture.set(event_target_value(&e))/>
                    </div>
                    <div class="field">
                        <label for="ci-distro">{td_string!(l, create.os_distro)}</label>
                        <input id="ci-distro" placeholder="ubuntu" on:input=move |e| os_distro.set(event_target_value(&e))/>
                    </div>
                    <div class="field">
                        <label for="ci-version">{td_string!(l, create.os_version)}</label>
                        <input id="ci-version" placeholder="24.04" on:input=move |e| os_version.set(event_target_value(&e))/>
                    </div>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let list = stores.await.unwrap_or_default();
                            (list.len() > 1).then(|| view! {
                                <div class="field">
                                    <label for="ci-store">{td_string!(l, create.store)}</label>
                                    <select id="ci-store" on:change=move |e| store.set(event_target_value(&e))>
                                        {list.into_iter().map(|st| {
                                            let label = match (&st.description, st.default) {
                                                (Some(d), true) => fill(td_string!(l, create.store_desc_default), &[("id", &st.id), ("description", d)]),
                                                (Some(d), false) => fill(td_string!(l, create.store_desc), &[("id", &st.id), ("description", d)]),
                                                (None, true) => fill(td_string!(l, create.store_default), &[("id", &st.id)]),
                                                (None, false) => st.id.clone(),
                                            };
                                            let value = if st.default { String::new() } else { st.id.clone() };
                                            view! { <option value=value selected=st.default>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                </div>
                            })
                        })}
                    </Suspense>
                    <div class="field">
                        <label for="ci-visibility">{td_string!(l, create.visibility)}</label>
                        <select id="ci-visibility" on:change=move |e| visibility.set(event_target_value(&e))>
                            {visibilities.iter().map(|v| view! { <option value=v.as_str() selected=*v == Visibility::Shared>{lang::visibility(l, v.as_str())}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="ci-tags">{td_string!(l, create.tags)}</label>
                        <input id="ci-tags" on:input=move |e| tags.set(event_target_value(&e))/>
                    </div>
                    <div class="field wide">
                        <label for="ci-props">{td_string!(l, create.custom)}</label>
                        <textarea id="ci-props" rows="3" on:input=move |e| custom.set(event_target_value(&e))></textarea>
                        {move || props_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <label class="checkbox wide">
                        <input type="checkbox" on:change=move |e| protected.set(event_target_checked(&e))/>
                        {td_string!(l, create.protected)}
                    </label>
                </div>
                <div class="toolbar">
                    <button type="submit" class="btn primary" disabled=move || invalid() || busy()
                        aria-describedby="ci-missing">{td_string!(l, create.title)}</button>
                    <a class="btn" href="/project/images">{td_string!(l, create.cancel)}</a>
                    <span class="muted" id="ci-missing" role="status">{move || (!blocked).then(missing).flatten()}</span>
                </div>
            </fieldset>
        </form>
        {move || match phase.get() {
            Phase::Editing => ().into_any(),
            Phase::Creating => view! { <p class="loading" role="status">{td_string!(l, create.creating)}</p> }.into_any(),
            Phase::Uploading { loaded, total, started, .. } => {
                let pct = if total > 0.0 { (loaded / total * 100.0).min(100.0) } else { 0.0 };
                let secs = ((now_ms() - started) / 1000.0).max(0.001);
                let speed = loaded / secs;
                let left = if speed > 0.0 { ((total - loaded) / speed).ceil() } else { 0.0 };
                view! {
                    <section class="card" aria-labelledby="upload-h">
                        <h2 id="upload-h">{td_string!(l, create.uploading)}</h2>
                        <progress aria-label=td_string!(l, create.upload_progress) max="100" value=format!("{pct:.0}")></progress>
                        <p class="muted" role="status">
                            {if loaded > 0.0 {
                                fill(td_string!(l, create.progress), &[
                                    ("pct", &format!("{pct:.0}")),
                                    ("loaded", &lang::size(l, loaded as i64)),
                                    ("total", &lang::size(l, total as i64)),
                                    ("speed", &lang::size(l, speed as i64)),
                                    ("left", &format!("{left:.0}")),
                                ])
                            } else {
                                fill(td_string!(l, create.starting), &[("size", &lang::size(l, total as i64))])
                            }}
                        </p>
                        <button class="btn" on:click=move |_| crate::app::upload::abort_current()>{td_string!(l, create.abort)}</button>
                    </section>
                }
                    .into_any()
            }
            Phase::Stopped { id, reason } => {
                let (retry_id, delete_id) = (id.clone(), id.clone());
                view! {
                    <section class="card warn-card" aria-labelledby="stopped-h">
                        <h2 id="stopped-h">{td_string!(l, create.not_finished)}</h2>
                        <p role="alert">{reason}</p>
                        <p class="muted">{td_string!(l, create.queued_hint)}</p>
                        <div class="toolbar">
                            <button class="btn primary" on:click=move |_| begin_upload(retry_id.clone())>{td_string!(l, create.retry)}</button>
                            <button class="btn" on:click=move |_| remove(delete_id.clone())>{td_string!(l, create.delete)}</button>
                        </div>
                    </section>
                }
                    .into_any()
            }
        }}
    }
}

/// The file input's chosen file (name and size), across targets.
mod web_sys_input {
    /// The input element type `event_target` returns.
    pub type Input = leptos::web_sys::HtmlInputElement;

    /// Runs the format inspector over the first chosen file, reading only its header regions
    /// and its tail; `done` gets the inspection and the file size.
    pub fn inspect_first(
        input: &Input,
        done: impl FnOnce(Result<(super::Inspection, u64), String>) + 'static,
    ) {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            crate::app::browser_task(async move {
                let len = file.size() as u64;
                let read = |start: u64, end: u64| {
                    let part = file.slice_with_f64_and_f64(start as f64, end as f64);
                    async move {
                        let buffer =
                            wasm_bindgen_futures::JsFuture::from(part?.array_buffer()).await?;
                        Ok::<_, leptos::wasm_bindgen::JsValue>(
                            js_sys::Uint8Array::new(&buffer).to_vec(),
                        )
                    }
                };
                let result = crate::domain::inspect::inspect_random_access(len, read).await;
                done(
                    result
                        .map(|(found, _)| (found, len))
                        .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}"))),
                );
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, done);
    }

    /// Name and size of the first chosen file.
    pub fn first_file(input: &Input) -> Option<(String, f64)> {
        #[cfg(feature = "hydrate")]
        {
            input
                .files()
                .and_then(|f| f.get(0))
                .map(|f| (f.name(), f.size()))
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = input;
            None
        }
    }
}
