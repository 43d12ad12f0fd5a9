//! Browser uploads: the chosen file goes straight to `PUT /image/v2/images/{id}/file` through
//! XMLHttpRequest (fetch reports no upload progress), authenticated by the session cookie, as a
//! stream the browser reads from disk. On the server this module is empty.

/// How an upload ended.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadEnd {
    /// 204: the data is stored.
    Done,
    /// The user aborted.
    Aborted,
    /// The server refused or the network failed, with the reason.
    Failed(String),
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The upload in flight on this page (the browser has one thread; the server none of these).
    static CURRENT: std::cell::RefCell<Option<web_sys::XmlHttpRequest>> = const { std::cell::RefCell::new(None) };
}

/// Stops the upload in flight, if any; its image stays `queued` with no data.
pub fn abort_current() {
    #[cfg(feature = "hydrate")]
    CURRENT.with(|c| {
        if let Some(xhr) = c.borrow_mut().take() {
            let _ = xhr.abort();
        }
    });
}

/// What a Glance error body says, in the user's language: its typed `reason` (which Glimpse adds
/// to Glance's keys) when there is one, else its message without the HTML line breaks.
pub fn glance_message(l: crate::app::i18n::Locale, body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    if let Some(r) = v
        .get("reason")
        .and_then(|r| serde_json::from_value::<crate::domain::reason::Reason>(r.clone()).ok())
    {
        return Some(crate::app::lang::reason(l, &r));
    }
    let m = v.get("message")?.as_str()?;
    Some(m.split("<br").next().unwrap_or(m).trim().to_string())
}

/// Starts uploading `file` to image `id`; `progress(loaded, total)` is called as bytes go out and
/// `end` once at the end.
#[cfg(feature = "hydrate")]
pub fn start(
    id: &str,
    file: &web_sys::File,
    store: Option<String>,
    progress: impl Fn(f64, f64) + 'static,
    end: impl Fn(UploadEnd) + 'static,
) -> Result<(), String> {
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let err = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let xhr = web_sys::XmlHttpRequest::new().map_err(err)?;
    xhr.open("PUT", &format!("/image/v2/images/{id}/file"))
        .map_err(err)?;
    xhr.set_request_header("Content-Type", "application/octet-stream")
        .map_err(err)?;
    xhr.set_request_header("Accept", "application/json")
        .map_err(err)?;
    if let Some(store) = store {
        // Multi-store: the store the user chose (Glance's header).
        xhr.set_request_header("X-Image-Meta-Store", &store)
            .map_err(err)?;
    }
    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            progress(e.loaded(), e.total())
        });
    xhr.upload()
        .map_err(err)?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    on_progress.forget();
    let end = Rc::new(end);
    let (e1, e2, e3) = (end.clone(), end.clone(), end);
    let x = xhr.clone();
    let on_load = Closure::<dyn FnMut()>::new(move || {
        let status = x.status().unwrap_or(0);
        if (200..300).contains(&status) {
            e1(UploadEnd::Done);
        } else {
            let body = x.response_text().ok().flatten().unwrap_or_default();
            let l = crate::app::lang::locale();
            e1(UploadEnd::Failed(glance_message(l, &body).unwrap_or_else(
                || {
                    crate::app::lang::fill(
                        crate::app::i18n::td_string!(l, create.upload_failed_http),
                        &[("status", &status)],
                    )
                },
            )));
        }
    });
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        let l = crate::app::lang::locale();
        e2(UploadEnd::Failed(
            crate::app::i18n::td_string!(l, create.connection_lost).into(),
        ))
    });
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    let on_abort = Closure::<dyn FnMut()>::new(move || e3(UploadEnd::Aborted));
    xhr.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
    on_abort.forget();
    xhr.send_with_opt_blob(Some(file)).map_err(err)?;
    CURRENT.with(|c| *c.borrow_mut() = Some(xhr));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn glance_messages_lose_their_markup() {
        let body = r#"{"message": "Image exceeds the size cap.<br /><br />\n\n\n", "code": "413", "title": "x"}"#;
        use crate::app::i18n::Locale;
        assert_eq!(
            super::glance_message(Locale::de, body).unwrap(),
            "Image exceeds the size cap."
        );
        assert!(super::glance_message(Locale::en, "not json").is_none());
        // The typed reason, where the body has one, is worded in the language.
        let r = crate::domain::reason::Reason::SizeCap { bytes: 1024 };
        let typed = serde_json::json!({"message": r.to_string(), "reason": r}).to_string();
        assert_eq!(
            super::glance_message(Locale::en, &typed).unwrap(),
            r.to_string()
        );
        assert_eq!(
            super::glance_message(Locale::de, &typed).unwrap(),
            crate::app::lang::reason(Locale::de, &r)
        );
        assert_ne!(
            super::glance_message(Locale::de, &typed).unwrap(),
            r.to_string()
        );
    }
}
