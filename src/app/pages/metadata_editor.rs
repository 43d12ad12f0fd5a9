//! Update Metadata, for an image's owner: the namespaces associated with `OS::Glance::Image` as a
//! searchable tree, a typed editor per property (enum select, boolean, integer and number with
//! bounds, string with length and pattern), custom keys, every value checked by the domain's
//! rules before saving, and one update (one JSON patch) to save.

use crate::app::components::mutation;
use crate::app::i18n::td_string;
use crate::app::lang::{self, fill};
use crate::domain::image::{check_extra_value, check_key, Image};
use crate::domain::metadefs::{
    check_array_text, check_value, format_array_value, parse_array_value, NamespaceFile,
    ValueProblem,
};
use crate::domain::policy::PropertyAccess;
use crate::server_fns::images::{property_access, ImageChange, UpdateImage};
use crate::server_fns::metadefs::image_metadata;
use leptos::prelude::*;
use serde_json::Value;

/// The definition of `key` in the loaded namespaces, if any.
fn definition(defs: &[NamespaceFile], key: &str) -> Option<Value> {
    defs.iter().find_map(|d| {
        d.properties
            .get(key)
            .or_else(|| d.objects.iter().find_map(|o| o.properties.get(key)))
            .cloned()
    })
}

/// A group of the tree: an object's name (`None` for the namespace's own properties) and its
/// properties by name.
type Group = (Option<String>, Vec<(String, Value)>);

/// A namespace's groups for the tree: its own properties, then each object's.
fn groups(ns: &NamespaceFile) -> Vec<Group> {
    let own = |m: &serde_json::Map<String, Value>| {
        m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    std::iter::once((None, own(&ns.properties)))
        .chain(
            ns.objects
                .iter()
                .map(|o| (Some(o.name.clone()), own(&o.properties))),
        )
        .filter(|(_, p): &Group| !p.is_empty())
        .collect()
}

/// A form value as the JSON value its definition expects.
fn typed(def: &Value, raw: &str) -> Result<Value, ValueProblem> {
    match def.get("type").and_then(Value::as_str).unwrap_or("string") {
        "integer" => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| ValueProblem::NotWhole),
        "number" => raw
            .trim()
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| ValueProblem::NotNumeric),
        "boolean" => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(ValueProblem::NotTrueOrFalse),
        },
        _ => Ok(Value::String(raw.to_string())),
    }
}

/// Whether `raw` matches a definition's `pattern` (the browser's own regular expressions).
fn matches_pattern(def: &Value, raw: &str) -> bool {
    let Some(pattern) = def.get("pattern").and_then(Value::as_str) else {
        return true;
    };
    #[cfg(feature = "hydrate")]
    {
        js_sys::RegExp::new(pattern, "u").test(raw)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (pattern, raw);
        true
    }
}

/// The value a newly added property starts with: its default when the definition accepts it,
/// else the first allowed value; an unchecked box (`false`) for a boolean.
fn starting_value(def: &Value) -> String {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    let default = def
        .get("default")
        .filter(|d| check_value(def, d).is_ok())
        .map(text);
    default
        .or_else(|| def.get("enum").and_then(|e| e.get(0)).map(text))
        .unwrap_or_else(|| match def.get("type").and_then(Value::as_str) {
            Some("boolean") => "false".into(),
            _ => String::new(),
        })
}

/// Why a value cannot be saved, if it cannot: the image property rules, then the definition.
fn problem(def: Option<&Value>, key: &str, raw: &str) -> Option<String> {
    let l = lang::locale();
    if let Err(e) = check_extra_value(key, raw) {
        return Some(lang::field_error(l, &e));
    }
    let def = def?;
    if def.get("type").and_then(Value::as_str) == Some("array") {
        return check_array_text(def, raw)
            .err()
            .map(|e| lang::value_problem(l, &e));
    }
    let v = match typed(def, raw) {
        Ok(v) => v,
        Err(e) => return Some(lang::value_problem(l, &e)),
    };
    if let Err(e) = check_value(def, &v) {
        return Some(lang::value_problem(l, &e));
    }
    if !matches_pattern(def, raw) {
        let p = def
            .get("pattern")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Some(fill(td_string!(l, editor.must_match), &[("pattern", &p)]));
    }
    None
}

