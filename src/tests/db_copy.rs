//! `glimpse db copy`: a deployment grown from its SQLite file into another database (PostgreSQL
//! when the suite runs against it), run as the operator would, then served from the copy.

use crate::support::{Api, TestApp, ADMIN_PASSWORD};
use axum::http::{Method, StatusCode};
use glimpse::domain::identity::Role;
use serde_json::json;
use std::process::Command;

fn copy(from: &str, to: &str, force: bool) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glimpse"));
    cmd.args(["db", "copy", "--from", from, "--to", to])
        .env_remove("GLIMPSE_CONFIG")
        .env_remove("GLIMPSE_DATABASE_URL");
    if force {
        cmd.arg("--force");
    }
    cmd.output().unwrap()
}

#[tokio::test]
async fn a_deployment_moves_to_another_database_whole() {
    // The source: always the embedded SQLite file, with users, a quota, images with data,
    // tags, properties and a member, and the metadefs catalog.
    let src = tempfile::tempdir().unwrap();
    let src_url = format!("sqlite://{}", src.path().join("glimpse.db").display());
    let url = src_url.clone();
    let data_dir = src.path().to_path_buf();
    let app = TestApp::with(move |s| {
        s.database_url = Some(url);
        s.data_dir = Some(data_dir);
    })
    .await;
    let (demo_id, _) = app
        .user_with_role("demo", "alice", "alice-password", Role::Member)
        .await;
    let api = Api::admin(&app).await;
    let img = api
        .create(
            json!({"name": "copied", "disk_format": "raw", "container_format": "bare",
                       "visibility": "shared", "tags": ["x", "y"], "os_distro": "cirros"}),
        )
        .await;
    let id = img["id"].as_str().unwrap().to_string();
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        api.upload(&id, &bytes, None).await.status,
        StatusCode::NO_CONTENT
    );
    let a = api
        .call(
            Method::POST,
            &format!("/v2/images/{id}/members"),
            Some(json!({"member": demo_id})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let source_image = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    app.backend.db.close().await;

    // The target: PostgreSQL when the suite runs on it, else another SQLite file.
    let dst = tempfile::tempdir().unwrap();
    let dst_url = crate::support::database_url(dst.path())
        .unwrap_or_else(|| format!("sqlite://{}", dst.path().join("copy.db").display()));
    let out = copy(&src_url, &dst_url, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in ["users: 2", "images: 1", "image_tags: 2", "image_members: 1"] {
        assert!(stdout.contains(line), "{line} in {stdout}");
    }
    // A second copy would overwrite a database in use: refused, unless forced.
    let again = copy(&src_url, &dst_url, false);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert!(copy(&src_url, &dst_url, true).status.success());

    // Served from the copy (same data directory, so the same file store): everything is there.
    let (url, data_dir) = (dst_url.clone(), src.path().to_path_buf());
    let copy_app = TestApp::with(move |s| {
        s.database_url = Some(url);
        s.data_dir = Some(data_dir);
    })
    .await;
    let api = Api::admin(&copy_app).await;
    let shown = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(shown, source_image);
    let got = api.download(&id, None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, bytes);
    let alice = copy_app.token("alice", "alice-password", "demo").await;
    let members = copy_app
        .json(
            Method::GET,
            "/image/v2/images?member_status=pending&visibility=shared",
            Some(&alice),
            None,
        )
        .await
        .json();
    assert_eq!(members["images"][0]["id"], id.as_str());
    assert!(copy_app
        .backend
        .identity
        .authenticate("admin", ADMIN_PASSWORD, None)
        .await
        .is_ok());
    let namespaces = copy_app
        .json(
            Method::GET,
            "/image/v2/metadefs/namespaces?limit=1000",
            Some(&api.token),
            None,
        )
        .await
        .json();
    assert_eq!(
        namespaces["namespaces"].as_array().unwrap().len(),
        glimpse::server::metadefs::catalog().len()
    );
}
