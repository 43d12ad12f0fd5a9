//! The dashboard's languages: the message catalogs (`src/app/locales/*.json`, compiled by
//! leptos_i18n into `i18n`), the language picker, the session's choice applied while rendering,
//! and sizes and dates written the way each language writes them.

use crate::app::i18n::{use_i18n, Locale};
use leptos::prelude::*;
use leptos_i18n::Locale as _;

// Recompile when a catalog changes: the catalog macro does not tell cargo it reads them.
const _: &[&[u8]] = &[
    include_bytes!("locales/en.json"),
    include_bytes!("locales/de.json"),
    include_bytes!("locales/zh.json"),
];

/// The session key that holds the user's language.
pub const SESSION_KEY: &str = "lang";

/// The language a tag names, if the dashboard has it.
pub fn parse(tag: &str) -> Option<Locale> {
    Locale::get_all()
        .iter()
        .copied()
        .find(|l| l.as_str() == tag)
}

/// Each language under its own name, as pickers show them.
pub fn native_name(l: Locale) -> &'static str {
    match l {
        Locale::en => "English",
        Locale::de => "Deutsch",
        Locale::zh => "中文（简体）",
    }
}

/// The language the user chose, put on the request by the server (`server::http::language`)
/// from the session, so the page renders in it; without a choice the catalog's negotiation of
/// `Accept-Language` stands.
#[derive(Debug, Clone)]
pub struct ChosenLanguage(pub String);

/// Applies the session's choice while rendering on the server (the browser then reads it back
/// from `<html lang>`). Renders nothing.
#[component]
pub fn FromSession() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let i18n = use_i18n();
        let chosen = use_context::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<ChosenLanguage>().cloned())
            .and_then(|c| parse(&c.0));
        if let Some(l) = chosen {
            i18n.set_locale_untracked(l);
        }
    }
}

