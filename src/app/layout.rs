//! The logged-in frame: top bar (product, project switcher, user and logout), side navigation
//! (Project; Identity for admins only) and the page outlet. Anonymous visitors go to /login.

use crate::app::components::ErrorBox;
use crate::server_fns::auth::{current_session, Logout, SessionInfo, SwitchProject};
use crate::server_fns::AppError;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

/// Loads the session; renders the frame, or redirects to the login page.
#[component]
pub fn Shell() -> impl IntoView {
    let session = Resource::new_blocking(|| (), |_| current_session());
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(info)) => view! { <Frame info/> }.into_any(),
                    Ok(None) | Err(AppError::Unauthenticated) => {
                        let here = location.pathname.get_untracked();
                        let to = if here == "/" || here.is_empty() {
                            "/login".to_string()
                        } else {
                            format!("/login?next={here}")
                        };
                        view! { <Redirect path=to/> }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(info: SessionInfo) -> impl IntoView {
    provide_context(info.clone());
    let pending = RwSignal::new(info.pending_shares);
    provide_context(PendingShares(pending));
    let is_admin = info.is_admin();
    view! {
        <div class="frame">
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="logo" aria-hidden="true">"◐"</span>
                    "Glimpse"
                </a>
                <ProjectSwitcher info=info.clone()/>
                <div class="spacer"></div>
                <UserMenu name=info.user_name.clone()/>
            </header>
            <div class="body">
                <nav class="sidenav" aria-label="Main">
                    <div class="nav-section">
                        <h2>"Project"</h2>
                        <A href="/project" exact=true>"Overview"</A>
                        <A href="/project/images">"Images"</A>
                        <A href="/project/shared">
                            "Shared with me"
                            {move || {
                                let n = pending.get();
                                (n > 0).then(|| view! { <span class="count" aria-label=format!("{n} pending")>{n}</span> })
                            }}
                        </A>
                    </div>
                    {is_admin
                        .then(|| {
                            view! {
                                <div class="nav-section">
                                    <h2>"Admin"</h2>
                                    <A href="/admin/images">"All Images"</A>
                                    <A href="/admin/metadefs">"Metadata Definitions"</A>
                                    <A href="/admin/stores">"Stores"</A>
                                    <A href="/admin/trash">"Trash"</A>
                                </div>
                                <div class="nav-section">
                                    <h2>"Identity"</h2>
                                    <A href="/accounts/projects">"Projects"</A>
                                    <A href="/accounts/users">"Users"</A>
                                </div>
                            }
                        })}
                </nav>
                <main class="content">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

#[component]
fn ProjectSwitcher(info: SessionInfo) -> impl IntoView {
    let switch = ServerAction::<SwitchProject>::new();
    let current = info.project_id.clone();
    let toasts = crate::app::components::use_toasts();
    Effect::new(move |_| match switch.value().get() {
        // Everything on the page belongs to the old project: load it afresh.
        Some(Ok(())) => {
            let _ = window().location().reload();
        }
        Some(Err(e)) => toasts.push(crate::app::components::ToastKind::Error, e.to_string()),
        None => {}
    });
    view! {
        <div class="project-switcher">
            <label for="project-switcher">"Project"</label>
            <select
                id="project-switcher"
                on:change=move |ev| {
                    if let Ok(project_id) = event_target_value(&ev).parse() {
                        switch.dispatch(SwitchProject { project_id });
                    }
                }
            >
                {info
                    .projects
                    .into_iter()
                    .map(|p| {
                        let selected = p.id == current;
                        view! {
                            <option value=p.id selected=selected>
                                {p.name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
fn UserMenu(name: String) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="user-menu">
            <span class="user-name" title="Logged in as">
                {name}
            </span>
            <ActionForm action=logout>
                <button type="submit" class="btn ghost">
                    "Log out"
                </button>
            </ActionForm>
        </div>
    }
}

/// The count of pending shares in the navigation; the Shared with me page updates it after each
/// answer.
#[derive(Debug, Clone, Copy)]
pub struct PendingShares(pub RwSignal<usize>);

/// The logged-in user's session, for pages inside the frame.
pub fn use_session() -> SessionInfo {
    expect_context::<SessionInfo>()
}
