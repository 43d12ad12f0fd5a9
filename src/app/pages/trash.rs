//! Admin > Trash: deleted images that keep their data until the scrubber runs (delayed delete),
//! with Restore and Delete now. Glance can only restore from the command line.

use crate::app::components::{mutation, short_time, ConfirmDialog, ErrorBox, PageHeader};
use crate::app::i18n::{td_string, Locale};
use crate::app::lang::{self, fill};
use crate::domain::ids::ImageId;
use crate::server_fns::trash::{list_trash, PurgeImage, RestoreImage, TrashItem, TrashPage};
use leptos::prelude::*;

/// The Trash page.
#[component]
pub fn TrashPage() -> impl IntoView {
    let l = lang::locale();
    let version = RwSignal::new(0u32);
    let trash = Resource::new(move || version.get(), |_| list_trash());
    view! {
        <PageHeader title=td_string!(l, trash.title) subtitle=td_string!(l, trash.subtitle)/>
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, trash.loading)}</p> }>
            {move || Suspend::new(async move {
                match trash.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(page) => view! { <TrashTable page version/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "1 hour", "2 days", "30 seconds": how long deletions wait.
fn wait_words(l: Locale, seconds: u64) -> String {
    let (n, one, many) = match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (
            s / 86_400,
            td_string!(l, trash.day),
            td_string!(l, trash.days),
        ),
        s if s >= 3600 && s % 3600 == 0 => (
            s / 3600,
            td_string!(l, trash.hour),
            td_string!(l, trash.hours),
        ),
        s if s >= 60 && s % 60 == 0 => (
            s / 60,
            td_string!(l, trash.minute),
            td_string!(l, trash.minutes),
        ),
        s => (s, td_string!(l, trash.second), td_string!(l, trash.seconds)),
    };
    fill(if n == 1 { one } else { many }, &[("n", &n)])
}

#[component]
fn TrashTable(page: TrashPage, version: RwSignal<u32>) -> impl IntoView {
    let l = lang::locale();
    let refresh = move |_: &()| version.update(|v| *v += 1);
    let restore =
        mutation::<RestoreImage>(move |_| Some(td_string!(l, trash.restored).into()), refresh);
    let purge = mutation::<PurgeImage>(move |_| Some(td_string!(l, trash.purged).into()), refresh);
    // The image waiting for "Delete now" to be confirmed.
    let confirming: RwSignal<Option<(ImageId, String)>> = RwSignal::new(None);
    let explain = if page.delayed_delete {
        fill(
            td_string!(l, trash.on),
            &[("wait", &wait_words(l, page.scrub_time))],
        )
    } else {
        { td_string!(l, trash.off) }.to_string()
    };
    let count = page.items.len();
    view! {
        <p class="muted intro">{explain}</p>
        <section class="card" aria-labelledby="trash-h">
            <h2 id="trash-h">{fill(td_string!(l, trash.waiting), &[("n", &count)])}</h2>
            {if page.items.is_empty() {
                view! { <p class="muted">{td_string!(l, trash.empty)}</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead>
                            <tr>
                                <th scope="col">{td_string!(l, trash.name)}</th>
                                <th scope="col">{td_string!(l, trash.owner)}</th>
                                <th scope="col">{td_string!(l, trash.size)}</th>
                                <th scope="col">{td_string!(l, trash.deleted)}</th>
                                <th scope="col">{td_string!(l, trash.removed_after)}</th>
                                <th scope="col">{td_string!(l, trash.actions)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page.items.into_iter().map(|item| row(item, restore, confirming)).collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
        {move || confirming.get().map(|(id, name)| view! {
            <ConfirmDialog label=fill(td_string!(l, trash.confirm), &[("name", &name)]) on_cancel=move || confirming.set(None)>
                <div>
                    <p>{fill(td_string!(l, trash.confirm_long), &[("name", &name)])}</p>
                </div>
                <button class="btn danger" on:click=move |_| {
                    purge.dispatch(PurgeImage { id: id.clone() });
                    confirming.set(None);
                }>{td_string!(l, trash.delete_now)}</button>
                <button class="btn" on:click=move |_| confirming.set(None)>{td_string!(l, trash.cancel)}</button>
            </ConfirmDialog>
        })}
    }
}

fn row(
    item: TrashItem,
    restore: ServerAction<RestoreImage>,
    confirming: RwSignal<Option<(ImageId, String)>>,
) -> impl IntoView {
    let l = lang::locale();
    let img = item.pending.image;
    let name = img.name.clone().unwrap_or_else(|| img.id.to_string());
    let (id, id2, name2) = (img.id.clone(), img.id.clone(), name.clone());
    view! {
        <tr>
            <th scope="row">{name.clone()}<small class="image-id">{img.id.to_string()}</small></th>
            <td>{item.owner_name}</td>
            <td class="nowrap">{img.size.map(|b| lang::size(l, b)).unwrap_or_else(|| "-".into())}</td>
            <td>{short_time(l, &item.pending.deleted_at)}</td>
            <td>{short_time(l, &item.pending.scrub_after)}</td>
            <td>
                <div class="row-actions">
                    <button class="btn small" aria-label=fill(td_string!(l, trash.restore_name), &[("name", &name)])
                        on:click=move |_| { restore.dispatch(RestoreImage { id: id.clone() }); }>{td_string!(l, trash.restore)}</button>
                    <button class="btn small danger" aria-label=fill(td_string!(l, trash.delete_name_now), &[("name", &name)])
                        on:click=move |_| confirming.set(Some((id2.clone(), name2.clone())))>{td_string!(l, trash.delete_now)}</button>
                </div>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::wait_words;
    use crate::app::i18n::Locale;

    #[test]
    fn waits_are_worded_in_the_largest_whole_unit() {
        assert_eq!(wait_words(Locale::en, 0), "0 seconds");
        assert_eq!(wait_words(Locale::en, 1), "1 second");
        assert_eq!(wait_words(Locale::en, 90), "90 seconds");
        assert_eq!(wait_words(Locale::en, 3600), "1 hour");
        assert_eq!(wait_words(Locale::en, 7200), "2 hours");
        assert_eq!(wait_words(Locale::en, 86_400 * 3), "3 days");
        assert_eq!(wait_words(Locale::de, 86_400 * 3), "3 Tage");
        assert_eq!(wait_words(Locale::zh, 60), "1 分钟");
    }
}
