//! Quotas: limits set through the Keystone limits API (and the CLI), enforced by the image API
//! with 413, and reported by /v2/info/usage.

use crate::support;
use crate::support::{TestApp, ADMIN_PASSWORD};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use glimpse::domain::identity::{Role, IMAGE_SERVICE_ID};
use serde_json::{json, Value};

const MIB: usize = 1 << 20;

async fn upload(app: &TestApp, token: &str, id: &str, len: usize, declare: bool) -> StatusCode {
    let mut b = Request::builder()
        .method(Method::PUT)
        .uri(format!("/image/v2/images/{id}/file"))
        .header("x-auth-token", token)
        .header(header::CONTENT_TYPE, "application/octet-stream");
    let body = if declare {
        Body::from(vec![1u8; len])
    } else {
        // A chunked stream: the size is only known as the bytes arrive.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..len / 65536).map(|_| Ok(vec![1u8; 65536])).collect();
        b = b.header(header::TRANSFER_ENCODING, "chunked");
        Body::from_stream(futures::stream::iter(chunks))
    };
    app.send(b.body(body).unwrap()).await.status
}

async fn create(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let a = app
        .json(
            Method::POST,
            "/image/v2/images",
            Some(token),
            Some(json!({"disk_format": "raw", "container_format": "bare"})),
        )
        .await;
    let v = if a.status.is_success() {
        a.json()
    } else {
        Value::Null
    };
    (a.status, v)
}

async fn usage(app: &TestApp, token: &str) -> Value {
    app.json(Method::GET, "/image/v2/info/usage", Some(token), None)
        .await
        .json()["usage"]
        .clone()
}

#[tokio::test]
async fn limits_stop_uploads_and_creates_cleanly() {
    let app = TestApp::new().await;
    let (alpha, _) = app
        .user_with_role("alpha", "ann", "ann-password", Role::Member)
        .await;
    let ann = app.token("ann", "ann-password", "alpha").await;
    let admin = app.token("admin", ADMIN_PASSWORD, "admin").await;

    // Unlimited until an admin sets limits; members may not.
    assert_eq!(
        usage(&app, &ann).await["image_count_total"],
        json!({"limit": -1, "usage": 0})
    );
    let body = |name: &str, value: i64| json!({"limits": [{"project_id": alpha, "service_id": IMAGE_SERVICE_ID, "resource_name": name, "resource_limit": value}]});
    assert_eq!(
        app.json(
            Method::POST,
            "/identity/v3/limits",
            Some(&ann),
            Some(body("image_count_total", 99))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    for (name, value) in [("image_size_total", 3), ("image_count_total", 3)] {
        let a = app
            .json(
                Method::POST,
                "/identity/v3/limits",
                Some(&admin),
                Some(body(name, value)),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    }
    assert_eq!(
        app.json(
            Method::POST,
            "/identity/v3/limits",
            Some(&admin),
            Some(body("image_count_total", 5))
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.json(
            Method::POST,
            "/identity/v3/limits",
            Some(&admin),
            Some(body("cpu_cores", 5))
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    // The member sees its project's limits.
    let listed = app
        .json(Method::GET, "/identity/v3/limits", Some(&ann), None)
        .await
        .json();
    assert_eq!(listed["limits"].as_array().unwrap().len(), 2);

    let (_, first) = create(&app, &ann).await;
    let first = first["id"].as_str().unwrap().to_string();
    assert_eq!(
        upload(&app, &ann, &first, 2 * MIB, true).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        usage(&app, &ann).await["image_size_total"],
        json!({"limit": 3, "usage": 2})
    );

    // 2 MiB more would pass the 3 MiB quota: refused before streaming (declared) and while
    // streaming (chunked), and the image stays queued with no partial file.
    let (_, second) = create(&app, &ann).await;
    let second = second["id"].as_str().unwrap().to_string();
    assert_eq!(
        upload(&app, &ann, &second, 2 * MIB, true).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        upload(&app, &ann, &second, 2 * MIB, false).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let img = app
        .json(
            Method::GET,
            &format!("/image/v2/images/{second}"),
            Some(&ann),
            None,
        )
        .await
        .json();
    assert_eq!(img["status"], "queued");
    assert_eq!(support::leftovers(&app).await, 0);

    // The count quota: the third image is the last one allowed.
    assert_eq!(create(&app, &ann).await.0, StatusCode::CREATED);
    let (status, _) = create(&app, &ann).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        usage(&app, &ann).await["image_count_total"],
        json!({"limit": 3, "usage": 3})
    );

    // Deleting frees both: usage is right after deletes, and the upload now fits.
    assert_eq!(
        app.json(
            Method::DELETE,
            &format!("/image/v2/images/{first}"),
            Some(&ann),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let u = usage(&app, &ann).await;
    assert_eq!(u["image_size_total"], json!({"limit": 3, "usage": 0}));
    assert_eq!(u["image_count_total"], json!({"limit": 3, "usage": 2}));
    assert_eq!(
        upload(&app, &ann, &second, 2 * MIB, false).await,
        StatusCode::NO_CONTENT
    );

    // Raising a limit through PATCH takes effect at once.
    let id = listed["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["resource_name"] == "image_count_total")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = app
        .json(
            Method::PATCH,
            &format!("/identity/v3/limits/{id}"),
            Some(&admin),
            Some(json!({"limit": {"resource_limit": 10}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(create(&app, &ann).await.0, StatusCode::CREATED);
}
