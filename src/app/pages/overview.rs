//! Project > Overview: who you are, where you are, and how to reach the APIs from the clients.

use crate::app::components::PageHeader;
use crate::app::i18n::td_string;
#[allow(unused_imports)]
use crate::app::lang::{self, fill};
use crate::app::layout::use_session;
use leptos::prelude::*;

/// The landing page after login.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let l = lang::locale();
    let s = use_session();
    let roles: Vec<&'static str> = s.roles.iter().map(|r| r.name()).collect();
    let auth_url = format!("{}/identity/v3", s.public_url);
    let image_url = format!("{}/image", s.public_url);
    let openrc = format!(
        "export OS_AUTH_URL={auth_url}\nexport OS_USERNAME={}\nexport OS_PROJECT_NAME={}\nexport OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\nexport OS_IDENTITY_API_VERSION=3\nread -rsp 'Password: ' OS_PASSWORD && export OS_PASSWORD",
        s.user_name, s.project_name
    );
    view! {
        <PageHeader title=td_string!(l, overview.title) subtitle=fill(td_string!(l, overview.project_name), &[("name", &s.project_name)])/>
        <div class="cards">
            <section class="card" aria-labelledby="access-h">
                <h2 id="access-h">{td_string!(l, overview.your_access)}</h2>
                <dl class="facts">
                    <dt>{td_string!(l, overview.user)}</dt>
                    <dd>{s.user_name.clone()}</dd>
                    <dt>{td_string!(l, overview.project)}</dt>
                    <dd>{s.project_name.clone()}</dd>
                    <dt>{td_string!(l, overview.project_id)}</dt>
                    <dd>
                        <code>{s.project_id.clone()}</code>
                    </dd>
                    <dt>{td_string!(l, overview.roles)}</dt>
                    <dd>{roles.into_iter().map(|r| view! { <span class="badge role">{r}</span> }).collect_view()}</dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="api-h">
                <h2 id="api-h">{td_string!(l, overview.api_access)}</h2>
                <p class="muted">{td_string!(l, overview.clients_work)}</p>
                <dl class="facts">
                    <dt>{td_string!(l, overview.auth_url)}</dt>
                    <dd>
                        <code>{auth_url}</code>
                    </dd>
                    <dt>{td_string!(l, overview.image_api)}</dt>
                    <dd>
                        <code>{image_url}</code>
                    </dd>
                </dl>
                <h3>"openrc"</h3>
                <pre class="code" aria-label="openrc">{openrc}</pre>
            </section>
        </div>
    }
}