/// The editor, opened from the image's page (its code arrives with that page's wasm chunks in
/// the split build, not with the main wasm).
#[component]
pub fn UpdateMetadata(
    image: Image,
    access: Vec<PropertyAccess>,
    version: RwSignal<u32>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let l = crate::app::lang::locale();
    let save_changes = mutation::<UpdateImage>(
        move |_| Some(td_string!(l, editor.saved).into()),
        move |_| {
            open.set(false);
            version.update(|v| *v += 1);
        },
    );
    let defs = RwSignal::new(None::<Result<Vec<NamespaceFile>, String>>);
    // The keys the operator's property protections keep from the caller (the server's decision):
    // the image's own keys come with the page, the definitions' keys are asked for once loaded.
    let original_access = access.clone();
    let access = RwSignal::new(access);
    // Loaded in the browser once mounted (effects never run on the server, where a page opened
    // directly at `?metadata=1` renders this too).
    Effect::new(move |_| {
        crate::app::browser_task(async move {
            let loaded = image_metadata().await.map_err(|e| lang::error(l, &e));
            if let Ok(list) = &loaded {
                let keys = list
                    .iter()
                    .flat_map(groups)
                    .flat_map(|(_, props)| props.into_iter().map(|(k, _)| k))
                    .collect();
                if let Ok(more) = property_access(keys).await {
                    access.update(|a| a.extend(more));
                }
            }
            defs.set(Some(loaded));
        });
    });
    // Whether the caller may add `key` (absent from the image).
    let addable = move |key: &str| access.with(|a| !a.iter().any(|x| x.key == key && !x.create));
    // The values added from the tree belong to the editor, not to the tree's render (which a
    // search re-runs and disposes).
    let owner = StoredValue::new(Owner::current().expect("the editor renders inside an owner"));
    let loaded = move || defs.get().and_then(Result::ok).unwrap_or_default();
    let original = image.properties.clone();
    let original_keys: Vec<String> = original.keys().cloned().collect();
    let original_has = move |k: &str| original_keys.iter().any(|o| o == k);
    let chosen = RwSignal::new(
        original
            .iter()
            .filter(|(k, _)| k.as_str() != "description")
            .map(|(k, v)| (k.clone(), RwSignal::new(v.clone())))
            .collect::<Vec<_>>(),
    );
    let search = RwSignal::new(String::new());
    let custom = RwSignal::new(String::new());
    let custom_refused = RwSignal::new(None::<String>);
    let add = move |key: String, def: Option<&Value>| {
        let start = def.map(starting_value).unwrap_or_default();
        if chosen.with_untracked(|c| c.iter().any(|(k, _)| *k == key)) {
            return;
        }
        let value = owner.get_value().with(|| RwSignal::new(start));
        chosen.update(|c| c.push((key, value)));
    };
    let custom_error = move || {
        if let Some(why) = custom_refused.get() {
            return Some(why);
        }
        let k = custom.get();
        let k = k.trim();
        if k.is_empty() {
            return None;
        }
        match check_key(k) {
            Ok(false) if k == "description" => Some(td_string!(l, editor.own_field).into()),
            Ok(false) => None,
            Ok(true) => Some(fill(td_string!(l, editor.base_field), &[("key", &k)])),
            Err(e) => Some(lang::field_error(l, &e)),
        }
    };
    let errors = move || {
        let d = loaded();
        chosen
            .get()
            .iter()
            .filter_map(|(k, v)| {
                problem(definition(&d, k).as_ref(), k, &v.get()).map(|p| (k.clone(), p))
            })
            .collect::<Vec<_>>()
    };
    let id = image.id.clone();
    let save = move |_| {
        if !errors().is_empty() {
            return;
        }
        let now: Vec<(String, String)> = chosen
            .get_untracked()
            .iter()
            .map(|(k, v)| (k.clone(), v.get_untracked()))
            .collect();
        let mut changes = Vec::new();
        for k in original.keys() {
            if k != "description" && !now.iter().any(|(n, _)| n == k) {
                changes.push(ImageChange::Remove(k.clone()));
            }
        }
        for (k, v) in &now {
            if original.get(k) != Some(v) {
                changes.push(ImageChange::Set(k.clone(), Value::String(v.clone())));
            }
        }
        if changes.is_empty() {
            open.set(false);
            return;
        }
        save_changes.dispatch(UpdateImage {
            id: id.clone(),
            changes,
        });
    };
    view! {
        <section class="card metadata-editor" aria-labelledby="md-edit-h">
            <h2 id="md-edit-h">{td_string!(l, editor.title)}</h2>
            <div class="md-columns">
                <div class="md-available">
                    <label for="md-search">{td_string!(l, editor.search)}</label>
                    <input id="md-search" placeholder="disk, os, cpu…" on:input=move |e| search.set(event_target_value(&e))/>
                    {move || match defs.get() {
                        None => view! { <p class="loading">{td_string!(l, editor.loading)}</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="field-error">{e}</p> }.into_any(),
                        Some(Ok(list)) => {
                            let q = search.get().to_lowercase();
                            // A property defined in several places (a namespace's own list and
                            // one of its objects, or two namespaces) is offered once, where first met.
                            let mut seen = std::collections::HashSet::new();
                            view! {
                                <ul class="md-tree" aria-label=td_string!(l, editor.available)>
                                    {list.into_iter().filter_map(|ns| {
                                        let title = ns.namespace.display_name.clone().unwrap_or_else(|| ns.namespace.namespace.clone());
                                        let in_title = title.to_lowercase().contains(&q);
                                        let hits: Vec<Group> = groups(&ns).into_iter().map(|(g, props)| {
                                            let props = props.into_iter().filter(|(k, _)| seen.insert(k.clone())).filter(|(k, p)| q.is_empty() || in_title || k.to_lowercase().contains(&q)
                                                || p.get("title").and_then(Value::as_str).is_some_and(|t| t.to_lowercase().contains(&q))).collect::<Vec<_>>();
                                            (g, props)
                                        }).filter(|(_, p)| !p.is_empty()).collect();
                                        (!hits.is_empty()).then(|| view! {
                                            <li>
                                                <details open=!q.is_empty()>
                                                    <summary>{title}</summary>
                                                    {hits.into_iter().map(|(group, props)| view! {
                                                        {group.map(|g| view! { <p class="md-object">{g}</p> })}
                                                        <ul>
                                                            {props.into_iter().map(|(k, p)| {
                                                                let label = p.get("title").and_then(Value::as_str).unwrap_or(&k).to_string();
                                                                let key = k.clone();
                                                                let taken = move || chosen.with(|c| c.iter().any(|(n, _)| *n == key));
                                                                let refused = (!addable(&k)).then_some(td_string!(l, editor.not_addable));
                                                                let (k2, p2) = (k.clone(), p.clone());
                                                                view! {
                                                                    <li>
                                                                        <button type="button" class="menu-item" aria-label=fill(td_string!(l, editor.add), &[("key", &k)])
                                                                            title=refused aria-description=refused
                                                                            disabled=move || taken() || refused.is_some() on:click=move |_| add(k2.clone(), Some(&p2))>
                                                                            {label}" "<code class="muted">{k.clone()}</code>
                                                                        </button>
                                                                    </li>
                                                                }
                                                            }).collect_view()}
                                                        </ul>
                                                    }).collect_view()}
                                                </details>
                                            </li>
                                        })
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    }}
                    <div class="field">
                        <label for="md-custom">{td_string!(l, editor.custom_key)}</label>
                        <input id="md-custom" prop:value=move || custom.get() on:input=move |e| { custom_refused.set(None); custom.set(event_target_value(&e)); }/>
                        {move || custom_error().map(|e| view! { <p class="field-error">{e}</p> })}
                        <button type="button" class="btn small" disabled=move || custom.get().trim().is_empty() || custom_error().is_some()
                            on:click=move |_| {
                                let key = custom.get_untracked().trim().to_string();
                                // The server says whether the caller may add it.
                                crate::app::browser_task(async move {
                                    match property_access(vec![key.clone()]).await {
                                        Ok(a) if a.iter().any(|x| !x.create) => custom_refused.set(Some(td_string!(l, editor.not_addable).into())),
                                        Ok(_) => { add(key, None); custom.set(String::new()); }
                                        Err(e) => custom_refused.set(Some(lang::error(l, &e))),
                                    }
                                });
                            }>{td_string!(l, editor.add_custom)}</button>
                    </div>
                </div>
                <div class="md-existing">
                    <h3>{td_string!(l, editor.image_metadata)}</h3>
                    <For each=move || chosen.get() key=|(k, _)| k.clone() let:row>
                        {
                            // A key of the image keeps the rights the page came with; a key added
                            // here was addable, so it can be set and taken back.
                            let a = original_access.iter().find(|a| a.key == row.0 && original_has(&row.0));
                            let (can_change, can_remove) = a.map(|a| (a.update, a.delete)).unwrap_or((true, true));
                            view! { <MetadataRow key=row.0 value=row.1 defs chosen can_change can_remove/> }
                        }
                    </For>
                </div>
            </div>
            <div class="toolbar">
                <button type="button" class="btn primary" disabled=move || !errors().is_empty() on:click=save>{td_string!(l, editor.save)}</button>
                <button type="button" class="btn" on:click=move |_| open.set(false)>{td_string!(l, editor.cancel)}</button>
            </div>
        </section>
    }
}

/// One property of the image in the editor: a typed input bound to its own value, so typing
/// re-renders nothing else.
#[component]
fn MetadataRow(
    key: String,
    value: RwSignal<String>,
    defs: RwSignal<Option<Result<Vec<NamespaceFile>, String>>>,
    chosen: RwSignal<Vec<(String, RwSignal<String>)>>,
    /// Whether the caller may change the value (the operator's property protections).
    can_change: bool,
    /// Whether it may remove the key.
    can_remove: bool,
) -> impl IntoView {
    let l = crate::app::lang::locale();
    let key_for_def = key.clone();
    let def = Memo::new(move |_| {
        defs.with(|d| match d {
            Some(Ok(list)) => definition(list, &key_for_def),
            _ => None,
        })
    });
    let input_id = format!(
        "md-v-{}",
        key.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    let (k_err, k_rm) = (key.clone(), key.clone());
    let error = move || problem(def.get().as_ref(), &k_err, &value.get());
    let k_label = key.clone();
    let label = Memo::new(move |_| {
        def.get()
            .and_then(|p| p.get("title").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| k_label.clone())
    });
    let id2 = input_id.clone();
    let input = move || {
        let d = def.get();
        let get = |k: &str| d.as_ref().and_then(|p| p.get(k)).cloned();
        let kind = get("type")
            .and_then(|t| t.as_str().map(str::to_string))
            .unwrap_or_else(|| "string".into());
        let readonly = !can_change || get("readonly").and_then(|v| v.as_bool()).unwrap_or(false);
        let strings = |v: Option<Value>| -> Vec<String> {
            v.and_then(|e| e.as_array().cloned())
                .map(|e| {
                    e.iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let options = strings(get("enum"));
        let id = id2.clone();
        let text = label.get();
        if kind == "array" {
            let operators = strings(get("operators"));
            let item_options = strings(get("items").and_then(|i| i.get("enum").cloned()));
            let (op, items) = parse_array_value(&value.get_untracked());
            let op = op.or_else(|| operators.first().cloned());
            let current = move || parse_array_value(&value.get());
            view! {
                <div class="md-array" id=id role="group" aria-label=fill(td_string!(l, editor.values), &[("text", &text)])>
                    {(!operators.is_empty()).then(|| view! {
                        <select aria-label=fill(td_string!(l, editor.operator), &[("text", &text)]) disabled=readonly
                            on:change=move |e| value.set(format_array_value(Some(&event_target_value(&e)), &current().1))>
                            {operators.iter().map(|o| view! { <option value=o.clone() selected=Some(o) == op.as_ref()>{o.clone()}</option> }).collect_view()}
                        </select>
                    })}
                    {if item_options.is_empty() {
                        view! {
                            <input aria-label=fill(td_string!(l, editor.items), &[("text", &text)]) disabled=readonly prop:value=items.join(",")
                                on:change=move |e| value.set(format_array_value(current().0.as_deref(), &parse_array_value(&event_target_value(&e)).1))/>
                        }.into_any()
                    } else {
                        item_options.into_iter().map(|o| {
                            let (o2, checked) = (o.clone(), items.contains(&o));
                            view! {
                                <label class="checkbox">
                                    <input type="checkbox" disabled=readonly prop:checked=checked on:change=move |e| {
                                        let (op, mut now) = current();
                                        now.retain(|x| *x != o2);
                                        if event_target_checked(&e) { now.push(o2.clone()); }
                                        value.set(format_array_value(op.as_deref(), &now));
                                    }/>
                                    {o}
                                </label>
                            }
                        }).collect_view().into_any()
                    }}
                </div>
            }.into_any()
        } else if !options.is_empty() {
            let cur = value.get_untracked();
            view! {
                <select id=id disabled=readonly on:change=move |e| value.set(event_target_value(&e))>
                    {(!options.contains(&cur)).then(|| view! { <option value=cur.clone() selected=true>{cur.clone()}</option> })}
                    {options.iter().map(|o| view! { <option value=o.clone() selected=*o == cur>{o.clone()}</option> }).collect_view()}
                </select>
            }.into_any()
        } else if kind == "boolean" {
            view! {
                <input id=id type="checkbox" disabled=readonly prop:checked=value.get_untracked() == "true"
                    on:change=move |e| value.set(if event_target_checked(&e) { "true".into() } else { "false".into() })/>
            }.into_any()
        } else if kind == "integer" || kind == "number" {
            let min = get("minimum").map(|x| x.to_string());
            let max = get("maximum").map(|x| x.to_string());
            view! {
                <input id=id type="number" disabled=readonly min=min max=max step=if kind == "integer" { "1" } else { "any" }
                    prop:value=value.get_untracked() on:input=move |e| value.set(event_target_value(&e))/>
            }.into_any()
        } else {
            view! { <input id=id disabled=readonly prop:value=value.get_untracked() on:input=move |e| value.set(event_target_value(&e))/> }.into_any()
        }
    };
    view! {
        <div class="field md-row">
            <label for=input_id>{label}" "<code class="muted">{key.clone()}</code></label>
            {input}
            <button type="button" class="btn small" aria-label=fill(td_string!(l, editor.remove_key), &[("key", &key)]) disabled=!can_remove
                title=(!can_remove).then_some(td_string!(l, editor.read_only_hint))
                on:click=move |_| chosen.update(|c| c.retain(|(n, _)| *n != k_rm))>{td_string!(l, editor.remove)}</button>
            {(!can_change).then(|| view! { <p class="hint">{td_string!(l, editor.read_only_hint)}</p> })}
            {move || error().map(|e| view! { <p class="field-error" role="alert">{format!("{key} {e}")}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_property_starts_with_a_value_its_definition_accepts() {
        let boolean = json!({"title": "Agent", "type": "boolean"});
        assert_eq!(starting_value(&boolean), "false");
        assert_eq!(
            problem(
                Some(&boolean),
                "hw_qemu_guest_agent",
                &starting_value(&boolean)
            ),
            None
        );
        let bus = json!({"title": "Bus", "type": "string", "enum": ["scsi", "virtio"]});
        assert_eq!(starting_value(&bus), "scsi");
        let cores = json!({"title": "Cores", "type": "integer", "default": 2});
        assert_eq!(starting_value(&cores), "2");
        // A default its own enum refuses (as in Glance's software-databases.json) is not used.
        let edition =
            json!({"title": "E", "type": "string", "enum": ["SE", "EE"], "default": "Express"});
        assert_eq!(starting_value(&edition), "SE");
        assert_eq!(starting_value(&json!({"title": "T", "type": "string"})), "");
    }
}
