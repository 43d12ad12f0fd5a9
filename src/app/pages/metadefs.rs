//! Admin > Metadata Definitions: the namespaces with a resource-type filter, Import from pasted
//! JSON with a preview checked by the domain's own rules before anything is saved, and each
//! namespace as a structured browser (associations, properties with their constraints, objects,
//! tags) with its public and protected flags, new associations, export and delete.

use crate::app::components::{mutation, use_toasts, ErrorBox, PageHeader, ToastKind};
use crate::app::i18n::{td_string, Locale};
use crate::app::lang::{self, fill};
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
    let doc: NamespaceFile = serde_json::from_str(text).map_err(|e| {
        fill(
            td_string!(lang::locale(), metadefs.not_valid),
            &[("why", &e)],
        )
    })?;
    doc.check()
        .map_err(|e| lang::metadef_invalid(lang::locale(), &e))?;
    Ok(doc)
}

/// The namespaces table and the import form.
#[component]
pub fn MetadefsPage() -> impl IntoView {
    let l = crate::app::lang::locale();
    let query = use_query_map();
    let filter = move || query.read().get("resource_type").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let text = RwSignal::new(String::new());
    let importer = mutation::<ImportNamespace>(
        move |name| Some(fill(td_string!(l, metadefs.imported), &[("name", name)])),
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
        <PageHeader title=td_string!(l, metadefs.title) subtitle=td_string!(l, metadefs.subtitle)/>
        <form class="card filters" method="get" aria-label=td_string!(l, metadefs.filter)>
            <div class="field">
                <label for="md-rt">{td_string!(l, metadefs.resource_type)}</label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let names = types.await.unwrap_or_default();
                        let current = filter();
                        view! {
                            <select id="md-rt" name="resource_type">
                                <option value="">{td_string!(l, metadefs.any)}</option>
                                {names.into_iter().map(|n| {
                                    let selected = n == current;
                                    view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                                }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
            </div>
            <button class="btn" type="submit">{td_string!(l, metadefs.apply)}</button>
        </form>
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, metadefs.loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(rows) => view! {
                        <div class="table-wrap">
                            <table class="data">
                                <caption>{fill(td_string!(l, metadefs.count), &[("n", &rows.len())])}</caption>
                                <thead><tr>
                                    <th scope="col">{td_string!(l, metadefs.display_name)}</th>
                                    <th scope="col">{td_string!(l, metadefs.description)}</th>
                                    <th scope="col">{td_string!(l, metadefs.resource_types)}</th>
                                    <th scope="col">{td_string!(l, metadefs.public)}</th>
                                    <th scope="col">{td_string!(l, metadefs.protected)}</th>
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
                                                <td>{if n.visibility == "public" { td_string!(l, metadefs.yes) } else { td_string!(l, metadefs.no) }}</td>
                                                <td>{if n.protected { td_string!(l, metadefs.yes) } else { td_string!(l, metadefs.no) }}</td>
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
            <h2 id="import-h">{td_string!(l, metadefs.import_ns)}</h2>
            <div class="field wide">
                <label for="md-file">{td_string!(l, metadefs.ns_file)}</label>
                <input id="md-file" type="file" accept=".json,application/json" on:change=move |e| {
                    let input: leptos::web_sys::HtmlInputElement = event_target(&e);
                    read_text(&input, move |t| text.set(t));
                }/>
            </div>
            <div class="field wide">
                <label for="md-json">{td_string!(l, metadefs.ns_json)}</label>
                <textarea id="md-json" rows="8" placeholder="{\"namespace\": \"Example\", \"properties\": {…}}"
                    prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e))></textarea>
            </div>
            {move || checked().map(|r| match r {
                Ok(doc) => view! {
                    <p class="muted" role="status" aria-label=td_string!(l, metadefs.preview)>
                        {fill(td_string!(l, metadefs.ready), &[
                            ("ns", &doc.namespace.namespace),
                            ("props", &doc.properties.len()),
                            ("objects", &doc.objects.len()),
                            ("tags", &doc.tags.len()),
                            ("types", &if doc.resource_type_associations.is_empty() {
                                td_string!(l, metadefs.none).to_string()
                            } else {
                                doc.resource_type_associations.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join(", ")
                            }),
                        ])}
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            })}
            <div class="toolbar">
                <button class="btn primary" type="submit" disabled=move || !matches!(checked(), Some(Ok(_)))>{td_string!(l, metadefs.import)}</button>
            </div>
        </form>
    }
}

/// A property's constraints in words.
fn constraints(p: &Value) -> String {
    let l = crate::app::lang::locale();
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
        out.push(fill(
            td_string!(l, metadefs.c_one_of),
            &[("list", &v.join(", "))],
        ));
    }
    for (k, w) in [
        ("minimum", td_string!(l, metadefs.c_min)),
        ("maximum", td_string!(l, metadefs.c_max)),
        ("minLength", td_string!(l, metadefs.c_min_length)),
        ("maxLength", td_string!(l, metadefs.c_max_length)),
    ] {
        if let Some(v) = p.get(k) {
            out.push(fill(w, &[("v", v)]));
        }
    }
    if let Some(v) = p.get("pattern").and_then(Value::as_str) {
        out.push(fill(td_string!(l, metadefs.c_pattern), &[("v", &v)]));
    }
    if let Some(v) = p.get("default") {
        out.push(fill(td_string!(l, metadefs.c_default), &[("v", v)]));
    }
    out.join(" · ")
}

fn properties_table(props: &serde_json::Map<String, Value>, label: String) -> impl IntoView {
    let l = crate::app::lang::locale();
    view! {
        <table class="data compact" aria-label=label>
            <thead><tr>
                <th scope="col">{td_string!(l, metadefs.name)}</th><th scope="col">{td_string!(l, metadefs.prop_title)}</th><th scope="col">{td_string!(l, metadefs.kind)}</th>
                <th scope="col">{td_string!(l, metadefs.constraints)}</th><th scope="col">{td_string!(l, metadefs.description)}</th>
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
    let l = crate::app::lang::locale();
    let params = use_params_map();
    let name = move || params.read().get("ns").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let doc = Resource::new(move || (name(), version.get()), |(n, _)| get_namespace(n));
    view! {
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, metadefs.loading)}</p> }>
            {move || Suspend::new(async move {
                match doc.await {
                    Err(e) => view! { <PageHeader title=td_string!(l, metadefs.definition)/><ErrorBox error=e/> }.into_any(),
                    Ok(d) => view! { <NamespaceView doc=d version/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NamespaceView(doc: NamespaceFile, version: RwSignal<u32>) -> impl IntoView {
    let l = crate::app::lang::locale();
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
    let flags = mutation::<SetNamespaceFlags>(
        move |_| Some(td_string!(l, metadefs.ns_updated).into()),
        bump,
    );
    let associating = mutation::<AssociateNamespace>(
        move |_| Some(td_string!(l, metadefs.assoc_saved).into()),
        bump,
    );
    let deleting = mutation::<DeleteNamespace>(
        move |_| Some(td_string!(l, metadefs.ns_deleted).into()),
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
            toasts.push(ToastKind::Error, lang::metadef_invalid(l, &e));
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
    let delete_why = ns.protected.then_some(td_string!(l, metadefs.clear_first));
    view! {
        {move || gone.get().then(|| view! { <leptos_router::components::Redirect path="/admin/metadefs"/> })}
        <PageHeader title=title subtitle=ns.description.clone().unwrap_or_default()/>
        <div class="toolbar">
            <a class="btn" href="/admin/metadefs">{td_string!(l, metadefs.all_ns)}</a>
            <a class="btn" href=export download=format!("{name}.json")>{td_string!(l, metadefs.export)}</a>
            <button class="btn danger" disabled=delete_why.is_some() title=delete_why.unwrap_or_default() on:click=remove>{td_string!(l, metadefs.delete_ns)}</button>
            {delete_why.map(|w| view! { <span class="muted">{w}</span> })}
        </div>
        <section class="card" aria-labelledby="ns-h">
            <h2 id="ns-h">{td_string!(l, metadefs.namespace)}</h2>
            <dl class="facts">
                <dt>{td_string!(l, metadefs.namespace)}</dt><dd><code>{name.clone()}</code></dd>
                <dt>{td_string!(l, metadefs.owner)}</dt><dd>{ns.owner.as_ref().map(|o| o.to_string()).unwrap_or_default()}</dd>
            </dl>
            <div class="toolbar">
                <label class="checkbox"><input type="checkbox" prop:checked=move || public.get() on:change=move |e| public.set(event_target_checked(&e))/>{td_string!(l, metadefs.public)}</label>
                <label class="checkbox"><input type="checkbox" prop:checked=move || protected.get() on:change=move |e| protected.set(event_target_checked(&e))/>{td_string!(l, metadefs.protected)}</label>
                <button class="btn" on:click=save_flags>{td_string!(l, metadefs.save_flags)}</button>
            </div>
        </section>
        <section class="card" aria-labelledby="assoc-h">
            <h2 id="assoc-h">{td_string!(l, metadefs.assocs)}</h2>
            <table class="data compact" aria-label=td_string!(l, metadefs.assocs_label)>
                <thead><tr><th scope="col">{td_string!(l, metadefs.resource_type)}</th><th scope="col">{td_string!(l, metadefs.prefix)}</th><th scope="col">{td_string!(l, metadefs.target)}</th></tr></thead>
                <tbody>
                    {doc.resource_type_associations.iter().map(|a| view! {
                        <tr><th scope="row">{a.name.clone()}</th><td><code>{a.prefix.clone().unwrap_or_default()}</code></td><td>{a.properties_target.clone().unwrap_or_default()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <form class="inline-form" on:submit=associate aria-label=td_string!(l, metadefs.associate_label)>
                <div class="field"><label for="as-rt">{td_string!(l, metadefs.resource_type)}</label>
                    <input id="as-rt" prop:value=move || rt.get() on:input=move |e| rt.set(event_target_value(&e))/></div>
                <div class="field"><label for="as-prefix">{td_string!(l, metadefs.prefix)}</label>
                    <input id="as-prefix" placeholder="hw_" on:input=move |e| prefix.set(event_target_value(&e))/></div>
                <div class="field"><label for="as-target">{td_string!(l, metadefs.target)}</label>
                    <input id="as-target" placeholder="image" on:input=move |e| target.set(event_target_value(&e))/></div>
                <button class="btn primary" type="submit">{td_string!(l, metadefs.associate)}</button>
            </form>
        </section>
        <section class="card" aria-labelledby="props-h">
            <h2 id="props-h">{fill(td_string!(l, metadefs.properties_n), &[("n", &doc.properties.len())])}</h2>
            {properties_table(&doc.properties, td_string!(l, metadefs.properties).into())}
            <ItemsEditor ns=name.clone() kind="property" protected=ns.protected version
                items=doc.properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect()/>
        </section>
        <section class="card" aria-labelledby="objects-h">
            <h2 id="objects-h">{fill(td_string!(l, metadefs.objects_n), &[("n", &doc.objects.len())])}</h2>
            {doc.objects.iter().map(|o| view! {
                <h3>{o.name.clone()}</h3>
                <p class="muted">{o.description.clone().unwrap_or_default()}</p>
                {properties_table(&o.properties, fill(td_string!(l, metadefs.properties_of), &[("name", &o.name)]))}
            }).collect_view()}
            <ItemsEditor ns=name.clone() kind="object" protected=ns.protected version
                items=doc.objects.iter().map(|o| (o.name.clone(), o.body())).collect()/>
        </section>
        <section class="card" aria-labelledby="tags-h">
            <h2 id="tags-h">{fill(td_string!(l, metadefs.tags_n), &[("n", &doc.tags.len())])}</h2>
            <ItemsEditor ns=name.clone() kind="tag" protected=ns.protected version
                items=doc.tags.iter().map(|t| (t.name.clone(), Value::Object(Default::default()))).collect()/>
        </section>
    }
}

/// Why a named definition cannot be saved, with the rules the API applies.
fn item_problem(kind: &str, name: &str, body: &str) -> Option<String> {
    if let Err(e) = check_name("name", name, MAX_NAME) {
        return Some(lang::metadef_invalid(lang::locale(), &e));
    }
    if kind == "tag" {
        return None;
    }
    let mut v: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => {
            return Some(fill(
                td_string!(lang::locale(), metadefs.bad_json),
                &[("why", &e)],
            ))
        }
    };
    if kind == "property" {
        return check_property(name, &v)
            .err()
            .map(|e| lang::metadef_invalid(lang::locale(), &e));
    }
    if let Some(m) = v.as_object_mut() {
        m.insert("name".into(), Value::String(name.to_string()));
    }
    match serde_json::from_value::<Object>(v) {
        Ok(o) => o
            .check()
            .err()
            .map(|e| lang::metadef_invalid(lang::locale(), &e)),
        Err(e) => Some(fill(
            td_string!(lang::locale(), metadefs.bad_object),
            &[("why", &e)],
        )),
    }
}

fn template(kind: &str) -> String {
    match kind {
        "property" => "{\n  \"title\": \"\",\n  \"type\": \"string\"\n}".into(),
        "object" => "{\n  \"description\": \"\",\n  \"properties\": {}\n}".into(),
        _ => String::new(),
    }
}

/// The words the items editor uses for one kind of item (`property`, `object` or `tag`).
struct KindWords {
    saved: &'static str,
    deleted: &'static str,
    protected: &'static str,
    manage: &'static str,
    edit: &'static str,
    delete: &'static str,
    add: &'static str,
    save: &'static str,
    new_name: &'static str,
    definition: &'static str,
}

impl KindWords {
    fn of(l: Locale, kind: &str) -> KindWords {
        match kind {
            "property" => KindWords {
                saved: td_string!(l, metadefs.saved_property),
                deleted: td_string!(l, metadefs.deleted_property),
                protected: td_string!(l, metadefs.protected_property),
                manage: td_string!(l, metadefs.manage_property),
                edit: td_string!(l, metadefs.edit_property),
                delete: td_string!(l, metadefs.delete_property),
                add: td_string!(l, metadefs.add_property),
                save: td_string!(l, metadefs.save_property),
                new_name: td_string!(l, metadefs.new_property),
                definition: td_string!(l, metadefs.def_property),
            },
            "object" => KindWords {
                saved: td_string!(l, metadefs.saved_object),
                deleted: td_string!(l, metadefs.deleted_object),
                protected: td_string!(l, metadefs.protected_object),
                manage: td_string!(l, metadefs.manage_object),
                edit: td_string!(l, metadefs.edit_object),
                delete: td_string!(l, metadefs.delete_object),
                add: td_string!(l, metadefs.add_object),
                save: td_string!(l, metadefs.save_object),
                new_name: td_string!(l, metadefs.new_object),
                definition: td_string!(l, metadefs.def_object),
            },
            _ => KindWords {
                saved: td_string!(l, metadefs.saved_tag),
                deleted: td_string!(l, metadefs.deleted_tag),
                protected: td_string!(l, metadefs.protected_tag),
                manage: td_string!(l, metadefs.manage_tag),
                // A tag has no definition: its Edit button and definition field never show.
                edit: td_string!(l, metadefs.edit_object),
                delete: td_string!(l, metadefs.delete_tag),
                add: td_string!(l, metadefs.add_tag),
                save: td_string!(l, metadefs.save_tag),
                new_name: td_string!(l, metadefs.new_tag),
                definition: td_string!(l, metadefs.def_object),
            },
        }
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
    let l = crate::app::lang::locale();
    let w = KindWords::of(lang::locale(), kind);
    let open = RwSignal::new(false);
    // The item the last save or delete was about, for its toast.
    let last = RwSignal::new(String::new());
    let saving = mutation::<SaveMetadefItem>(
        move |_| Some(fill(w.saved, &[("name", &last.get_untracked())])),
        move |_| {
            open.set(false);
            version.update(|v| *v += 1);
        },
    );
    let removing = mutation::<DeleteMetadefItem>(
        move |_| Some(fill(w.deleted, &[("name", &last.get_untracked())])),
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
    let delete_why = protected.then_some(w.protected);
    view! {
        <ul class="item-list" aria-label=w.manage>
            {items.into_iter().map(|(item, def)| {
                let (e_name, d_name, ns) = (item.clone(), item.clone(), ns.clone());
                let has_def = kind != "tag";
                let why = delete_why;
                view! {
                    <li>
                        <code>{item.clone()}</code>
                        {has_def.then(|| view! {
                            <button type="button" class="btn small" aria-label=fill(w.edit, &[("name", &item)])
                                on:click=move |_| start(e_name.clone(), Some(def.clone()))>{td_string!(l, metadefs.edit)}</button>
                        })}
                        <button type="button" class="btn small danger" aria-label=fill(w.delete, &[("name", &item)])
                            disabled=why.is_some() title=why.unwrap_or_default()
                            on:click=move |_| {
                                let (ns, n) = (ns.clone(), d_name.clone());
                                last.set(n.clone());
                                removing.dispatch(DeleteMetadefItem { namespace: ns, kind_name: kind.to_string(), name: n });
                            }>{td_string!(l, metadefs.delete)}</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        {delete_why.map(|w| view! { <p class="muted">{w}</p> })}
        <button type="button" class="btn small" on:click=move |_| start(String::new(), None)>{w.add}</button>
        {move || open.get().then(|| {
            let save = save.clone();
            view! {
            <form class="item-form" on:submit=save aria-label=w.save>
                <div class="field">
                    <label for=format!("it-{kind}-name")>{w.new_name}</label>
                    <input id=format!("it-{kind}-name") prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                </div>
                {(kind != "tag").then(|| view! {
                    <div class="field wide">
                        <label for=format!("it-{kind}-body")>{w.definition}</label>
                        <textarea id=format!("it-{kind}-body") rows="8" prop:value=move || body.get() on:input=move |e| body.set(event_target_value(&e))></textarea>
                    </div>
                })}
                {move || problem().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
                <div class="toolbar">
                    <button type="submit" class="btn primary" disabled=move || name.get().is_empty() || problem().is_some()>{w.save}</button>
                    <button type="button" class="btn" on:click=move |_| open.set(false)>{td_string!(l, metadefs.cancel)}</button>
                </div>
            </form>
        }})}
    }
}
