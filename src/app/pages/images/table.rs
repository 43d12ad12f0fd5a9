//! The images table and what hangs off it: sortable headers, each row's actions (greyed out
//! with the server's reason), live status of images that are changing, and the batch bar.

use super::*;
use crate::app::i18n::td_string;

#[component]
pub(super) fn SortHeader(key: &'static str, label: &'static str) -> impl IntoView {
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
    // aria-sort takes ARIA's own tokens, never translated.
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
pub(super) fn ImagesTable(
    page: crate::server_fns::images::ImagePage,
    selected: RwSignal<Vec<Selected>>,
    confirming: RwSignal<bool>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let query = use_query_map();
    let l = lang::locale();
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
        view! { <td class="nowrap" title=fill(td_string!(l, table.project_id), &[("id", &id)])>{name}</td> }
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
                        (0, _) => td_string!(l, table.none_match).to_string(),
                        (n, t) if t > TOTAL_CAP => fill(td_string!(l, table.more_than), &[("n", &n), ("cap", &TOTAL_CAP)]),
                        (n, t) if n as i64 >= t => fill(if t == 1 { td_string!(l, table.total_one) } else { td_string!(l, table.total_many) }, &[("n", &t)]),
                        (n, t) => fill(td_string!(l, table.n_of_t), &[("n", &n), ("t", &t)]),
                    }}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" class="select"><span class="sr-only">{td_string!(l, table.select)}</span></th>
                        <th scope="col">{td_string!(l, table.owner)}</th>
                        <SortHeader key="name" label=td_string!(l, table.name)/>
                        <th scope="col">{td_string!(l, table.kind)}</th>
                        <SortHeader key="status" label=td_string!(l, images.status)/>
                        <th scope="col">{td_string!(l, images.visibility)}</th>
                        <th scope="col">{td_string!(l, images.protected)}</th>
                        <SortHeader key="disk_format" label=td_string!(l, table.disk_format_col)/>
                        <SortHeader key="size" label=td_string!(l, table.size)/>
                        <SortHeader key="created_at" label=td_string!(l, table.created)/>
                        <th scope="col"><span class="sr-only">{td_string!(l, table.actions)}</span></th>
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
                                            aria-label=fill(td_string!(l, table.select_row), &[("name", &name)])
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
                                    <td class="nowrap">{image_type(l, img)}</td>
                                    <td>
                                        <LiveStatus id=img.id.clone() status=img.status/>
                                    </td>
                                    <td>{lang::visibility(l, img.visibility.as_str())}</td>
                                    <td>{if img.protected { td_string!(l, images.yes) } else { td_string!(l, images.no) }}</td>
                                    <td>{img.disk_format.clone().unwrap_or_default()}</td>
                                    <td class="num nowrap">{img.size.map(|b| lang::size(l, b)).unwrap_or_default()}</td>
                                    <td class="nowrap">{short_time(l, &img.created_at)}</td>
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
        <nav class="pager" aria-label=td_string!(l, table.pages)>
            <span class="muted">{td_string!(l, table.per_page)}</span>
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
            {move || (!on_first()).then(|| view! { <a class="btn small" href=with(&query.get(), "marker", None)>{td_string!(l, table.first)}</a> })}
            {prev.map(|m| {
                view! {
                    <a class="btn small" rel="prev" href=move || {
                        let mut q = query.get();
                        q.remove("marker");
                        q.replace("before", m.clone());
                        format!("{}{}", base(), q.to_query_string())
                    }>{td_string!(l, table.prev)}</a>
                }
            })}
            {next.map(|m| {
                view! {
                    <a class="btn small" rel="next" href=move || {
                        let mut q = query.get();
                        q.remove("before");
                        q.replace("marker", m.clone());
                        format!("{}{}", base(), q.to_query_string())
                    }>{td_string!(l, table.next)}</a>
                }
            })}
        </nav>
    }
}

