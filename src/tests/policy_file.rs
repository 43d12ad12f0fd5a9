//! Operator policy overrides, read at start: they change what the API allows, and a bad file
//! stops the server from starting instead of allowing silently.

use crate::support::{settings, TestApp, ADMIN_PASSWORD};
use axum::http::{Method, StatusCode};
use glimpse::domain::identity::Role;
use glimpse::server::config::Config;
use glimpse::server::Backend;
use serde_json::json;

#[tokio::test]
async fn overrides_change_what_the_api_allows() {
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("policy.yaml");
    std::fs::write(
        &path,
        "# Deleting is for admins only; members may publish their own images.\n\
         \"delete_image\": \"role:admin\"\n\
         \"publicize_image\": \"rule:own_member\"\n\
         \"own_member\": \"role:member and project_id:%(owner)s\"\n",
    )
    .unwrap();
    let app = TestApp::with(|s| s.policy_file = Some(path.clone())).await;
    app.user_with_role("alpha", "ann", "ann-password", Role::Member)
        .await;
    let ann = app.token("ann", "ann-password", "alpha").await;
    let admin = app.token("admin", ADMIN_PASSWORD, "admin").await;

    let a = app
        .json(
            Method::POST,
            "/image/v2/images",
            Some(&ann),
            Some(json!({"name": "pub", "visibility": "public"})),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "the override lets members publish: {}",
        a.text()
    );
    let id = a.json()["id"].as_str().unwrap().to_string();
    let a = app
        .json(
            Method::DELETE,
            &format!("/image/v2/images/{id}"),
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.json()["message"]
        .as_str()
        .unwrap()
        .contains("delete_image"));
    let a = app
        .json(
            Method::DELETE,
            &format!("/image/v2/images/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn bad_policy_files_stop_the_start() {
    for (text, why) in [
        (
            "\"modfy_image\": \"role:admin\"\n",
            "unknown rule 'modfy_image'",
        ),
        ("\"modify_image\": \"role:admin or\"\n", "ends too early"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.yaml");
        std::fs::write(&path, text).unwrap();
        let mut s = settings(&dir);
        s.policy_file = Some(path);
        let err = Backend::open(&Config::resolve(s).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&dir);
    s.policy_file = Some(dir.path().join("missing.yaml"));
    assert!(Backend::open(&Config::resolve(s).unwrap())
        .await
        .unwrap_err()
        .to_string()
        .contains("cannot read policy file"));
}

/// The dashboard greys out what the operator's policy refuses: the server decides each row's and
/// the details page's actions with the overrides, not the browser with the defaults.
#[tokio::test]
async fn the_dashboard_greys_out_what_the_policy_file_refuses() {
    use glimpse::server_fns::images::{GetImageDetails, ImageDetails, ImagePage, ListImages};
    use leptos::server_fn::ServerFn;
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("policy.yaml");
    std::fs::write(&path, "\"delete_image\": \"role:admin\"\n").unwrap();
    let app = TestApp::with(|s| s.policy_file = Some(path.clone())).await;
    app.user_with_role("alpha", "ann", "ann-password", Role::Member)
        .await;
    let ann = app.token("ann", "ann-password", "alpha").await;
    let a = app
        .json(
            Method::POST,
            "/image/v2/images",
            Some(&ann),
            Some(json!({"name": "mine"})),
        )
        .await;
    let id = a.json()["id"].as_str().unwrap().to_string();
    let login = app
        .server_fn(
            glimpse::server_fns::auth::Login::PATH,
            None,
            &[
                ("username", "ann"),
                ("password", "ann-password"),
                ("next", "/"),
            ],
        )
        .await;
    let cookie = login.session_cookie().unwrap();
    let a = app
        .server_fn(ListImages::PATH, Some(&cookie), &[("query", "limit=20")])
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let page: ImagePage = serde_json::from_slice(&a.body).unwrap();
    assert_eq!(page.images.len(), page.actions.len());
    let why = &page.actions[0];
    assert_eq!(
        why.delete,
        Some(glimpse::domain::reason::Reason::PolicyRefuses {
            rule: "delete_image".into()
        }),
        "{why:?}"
    );
    // Without the file, Glance's default lets the owner's member delete it; editing stays allowed.
    assert_eq!(why.modify, None);
    let a = app
        .server_fn(GetImageDetails::PATH, Some(&cookie), &[("id", &id)])
        .await;
    let details: ImageDetails = serde_json::from_slice(&a.body).unwrap();
    assert_eq!(&details.actions, why);
    assert_eq!(details.owner_name.as_deref(), Some("alpha"));
}
