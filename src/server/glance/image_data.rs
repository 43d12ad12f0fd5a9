//! `PUT` and `GET /v2/images/{id}/file`: the data streams through, never whole in memory.

use super::error::GlanceError;
use super::{actor, image_id};
use crate::server::identity::principal::MaybeActor;
use crate::server::images::service::{ByteRange, Download};
use crate::server::state::Services;
use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// `PUT /v2/images/{id}/file` (application/octet-stream, sized or chunked).
pub async fn upload(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    req: Request,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    let id = image_id(&id)?;
    let headers = req.headers();
    let declared = octet_stream_size(headers)?;
    let store = headers
        .get("x-image-meta-store")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let body = req.into_body().into_data_stream();
    s.images
        .upload(&actor, &id, declared, store.as_deref(), body)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks that a data upload is `application/octet-stream` (415 otherwise) and reads its
/// expected size: `x-openstack-image-size`, else `Content-Length`.
pub fn octet_stream_size(headers: &axum::http::HeaderMap) -> Result<Option<u64>, GlanceError> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ctype.split(';').next().map(str::trim) != Some("application/octet-stream") {
        return Err(GlanceError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type must be application/octet-stream, not {ctype:?}"),
        ));
    }
    let number = |name: &str| -> Result<Option<u64>, GlanceError> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Some)
                .ok_or_else(|| GlanceError::bad_request(format!("Invalid {name} header"))),
        }
    };
    Ok(match number("x-openstack-image-size")? {
        Some(n) => Some(n),
        None => number("content-length")?,
    })
}

fn parse_range(v: &str) -> Result<ByteRange, GlanceError> {
    let unsatisfiable = || {
        GlanceError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            format!("Invalid Range header: {v}"),
        )
    };
    let spec = v.trim().strip_prefix("bytes=").ok_or_else(unsatisfiable)?;
    if spec.contains(',') {
        return Err(GlanceError::bad_request(
            "Multiple ranges are not supported.",
        ));
    }
    let (a, b) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| unsatisfiable())?;
        return Ok(ByteRange::Suffix(n));
    }
    let start: u64 = a.parse().map_err(|_| unsatisfiable())?;
    let end = if b.is_empty() {
        None
    } else {
        Some(b.parse::<u64>().map_err(|_| unsatisfiable())?)
    };
    if end.is_some_and(|e| e < start) {
        return Err(unsatisfiable());
    }
    Ok(ByteRange::From(start, end))
}

/// `GET /v2/images/{id}/file`: 200 (or 206 for a single Range), 204 when there is no data.
pub async fn download(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, GlanceError> {
    let actor = actor(a)?;
    let id = image_id(&id)?;
    let range = match req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(r) => Some(parse_range(r)?),
        None => None,
    };
    match s.images.download(&actor, &id, range).await? {
        Download::NoData => Ok(StatusCode::NO_CONTENT.into_response()),
        Download::Data {
            image,
            data,
            start,
            len,
            total,
            partial,
        } => {
            let mut resp = Response::new(Body::from_stream(data));
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            if let Some(sum) = image
                .checksum
                .as_deref()
                .and_then(|c| HeaderValue::from_str(c).ok())
            {
                h.insert("content-md5", sum);
            }
            if partial {
                *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
                let cr = format!("bytes {}-{}/{}", start, start + len - 1, total);
                resp.headers_mut().insert(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&cr).expect("ascii"),
                );
            }
            Ok(resp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        assert_eq!(
            parse_range("bytes=0-9").unwrap(),
            ByteRange::From(0, Some(9))
        );
        assert_eq!(parse_range("bytes=5-").unwrap(), ByteRange::From(5, None));
        assert_eq!(parse_range("bytes=-3").unwrap(), ByteRange::Suffix(3));
        assert_eq!(
            parse_range("bytes=0-1,4-5").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        for bad in ["items=0-1", "bytes=a-b", "bytes=9-1", "bytes=-"] {
            assert_eq!(
                parse_range(bad).unwrap_err().status,
                StatusCode::RANGE_NOT_SATISFIABLE,
                "{bad}"
            );
        }
    }
}