/// One row's actions, each decided by the domain policy for this image and the caller (the same
/// function as the details page); an action the caller cannot take is disabled with the reason.
#[component]
pub(super) fn RowActions(
    image: Image,
    why: Unavailable,
    row: Selected,
    selected: RwSignal<Vec<Selected>>,
    confirming: RwSignal<bool>,
    version: RwSignal<u32>,
) -> impl IntoView {
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
    let l = lang::locale();
    let link =
        |label: &'static str, href: String, why_not: Option<Reason>, download: Option<String>| {
            match why_not {
                None => view! {
                    <a class="menu-item" href=href download=download>{label}</a>
                }
                .into_any(),
                Some(why) => disabled_item(label, why),
            }
        };
    let toggle_id = image.id.clone();
    let set_active = mutation::<SetImageActive>(
        move |_| {
            Some(
                if deactivated {
                    td_string!(l, table.reactivated)
                } else {
                    td_string!(l, table.deactivated)
                }
                .to_string(),
            )
        },
        move |_| version.update(|v| *v += 1),
    );
    let toggle = move |_| {
        close();
        set_active.dispatch(SetImageActive {
            id: toggle_id.clone(),
            active: deactivated,
        });
    };
    let delete = move |_| {
        close();
        selected.set(vec![row.clone()]);
        confirming.set(true);
    };
    let activate_label = if deactivated {
        td_string!(l, table.reactivate)
    } else {
        td_string!(l, table.deactivate)
    };
    let name = image.name.clone().unwrap_or_else(|| id.clone());
    view! {
        <details class="row-menu" node_ref=menu on:toggle=move |_| {
            opened.set(menu.get_untracked().is_some_and(|d| d.open()));
        }>
            <summary aria-label=fill(td_string!(l, table.actions_for), &[("name", &name)])>{td_string!(l, table.actions)}</summary>
            // Built when first opened: twenty closed menus cost the server render nothing.
            {move || opened.get().then(|| {
                let why = why.clone();
                view! {
                    <div class="menu">
                        {link(td_string!(l, table.edit), format!("/project/images/{id}?edit=1"), why.modify.clone(), None)}
                        {link(td_string!(l, table.update_metadata), format!("/project/images/{id}?metadata=1"), why.modify, None)}
                        {link(td_string!(l, table.manage_members), format!("/project/images/{id}#members"), why.members, None)}
                        {link(td_string!(l, table.download), format!("/image/v2/images/{id}/file"), why.download, Some(file_name.clone()))}
                        {match why.activate {
                            None => view! { <button type="button" class="menu-item" on:click=toggle.clone()>{activate_label}</button> }.into_any(),
                            Some(w) => disabled_item(activate_label, w),
                        }}
                        {match why.delete {
                            None => view! { <button type="button" class="menu-item danger" on:click=delete.clone()>{td_string!(l, table.delete)}</button> }.into_any(),
                            Some(w) => disabled_item(td_string!(l, table.delete), w),
                        }}
                    </div>
                }
            })}
        </details>
    }
}

