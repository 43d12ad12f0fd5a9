//! The logged-in frame: top bar (product, project switcher, user and logout), side navigation
//! (Project; Identity for admins only) and the page outlet. Anonymous visitors go to /login.

use crate::app::components::ErrorBox;
use crate::app::i18n::td_string;
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
    let l = crate::app::lang::locale();
    view! {
        <Suspense fallback=move || view! { <div class="loading">{td_string!(l, loading)}</div> }>
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
    let live = LiveEvents {
        last: RwSignal::new(None),
        resync: RwSignal::new(0),
    };
    provide_context(live);
    // Logging out closes the event stream first: once the session has ended, its reconnection
    // would only be refused (401).
    #[cfg(feature = "hydrate")]
    provide_context(LiveSource(StoredValue::new_local(None)));
    let my_project = info.project_id.clone();
    // A share offered to (or withdrawn from) this project changes the count in the navigation.
    Effect::new(move |_| {
        let Some(e) = live.last.get() else { return };
        if e.event_type.starts_with("image.member.") && e.member.as_deref() == Some(&my_project) {
            crate::app::browser_task(async move {
                if let Ok(Some(info)) = current_session().await {
                    pending.set(info.pending_shares);
                }
            });
        }
    });
    subscribe(live);
    let is_admin = info.is_admin();
    let l = crate::app::lang::locale();
    view! {
        <div class="frame">
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="logo" aria-hidden="true">"◐"</span>
                    "Glimpse"
                </a>
                <ProjectSwitcher info=info.clone()/>
                <div class="spacer"></div>
                <crate::app::lang::LanguagePicker/>
                <UserMenu name=info.user_name.clone()/>
            </header>
            <div class="body">
                <nav class="sidenav" aria-label=move || td_string!(l, nav.main)>
                    <div class="nav-section">
                        <h2>{td_string!(l, nav.project)}</h2>
                        <A href="/project" exact=true>{td_string!(l, nav.overview)}</A>
                        <A href="/project/images">{td_string!(l, nav.images)}</A>
                        <A href="/project/shared">
                            {td_string!(l, nav.shared)}
                            {move || {
                                let n = pending.get();
                                (n > 0).then(|| view! { <span class="count" aria-label=move || crate::app::lang::fill(td_string!(l, nav.pending), &[("n", &n)])>{n}</span> })
                            }}
                        </A>
                    </div>
                    {is_admin
                        .then(|| {
                            view! {
                                <div class="nav-section">
                                    <h2>{td_string!(l, nav.admin)}</h2>
                                    <A href="/admin/images">{td_string!(l, nav.all_images)}</A>
                                    <A href="/admin/metadefs">{td_string!(l, nav.metadefs)}</A>
                                    <A href="/admin/stores">{td_string!(l, nav.stores)}</A>
                                    <A href="/admin/trash">{td_string!(l, nav.trash)}</A>
                                </div>
                                <div class="nav-section">
                                    <h2>{td_string!(l, nav.identity)}</h2>
                                    <A href="/accounts/projects">{td_string!(l, nav.projects)}</A>
                                    <A href="/accounts/users">{td_string!(l, nav.users)}</A>
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
        Some(Err(e)) => toasts.push_error(e),
        None => {}
    });
    view! {
        <div class="project-switcher">
            <label for="project-switcher">{td_string!(crate::app::lang::locale(), nav.project)}</label>
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
    let l = crate::app::lang::locale();
    #[cfg(feature = "hydrate")]
    let close_events = move |_: leptos::ev::SubmitEvent| {
        if let Some(LiveSource(s)) = use_context::<LiveSource>() {
            s.try_with_value(|s| s.as_ref().map(web_sys::EventSource::close));
        }
    };
    #[cfg(not(feature = "hydrate"))]
    let close_events = |_: leptos::ev::SubmitEvent| {};
    view! {
        <div class="user-menu">
            <span class="user-name" title=move || td_string!(l, nav.logged_in_as)>
                {name}
            </span>
            <ActionForm action=logout on:submit=close_events>
                <button type="submit" class="btn ghost">
                    {td_string!(l, nav.log_out)}
                </button>
            </ActionForm>
        </div>
    }
}

/// The count of pending shares in the navigation; the Shared with me page updates it after each
/// answer.
#[derive(Debug, Clone, Copy)]
pub struct PendingShares(pub RwSignal<usize>);

/// The live image events of the session (`GET /events`, server-sent events): the last one, and a
/// counter bumped when events may have been missed (the stream lagged or reconnected), after
/// which pages reload what they show.
#[derive(Debug, Clone, Copy)]
pub struct LiveEvents {
    /// The newest event.
    pub last: RwSignal<Option<crate::server_fns::images::LiveEvent>>,
    /// Bumped when events may have been missed.
    pub resync: RwSignal<u32>,
}

impl LiveEvents {
    /// Calls `f` with each event from now on, and with `None` after a resync (pages reload).
    pub fn watch(self, f: impl Fn(Option<&crate::server_fns::images::LiveEvent>) + 'static) {
        let f = std::rc::Rc::new(f);
        let g = f.clone();
        Effect::new(move |_| {
            if let Some(e) = self.last.get() {
                f(Some(&e));
            }
        });
        Effect::new(move |first: Option<()>| {
            self.resync.get();
            if first.is_some() {
                g(None);
            }
        });
    }
}

/// The session's open event stream, in the browser.
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy)]
struct LiveSource(StoredValue<Option<web_sys::EventSource>, leptos::prelude::LocalStorage>);

/// Opens the session's event stream in the browser (nothing on the server); the browser's
/// EventSource reconnects by itself.
fn subscribe(live: LiveEvents) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |opened: Option<()>| {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        if opened.is_some() {
            return;
        }
        let Ok(source) = web_sys::EventSource::new("/events") else {
            return;
        };
        let on_image =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    if let Ok(ev) = serde_json::from_str(&text) {
                        live.last.set(Some(ev));
                    }
                }
            });
        let resync = move || live.resync.update(|n| *n += 1);
        let on_lagged = Closure::<dyn FnMut()>::new(resync);
        let opens = std::cell::Cell::new(0u32);
        let on_open = Closure::<dyn FnMut()>::new(move || {
            // A reopened stream may have missed events.
            opens.set(opens.get() + 1);
            if opens.get() > 1 {
                resync();
            }
        });
        let _ = source.add_event_listener_with_callback("image", on_image.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback("lagged", on_lagged.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("open", on_open.as_ref().unchecked_ref());
        // The frame lives as long as the page: the listeners do too.
        on_image.forget();
        on_lagged.forget();
        on_open.forget();
        if let Some(LiveSource(held)) = use_context::<LiveSource>() {
            held.set_value(Some(source.clone()));
        }
        let source = StoredValue::new_local(source);
        on_cleanup(move || {
            source.try_with_value(|s| s.close());
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = live;
}

/// The logged-in user's session, for pages inside the frame.
pub fn use_session() -> SessionInfo {
    expect_context::<SessionInfo>()
}
