//! Project > Images > one image: every field, tags, custom properties, and a Download button
//! that streams the data from the image API.

use crate::app::components::{ErrorBox, PageHeader};
use crate::app::pages::images::{short_time, StatusBadge};
use crate::domain::image::human_size;
use crate::server_fns::images::get_image;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The details page.
#[component]
pub fn ImagePage() -> impl IntoView {
    let params = use_params_map();
    let image = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_image,
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading image…"</p> }>
            {move || Suspend::new(async move {
                match image.await {
                    Err(e) => view! { <PageHeader title="Image"/><ErrorBox error=e/> }.into_any(),
                    Ok(img) => {
                        let title = img.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| img.id.to_string());
                        let download = format!("/image/v2/images/{}/file", img.id);
                        let has_data = img.size.is_some();
                        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
                        let size = |v: Option<i64>| v.map(|b| format!("{} ({b} bytes)", human_size(b))).unwrap_or_else(|| "—".into());
                        view! {
                            <PageHeader title=title.clone() subtitle="Image details"/>
                            <div class="toolbar">
                                <a class="btn" href="/project/images">"« All images"</a>
                                {has_data.then(|| view! { <a class="btn primary" href=download download=title.clone()>"Download"</a> })}
                            </div>
                            <div class="cards">
                                <section class="card" aria-labelledby="overview-h">
                                    <h2 id="overview-h">"Overview"</h2>
                                    <dl class="facts">
                                        <dt>"ID"</dt><dd><code>{img.id.to_string()}</code></dd>
                                        <dt>"Name"</dt><dd>{opt(&img.name)}</dd>
                                        <dt>"Status"</dt><dd><StatusBadge status=img.status/></dd>
                                        <dt>"Owner project"</dt><dd><code>{img.owner.as_ref().map(|o| o.to_string()).unwrap_or_default()}</code></dd>
                                        <dt>"Visibility"</dt><dd>{img.visibility.as_str()}</dd>
                                        <dt>"Protected"</dt><dd>{if img.protected { "Yes" } else { "No" }}</dd>
                                        <dt>"Hidden"</dt><dd>{if img.os_hidden { "Yes" } else { "No" }}</dd>
                                        <dt>"Created"</dt><dd>{short_time(&img.created_at)}</dd>
                                        <dt>"Updated"</dt><dd>{short_time(&img.updated_at)}</dd>
                                    </dl>
                                </section>
                                <section class="card" aria-labelledby="data-h">
                                    <h2 id="data-h">"Data"</h2>
                                    <dl class="facts">
                                        <dt>"Size"</dt><dd>{size(img.size)}</dd>
                                        <dt>"Virtual size"</dt><dd>{size(img.virtual_size)}</dd>
                                        <dt>"Disk format"</dt><dd>{opt(&img.disk_format)}</dd>
                                        <dt>"Container format"</dt><dd>{opt(&img.container_format)}</dd>
                                        <dt>"Min disk"</dt><dd>{format!("{} GB", img.min_disk)}</dd>
                                        <dt>"Min RAM"</dt><dd>{format!("{} MB", img.min_ram)}</dd>
                                        <dt>"Checksum (MD5)"</dt><dd><code>{opt(&img.checksum)}</code></dd>
                                        <dt>"Hash algorithm"</dt><dd>{opt(&img.os_hash_algo)}</dd>
                                        <dt>"Hash value"</dt><dd><code class="hash">{opt(&img.os_hash_value)}</code></dd>
                                    </dl>
                                </section>
                                <section class="card" aria-labelledby="meta-h">
                                    <h2 id="meta-h">"Tags and properties"</h2>
                                    <p>
                                        {if img.tags.is_empty() {
                                            view! { <span class="muted">"No tags."</span> }.into_any()
                                        } else {
                                            img.tags.iter().map(|t| view! { <span class="badge role">{t.clone()}</span> }).collect_view().into_any()
                                        }}
                                    </p>
                                    <dl class="facts">
                                        {img
                                            .properties
                                            .iter()
                                            .map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> })
                                            .collect_view()}
                                    </dl>
                                </section>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
