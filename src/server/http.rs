//! Cross-cutting HTTP layers: the `x-openstack-request-id` on every response (an incoming one is
//! reused, as Glance does, with its `req-` prefix), one tracing span per request with status and latency, the guard that refuses
//! cross-site state-changing requests, the security headers every response carries (and the
//! dashboard's Content-Security-Policy), and the health check.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;

/// The request id header Glance and Keystone use.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-openstack-request-id");

/// Makes ids of Glance's form, `req-<uuid>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeReqId;

impl MakeRequestId for MakeReqId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = format!("req-{}", uuid::Uuid::new_v4());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Glance's longest accepted inbound request id (`max_request_id_length`).
pub const MAX_REQUEST_ID: usize = 64;

/// An inbound `x-openstack-request-id` as Glance takes it: reused with the `req-` prefix added
/// when missing; one longer than 64 characters is refused with 431.
pub async fn inbound_request_id(mut req: Request, next: Next) -> Response {
    if let Some(v) = req.headers().get(REQUEST_ID) {
        let id = v.to_str().unwrap_or_default().to_string();
        if id.len() > MAX_REQUEST_ID {
            return (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("x-openstack-request-id is longer than {MAX_REQUEST_ID} characters"),
            )
                .into_response();
        }
        if id.is_empty() {
            req.headers_mut().remove(REQUEST_ID);
        } else if !id.starts_with("req-") {
            if let Ok(v) = HeaderValue::from_str(&format!("req-{id}")) {
                req.headers_mut().insert(REQUEST_ID, v);
            }
        }
    }
    next.run(req).await
}

/// The span each request runs in.
pub fn make_span<B>(req: &axum::http::Request<B>) -> Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

/// Logs one line per response with its status and latency.
pub fn on_response<B>(res: &axum::http::Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "done"
    );
}

/// Refuses state-changing requests that a browser marks as cross-site (Sec-Fetch-Site) or whose
/// Origin is not this server. Together with the SameSite=Lax cookie this keeps server functions
/// and cookie-authenticated API calls safe from cross-site request forgery. API clients send
/// neither header and pass.
pub async fn cross_site_guard(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let headers = req.headers();
        if headers
            .get("sec-fetch-site")
            .is_some_and(|v| v == "cross-site")
        {
            return forbidden();
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let origin_host = origin.to_str().ok().and_then(|o| {
                o.strip_prefix("http://")
                    .or_else(|| o.strip_prefix("https://"))
            });
            match (origin_host, host) {
                (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => {}
                _ => return forbidden(),
            }
        }
    }
    next.run(req).await
}

/// The Content-Security-Policy of the dashboard's pages: scripts only from this server or
/// inline with this response's nonce (Leptos's hydration and streaming scripts carry it), wasm
/// compiled from this server, no framing, no plugins.
pub fn dashboard_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy of every other HTML response (the image API's HTML error pages): nothing runs.
const STATIC_HTML_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// Middleware: a dashboard page (a GET asking for HTML) renders in the language kept in the
/// session, put on the request as `ChosenLanguage` for the render. Other requests (the API,
/// assets) skip the session.
pub async fn language(mut req: Request, next: Next) -> Response {
    let wants_html = req.method() == Method::GET
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        if let Some(session) = req.extensions().get::<tower_sessions::Session>().cloned() {
            if let Ok(Some(l)) = session.get::<String>(crate::app::lang::SESSION_KEY).await {
                req.extensions_mut()
                    .insert(crate::app::lang::ChosenLanguage(l));
            }
        }
    }
    next.run(req).await
}

/// Middleware: the headers every response carries: `X-Content-Type-Options: nosniff`,
/// `Referrer-Policy: same-origin`, HSTS when cookies are `Secure` (the server is reached over
/// HTTPS), and a Content-Security-Policy on HTML that has none yet (dashboard pages set their
/// own, with the nonce of their inline scripts), and `Cache-Control: no-cache` on the dashboard's
/// assets.
pub async fn security_headers(
    axum::extract::State(hsts): axum::extract::State<bool>,
    req: Request,
    next: Next,
) -> Response {
    let is_asset = req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    let status = res.status();
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("same-origin"),
    );
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // The dashboard's assets keep their names from one release to the next: browsers must ask
    // again each time (a 304 when unchanged, so a warm visit moves no wasm), never run a stale
    // wasm against a newer page.
    // (Assets under a build id carry their own, immutable, Cache-Control.)
    if is_asset
        && (status.is_success() || status == StatusCode::NOT_MODIFIED)
        && !h.contains_key(header::CACHE_CONTROL)
    {
        h.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-cache"),
        );
    }
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(STATIC_HTML_CSP),
        );
    }
    res
}

/// What is compressed on the fly for a client that accepts it: pages, JSON and the dashboard's
/// assets (wasm, JS, CSS). Never the image data (`application/octet-stream`, which would cost
/// the download's speed and hide its length), the live event stream, or tiny bodies.
pub fn compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    tower_http::compression::CompressionLayer::new().compress_when(
        DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream")),
    )
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "Cross-site requests are not allowed.",
    )
        .into_response()
}

/// `GET /healthcheck`: `200 OK` while this node reaches its database and every image store, else
/// `503` naming the part that failed, so a load balancer sends traffic elsewhere.
pub async fn healthcheck(
    axum::Extension(s): axum::Extension<crate::server::state::Services>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match s.images.health().await {
        Ok(()) => "OK".into_response(),
        Err(what) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, what).into_response(),
    }
}

/// The client's address, when the server was started with connection info (tests that drive the
/// router in-process have none).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(addr))
    }
}
