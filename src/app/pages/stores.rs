//! Admin > Stores: each configured image store, its kind, and how many images and bytes it
//! holds (the settings file names the stores; secrets are never shown).

use crate::app::components::{ErrorBox, PageHeader};
use crate::app::i18n::td_string;
#[allow(unused_imports)]
use crate::app::lang::{self, fill};
use crate::server_fns::stores::store_overview;
use leptos::prelude::*;

/// The Stores page.
#[component]
pub fn StoresPage() -> impl IntoView {
    let l = lang::locale();
    let stores = Resource::new(|| (), |_| store_overview());
    view! {
        <PageHeader title=td_string!(l, stores.title) subtitle=td_string!(l, stores.subtitle)/>
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, stores.loading)}</p> }>
            {move || Suspend::new(async move {
                match stores.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => view! {
                        <section class="card" aria-labelledby="stores-h">
                            <h2 id="stores-h">{fill(td_string!(l, stores.count), &[("n", &list.len())])}</h2>
                            <table class="data">
                                <thead>
                                    <tr>
                                        <th scope="col">{td_string!(l, stores.store)}</th>
                                        <th scope="col">{td_string!(l, stores.kind)}</th>
                                        <th scope="col">{td_string!(l, stores.description)}</th>
                                        <th scope="col">{td_string!(l, stores.images)}</th>
                                        <th scope="col">{td_string!(l, stores.data)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|st| view! {
                                        <tr>
                                            <th scope="row">{st.id.clone()}{st.default.then(|| view! { <span class="badge ok default-store">"default"</span> })}</th>
                                            <td>{st.kind.clone()}</td>
                                            <td>{st.description.clone().unwrap_or_default()}</td>
                                            <td>{st.images}</td>
                                            <td class="nowrap">{lang::size(l, st.bytes)}</td>
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
