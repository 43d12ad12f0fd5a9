//! The Keystone subset, tokens, and the cross-cutting HTTP behaviour (request ids, health check,
//! the cross-site guard), driven in-process.

use crate::support::{auth_body, TestApp, ADMIN_PASSWORD, PUBLIC_URL};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use glimpse::domain::identity::Role;
use glimpse::server::identity::service::UserPatch;
use glimpse::server::operator;
use serde_json::json;

#[tokio::test]
async fn version_discovery_points_at_v3() {
    let app = TestApp::new().await;
    let a = app.json(Method::GET, "/identity", None, None).await;
    assert_eq!(a.status, StatusCode::MULTIPLE_CHOICES);
    let href = a.json()["versions"]["values"][0]["links"][0]["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(href, format!("{PUBLIC_URL}/identity/v3/"));
    let a = app.json(Method::GET, "/identity/v3", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["version"]["id"], "v3.14");
}

#[tokio::test]
async fn password_token_has_user_project_roles_and_catalog() {
    let app = TestApp::new().await;
    let a = app
        .json(
            Method::POST,
            "/identity/v3/auth/tokens",
            None,
            Some(auth_body("admin", ADMIN_PASSWORD, "admin")),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert!(a.header("x-subject-token").unwrap().len() >= 40);
    let t = &a.json()["token"];
    assert_eq!(t["user"]["name"], "admin");
    assert_eq!(t["project"]["name"], "admin");
    let roles: Vec<&str> = t["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(roles.len(), 3, "admin implies member and reader: {roles:?}");
    assert!(roles.contains(&"admin") && roles.contains(&"member") && roles.contains(&"reader"));
    assert!(t["expires_at"].as_str().unwrap().ends_with('Z'));
    let image = t["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "image")
        .expect("image service");
    assert_eq!(image["endpoints"][0]["url"], format!("{PUBLIC_URL}/image"));
}

#[tokio::test]
async fn scope_by_project_id_and_by_user_id() {
    let app = TestApp::new().await;
    let (pid, uid) = app
        .user_with_role("demo", "bob", "bob-password", Role::Member)
        .await;
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": uid, "password": "bob-password"}}},
        "scope": {"project": {"id": pid}}}});
    let a = app
        .json(Method::POST, "/identity/v3/auth/tokens", None, Some(body))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(a.json()["token"]["project"]["id"], pid.as_str());
}

#[tokio::test]
async fn bad_credentials_and_foreign_scope_are_refused() {
    let app = TestApp::new().await;
    app.user_with_role("demo", "bob", "bob-password", Role::Member)
        .await;
    for (user, pw, project) in [
        ("bob", "wrong-password", "demo"),
        ("nobody", "bob-password", "demo"),
        // bob holds no role on project admin
        ("bob", "bob-password", "admin"),
        ("bob", "bob-password", "no-such-project"),
    ] {
        let a = app
            .json(
                Method::POST,
                "/identity/v3/auth/tokens",
                None,
                Some(auth_body(user, pw, project)),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{user}/{project}");
        assert_eq!(a.json()["error"]["code"], 401);
        assert!(a.header("x-subject-token").is_none());
    }
}

#[tokio::test]
async fn validate_then_revoke() {
    let app = TestApp::new().await;
    let admin = app.token("admin", ADMIN_PASSWORD, "admin").await;
    app.user_with_role("demo", "bob", "bob-password", Role::Member)
        .await;
    let bob = app.token("bob", "bob-password", "demo").await;

    let check = |caller: String, subject: String| {
        Request::builder()
            .uri("/identity/v3/auth/tokens")
            .header("x-auth-token", caller)
            .header("x-subject-token", subject)
            .body(Body::empty())
            .unwrap()
    };
    let a = app.send(check(admin.clone(), bob.clone())).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["token"]["user"]["name"], "bob");
    // HEAD answers too.
    let mut head = check(bob.clone(), bob.clone());
    *head.method_mut() = Method::HEAD;
    assert_eq!(app.send(head).await.status, StatusCode::OK);
    // A member cannot look at someone else's token.
    assert_eq!(
        app.send(check(bob.clone(), admin.clone())).await.status,
        StatusCode::FORBIDDEN
    );

    let mut del = check(admin.clone(), bob.clone());
    *del.method_mut() = Method::DELETE;
    assert_eq!(app.send(del).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(check(admin.clone(), bob.clone())).await.status,
        StatusCode::NOT_FOUND
    );
    let a = app
        .json(Method::GET, "/identity/v3/auth/projects", Some(&bob), None)
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_expire() {
    let app = TestApp::with(|s| s.token_lifetime = Some(0)).await;
    let t = app.token("admin", ADMIN_PASSWORD, "admin").await;
    let a = app
        .json(Method::GET, "/identity/v3/projects", Some(&t), None)
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_die_with_disabling_and_role_removal() {
    let app = TestApp::new().await;
    let (pid, uid) = app
        .user_with_role("demo", "bob", "bob-password", Role::Member)
        .await;
    let op = operator();
    let id = &app.backend.identity;

    let t = app.token("bob", "bob-password", "demo").await;
    assert_eq!(
        app.json(Method::GET, "/identity/v3/auth/projects", Some(&t), None)
            .await
            .status,
        StatusCode::OK
    );
    id.update_user(
        &op,
        &uid.parse().unwrap(),
        UserPatch {
            enabled: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.json(Method::GET, "/identity/v3/auth/projects", Some(&t), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    id.update_user(
        &op,
        &uid.parse().unwrap(),
        UserPatch {
            enabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let t = app.token("bob", "bob-password", "demo").await;
    id.unassign_role(
        &op,
        &uid.parse().unwrap(),
        &pid.parse().unwrap(),
        Role::Member,
    )
    .await
    .unwrap();
    assert_eq!(
        app.json(Method::GET, "/identity/v3/auth/projects", Some(&t), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn admin_manages_projects_users_and_roles() {
    let app = TestApp::new().await;
    let t = app.token("admin", ADMIN_PASSWORD, "admin").await;
    let a = app
        .json(
            Method::POST,
            "/identity/v3/projects",
            Some(&t),
            Some(json!({"project": {"name": "demo", "description": "d", "domain_id": "default"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let pid = a.json()["project"]["id"].as_str().unwrap().to_string();
    let dup = app
        .json(
            Method::POST,
            "/identity/v3/projects",
            Some(&t),
            Some(json!({"project": {"name": "demo"}})),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let bad = app
        .json(
            Method::POST,
            "/identity/v3/projects",
            Some(&t),
            Some(json!({"project": {"name": " "}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Lookups the way openstackclient does them: by id (404 for a name), then by name filter.
    assert_eq!(
        app.json(Method::GET, "/identity/v3/projects/demo", Some(&t), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let found = app
        .json(
            Method::GET,
            "/identity/v3/projects?name=demo",
            Some(&t),
            None,
        )
        .await
        .json();
    assert_eq!(found["projects"].as_array().unwrap().len(), 1);
    assert_eq!(found["projects"][0]["id"], pid.as_str());

    let a = app
        .json(Method::POST, "/identity/v3/users", Some(&t), Some(json!({"user": {"name": "carol", "password": "carol-password", "default_project_id": pid}})))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let uid = a.json()["user"]["id"].as_str().unwrap().to_string();
    assert!(
        a.json()["user"].get("password").is_none(),
        "no password in answers"
    );
    let short = app
        .json(
            Method::POST,
            "/identity/v3/users",
            Some(&t),
            Some(json!({"user": {"name": "dave", "password": "short"}})),
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);

    let roles = app
        .json(
            Method::GET,
            "/identity/v3/roles?name=member",
            Some(&t),
            None,
        )
        .await
        .json();
    let rid = roles["roles"][0]["id"].as_str().unwrap().to_string();
    let grant = format!("/identity/v3/projects/{pid}/users/{uid}/roles/{rid}");
    assert_eq!(
        app.json(Method::PUT, &grant, Some(&t), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.json(Method::HEAD, &grant, Some(&t), None).await.status,
        StatusCode::NO_CONTENT
    );
    let list = app
        .json(
            Method::GET,
            &format!("/identity/v3/role_assignments?user.id={uid}&include_names=1"),
            Some(&t),
            None,
        )
        .await
        .json();
    assert_eq!(list["role_assignments"][0]["role"]["name"], "member");
    assert_eq!(
        list["role_assignments"][0]["scope"]["project"]["name"],
        "demo"
    );

    // The new user logs in, and is refused admin calls.
    let carol = app.token("carol", "carol-password", "demo").await;
    let a = app
        .json(
            Method::POST,
            "/identity/v3/projects",
            Some(&carol),
            Some(json!({"project": {"name": "evil"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.json(Method::GET, "/identity/v3/users", Some(&carol), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // But sees herself.
    assert_eq!(
        app.json(
            Method::GET,
            &format!("/identity/v3/users/{uid}"),
            Some(&carol),
            None
        )
        .await
        .status,
        StatusCode::OK
    );

    // Password change through PATCH revokes her tokens.
    let a = app
        .json(
            Method::PATCH,
            &format!("/identity/v3/users/{uid}"),
            Some(&t),
            Some(json!({"user": {"password": "new-carol-password"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        app.json(
            Method::GET,
            &format!("/identity/v3/users/{uid}"),
            Some(&carol),
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );

    assert_eq!(
        app.json(Method::DELETE, &grant, Some(&t), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.json(Method::DELETE, &grant, Some(&t), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.json(
            Method::DELETE,
            &format!("/identity/v3/users/{uid}"),
            Some(&t),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.json(
            Method::DELETE,
            &format!("/identity/v3/projects/{pid}"),
            Some(&t),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.json(
            Method::GET,
            &format!("/identity/v3/projects/{pid}"),
            Some(&t),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn admins_cannot_lock_themselves_out() {
    let app = TestApp::new().await;
    let t = app.token("admin", ADMIN_PASSWORD, "admin").await;
    let me = app
        .json(Method::GET, "/identity/v3/users?name=admin", Some(&t), None)
        .await
        .json();
    let uid = me["users"][0]["id"].as_str().unwrap().to_string();
    let a = app
        .json(
            Method::PATCH,
            &format!("/identity/v3/users/{uid}"),
            Some(&t),
            Some(json!({"user": {"enabled": false}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("your own account"));
}

/// A load balancer's view: 503 naming the part this node cannot reach, 200 once it can again.
#[tokio::test]
async fn healthcheck_reports_the_database_and_the_stores() {
    let app = TestApp::new().await;
    let health = || async { app.json(Method::GET, "/healthcheck", None, None).await };
    assert_eq!(health().await.status, StatusCode::OK);
    if crate::support::data_in_s3() {
        return; // s3::healthcheck_names_an_unreachable_s3_store covers that store
    }
    let uploads = app.config.data_dir.join("images/.tmp");
    std::fs::remove_dir(&uploads).unwrap();
    let a = health().await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(a.text(), "store file unreachable");
    std::fs::create_dir(&uploads).unwrap();
    assert_eq!(health().await.status, StatusCode::OK);
    app.backend.db.close().await;
    let a = health().await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(a.text(), "database unreachable");
}

#[tokio::test]
async fn request_ids_health_and_errors() {
    let app = TestApp::new().await;
    let a = app.json(Method::GET, "/healthcheck", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let id = a.header("x-openstack-request-id").expect("request id");
    assert!(id.starts_with("req-") && id.len() == 40, "{id}");
    let req = Request::builder()
        .uri("/healthcheck")
        .header("x-openstack-request-id", "req-mine-42")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.send(req)
            .await
            .header("x-openstack-request-id")
            .unwrap(),
        "req-mine-42"
    );
    let a = app
        .json(Method::GET, "/identity/v3/projects", None, None)
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.header("x-openstack-request-id").is_some());
    assert_eq!(a.json()["error"]["title"], "Unauthorized");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::new().await;
    let req = |origin: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/identity/v3/auth/tokens")
            .header("host", "glimpse.test")
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(Body::from(
                auth_body("admin", ADMIN_PASSWORD, "admin").to_string(),
            ))
            .unwrap()
    };
    assert_eq!(
        app.send(req("http://evil.example")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(req("http://glimpse.test")).await.status,
        StatusCode::CREATED
    );
}