/// A `<select>` of the languages: the choice is kept in the session and the page reloads in it.
#[component]
pub fn LanguagePicker() -> impl IntoView {
    let i18n = use_i18n();
    let on_change = move |ev| {
        let Some(l) = parse(&event_target_value(&ev)) else {
            return;
        };
        i18n.set_locale(l);
        // Kept in the session, then the page is loaded again in it: everything on it, including
        // what was worded when it was first shown (toasts, counts), speaks the new language.
        crate::app::browser_task(async move {
            if crate::server_fns::auth::set_language(l.as_str().to_string())
                .await
                .is_ok()
            {
                let _ = window().location().reload();
            }
        });
    };
    view! {
        <select
            class="lang-picker"
            aria-label=move || crate::app::i18n::t_string!(i18n, language).to_string()
            on:change=on_change
        >
            {Locale::get_all()
                .iter()
                .map(|&l| {
                    view! {
                        <option value=l.as_str() selected=move || i18n.get_locale() == l>
                            {native_name(l)}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// A catalog message with its `{name}` placeholders filled in.
pub fn fill(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// The page's language, read once: pages render in one language (the picker reloads the page).
pub fn locale() -> Locale {
    use_i18n().get_locale_untracked()
}

/// Why something was refused, in the language.
pub fn reason(l: Locale, r: &crate::domain::reason::Reason) -> String {
    let _ = l;
    r.to_string()
}

/// A server function's failure, in the language.
pub fn error(l: Locale, e: &crate::server_fns::AppError) -> String {
    let _ = l;
    e.to_string()
}

/// An image status in the language (the API's word stays English).
pub fn status(l: Locale, s: crate::domain::image::ImageStatus) -> &'static str {
    use crate::app::i18n::td_string;
    use crate::domain::image::ImageStatus as S;
    match s {
        S::Queued => td_string!(l, status.queued),
        S::Saving => td_string!(l, status.saving),
        S::Uploading => td_string!(l, status.uploading),
        S::Importing => td_string!(l, status.importing),
        S::Active => td_string!(l, status.active),
        S::Deactivated => td_string!(l, status.deactivated),
        S::Killed => td_string!(l, status.killed),
        S::Deleted => td_string!(l, status.deleted),
        S::PendingDelete => td_string!(l, status.pending_delete),
    }
}

/// A visibility (or the list filter's `all`) in the language; an unknown word as it is.
pub fn visibility(l: Locale, v: &str) -> String {
    use crate::app::i18n::td_string;
    match v {
        "public" => td_string!(l, visibility.public),
        "community" => td_string!(l, visibility.community),
        "shared" => td_string!(l, visibility.shared),
        "private" => td_string!(l, visibility.private),
        "all" => td_string!(l, visibility.all),
        other => other,
    }
    .to_string()
}

/// A byte count in binary units, with the language's decimal separator ("1.5 GiB", "1,5 GiB").
pub fn size(l: Locale, bytes: i64) -> String {
    let en = crate::domain::image::human_size(bytes);
    match l {
        Locale::de => en.replacen('.', ",", 1),
        Locale::en | Locale::zh => en,
    }
}

/// A stored UTC timestamp (`2026-12-06T18:35:11Z`) to the minute, in the language's order:
/// `2026-12-06 18:35`, `06.12.2026, 18:35`, `2026/12/06 18:35`. Anything else is shown as is.
pub fn date_time(l: Locale, stored: &str) -> String {
    let b = stored.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4) && digits(5..7) && digits(8..10) && digits(11..13) && digits(14..16)) {
        return stored.to_string();
    }
    let (y, mo, d, hm) = (
        &stored[0..4],
        &stored[5..7],
        &stored[8..10],
        &stored[11..16],
    );
    match l {
        Locale::en => format!("{y}-{mo}-{d} {hm}"),
        Locale::de => format!("{d}.{mo}.{y}, {hm}"),
        Locale::zh => format!("{y}/{mo}/{d} {hm}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of a catalog with its text, as `section.key`.
    fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&key, v, out);
                }
            }
            serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
            other => panic!("{prefix}: not text: {other}"),
        }
    }

    fn catalog(text: &str) -> std::collections::BTreeMap<String, String> {
        let mut out = vec![];
        flatten(
            "",
            &serde_json::from_str(text).expect("valid JSON"),
            &mut out,
        );
        out.into_iter().collect()
    }

    fn placeholders(s: &str) -> std::collections::BTreeSet<String> {
        s.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}'))
            .map(|(n, _)| n.to_string())
            .collect()
    }

    /// Texts that read the same in every language: names and technical words.
    const SAME_EVERYWHERE: &[&str] = &[
        "Glimpse", "ID", "OK", "—", "Status", "Name", "Kernel", "Ramdisk", "Import",
    ];

    #[test]
    fn every_catalog_translates_every_key() {
        let en = catalog(include_str!("locales/en.json"));
        assert!(en.len() > 20);
        for (name, text) in [
            ("de", include_str!("locales/de.json")),
            ("zh", include_str!("locales/zh.json")),
        ] {
            let other = catalog(text);
            let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{name} lacks {missing:?}");
            let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{name} has keys English lacks: {extra:?}");
            for (key, en_text) in &en {
                let t = &other[key];
                assert!(!t.trim().is_empty(), "{name}: {key} is empty");
                assert_eq!(
                    placeholders(en_text),
                    placeholders(t),
                    "{name}: {key} placeholders"
                );
                let untranslated = t == en_text
                    && en_text.chars().any(|c| c.is_ascii_lowercase())
                    && !SAME_EVERYWHERE.contains(&en_text.as_str());
                assert!(!untranslated, "{name}: {key} is still English: {t:?}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        assert_eq!(
            fill("{n} of {total}", &[("total", &5), ("n", &2)]),
            "2 of 5"
        );
        assert_eq!(fill("no placeholder", &[("n", &1)]), "no placeholder");
    }

    #[test]
    fn sizes_use_the_languages_decimal_separator() {
        assert_eq!(size(Locale::en, 1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(size(Locale::de, 1536 * 1024 * 1024), "1,5 GiB");
        assert_eq!(size(Locale::zh, 1536), "1.5 KiB");
        assert_eq!(size(Locale::de, 12), "12 B");
    }

    #[test]
    fn dates_follow_the_languages_order() {
        let t = "2026-12-06T18:35:11Z";
        assert_eq!(date_time(Locale::en, t), "2026-12-06 18:35");
        assert_eq!(date_time(Locale::de, t), "06.12.2026, 18:35");
        assert_eq!(date_time(Locale::zh, t), "2026/12/06 18:35");
        assert_eq!(date_time(Locale::de, "yesterday"), "yesterday");
    }
}
