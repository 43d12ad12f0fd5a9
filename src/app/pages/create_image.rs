//! Project > Images > Create Image: the metadata is validated as you type with the domain's own
//! rules, the image is created by a server function, and the file goes from the browser straight
//! to the image API with a progress bar, speed, time left and an Abort button. An aborted or failed
//! upload leaves a queued image that the page offers to retry or delete. The domain's format
//! inspector reads the chosen file's headers first: the detected disk format is pre-selected and
//! a mismatch or a failed safety check is shown before anything is sent. When the cloud offers
//! web-download, the source may be a URL instead: the image is created and its import started
//! in one call, and its page follows the import.

use crate::app::components::{mutation, use_toasts, PageHeader};
use crate::app::layout::use_session;
#[cfg(feature = "hydrate")]
use crate::app::upload::UploadEnd;
use crate::domain::image::{
    check_minimum, check_name, human_size, parse_property_lines, Visibility, CONTAINER_FORMATS,
    DISK_FORMATS,
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
        Some(Decision::Forbidden(why)) => Some(why.to_string()),
        _ => Some("Log in again to create images.".to_string()),
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
                .then(|| "Enter a name for the image.".to_string());
        }
        check_name(&n).err().map(|e| e.to_string())
    };
    let uri_error = move || {
        let u = uri.get();
        let u = u.trim();
        if u.is_empty() {
            return uri_touched
                .get()
                .then(|| "Enter the URL the image is fetched from.".to_string());
        }
        (!(u.starts_with("http://") || u.starts_with("https://"))
            || u.contains(char::is_whitespace))
        .then(|| "Enter an http:// or https:// URL.".to_string())
    };
    // What still stands between the form and Create, said beside the button.
    let missing = move || {
        let mut m = Vec::new();
        if name.get().trim().is_empty() {
            m.push("enter an image name");
        }
        if from_url.get() {
            if uri.get().trim().is_empty() {
                m.push("enter the image's URL");
            }
        } else if file_name.get().is_none() {
            m.push("choose an image file");
        }
        (!m.is_empty()).then(|| format!("To create the image, {}.", m.join(" and ")))
    };
    let number_error = move |field: &str, v: String| match v.trim().parse::<i64>() {
        Ok(n) => check_minimum(field, n)
            .err()
            .map(|_| format!("{field} cannot be negative")),
        Err(_) => Some(format!("{field} must be a whole number")),
    };
    let disk_error = move || number_error("Minimum disk", min_disk.get());
    let ram_error = move || number_error("Minimum RAM", min_ram.get());
    let props_error = move || parse_property_lines(&custom.get(), &OWN_FIELDS).err();
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
                Verdict::Refuse(why) if found.problem.is_none() => Some(format!(
                    "{why} The image service will refuse the upload; choose {}.",
                    found.format
                )),
                Verdict::Accept { warning, .. } => warning,
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
                    reason: "Choose the file again to retry.".into(),
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
                            "The image was uploaded.".into(),
                        );
                        done.set(Some(format!("/project/images/{done_id}")));
                    }
                    UploadEnd::Aborted => phase.set(Phase::Stopped {
                        id: done_id.clone(),
                        reason: "The upload was aborted. The image is queued, with no data.".into(),
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
        |_| Some("The import has started: the image becomes active when its data is in.".into()),
        move |img| done.set(Some(format!("/project/images/{}", img.id))),
    );
    Effect::new(move |_| {
        if let Some(Err(_)) = importing.value().get() {
            phase.set(Phase::Editing);
        }
    });
    let url_refused = move || match importing.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let leftover = mutation::<DeleteImage>(
        |_| Some("The queued image was deleted.".into()),
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
        <PageHeader title="Create Image" subtitle="Describe the image, choose its file, and upload it straight to the image service."/>
        {refused.map(|why| view! {
            <section class="card warn-card" role="alert" aria-labelledby="refused-h">
                <h2 id="refused-h">"You cannot create images here"</h2>
                <p>{why}</p>
            </section>
        })}
        <form class="card create-image" on:submit=submit novalidate>
            <fieldset disabled=busy>
                <legend class="sr-only">"Image details"</legend>
                <div class="form-grid">
                    <div class="field">
                        <label for="ci-name">"Image name "<span class="required" aria-hidden="true">"*"</span></label>
                        <input id="ci-name" required maxlength="255" aria-describedby="ci-name-error"
                            on:input=move |e| name.set(event_target_value(&e))
                            on:blur=move |_| name_touched.set(true)
                            aria-invalid=move || name_error().is_some().to_string()/>
                        <p class="field-error" id="ci-name-error">{move || name_error()}</p>
                    </div>
                    <div class="field">
                        <label for="ci-description">"Description"</label>
                        <input id="ci-description" maxlength="255" on:input=move |e| description.set(event_target_value(&e))/>
                    </div>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let offered = methods.await.unwrap_or_default().iter().any(|m| m == "web-download");
                            offered.then(|| view! {
                                <fieldset class="field wide source-choice">
                                    <legend>"Image source"</legend>
                                    <label class="checkbox">
                                        <input type="radio" name="ci-source" value="file" checked=move || !from_url.get()
                                            on:change=move |_| from_url.set(false)/>
                                        "File (upload from this computer)"
                                    </label>
                                    <label class="checkbox">
                                        <input type="radio" name="ci-source" value="url" checked=move || from_url.get()
                                            on:change=move |_| from_url.set(true)/>
                                        "URL (the cloud downloads it)"
                                    </label>
                                </fieldset>
                            })
                        })}
                    </Suspense>
                    <div class="field wide" hidden=move || !from_url.get()>
                        <label for="ci-url">"Image URL "<span class="required" aria-hidden="true">"*"</span></label>
                        <input id="ci-url" type="url" inputmode="url" placeholder="https://cloud-images.example.org/image.qcow2"
                            aria-describedby="ci-url-error ci-url-help"
                            on:input=move |e| uri.set(event_target_value(&e))
                            on:blur=move |_| uri_touched.set(true)
                            aria-invalid=move || (uri_error().is_some() || url_refused().is_some()).to_string()/>
                        <p class="muted" id="ci-url-help">"The image service fetches the file itself, checks it, and keeps its progress on the image's page."</p>
                        <p class="field-error" id="ci-url-error" role="alert">{move || uri_error().or_else(url_refused)}</p>
                    </div>
                    <div class="field wide" hidden=move || from_url.get()>
                        <label for="ci-file">"Image file "<span class="required" aria-hidden="true">"*"</span></label>
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
                        {move || file_name.get().map(|(n, s)| view! { <p class="muted">{format!("{n}: {}", human_size(s as i64))}</p> })}
                        <p class="muted" role="status" aria-label="Detected format">
                            {move || match file_check.get() {
                                Some(FileCheck::Reading) => "Reading the file's header…".to_string(),
                                Some(FileCheck::Done(found, _)) => match found.virtual_size {
                                    Some(v) => format!("Detected {} · virtual size {}", found.format, human_size(v as i64)),
                                    None => format!("Detected {}", found.format),
                                },
                                Some(FileCheck::Failed(e)) => format!("The file could not be read: {e}"),
                                None => String::new(),
                            }}
                        </p>
                        {move || unsafe_file().map(|p| view! { <p class="field-error" role="alert">{p.to_string()}" The image service refuses such files."</p> })}
                    </div>
                    <div class="field">
                        <label for="ci-disk">"Disk format"</label>
                        <select id="ci-disk" prop:value=move || disk_format.get() on:change=move |e| disk_format.set(event_target_value(&e))>
                            {DISK_FORMATS.into_iter().map(|f| view! { <option value=f selected=f == "qcow2">{f}</option> }).collect_view()}
                        </select>
                        {move || mismatch().map(|w| view! { <p class="field-warning" role="alert">{w}</p> })}
                    </div>
                    <div class="field">
                        <label for="ci-container">"Container format"</label>
                        <select id="ci-container" on:change=move |e| container_format.set(event_target_value(&e))>
                            {CONTAINER_FORMATS.into_iter().map(|f| view! { <option value=f selected=f == "bare">{f}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="ci-min-disk">"Minimum disk (GB)"</label>
                        <input id="ci-min-disk" inputmode="numeric" value="0" on:input=move |e| min_disk.set(event_target_value(&e))/>
                        {move || disk_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field">
                        <label for="ci-min-ram">"Minimum RAM (MB)"</label>
                        <input id="ci-min-ram" inputmode="numeric" value="0" on:input=move |e| min_ram.set(event_target_value(&e))/>
                        {move || ram_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field">
                        <label for="ci-arch">"Architecture"</label>
                        <input id="ci-arch" placeholder="x86_64" on:input=move |e| architecture.set(event_target_value(&e))/>
                    </div>
                    <div class="field">
                        <label for="ci-distro">"OS distro"</label>
                        <input id="ci-distro" placeholder="ubuntu" on:input=move |e| os_distro.set(event_target_value(&e))/>
                    </div>
                    <div class="field">
                        <label for="ci-version">"OS version"</label>
                        <input id="ci-version" placeholder="24.04" on:input=move |e| os_version.set(event_target_value(&e))/>
                    </div>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let list = stores.await.unwrap_or_default();
                            (list.len() > 1).then(|| view! {
                                <div class="field">
                                    <label for="ci-store">"Store"</label>
                                    <select id="ci-store" on:change=move |e| store.set(event_target_value(&e))>
                                        {list.into_iter().map(|st| {
                                            let label = match (&st.description, st.default) {
                                                (Some(d), true) => format!("{} ({d}, default)", st.id),
                                                (Some(d), false) => format!("{} ({d})", st.id),
                                                (None, true) => format!("{} (default)", st.id),
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
                        <label for="ci-visibility">"Visibility"</label>
                        <select id="ci-visibility" on:change=move |e| visibility.set(event_target_value(&e))>
                            {visibilities.iter().map(|v| view! { <option value=v.as_str() selected=*v == Visibility::Shared>{v.as_str()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="ci-tags">"Tags (comma separated)"</label>
                        <input id="ci-tags" on:input=move |e| tags.set(event_target_value(&e))/>
                    </div>
                    <div class="field wide">
                        <label for="ci-props">"Custom properties (key=value, one per line)"</label>
                        <textarea id="ci-props" rows="3" on:input=move |e| custom.set(event_target_value(&e))></textarea>
                        {move || props_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <label class="checkbox wide">
                        <input type="checkbox" on:change=move |e| protected.set(event_target_checked(&e))/>
                        "Protected (cannot be deleted until unprotected)"
                    </label>
                </div>
                <div class="toolbar">
                    <button type="submit" class="btn primary" disabled=move || invalid() || busy()
                        aria-describedby="ci-missing">"Create Image"</button>
                    <a class="btn" href="/project/images">"Cancel"</a>
                    <span class="muted" id="ci-missing" role="status">{move || (!blocked).then(missing).flatten()}</span>
                </div>
            </fieldset>
        </form>
        {move || match phase.get() {
            Phase::Editing => ().into_any(),
            Phase::Creating => view! { <p class="loading" role="status">"Creating the image…"</p> }.into_any(),
            Phase::Uploading { loaded, total, started, .. } => {
                let pct = if total > 0.0 { (loaded / total * 100.0).min(100.0) } else { 0.0 };
                let secs = ((now_ms() - started) / 1000.0).max(0.001);
                let speed = loaded / secs;
                let left = if speed > 0.0 { ((total - loaded) / speed).ceil() } else { 0.0 };
                view! {
                    <section class="card" aria-labelledby="upload-h">
                        <h2 id="upload-h">"Uploading"</h2>
                        <progress aria-label="Upload progress" max="100" value=format!("{pct:.0}")></progress>
                        <p class="muted" role="status">
                            {if loaded > 0.0 {
                                format!(
                                    "{pct:.0} % · {} of {} · {}/s · {left:.0} s left",
                                    human_size(loaded as i64),
                                    human_size(total as i64),
                                    human_size(speed as i64)
                                )
                            } else {
                                format!("Starting the upload of {}… estimating time left", human_size(total as i64))
                            }}
                        </p>
                        <button class="btn" on:click=move |_| crate::app::upload::abort_current()>"Abort upload"</button>
                    </section>
                }
                    .into_any()
            }
            Phase::Stopped { id, reason } => {
                let (retry_id, delete_id) = (id.clone(), id.clone());
                view! {
                    <section class="card warn-card" aria-labelledby="stopped-h">
                        <h2 id="stopped-h">"The upload did not finish"</h2>
                        <p role="alert">{reason}</p>
                        <p class="muted">"The image exists and is queued without data. Retry with the chosen file, or delete it."</p>
                        <div class="toolbar">
                            <button class="btn primary" on:click=move |_| begin_upload(retry_id.clone())>"Retry upload"</button>
                            <button class="btn" on:click=move |_| remove(delete_id.clone())>"Delete image"</button>
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
