//! Sharing through the API: two projects and an admin, image members and their statuses, the
//! member-status list filter, and 404 masking.

use crate::support::{TestApp, ADMIN_PASSWORD};
use axum::http::{Method, StatusCode};
use glimpse::domain::identity::Role;
use serde_json::{json, Value};

struct Who<'a> {
    app: &'a TestApp,
    token: String,
    project: String,
}

impl<'a> Who<'a> {
    async fn new(app: &'a TestApp, project: &str, user: &str, role: Role) -> Who<'a> {
        let (pid, _) = app
            .user_with_role(project, user, "sharing-password", role)
            .await;
        Who {
            app,
            token: app.token(user, "sharing-password", project).await,
            project: pid,
        }
    }
    async fn call(&self, m: Method, path: &str, body: Option<Value>) -> crate::support::Answer {
        self.app
            .json(m, &format!("/image{path}"), Some(&self.token), body)
            .await
    }
    async fn names(&self, query: &str) -> Vec<String> {
        let a = self
            .call(Method::GET, &format!("/v2/images{query}"), None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        a.json()["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    }
}

#[tokio::test]
async fn sharing_with_another_project() {
    let app = TestApp::new().await;
    let a = Who::new(&app, "alpha", "ann", Role::Member).await;
    let b = Who::new(&app, "beta", "ben", Role::Member).await;
    let b_reader = Who::new(&app, "beta", "bea", Role::Reader).await;
    let c = Who::new(&app, "gamma", "cal", Role::Member).await;
    let admin = Who {
        app: &app,
        token: app.token("admin", ADMIN_PASSWORD, "admin").await,
        project: String::new(),
    };

    let img = a
        .call(
            Method::POST,
            "/v2/images",
            Some(json!({"name": "shared-img", "disk_format": "raw", "container_format": "bare"})),
        )
        .await
        .json();
    let id = img["id"].as_str().unwrap().to_string();
    let put = axum::http::Request::builder()
        .method(Method::PUT)
        .uri(format!("/image/v2/images/{id}/file"))
        .header("x-auth-token", &a.token)
        .header("content-type", "application/octet-stream")
        .body(axum::body::Body::from("shared bytes"))
        .unwrap();
    assert_eq!(app.send(put).await.status, StatusCode::NO_CONTENT);
    let members = format!("/v2/images/{id}/members");

    // B sees nothing before it is a member.
    assert!(b.names("").await.is_empty());
    assert_eq!(
        b.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Bad member requests.
    for (body, status) in [
        (json!({"member": ""}), StatusCode::BAD_REQUEST),
        (json!({"nope": 1}), StatusCode::BAD_REQUEST),
        (
            json!({"member": "0123456789abcdef0123456789abcdef"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        assert_eq!(
            a.call(Method::POST, &members, Some(body.clone()))
                .await
                .status,
            status,
            "{body}"
        );
    }
    assert_eq!(
        b.call(Method::POST, &members, Some(json!({"member": b.project})))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let added = a
        .call(Method::POST, &members, Some(json!({"member": b.project})))
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    assert_eq!(added.json()["status"], "pending");
    assert_eq!(added.json()["schema"], "/v2/schemas/member");
    assert_eq!(
        a.call(Method::POST, &members, Some(json!({"member": b.project})))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Pending: not in B's default list, but B can show and download it by id.
    assert!(b.names("").await.is_empty());
    assert_eq!(b.names("?member_status=pending").await, ["shared-img"]);
    assert_eq!(
        b.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        b.call(Method::GET, &format!("/v2/images/{id}/file"), None)
            .await
            .body,
        b"shared bytes"
    );
    // Readers may look but not download.
    assert_eq!(
        b_reader
            .call(Method::GET, &format!("/v2/images/{id}/file"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Only the member decides; the owner cannot accept for it.
    let mine = format!("{members}/{}", b.project);
    assert_eq!(
        a.call(Method::PUT, &mine, Some(json!({"status": "accepted"})))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.call(Method::PUT, &mine, Some(json!({"status": "maybe"})))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let acc = b
        .call(Method::PUT, &mine, Some(json!({"status": "accepted"})))
        .await;
    assert_eq!(acc.status, StatusCode::OK, "{}", acc.text());
    assert_eq!(b.names("").await, ["shared-img"]);

    // The owner sees every member, the member only itself, others nothing.
    assert_eq!(
        a.call(Method::GET, &members, None).await.json()["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        b.call(Method::GET, &members, None).await.json()["members"][0]["status"],
        "accepted"
    );
    assert_eq!(
        c.call(Method::GET, &members, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.call(Method::GET, &mine, None).await.status,
        StatusCode::NOT_FOUND
    );

    // B can neither delete nor change it.
    assert_eq!(
        b.call(Method::DELETE, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let patch = axum::http::Request::builder()
        .method(Method::PATCH)
        .uri(format!("/image/v2/images/{id}"))
        .header("x-auth-token", &b.token)
        .header(
            "content-type",
            "application/openstack-images-v2.1-json-patch",
        )
        .body(axum::body::Body::from(
            r#"[{"op":"replace","path":"/name","value":"stolen"}]"#,
        ))
        .unwrap();
    assert_eq!(app.send(patch).await.status, StatusCode::FORBIDDEN);

    // Rejected: gone from the default list, still visible by id, can be accepted later.
    b.call(Method::PUT, &mine, Some(json!({"status": "rejected"})))
        .await;
    assert!(b.names("").await.is_empty());
    assert_eq!(b.names("?member_status=rejected").await, ["shared-img"]);
    assert_eq!(
        b.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::OK
    );

    // An admin can set a member's status too; the owner removes B, who loses the image.
    assert_eq!(
        admin
            .call(Method::PUT, &mine, Some(json!({"status": "accepted"})))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        a.call(Method::DELETE, &mine, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        a.call(Method::DELETE, &mine, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(b.names("").await.is_empty());
    assert_eq!(
        b.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Only shared images have members.
    let private = a
        .call(
            Method::POST,
            "/v2/images",
            Some(json!({"name": "p", "visibility": "private"})),
        )
        .await
        .json();
    let r = a
        .call(
            Method::POST,
            &format!("/v2/images/{}/members", private["id"].as_str().unwrap()),
            Some(json!({"member": b.project})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("Only shared images have members"));
}
