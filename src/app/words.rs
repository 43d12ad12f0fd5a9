//! The dashboard's words in the browser. The wasm holds the English catalog only (the reference,
//! and what a missing word falls back to): a page in another language first loads that
//! language's words once, from an asset the server builds from the same leptos_i18n catalogs
//! (`/words/<lang>-<hash>.tsv`, cached for a year; the page's head preloads it). In the browser,
//! `td_string!(l, key)` is `tr(l, <the key's English>)`; on the server it is leptos_i18n's own.
//! The asset is one line per English word, sorted, `<English>\t<words>`: read without a parser
//! and searched by halves (no words hold a tab or a line break; a test holds that).

use super::i18n::Locale;

/// The words of `l` for the English `en` (the English itself for English, or a word missing).
#[cfg(feature = "hydrate")]
pub fn tr(l: Locale, en: &'static str) -> &'static str {
    if l == Locale::en {
        return en;
    }
    let words = LOADED.get().map_or(&[][..], Vec::as_slice);
    match words.binary_search_by(|(e, _)| (*e).cmp(en)) {
        Ok(i) => words[i].1,
        Err(_) => en,
    }
}

/// `td_string!` in the browser: the key's English (only the English catalog is compiled in) through
/// `tr`.
#[macro_export]
macro_rules! td_string_loaded {
    ($l:expr, $($key:tt)*) => {
        $crate::app::words::tr(
            $l,
            $crate::app::catalog::i18n::td_string!($crate::app::catalog::i18n::Locale::en, $($key)*),
        )
    };
}

/// The loaded words: (English, words), sorted by the English.
#[cfg(feature = "hydrate")]
static LOADED: std::sync::OnceLock<Vec<(&'static str, &'static str)>> = std::sync::OnceLock::new();

/// The `<meta>` that names the page's words asset (on a page not in English).
pub const META: &str = "glimpse-words";

/// Loads the words the page's `<meta name="glimpse-words">` names, before hydration (a page in
/// English names none). Without them the page would hydrate in English over its own words.
#[cfg(feature = "hydrate")]
pub async fn load() {
    use wasm_bindgen::JsCast;
    let document = leptos::prelude::document();
    let Some(url) = document
        .query_selector(&format!("meta[name={META}]"))
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
    else {
        return;
    };
    let text = async {
        let response =
            wasm_bindgen_futures::JsFuture::from(leptos::prelude::window().fetch_with_str(&url))
                .await
                .ok()?
                .dyn_into::<web_sys::Response>()
                .ok()?;
        if !response.ok() {
            return None;
        }
        wasm_bindgen_futures::JsFuture::from(response.text().ok()?)
            .await
            .ok()?
            .as_string()
    };
    let Some(text) = text.await else {
        leptos::logging::warn!("the page's words did not load from {url}");
        return;
    };
    // Loaded once and kept for the page's life, as a compiled-in catalog would be.
    let text: &'static str = text.leak();
    let words = text
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .collect();
    _ = LOADED.set(words);
}

/// Builds the words assets and serves them.
#[cfg(feature = "ssr")]
pub mod serve {
    use super::Locale;
    use leptos_i18n::Locale as _;
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

    /// A language's words (a line per English word, sorted: `<English>\t<words>`) and their
    /// address.
    pub struct Asset {
        pub text: String,
        pub url: String,
    }

    fn catalog(l: Locale) -> &'static str {
        match l {
            Locale::en => include_str!("locales/en.json"),
            Locale::de => include_str!("locales/de.json"),
            Locale::zh => include_str!("locales/zh.json"),
        }
    }

    /// Every `(key, words)` of a catalog, nested keys joined by dots. The catalogs hold text only
    /// (the catalog test in `lang.rs` reads them through this, and fails on anything else).
    pub fn flatten(l: Locale) -> BTreeMap<String, String> {
        fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
            match v {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        let key = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        walk(&key, v, out);
                    }
                }
                serde_json::Value::String(s) => {
                    out.insert(prefix.to_string(), s.clone());
                }
                other => panic!("{prefix}: not text: {other}"),
            }
        }
        let mut out = BTreeMap::new();
        let parsed: serde_json::Value =
            serde_json::from_str(catalog(l)).expect("the catalogs are checked at build time");
        walk("", &parsed, &mut out);
        out
    }

    /// The words asset of a language other than English.
    pub fn asset(l: Locale) -> Option<&'static Asset> {
        static ASSETS: OnceLock<Vec<(Locale, Asset)>> = OnceLock::new();
        let all = ASSETS.get_or_init(|| {
            let en = flatten(Locale::en);
            Locale::get_all()
                .iter()
                .filter(|l| **l != Locale::en)
                .map(|&l| {
                    let theirs = flatten(l);
                    let map: BTreeMap<&str, &str> = en
                        .iter()
                        .filter_map(|(k, e)| Some((e.as_str(), theirs.get(k)?.as_str())))
                        .collect();
                    let text: String = map.iter().map(|(e, w)| format!("{e}\t{w}\n")).collect();
                    use sha2::Digest;
                    let hash = hex::encode(&sha2::Sha256::digest(text.as_bytes())[..8]);
                    let url = format!("/words/{}-{hash}.tsv", l.as_str());
                    (l, Asset { text, url })
                })
                .collect()
        });
        all.iter().find(|(k, _)| *k == l).map(|(_, a)| a)
    }

    /// `GET /words/<lang>-<hash>.tsv`: the language's words, cached for a year (a change to the
    /// catalogs is a new address); any other name is not found.
    pub async fn words(
        axum::extract::Path(file): axum::extract::Path<String>,
    ) -> axum::response::Response {
        use axum::http::header;
        use axum::response::IntoResponse;
        let found = Locale::get_all()
            .iter()
            .filter_map(|&l| asset(l))
            .find(|a| a.url.strip_prefix("/words/") == Some(file.as_str()));
        match found {
            Some(a) => (
                [
                    (
                        header::CONTENT_TYPE,
                        "text/tab-separated-values; charset=utf-8",
                    ),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                ],
                a.text.clone(),
            )
                .into_response(),
            None => axum::http::StatusCode::NOT_FOUND.into_response(),
        }
    }

    /// On a page not in English: preloads its words and names them for `load` (registered with
    /// the page's head).
    pub fn head(l: Locale) {
        use leptos::prelude::*;
        use leptos_meta::{Link, Meta};
        if let Some(a) = asset(l) {
            let url = a.url.clone();
            _ = view! { <Link rel="preload" href=url.clone() as_="fetch" crossorigin="anonymous"/> }
                .to_html();
            _ = view! { <Meta name=super::META content=url/> }.to_html();
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::serve::{asset, flatten};
    use super::Locale;
    use leptos_i18n::Locale as _;

    /// The browser finds a word by its English: two keys with the same English must read the same
    /// in every language, or one of them would show the other's words. Every English word has its
    /// translation in the asset.
    #[test]
    fn every_english_word_has_one_translation() {
        let en = flatten(Locale::en);
        for l in [Locale::de, Locale::zh] {
            let theirs = flatten(l);
            let mut seen = std::collections::BTreeMap::new();
            for (key, english) in &en {
                let words = &theirs[key];
                if let Some((other, before)) = seen.insert(english, (key, words)) {
                    assert_eq!(
                        before, words,
                        "{l:?}: {key} and {other} are both {english:?} in English"
                    );
                }
            }
            let a = asset(l).unwrap();
            let lines: Vec<(&str, &str)> = a
                .text
                .lines()
                .map(|line| line.split_once('\t').unwrap())
                .collect();
            // Sorted as the browser searches them, and one tab a line.
            assert!(
                lines.windows(2).all(|w| w[0].0 < w[1].0),
                "{l:?}: not sorted"
            );
            assert!(a.text.lines().all(|line| line.matches('\t').count() == 1));
            for (key, english) in &en {
                let i = lines.binary_search_by(|(e, _)| (*e).cmp(english)).unwrap();
                assert_eq!(lines[i].1, theirs[key], "{l:?} {key}");
            }
            assert!(a.url.starts_with(&format!("/words/{}-", l.as_str())));
        }
        assert!(asset(Locale::en).is_none());
    }
}
