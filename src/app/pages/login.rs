//! The login page.

use crate::app::i18n::td_string;
use crate::server_fns::auth::Login;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// User name and password; errors are shown in the form.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let show = RwSignal::new(false);
    let error = move || login.value().get().and_then(|r| r.err());
    let l = crate::app::lang::locale();
    view! {
        <Title text=move || td_string!(l, login.title).to_string()/>
        <div class="login-page">
            <div class="login-card">
                <div class="login-brand">
                    <span class="logo" aria-hidden="true">"◐"</span>
                    <h1>"Glimpse"</h1>
                </div>
                <p class="muted">{td_string!(l, login.intro)}</p>
                <ActionForm action=login>
                    <input type="hidden" name="next" value=next/>
                    <div class="field">
                        <label for="username">{td_string!(l, login.user_name)}</label>
                        <input id="username" name="username" autocomplete="username" required autofocus/>
                    </div>
                    <div class="field">
                        <label for="password">{td_string!(l, login.password)}</label>
                        <input
                            id="password"
                            name="password"
                            type=move || if show.get() { "text" } else { "password" }
                            autocomplete="current-password"
                            required
                        />
                    </div>
                    <label class="checkbox">
                        <input type="checkbox" on:change=move |ev| show.set(event_target_checked(&ev))/>
                        {td_string!(l, login.show_password)}
                    </label>
                    {move || error().map(|e| match crate::app::lang::error_now(l, &e) {
                        Some(words) => view! { <p class="form-error" role="alert">{words}</p> }.into_any(),
                        // Never at login; worded lazily, as everywhere, if it were.
                        None => view! { <crate::app::components::ErrorBox error=e/> }.into_any(),
                    })}
                    <button type="submit" class="btn primary wide" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { td_string!(l, login.submitting) } else { td_string!(l, login.submit) }}
                    </button>
                </ActionForm>
                <div class="login-lang">
                    <crate::app::lang::LanguagePicker/>
                </div>
            </div>
        </div>
    }
}
