//! Admin > Stores: each configured image store, its kind, and how many images and bytes it
//! holds (the settings file names the stores; secrets are never shown).

use crate::app::components::{ErrorBox, PageHeader};
use crate::domain::image::human_size;
use crate::server_fns::stores::store_overview;
use leptos::prelude::*;

/// The Stores page.
#[component]
pub fn StoresPage() -> impl IntoView {
    let stores = Resource::new(|| (), |_| store_overview());
    view! {
        <PageHeader title="Stores" subtitle="Where image data is kept. The settings file names the stores."/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match stores.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => view! {
                        <section class="card" aria-labelledby="stores-h">
                            <h2 id="stores-h">{format!("Stores ({})", list.len())}</h2>
                            <table class="data">
                                <thead>
                                    <tr>
                                        <th scope="col">"Store"</th>
                                        <th scope="col">"Kind"</th>
                                        <th scope="col">"Description"</th>
                                        <th scope="col">"Images"</th>
                                        <th scope="col">"Data"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|st| view! {
                                        <tr>
                                            <th scope="row">{st.id.clone()}{st.default.then(|| view! { <span class="badge ok default-store">"default"</span> })}</th>
                                            <td>{st.kind.clone()}</td>
                                            <td>{st.description.clone().unwrap_or_default()}</td>
                                            <td>{st.images}</td>
                                            <td class="nowrap">{human_size(st.bytes)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
