//! Admin > Metadata Definitions: the namespaces with a resource-type filter, Import from pasted
//! JSON with a preview checked by the domain's own rules before anything is saved, and each
//! namespace as a structured browser (associations, properties with their constraints, objects,
//! tags) with its public and protected flags, new associations, export and delete.

use crate::app::components::{mutation, use_toasts, ErrorBox, PageHeader, ToastKind};
use crate::domain::metadefs::{
    check_name, check_property, Association, NamespaceFile, Object, MAX_NAME,
};
use crate::server_fns::metadefs::{
    get_namespace, list_namespaces, resource_types, AssociateNamespace, DeleteMetadefItem,
    DeleteNamespace, ImportNamespace, SaveMetadefItem, SetNamespaceFlags,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde_json::Value;

/// Reads the chosen file's text into `done` (browser only).
fn read_text(input: &leptos::web_sys::HtmlInputElement, done: impl FnOnce(String) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        crate::app::browser_task(async move {
            if let Ok(v) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                done(v.as_string().unwrap_or_default());
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (input, done);
}

/// What pasted JSON would import, or why it cannot.
fn preview(text: &str) -> Result<NamespaceFile, String> {
    let doc: NamespaceFile = serde_json::from_str(text).map_err(|e| format!("Not valid: {e}"))?;
    doc.check().map_err(|e| e.0)?;
    Ok(doc)
}

/// The namespaces table and the import form.
#[component]
pub fn MetadefsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || query.read().get("resource_type").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let text = RwSignal::new(String::new());
    let importer = mutation::<ImportNamespace>(
        |name| Some(format!("Namespace {name} was imported.")),
        move |_| {
            text.set(String::new());
            version.update(|v| *v += 1);
        },
    );
    let list = Resource::new(
        move || (filter(), version.get()),
        |(rt, _)| list_namespaces(rt),
    );
    let types = Resource::new(|| (), |_| resource_types());
    let checked = move || {
        let t = text.get();
        (!t.trim().is_empty()).then(|| preview(&t))
    };
    let import = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !matches!(checked(), Some(Ok(_))) {
            return;
        }
        importer.dispatch(ImportNamespace {
            json: text.get_untracked(),
        });
    };
    view! {
        <PageHeader title="Metadata Definitions" subtitle="Namespaces of properties that describe images and other resources. Image owners pick from them in Update Metadata."/>
        <form class="card filters" method="get" aria-label="Filter namespaces">
            <div class="field">
                <label for="md-rt">"Resource type"</label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let names = types.await.unwrap_or_default();
                        let current = filter();
                        view! {
                            <select id="md-rt" name="resource_type">
                                <option value="">"Any"</option>
                                {names.into_iter().map(|n| {
                                    let selected = n == current;
                                    view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                                }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
            </div>
            <button class="btn" type="submit">"Apply filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(rows) => view! {
                        <div class="table-wrap">
                            <table class="data">
                                <caption>{format!("{} namespaces", rows.len())}</caption>
                                <thead><tr>
                                    <th scope="col">"Display name"</th>
                                    <th scope="col">"Description"</th>
                                    <th scope="col">"Resource types"</th>
                                    <th scope="col">"Public"</th>
                                    <th scope="col">"Protected"</th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|n| {
                                        let href = format!("/admin/metadefs/{}", n.namespace);
                                        let label = n.display_name.clone().unwrap_or_else(|| n.namespace.clone());
                                        view! {
                                            <tr>
                                                <th scope="row"><a href=href>{label}</a><br/><code class="muted">{n.namespace.clone()}</code></th>
                                                <td>{n.description.clone().unwrap_or_default()}</td>
                                                <td>{n.resource_types.join(", ")}</td>
                                                <td>{if n.visibility == "public" { "Yes" } else { "No" }}</td>
                                                <td>{if n.protected { "Yes" } else { "No" }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
        <form class="card" on:submit=import aria-labelledby="import-h">
            <h2 id="import-h">"Import Namespace"</h2>
            <div class="field wide">
                <label for="md-file">"Namespace file"</label>
                <input id="md-file" type="file" accept=".json,application/json" on:change=move |e| {
                    let input: leptos::web_sys::HtmlInputElement = event_target(&e);
                    read_text(&input, move |t| text.set(t));
                }/>
            </div>
            <div class="field wide">
                <label for="md-json">"Namespace JSON"</label>
                <textarea id="md-json" rows="8" placeholder="{\"namespace\": \"Example\", \"properties\": {…}}"
                    prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e))></textarea>
            </div>
            {move || checked().map(|r| match r {
                Ok(doc) => view! {
                    <p class="muted" role="status" aria-label="Import preview">
                        {format!(
                            "Ready to import {}: {} properties, {} objects, {} tags, resource types: {}.",
                            doc.namespace.namespace,
                            doc.properties.len(),
                            doc.objects.len(),
                            doc.tags.len(),
                            if doc.resource_type_associations.is_empty() {
                                "none".to_string()
                            } else {
                                doc.resource_type_associations.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join(", ")
                            }
                        )}
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            })}
            <div class="toolbar">
                <button class="btn primary" type="submit" disabled=move || !matches!(checked(), Some(Ok(_)))>"Import"</button>
            </div>
        </form>
    }
}

/// A property's constraints in words.
fn constraints(p: &Value) -> String {
    let mut out = Vec::new();
    if let Some(e) = p.get("enum").and_then(Value::as_array) {
        let v: Vec<String> = e
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect();
        out.push(format!("one of {}", v.join(", ")));
    }
    for (k, w) in [
        ("minimum", "min"),
        ("maximum", "max"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
    ] {
        if let Some(v) = p.get(k) {
            out.push(format!("{w} {v}"));
        }
    }
    if let Some(v) = p.get("pattern").and_then(Value::as_str) {
        out.push(format!("pattern {v}"));
    }
    if let Some(v) = p.get("default") {
        out.push(format!("default {v}"));
    }
    out.join(" · ")
}

fn properties_table(props: &serde_json::Map<String, Value>, label: String) -> impl IntoView {
    view! {
        <table class="data compact" aria-label=label>
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"Title"</th><th scope="col">"Type"</th>
                <th scope="col">"Constraints"</th><th scope="col">"Description"</th>
            </tr></thead>
            <tbody>
                {props.iter().map(|(name, p)| {
                    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                    view! {
                        <tr>
                            <th scope="row"><code>{name.clone()}</code></th>
                            <td>{s("title")}</td>
                            <td>{s("type")}</td>
                            <td>{constraints(p)}</td>
                            <td>{s("description")}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Percent-encodes text for a `data:` URL.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One namespace as a structured browser.
#[component]
pub fn MetadefPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("ns").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let doc = Resource::new(move || (name(), version.get()), |(n, _)| get_namespace(n));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match doc.await {
                    Err(e) => view! { <PageHeader title="Metadata Definition"/><ErrorBox error=e/> }.into_any(),
                    Ok(d) => view! { <NamespaceView doc=d version/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NamespaceView(doc: NamespaceFile, version: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let ns = doc.namespace.clone();
    let name = ns.namespace.clone();
    let title = ns.display_name.clone().unwrap_or_else(|| name.clone());
    let public =
        RwSignal::new(ns.visibility == crate::domain::metadefs::NamespaceVisibility::Public);
    let protected = RwSignal::new(ns.protected);
    let gone = RwSignal::new(false);
    let export = format!(
        "data:application/json,{}",
        percent_encode(&serde_json::to_string_pretty(&doc).unwrap_or_default())
    );
    let (n1, n2, n3) = (name.clone(), name.clone(), name.clone());
    let bump = move |_: &()| version.update(|v| *v += 1);
    let flags = mutation::<SetNamespaceFlags>(|_| Some("The namespace was updated.".into()), bump);
    let associating =
        mutation::<AssociateNamespace>(|_| Some("The association was saved.".into()), bump);
    let deleting = mutation::<DeleteNamespace>(
        |_| Some("The namespace was deleted.".into()),
        move |_| gone.set(true),
    );
    let save_flags = move |_| {
        flags.dispatch(SetNamespaceFlags {
            name: n1.clone(),
            public: public.get_untracked(),
            protected: protected.get_untracked(),
        });
    };
    let rt = RwSignal::new("OS::Glance::Image".to_string());
    let prefix = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let associate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let opt = |s: RwSignal<String>| {
            Some(s.get_untracked().trim().to_string()).filter(|v| !v.is_empty())
        };
        let a = Association {
            name: rt.get_untracked().trim().to_string(),
            prefix: opt(prefix),
            properties_target: opt(target),
        };
        if let Err(e) = a.check() {
            toasts.push(ToastKind::Error, e.0);
            return;
        }
        associating.dispatch(AssociateNamespace {
            name: n2.clone(),
            association: a,
        });
    };
    let remove = move |_| {
        deleting.dispatch(DeleteNamespace { name: n3.clone() });
    };
    let delete_why = ns
        .protected
        .then_some("Protected: clear Protected and save first.");
    view! {
        {move || gone.get().then(|| view! { <leptos_router::components::Redirect path="/admin/metadefs"/> })}
        <PageHeader title=title subtitle=ns.description.clone().unwrap_or_default()/>
        <div class="toolbar">
            <a class="btn" href="/admin/metadefs">"« All namespaces"</a>
            <a class="btn" href=export download=format!("{name}.json")>"Export JSON"</a>
            <button class="btn danger" disabled=delete_why.is_some() title=delete_why.unwrap_or_default() on:click=remove>"Delete namespace"</button>
            {delete_why.map(|w| view! { <span class="muted">{w}</span> })}
        </div>
        <section class="card" aria-labelledby="ns-h">
            <h2 id="ns-h">"Namespace"</h2>
            <dl class="facts">
                <dt>"Namespace"</dt><dd><code>{name.clone()}</code></dd>
                <dt>"Owner"</dt><dd>{ns.owner.as_ref().map(|o| o.to_string()).unwrap_or_default()}</dd>
            </dl>
            <div class="toolbar">
                <label class="checkbox"><input type="checkbox" prop:checked=move || public.get() on:change=move |e| public.set(event_target_checked(&e))/>"Public"</label>
                <label class="checkbox"><input type="checkbox" prop:checked=move || protected.get() on:change=move |e| protected.set(event_target_checked(&e))/>"Protected"</label>
                <button class="btn" on:click=save_flags>"Save flags"</button>
            </div>
        </section>
        <section class="card" aria-labelledby="assoc-h">
            <h2 id="assoc-h">"Resource type associations"</h2>
            <table class="data compact" aria-label="Associations">
                <thead><tr><th scope="col">"Resource type"</th><th scope="col">"Prefix"</th><th scope="col">"Properties target"</th></tr></thead>
                <tbody>
                    {doc.resource_type_associations.iter().map(|a| view! {
                        <tr><th scope="row">{a.name.clone()}</th><td><code>{a.prefix.clone().unwrap_or_default()}</code></td><td>{a.properties_target.clone().unwrap_or_default()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <form class="inline-form" on:submit=associate aria-label="Associate a resource type">
                <div class="field"><label for="as-rt">"Resource type"</label>
                    <input id="as-rt" prop:value=move || rt.get() on:input=move |e| rt.set(event_target_value(&e))/></div>
                <div class="field"><label for="as-prefix">"Prefix"</label>
                    <input id="as-prefix" placeholder="hw_" on:input=move |e| prefix.set(event_target_value(&e))/></div>
                <div class="field"><label for="as-target">"Properties target"</label>
                    <input id="as-target" placeholder="image" on:input=move |e| target.set(event_target_value(&e))/></div>
                <button class="btn primary" type="submit">"Associate"</button>
            </form>
        </section>
        <section class="card" aria-labelledby="props-h">
            <h2 id="props-h">{format!("Properties ({})", doc.properties.len())}</h2>
            {properties_table(&doc.properties, "Properties".into())}
            <ItemsEditor ns=name.clone() kind="property" protected=ns.protected version
                items=doc.properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect()/>
        </section>
        <section class="card" aria-labelledby="objects-h">
            <h2 id="objects-h">{format!("Objects ({})", doc.objects.len())}</h2>
            {doc.objects.iter().map(|o| view! {
                <h3>{o.name.clone()}</h3>
                <p class="muted">{o.description.clone().unwrap_or_default()}</p>
                {properties_table(&o.properties, format!("Properties of {}", o.name))}
            }).collect_view()}
            <ItemsEditor ns=name.clone() kind="object" protected=ns.protected version
                items=doc.objects.iter().map(|o| (o.name.clone(), o.body())).collect()/>
        </section>
        <section class="card" aria-labelledby="tags-h">
            <h2 id="tags-h">{format!("Tags ({})", doc.tags.len())}</h2>
            <ItemsEditor ns=name.clone() kind="tag" protected=ns.protected version
                items=doc.tags.iter().map(|t| (t.name.clone(), Value::Object(Default::default()))).collect()/>
        </section>
    }
}

/// Why a named definition cannot be saved, with the rules the API applies.
fn item_problem(kind: &str, name: &str, body: &str) -> Option<String> {
    if let Err(e) = check_name("name", name, MAX_NAME) {
        return Some(e.0);
    }
    if kind == "tag" {
        return None;
    }
    let mut v: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => return Some(format!("The definition is not valid JSON: {e}")),
    };
    if kind == "property" {
        return check_property(name, &v).err().map(|e| e.0);
    }
    if let Some(m) = v.as_object_mut() {
        m.insert("name".into(), Value::String(name.to_string()));
    }
    match serde_json::from_value::<Object>(v) {
        Ok(o) => o.check().err().map(|e| e.0),
        Err(e) => Some(format!("The object is not valid: {e}")),
    }
}

fn template(kind: &str) -> String {
    match kind {
        "property" => "{\n  \"title\": \"\",\n  \"type\": \"string\"\n}".into(),
        "object" => "{\n  \"description\": \"\",\n  \"properties\": {}\n}".into(),
        _ => String::new(),
    }
}

/// Create, edit and delete a namespace's properties, objects or tags. Definitions are edited as
/// JSON and checked by the domain's rules as you type; deletes are refused while protected.
#[component]
fn ItemsEditor(
    ns: String,
    kind: &'static str,
    items: Vec<(String, Value)>,
    protected: bool,
    version: RwSignal<u32>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    // The item the last save or delete was about, for its toast.
    let last = RwSignal::new(String::new());
    let saving = mutation::<SaveMetadefItem>(
        move |_| Some(format!("The {kind} {} was saved.", last.get_untracked())),
        move |_| {
            open.set(false);
            version.update(|v| *v += 1);
        },
    );
    let removing = mutation::<DeleteMetadefItem>(
        move |_| Some(format!("The {kind} {} was deleted.", last.get_untracked())),
        move |_| version.update(|v| *v += 1),
    );
    let old = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let problem = move || {
        let n = name.get();
        (!n.is_empty())
            .then(|| item_problem(kind, &n, &body.get()))
            .flatten()
    };
    let start = move |old_name: String, def: Option<Value>| {
        old.set(old_name.clone());
        name.set(old_name);
        body.set(
            def.map(|d| serde_json::to_string_pretty(&d).unwrap_or_default())
                .unwrap_or_else(|| template(kind)),
        );
        open.set(true);
    };
    let ns_save = ns.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if name.get_untracked().is_empty() || problem().is_some() {
            return;
        }
        let (n, o, b) = (
            name.get_untracked(),
            old.get_untracked(),
            body.get_untracked(),
        );
        let b = if kind == "tag" { "{}".to_string() } else { b };
        last.set(n.clone());
        saving.dispatch(SaveMetadefItem {
            namespace: ns_save.clone(),
            kind_name: kind.to_string(),
            old_name: o,
            name: n,
            body: b,
        });
    };
    let article = if kind == "object" { "an" } else { "a" };
    let delete_why =
        protected.then(|| format!("Protected: clear Protected to delete {article} {kind}."));
    let label = if kind == "property" {
        "properties".to_string()
    } else {
        format!("{kind}s")
    };
    view! {
        <ul class="item-list" aria-label=format!("Manage {label}")>
            {items.into_iter().map(|(item, def)| {
                let (e_name, d_name, ns) = (item.clone(), item.clone(), ns.clone());
                let has_def = kind != "tag";
                let why = delete_why.clone();
                view! {
                    <li>
                        <code>{item.clone()}</code>
                        {has_def.then(|| view! {
                            <button type="button" class="btn small" aria-label=format!("Edit {kind} {item}")
                                on:click=move |_| start(e_name.clone(), Some(def.clone()))>"Edit"</button>
                        })}
                        <button type="button" class="btn small danger" aria-label=format!("Delete {kind} {item}")
                            disabled=why.is_some() title=why.clone().unwrap_or_default()
                            on:click=move |_| {
                                let (ns, n) = (ns.clone(), d_name.clone());
                                last.set(n.clone());
                                removing.dispatch(DeleteMetadefItem { namespace: ns, kind_name: kind.to_string(), name: n });
                            }>"Delete"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        {delete_why.map(|w| view! { <p class="muted">{w}</p> })}
        <button type="button" class="btn small" on:click=move |_| start(String::new(), None)>{format!("Add {kind}")}</button>
        {move || open.get().then(|| {
            let save = save.clone();
            view! {
            <form class="item-form" on:submit=save aria-label=format!("Save {kind}")>
                <div class="field">
                    <label for=format!("it-{kind}-name")>{format!("New {kind} name")}</label>
                    <input id=format!("it-{kind}-name") prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                </div>
                {(kind != "tag").then(|| view! {
                    <div class="field wide">
                        <label for=format!("it-{kind}-body")>{format!("Definition of the {kind} (JSON)")}</label>
                        <textarea id=format!("it-{kind}-body") rows="8" prop:value=move || body.get() on:input=move |e| body.set(event_target_value(&e))></textarea>
                    </div>
                })}
                {move || problem().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
                <div class="toolbar">
                    <button type="submit" class="btn primary" disabled=move || name.get().is_empty() || problem().is_some()>{format!("Save {kind}")}</button>
                    <button type="button" class="btn" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
        }})}
    }
}
