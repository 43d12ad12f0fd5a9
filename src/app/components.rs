//! Small shared components: toasts for results, badges, page headers and error boxes, and the
//! image facts several pages show (status badge, short time, Horizon's Type).

use crate::app::i18n::{td_string, Locale};
use crate::app::lang;
use crate::domain::image::{Image, ImageStatus};
use crate::server_fns::AppError;
use leptos::prelude::*;

/// How a toast looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    /// Something worked.
    Success,
    /// Something failed.
    Error,
}

/// How many toasts show at once.
const MAX_TOASTS: usize = 4;

/// The toast list, provided once by `App`.
#[derive(Debug, Clone, Copy)]
pub struct Toasts(RwSignal<Vec<(u64, ToastKind, String)>>);

impl Toasts {
    /// Shows a message. A success disappears by itself after a few seconds; an error stays
    /// until dismissed. At most `MAX_TOASTS` show at once (the oldest successes go first).
    pub fn push(&self, kind: ToastKind, message: String) {
        let list = self.0;
        let id = list.with_untracked(|l| l.iter().map(|t| t.0).max().unwrap_or(0) + 1);
        list.update(|l| {
            l.push((id, kind, message));
            while l.len() > MAX_TOASTS {
                let oldest = l
                    .iter()
                    .position(|t| t.1 == ToastKind::Success)
                    .unwrap_or(0);
                l.remove(oldest);
            }
        });
        if kind == ToastKind::Success {
            set_timeout(
                move || list.update(|l| l.retain(|t| t.0 != id)),
                std::time::Duration::from_secs(6),
            );
        }
    }

    /// Shows a failure, in the page's language: at once, or once the words of a typed problem
    /// have loaded (`lang::error_later`).
    pub fn push_error(&self, e: AppError) {
        let l = lang::locale();
        match lang::error_now(l, &e) {
            Some(words) => self.push(ToastKind::Error, words),
            None => {
                let toasts = *self;
                crate::app::browser_task(async move {
                    toasts.push(ToastKind::Error, lang::error_later(l, e).await)
                });
            }
        }
    }
}

/// Provides the toast list.
pub fn provide_toasts() {
    provide_context(Toasts(RwSignal::new(Vec::new())));
}

/// The toast list.
pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// How every change the dashboard makes is wired: a `ServerAction` for the server function `S`
/// (dispatched by a button, or posted by an `ActionForm`, which also works before hydration),
/// whose outcome is reported here: on success a toast worded by `ok` (none if it says `None`)
/// and then `then` (refresh what changed, close a form); on failure the error's own toast.
pub fn mutation<S>(
    ok: impl Fn(&S::Output) -> Option<String> + Send + Sync + 'static,
    then: impl Fn(&S::Output) + Send + Sync + 'static,
) -> ServerAction<S>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(result) = action.value().get() {
            match result {
                Ok(v) => {
                    if let Some(m) = ok(&v) {
                        toasts.push(ToastKind::Success, m);
                    }
                    then(&v);
                }
                Err(e) => toasts.push_error(e),
            }
        }
    });
    action
}

/// The toast area (a polite live region).
#[component]
pub fn Toaster() -> impl IntoView {
    let toasts = use_toasts();
    let l = lang::locale();
    view! {
        <div class="toaster" role="status" aria-live="polite">
            <For each=move || toasts.0.get() key=|t| t.0 let:t>
                <div class=match t.1 {
                    ToastKind::Success => "toast success",
                    ToastKind::Error => "toast error",
                }>
                    <span>{t.2.clone()}</span>
                    <button
                        class="toast-close"
                        aria-label=td_string!(l, common.dismiss)
                        on:click=move |_| toasts.0.update(|l| l.retain(|x| x.0 != t.0))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}

/// A page title with an optional description line.
#[component]
pub fn PageHeader(
    #[prop(into)] title: Signal<String>,
    #[prop(optional, into)] subtitle: Option<Signal<String>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title.get_untracked()/>
        <header class="page-header">
            <h1>{title}</h1>
            {subtitle.map(|s| view! { <p class="muted">{s}</p> })}
        </header>
    }
}

/// A yes/no badge.
#[component]
pub fn FlagBadge(on: bool, #[prop(into)] yes: String, #[prop(into)] no: String) -> impl IntoView {
    view! { <span class=if on { "badge ok" } else { "badge off" }>{if on { yes } else { no }}</span> }
}

