//! Delayed delete: a real server with `delayed_delete` on, deleted with the real `openstack`
//! client; the image answers 404 but keeps its data, members, tags and properties; the `glimpse`
//! binary lists the Trash, restores (data byte-compared through the client) and scrubs; two
//! scrubbers at once delete each image once; only admins see the Trash.

use crate::clients::Clients;
use crate::support::{has_data, Api, TestApp, ADMIN_PASSWORD};
use axum::http::{Method, StatusCode};
use glimpse::domain::ids::ImageId;
use glimpse::server::images::ImageError;
use glimpse::server::operator;
use glimpse::server_fns::auth::Login;
use glimpse::server_fns::trash::{ListTrash, RestoreImage};
use leptos::server_fn::ServerFn;
use serde_json::json;
use std::path::Path;
use std::process::Output;

/// The `glimpse` binary on the test app's data directory and database.
fn glimpse(dir: &Path, args: &[&str]) -> Output {
    crate::cli::glimpse(dir, args, None)
}

fn stdout_of(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The caller's project's stored image data, MiB (`GET /v2/info/usage`).
async fn usage(api: &Api<'_>) -> i64 {
    let a = api.call(Method::GET, "/v2/info/usage", None).await;
    a.json()["usage"]["image_size_total"]["usage"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", a.text()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_images_wait_in_the_trash_until_restored_or_scrubbed() {
    let app = TestApp::with(|s| {
        s.delayed_delete = Some(true);
        s.stores = None; // the file store, which the `glimpse` commands here find too
        s.scrub_time = Some(3600);
    })
    .await;
    let dir = app._dir.path().to_path_buf();
    let admin = Api::admin(&app).await;
    let member = Api::member(&app, "beta", "bob").await;
    let beta = app
        .backend
        .identity
        .find_project(&operator(), "beta")
        .await
        .unwrap()
        .unwrap()
        .id;
    let img = admin
        .create(
            json!({"name": "keep-me", "disk_format": "raw", "container_format": "bare",
                       "visibility": "shared", "tags": ["gold"], "os_distro": "debian"}),
        )
        .await;
    let id = img["id"].as_str().unwrap().to_string();
    let bytes: Vec<u8> = (0..(2u32 << 20) + 300_000)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    assert_eq!(
        admin.upload(&id, &bytes, None).await.status,
        StatusCode::NO_CONTENT
    );
    let a = admin
        .call(
            Method::POST,
            &format!("/v2/images/{id}/members"),
            Some(json!({"member": beta.to_string()})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let stored = usage(&admin).await;
    assert!(stored >= 2, "{stored} MiB");

    // The real client deletes it: 404 from then on, the data stays.
    let base = app.spawn().await;
    let clients = Clients::new(&base);
    let cli = clients.as_user("openstack", "admin", ADMIN_PASSWORD, "admin");
    let del = cli.run(&["image", "delete", &id]).await;
    assert!(del.ok, "{}", del.stderr);
    assert_eq!(
        admin
            .call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let show = cli.run(&["image", "show", &id]).await;
    assert!(!show.ok);
    let listed = admin.call(Method::GET, "/v2/images", None).await.json();
    assert!(listed["images"].as_array().unwrap().is_empty(), "{listed}");
    assert!(has_data(&app, &id).await, "the data stays");
    // As in Glance, a deleted image no longer counts against the owner's storage.
    assert_eq!(usage(&admin).await, 0);

    // Only admins see the Trash; the scrubber leaves it alone before scrub_time.
    let bob = app
        .backend
        .identity
        .find_user(&operator(), "bob")
        .await
        .unwrap()
        .unwrap();
    let bob = app
        .backend
        .identity
        .actor_in(&bob.id, &beta)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        app.backend.images.trash(&bob).await,
        Err(ImageError::Forbidden(_))
    ));
    // The dashboard's Trash: the same answer through its server functions.
    for (user, password, status, expect) in [
        (
            "bob",
            "member-password",
            StatusCode::FORBIDDEN,
            "AdminOnlyTrash",
        ),
        ("admin", ADMIN_PASSWORD, StatusCode::OK, "keep-me"),
    ] {
        let login = app
            .server_fn(
                Login::PATH,
                None,
                &[("username", user), ("password", password), ("next", "/")],
            )
            .await;
        let cookie = login.session_cookie().unwrap();
        let a = app.server_fn(ListTrash::PATH, Some(&cookie), &[]).await;
        assert_eq!(a.status, status, "{}", a.text());
        assert!(a.text().contains(expect), "{}", a.text());
        if user == "bob" {
            let a = app
                .server_fn(RestoreImage::PATH, Some(&cookie), &[("id", &id)])
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
        }
    }
    let trash = stdout_of(&glimpse(&dir, &["image", "trash"]));
    assert!(trash.contains(&id) && trash.contains("keep-me"), "{trash}");
    let scrubbed = stdout_of(&glimpse(&dir, &["--scrub-time", "3600", "scrub"]));
    assert!(scrubbed.contains("Removed the data of 0"), "{scrubbed}");
    assert!(has_data(&app, &id).await);

    // Restored from the command line: active, the same data, members, tags and properties.
    let restored = stdout_of(&glimpse(&dir, &["image", "restore", &id]));
    assert!(restored.contains("active"), "{restored}");
    let shown = cli.run(&["image", "show", "-f", "json", &id]).await.json();
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["tags"], json!(["gold"]));
    assert_eq!(shown["properties"]["os_distro"], "debian");
    let out = dir.join("restored.raw");
    let save = cli
        .run(&["image", "save", "--file", out.to_str().unwrap(), &id])
        .await;
    assert!(save.ok, "{}", save.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    let members = member
        .call(
            Method::GET,
            &format!("/v2/images/{id}/members/{beta}"),
            None,
        )
        .await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.text());
    assert_eq!(usage(&admin).await, stored);

    // Deleted again, then scrubbed with no waiting: data and record go, restore is refused.
    let del = cli.run(&["image", "delete", &id]).await;
    assert!(del.ok, "{}", del.stderr);
    let scrubbed = stdout_of(&glimpse(&dir, &["--scrub-time", "0", "scrub"]));
    assert!(scrubbed.contains("Removed the data of 1"), "{scrubbed}");
    assert!(!has_data(&app, &id).await);
    let again = glimpse(&dir, &["image", "restore", &id]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("is not waiting for the scrubber"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_scrubbers_at_once_delete_each_image_once() {
    let app = TestApp::with(|s| {
        s.delayed_delete = Some(true);
        s.stores = None; // the file store, which the `glimpse` commands here find too
        s.scrub_time = Some(0);
    })
    .await;
    let dir = app._dir.path().to_path_buf();
    let admin = Api::admin(&app).await;
    let mut ids = vec![];
    for n in 0..6 {
        let img = admin
            .create(json!({"name": format!("gone-{n}"), "disk_format": "raw", "container_format": "bare"}))
            .await;
        let id = img["id"].as_str().unwrap().to_string();
        assert_eq!(
            admin.upload(&id, &[n as u8; 4096], None).await.status,
            StatusCode::NO_CONTENT
        );
        let a = admin
            .call(Method::DELETE, &format!("/v2/images/{id}"), None)
            .await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
        ids.push(id);
    }
    assert_eq!(
        app.backend.images.trash(&operator()).await.unwrap().len(),
        6
    );
    // A scrubber in this process and one in another, at once.
    let other = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || stdout_of(&glimpse(&dir, &["--scrub-time", "0", "scrub"]))
    });
    let here = app.backend.images.scrub().await.unwrap();
    let there: usize = other
        .await
        .unwrap()
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap();
    assert_eq!(
        here + there,
        6,
        "each image scrubbed once ({here} + {there})"
    );
    for id in &ids {
        assert!(!has_data(&app, id).await);
        let id = ImageId::parse(id).unwrap();
        assert!(matches!(
            app.backend.images.restore(&operator(), &id).await,
            Err(ImageError::NotFound(_))
        ));
    }
    assert!(app
        .backend
        .images
        .trash(&operator())
        .await
        .unwrap()
        .is_empty());
}
