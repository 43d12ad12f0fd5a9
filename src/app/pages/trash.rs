//! Admin > Trash: deleted images that keep their data until the scrubber runs (delayed delete),
//! with Restore and Delete now. Glance can only restore from the command line.

use crate::app::components::{mutation, short_time, ConfirmDialog, ErrorBox, PageHeader};
use crate::domain::ids::ImageId;
use crate::domain::image::human_size;
use crate::server_fns::trash::{list_trash, PurgeImage, RestoreImage, TrashItem, TrashPage};
use leptos::prelude::*;

/// The Trash page.
#[component]
pub fn TrashPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let trash = Resource::new(move || version.get(), |_| list_trash());
    view! {
        <PageHeader title="Trash" subtitle="Deleted images whose data has not been removed yet."/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
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
fn wait_words(seconds: u64) -> String {
    let (n, unit) = match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3600 && s % 3600 == 0 => (s / 3600, "hour"),
        s if s >= 60 && s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[component]
fn TrashTable(page: TrashPage, version: RwSignal<u32>) -> impl IntoView {
    let refresh = move |_: &()| version.update(|v| *v += 1);
    let restore = mutation::<RestoreImage>(|_| Some("The image was restored.".into()), refresh);
    let purge = mutation::<PurgeImage>(|_| Some("The image's data was removed.".into()), refresh);
    // The image waiting for "Delete now" to be confirmed.
    let confirming: RwSignal<Option<(ImageId, String)>> = RwSignal::new(None);
    let explain = if page.delayed_delete {
        format!(
            "Delayed delete is on: a deleted image keeps its data for {} before the scrubber removes it. Restore brings it back with its data, members, tags and properties.",
            wait_words(page.scrub_time)
        )
    } else {
        "Delayed delete is off: deleted images lose their data at once. Images listed here were deleted while it was on.".to_string()
    };
    let count = page.items.len();
    view! {
        <p class="muted intro">{explain}</p>
        <section class="card" aria-labelledby="trash-h">
            <h2 id="trash-h">{format!("Waiting for the scrubber ({count})")}</h2>
            {if page.items.is_empty() {
                view! { <p class="muted">"The trash is empty."</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Owner"</th>
                                <th scope="col">"Size"</th>
                                <th scope="col">"Deleted"</th>
                                <th scope="col">"Data removed after"</th>
                                <th scope="col">"Actions"</th>
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
            <ConfirmDialog label=format!("Remove the data of {name} now?") on_cancel=move || confirming.set(None)>
                <div>
                    <p>{format!("Remove the data of {name} now? It cannot be restored afterwards.")}</p>
                </div>
                <button class="btn danger" on:click=move |_| {
                    purge.dispatch(PurgeImage { id: id.clone() });
                    confirming.set(None);
                }>"Delete now"</button>
                <button class="btn" on:click=move |_| confirming.set(None)>"Cancel"</button>
            </ConfirmDialog>
        })}
    }
}

fn row(
    item: TrashItem,
    restore: ServerAction<RestoreImage>,
    confirming: RwSignal<Option<(ImageId, String)>>,
) -> impl IntoView {
    let img = item.pending.image;
    let name = img.name.clone().unwrap_or_else(|| img.id.to_string());
    let (id, id2, name2) = (img.id.clone(), img.id.clone(), name.clone());
    view! {
        <tr>
            <th scope="row">{name.clone()}<small class="image-id">{img.id.to_string()}</small></th>
            <td>{item.owner_name}</td>
            <td class="nowrap">{img.size.map(human_size).unwrap_or_else(|| "-".into())}</td>
            <td>{short_time(&item.pending.deleted_at)}</td>
            <td>{short_time(&item.pending.scrub_after)}</td>
            <td>
                <div class="row-actions">
                    <button class="btn small" aria-label=format!("Restore {name}")
                        on:click=move |_| { restore.dispatch(RestoreImage { id: id.clone() }); }>"Restore"</button>
                    <button class="btn small danger" aria-label=format!("Delete {name} now")
                        on:click=move |_| confirming.set(Some((id2.clone(), name2.clone())))>"Delete now"</button>
                </div>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::wait_words;

    #[test]
    fn waits_are_worded_in_the_largest_whole_unit() {
        assert_eq!(wait_words(0), "0 seconds");
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(90), "90 seconds");
        assert_eq!(wait_words(3600), "1 hour");
        assert_eq!(wait_words(7200), "2 hours");
        assert_eq!(wait_words(86_400 * 3), "3 days");
    }
}