/// An error box for a failed load.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let l = lang::locale();
    match lang::error_now(l, &error) {
        Some(words) => view! { <div class="error-box" role="alert">{words}</div> }.into_any(),
        // A typed problem: worded once its words have loaded (at once on the server).
        None => view! {
            <Suspense fallback=|| ()>
                {Suspend::new(async move {
                    let words = lang::error_later(l, error).await;
                    view! { <div class="error-box" role="alert">{words}</div> }
                })}
            </Suspense>
        }
        .into_any(),
    }
}

/// Clears a form after its action succeeded (ActionForm keeps the typed values otherwise).
pub fn reset_on_success<O, S>(
    value: S,
    form: NodeRef<leptos::html::Form>,
    after: impl Fn() + Send + Sync + 'static,
) where
    O: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<O, AppError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(_)) = value.get() {
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
            after();
        }
    });
}

/// A status badge.
#[component]
pub fn StatusBadge(status: ImageStatus) -> impl IntoView {
    let class = match status {
        ImageStatus::Active => "badge ok",
        ImageStatus::Deactivated | ImageStatus::Killed | ImageStatus::Deleted => "badge off",
        _ => "badge warn",
    };
    view! { <span class=class>{lang::status(lang::locale(), status)}</span> }
}

/// Horizon's Type column: a snapshot (`image_type=snapshot`, as Nova sets it) or an image.
pub fn image_type(l: Locale, img: &Image) -> &'static str {
    if img.properties.get("image_type").map(String::as_str) == Some("snapshot") {
        td_string!(l, table.snapshot)
    } else {
        td_string!(l, table.image)
    }
}

/// Stored time to the minute, as the language writes it ("2026-11-22 04:40" in English).
pub fn short_time(l: Locale, stored: &str) -> String {
    lang::date_time(l, stored)
}

/// The elements of `root` that take focus with Tab, in document order.
#[cfg(feature = "hydrate")]
fn focusables(root: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    let Ok(list) = root.query_selector_all(
        "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), \
         textarea:not([disabled]), [tabindex]:not([tabindex='-1'])",
    ) else {
        return vec![];
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

/// A confirmation (`role="alertdialog"`, named by `label`): focus moves to its first button when
/// it opens, Tab and Shift+Tab stay inside it, Escape cancels, and focus goes back to what opened
/// it when it closes.
#[component]
pub fn ConfirmDialog(
    #[prop(into)] label: String,
    on_cancel: impl Fn() + Send + Sync + 'static,
    children: Children,
) -> impl IntoView {
    let root = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
        let opened = StoredValue::new(false);
        Effect::new(move |_| {
            let Some(div) = root.get() else { return };
            if opened.get_value() {
                return;
            }
            opened.set_value(true);
            let active = document()
                .active_element()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            opener.set_value(active);
            if let Some(first) = focusables(&div).first() {
                let _ = first.focus();
            }
        });
        on_cleanup(move || {
            opener.try_with_value(|o| {
                if let Some(o) = o.as_ref().filter(|o| o.is_connected()) {
                    let _ = o.focus();
                }
            });
        });
    }
    let keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            on_cancel();
        }
        "Tab" =>
        {
            #[cfg(feature = "hydrate")]
            if let Some(div) = root.get_untracked() {
                let all = focusables(&div);
                let active = document().active_element();
                let at = |e: Option<&web_sys::HtmlElement>| {
                    e.is_some_and(|e| {
                        active
                            .as_ref()
                            .is_some_and(|a| a == e.as_ref() as &web_sys::Element)
                    })
                };
                let (first, last) = (all.first(), all.last());
                if ev.shift_key() && at(first) {
                    ev.prevent_default();
                    if let Some(l) = last {
                        let _ = l.focus();
                    }
                } else if !ev.shift_key() && at(last) {
                    ev.prevent_default();
                    if let Some(f) = first {
                        let _ = f.focus();
                    }
                }
            }
        }
        _ => {}
    };
    view! {
        <div class="confirm" role="alertdialog" aria-modal="true" aria-label=label node_ref=root on:keydown=keydown>
            {children()}
        </div>
    }
}