/// A menu entry the caller cannot use: disabled, with the policy's reason under its label.
pub(super) fn disabled_item(label: &'static str, why: Reason) -> AnyView {
    let why = lang::decision(lang::locale(), &why);
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

/// The status of one row, kept current by the session's live events (no polling): the table is
/// not reloaded for a status change, so selection and scroll stay.
#[component]
pub(super) fn LiveStatus(id: ImageId, status: ImageStatus) -> impl IntoView {
    let current = RwSignal::new(status);
    if let Some(live) = use_context::<crate::app::layout::LiveEvents>() {
        live.watch(move |e| {
            if let Some(e) = e.filter(|e| e.image_id == id) {
                current.set(e.status);
            }
        });
    }
    view! { {move || view! { <StatusBadge status=current.get()/> }} }
}

/// Selected rows and the batch delete: a confirmation that names every image, explains the
/// protected ones (unprotect them first) instead of skipping them silently, and reports each result.
#[component]
pub(super) fn BatchBar(
    selected: RwSignal<Vec<Selected>>,
    confirming: RwSignal<bool>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let l = lang::locale();
    let results = RwSignal::new(Vec::<(String, Result<(), String>)>::new());
    // What the confirmed batch holds: protected images are kept without asking the server.
    let sent = RwSignal::new(Vec::<Selected>::new());
    let delete = mutation::<DeleteImages>(
        move |out| {
            let total = sent.with_untracked(|s| s.len());
            let deleted = out.iter().filter(|r| r.1.is_ok()).count();
            Some(fill(
                td_string!(l, table.deleted_n),
                &[("deleted", &deleted), ("total", &total)],
            ))
        },
        move |out| {
            let named = sent.get_untracked().into_iter().map(|s| {
                let r = if s.protected {
                    Err(td_string!(l, table.protected_first).to_string())
                } else {
                    out.iter()
                        .find(|(id, _)| id.as_str() == s.id)
                        .map(|(_, r)| r.clone())
                        .unwrap_or_else(|| Err(td_string!(l, table.not_sent).into()))
                };
                (s.name, r)
            });
            results.set(named.collect());
            selected.set(vec![]);
            version.update(|v| *v += 1);
        },
    );
    let run = move || {
        let chosen = selected.get_untracked();
        confirming.set(false);
        let ids = chosen
            .iter()
            .filter(|s| !s.protected)
            .filter_map(|s| ImageId::parse(&s.id).ok())
            .collect();
        sent.set(chosen);
        delete.dispatch(DeleteImages { ids });
    };
    view! {
        {move || {
            let list = selected.get();
            (!list.is_empty()).then(|| view! {
                <div class="batch" role="region" aria-label=td_string!(l, table.selected_region)>
                    <span>{fill(td_string!(l, table.n_selected), &[("n", &list.len())])}</span>
                    <button class="btn danger" on:click=move |_| confirming.set(true)>{td_string!(l, table.delete_selected)}</button>
                    <button class="btn" on:click=move |_| selected.set(vec![])>{td_string!(l, table.clear_selection)}</button>
                </div>
            })
        }}
        {move || confirming.get().then(|| {
            let list = selected.get();
            view! {
                <ConfirmDialog label=td_string!(l, table.confirm_delete) on_cancel=move || confirming.set(false)>
                    <div>
                        <p>{match list.len() {
                            1 => td_string!(l, table.delete_one).to_string(),
                            n => fill(td_string!(l, table.delete_many), &[("n", &n)]),
                        }}</p>
                        <ul>
                            {list.into_iter().map(|s| view! {
                                <li>{s.name.clone()}{s.protected.then_some(td_string!(l, table.kept_protected))}</li>
                            }).collect_view()}
                        </ul>
                    </div>
                    <button class="btn danger" on:click=move |_| run()>{td_string!(l, table.delete_images)}</button>
                    <button class="btn" on:click=move |_| confirming.set(false)>{td_string!(l, table.cancel)}</button>
                </ConfirmDialog>
            }
        })}
        {move || {
            let r = results.get();
            (!r.is_empty()).then(|| view! {
                <section class="card" aria-label=td_string!(l, table.results)>
                    <ul class="results">
                        {r.into_iter().map(|(name, res)| match res {
                            Ok(()) => view! { <li class="ok">{fill(td_string!(l, table.deleted_row), &[("name", &name)])}</li> }.into_any(),
                            Err(e) => view! { <li class="err">{fill(td_string!(l, table.not_deleted_row), &[("name", &name), ("why", &e)])}</li> }.into_any(),
                        }).collect_view()}
                    </ul>
                    <button class="btn small" on:click=move |_| results.set(vec![])>{td_string!(l, table.dismiss)}</button>
                </section>
            })
        }}
    }
}
