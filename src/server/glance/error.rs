//! Glance's error answers. Handlers return `GlanceError`; the `negotiate` middleware renders it
//! as webob does, by the request's `Accept`: JSON `{message, code, title}`, HTML, or plain text.
//! One status table for every `ImageError`. Beyond Glance, a JSON body also carries the typed
//! `reason`, so the dashboard's uploads (which talk to this API) word it in the user's language;
//! clients that know only Glance's keys ignore it.

use crate::server::images::ImageError;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// An error answer, rendered by [`negotiate`].
#[derive(Debug, Clone)]
pub struct GlanceError {
    /// HTTP status.
    pub status: StatusCode,
    /// The explanation.
    pub message: String,
    /// Extra headers (`Accept-Patch`, `Content-Range`).
    pub headers: Vec<(HeaderName, String)>,
    /// The typed reason, where the failure has one.
    pub reason: Option<Box<crate::domain::reason::Reason>>,
}

impl GlanceError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            headers: vec![],
            reason: None,
        }
    }
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Authentication required")
    }
    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    /// Adds a header.
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl From<crate::server::metadefs::MetadefError> for GlanceError {
    fn from(e: crate::server::metadefs::MetadefError) -> Self {
        use crate::server::metadefs::MetadefError as E;
        e.log_if_internal();
        let status = match &e {
            E::NotFound(_) => StatusCode::NOT_FOUND,
            E::Forbidden(_) => StatusCode::FORBIDDEN,
            E::Conflict(_) => StatusCode::CONFLICT,
            E::Invalid(_) => StatusCode::BAD_REQUEST,
            E::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &e {
            E::Db(_) => {
                "The server has either erred or is incapable of performing the requested operation."
                    .to_string()
            }
            other => other.to_string(),
        };
        GlanceError::new(status, message)
    }
}

impl From<ImageError> for GlanceError {
    fn from(e: ImageError) -> Self {
        e.log_if_internal();
        let status = match &e {
            ImageError::NotFound(_) => StatusCode::NOT_FOUND,
            ImageError::Forbidden(_) => StatusCode::FORBIDDEN,
            ImageError::Conflict(_) => StatusCode::CONFLICT,
            ImageError::Invalid(_) | ImageError::Interrupted(_) => StatusCode::BAD_REQUEST,
            ImageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ImageError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ImageError::Gone(_) => StatusCode::GONE,
            ImageError::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            ImageError::Store(_) | ImageError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &e {
            ImageError::Store(_) | ImageError::Db(_) => {
                "The server has either erred or is incapable of performing the requested operation."
                    .to_string()
            }
            other => other.to_string(),
        };
        let mut g = GlanceError::new(status, message);
        if let ImageError::NotFound(r)
        | ImageError::Forbidden(r)
        | ImageError::Conflict(r)
        | ImageError::Invalid(r)
        | ImageError::TooLarge(r)
        | ImageError::UnsupportedMedia(r)
        | ImageError::Gone(r) = &e
        {
            g.reason = Some(Box::new(r.clone()));
        }
        if let ImageError::RangeNotSatisfiable(total) = e {
            g = g.with_header(header::CONTENT_RANGE, format!("bytes */{total}"));
        }
        g
    }
}

impl IntoResponse for GlanceError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                resp.headers_mut().insert(name.clone(), v);
            }
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

enum Kind {
    Json,
    Html,
    Plain,
}

fn kind(accept: Option<&str>) -> Kind {
    match accept {
        None => Kind::Html,
        Some(a) if a.contains("application/json") => Kind::Json,
        Some(a) if a.contains("text/html") || a.contains("*/*") || a.trim().is_empty() => {
            Kind::Html
        }
        Some(_) => Kind::Plain,
    }
}

/// Renders the body of every error answer under `/image`: a `GlanceError`, or an empty 404 or 405
/// from the router, in the form the client accepts.
pub async fn negotiate(req: Request, next: Next) -> Response {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut resp = next.run(req).await;
    let status = resp.status();
    let (message, reason) = match resp.extensions_mut().remove::<GlanceError>() {
        Some(e) => (e.message, e.reason),
        None if status == StatusCode::METHOD_NOT_ALLOWED => {
            ("The method is not allowed for this resource.".into(), None)
        }
        None if status == StatusCode::NOT_FOUND => {
            ("The resource could not be found.".into(), None)
        }
        None => return resp,
    };
    let code = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let title = status.canonical_reason().unwrap_or("Error");
    let (ctype, body) = match kind(accept.as_deref()) {
        Kind::Json => {
            let mut body = serde_json::json!({"message": format!("{message}<br /><br />\n\n\n"), "code": code, "title": title});
            if let Some(r) = reason {
                body["reason"] = serde_json::to_value(r).unwrap_or_default();
            }
            ("application/json", body.to_string())
        }
        Kind::Html => (
            "text/html; charset=UTF-8",
            format!(
                "<html>\n <head>\n  <title>{code}</title>\n </head>\n <body>\n  <h1>{code}</h1>\n  {}<br /><br />\n\n\n\n </body>\n</html>",
                html_escape(&message)
            ),
        ),
        Kind::Plain => ("text/plain; charset=UTF-8", format!("{code}\n\n{message}\n\n   ")),
    };
    let (mut parts, _) = resp.into_parts();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
