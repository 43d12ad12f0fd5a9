//! The dashboard's server functions and pages, driven in-process as the browser would: login,
//! throttling, cookie flags, session rotation, logout, admin-only functions and SSR redirects.

use crate::support::{Answer, TestApp, ADMIN_PASSWORD};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use glimpse::domain::identity::Role;
use glimpse::server_fns::auth::{CurrentSession, Login, Logout, SessionInfo, SwitchProject};
use glimpse::server_fns::error::LoginRefusal;
use glimpse::server_fns::identity::{CreateProject, ListUsers};
use glimpse::server_fns::AppError;
use leptos::server_fn::ServerFn;

async fn login(app: &TestApp, cookie: Option<&str>, user: &str, password: &str) -> Answer {
    app.server_fn(
        Login::PATH,
        cookie,
        &[
            ("username", user),
            ("password", password),
            ("next", "/accounts/users"),
        ],
    )
    .await
}

fn err(a: &Answer) -> AppError {
    assert!(
        !a.status.is_success(),
        "expected an error, got {} {}",
        a.status,
        a.text()
    );
    serde_json::from_slice(&a.body).unwrap_or_else(|_| panic!("not an AppError: {}", a.text()))
}

async fn session(app: &TestApp, cookie: &str) -> Option<SessionInfo> {
    let a = app.server_fn(CurrentSession::PATH, Some(cookie), &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    serde_json::from_slice(&a.body).unwrap()
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_redirects() {
    let app = TestApp::new().await;
    let a = login(&app, None, "admin", ADMIN_PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header("location").as_deref(), Some("/accounts/users"));
    let set = a.set_cookie_header().expect("session cookie");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(!set.contains("Secure"), "{set}");
    let info = session(&app, &a.session_cookie().unwrap())
        .await
        .expect("logged in");
    assert_eq!(info.user_name, "admin");
    assert_eq!(info.project_name, "admin");
    assert!(info.is_admin());
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let app = TestApp::with(|s| s.cookie_secure = Some(true)).await;
    let a = login(&app, None, "admin", ADMIN_PASSWORD).await;
    assert!(a.set_cookie_header().unwrap().contains("Secure"));
}

#[tokio::test]
async fn wrong_user_and_wrong_password_get_the_same_answer() {
    let app = TestApp::new().await;
    let wrong_pw = err(&login(&app, None, "admin", "not-the-password").await);
    let wrong_user = err(&login(&app, None, "nobody", ADMIN_PASSWORD).await);
    assert_eq!(wrong_pw, wrong_user);
    assert_eq!(
        wrong_pw,
        AppError::LoginRefused(LoginRefusal::BadCredentials)
    );
}

#[tokio::test]
async fn a_lockout_earned_on_one_node_holds_on_another() {
    // A second node: its own services (and throttle) over the same database.
    let app = TestApp::new().await;
    let other = glimpse::server::Backend::open(&app.config).await.unwrap();
    for _ in 0..3 {
        login(&app, None, "admin", "not-the-password").await;
    }
    match other
        .identity
        .authenticate("admin", ADMIN_PASSWORD, None)
        .await
    {
        Err(glimpse::server::identity::IdentityError::Locked(left)) => {
            assert!(left.as_secs() > 500, "{left:?}")
        }
        other => panic!("{other:?}"),
    }
    // A success on the other node clears the user's record for both (before it locks).
    other
        .identity
        .create_user(
            &glimpse::server::operator(),
            glimpse::server::identity::service::NewUser {
                name: "carol".into(),
                password: "carol-password".into(),
                enabled: true,
                default_project_id: None,
                email: None,
                description: String::new(),
            },
        )
        .await
        .unwrap();
    for _ in 0..2 {
        assert!(other
            .identity
            .authenticate("carol", "nope-nope-nope", None)
            .await
            .is_err());
    }
    assert!(other
        .identity
        .authenticate("carol", "carol-password", None)
        .await
        .is_ok());
    for _ in 0..2 {
        assert!(app
            .backend
            .identity
            .authenticate("carol", "nope-nope-nope", None)
            .await
            .is_err());
    }
    assert!(app
        .backend
        .identity
        .authenticate("carol", "carol-password", None)
        .await
        .is_ok());
}

#[tokio::test]
async fn repeated_failures_lock_the_user_out() {
    // The test app locks after 3 failures.
    let app = TestApp::new().await;
    for _ in 0..3 {
        login(&app, None, "admin", "not-the-password").await;
    }
    let e = err(&login(&app, None, "admin", ADMIN_PASSWORD).await);
    match e {
        AppError::LoginRefused(LoginRefusal::Locked { minutes }) => {
            assert!((1..=60).contains(&minutes), "{minutes}")
        }
        other => panic!("{other:?}"),
    }
    // The Keystone API shares the throttle.
    let a = app
        .json(
            axum::http::Method::POST,
            "/identity/v3/auth/tokens",
            None,
            Some(crate::support::auth_body("admin", ADMIN_PASSWORD, "admin")),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Too many failed login attempts"));
    // Other users are unaffected.
    app.user_with_role("demo", "bob", "bob-password", Role::Member)
        .await;
    assert_eq!(
        login(&app, None, "bob", "bob-password").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn login_rotates_the_session_and_logout_ends_it() {
    let app = TestApp::new().await;
    let first = login(&app, None, "admin", ADMIN_PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let second = login(&app, Some(&first), "admin", ADMIN_PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    assert_ne!(first, second, "the session id changes at login");
    assert!(
        session(&app, &first).await.is_none(),
        "the old id is worthless"
    );
    assert!(session(&app, &second).await.is_some());

    let a = app.server_fn(Logout::PATH, Some(&second), &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(
        session(&app, &second).await.is_none(),
        "logout deletes the session"
    );
}

#[tokio::test]
async fn members_are_refused_admin_functions() {
    let app = TestApp::new().await;
    app.user_with_role("demo", "bob", "bob-password", Role::Member)
        .await;
    let cookie = login(&app, None, "bob", "bob-password")
        .await
        .session_cookie()
        .unwrap();
    let info = session(&app, &cookie).await.unwrap();
    assert!(!info.is_admin());
    let e = err(&app
        .server_fn(
            CreateProject::PATH,
            Some(&cookie),
            &[("name", "evil"), ("description", "")],
        )
        .await);
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let e = err(&app.server_fn(ListUsers::PATH, Some(&cookie), &[]).await);
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    // Anonymous callers are told to log in.
    let e = err(&app.server_fn(ListUsers::PATH, None, &[]).await);
    assert_eq!(e, AppError::Unauthenticated);

    // An admin may.
    let admin = login(&app, None, "admin", ADMIN_PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let a = app
        .server_fn(
            CreateProject::PATH,
            Some(&admin),
            &[("name", "fine"), ("description", "ok")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

#[tokio::test]
async fn switching_projects_needs_a_role_there() {
    let app = TestApp::new().await;
    let (demo, _) = app
        .user_with_role("demo", "bob", "bob-password", Role::Member)
        .await;
    let (other, _) = app
        .user_with_role("other", "eve", "eve-password", Role::Member)
        .await;
    let op = glimpse::server::operator();
    let bob = app
        .backend
        .identity
        .find_user(&op, "bob")
        .await
        .unwrap()
        .unwrap();
    app.backend
        .identity
        .assign_role(&op, &bob.id, &other.parse().unwrap(), Role::Reader)
        .await
        .unwrap();
    let admin_project = app
        .backend
        .identity
        .find_project(&op, "admin")
        .await
        .unwrap()
        .unwrap();

    let cookie = login(&app, None, "bob", "bob-password")
        .await
        .session_cookie()
        .unwrap();
    let info = session(&app, &cookie).await.unwrap();
    assert_eq!(info.project_id, demo);
    assert_eq!(info.projects.len(), 2);

    let a = app
        .server_fn(
            SwitchProject::PATH,
            Some(&cookie),
            &[("project_id", &other)],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let info = session(&app, &cookie).await.unwrap();
    assert_eq!(info.project_name, "other");
    assert!(!info.roles.contains(Role::Member), "a reader there");

    let e = err(&app
        .server_fn(
            SwitchProject::PATH,
            Some(&cookie),
            &[("project_id", admin_project.id.as_str())],
        )
        .await);
    assert!(matches!(e, AppError::Forbidden(_)));
}

#[tokio::test]
async fn pages_redirect_anonymous_visitors_to_login() {
    let app = TestApp::new().await;
    let req = Request::builder()
        .uri("/accounts/users")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, StatusCode::FOUND, "{}", a.text());
    assert_eq!(
        a.header("location").as_deref(),
        Some("/login?next=/accounts/users")
    );

    let req = Request::builder()
        .uri("/login")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("User name"));

    let cookie = login(&app, None, "admin", ADMIN_PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let req = Request::builder()
        .uri("/accounts/users")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    assert!(
        html.contains("Create User") && html.contains(">admin<"),
        "server-rendered users page"
    );

    let req = Request::builder()
        .uri("/no/such/page")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::NOT_FOUND);
}

/// The images table's list: the name search (any part, any case, kept in step with renames and
/// deletes), the total, paging forwards and back, and owners by project name.
#[tokio::test]
async fn the_images_list_searches_counts_and_pages_both_ways() {
    use crate::support::Api;
    use axum::http::Method;
    use glimpse::server_fns::images::{ImagePage, ListImages};
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let img = api
            .create(serde_json::json!({"name": format!("Ubuntu-2{i}.04-server")}))
            .await;
        ids.push(img["id"].as_str().unwrap().to_string());
    }
    api.create(serde_json::json!({"name": "cirros"})).await;
    api.create(serde_json::json!({"name": "100%_done"})).await;
    let cookie = login(&app, None, "admin", ADMIN_PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let list = |query: String| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let a = app
                .server_fn(ListImages::PATH, Some(&cookie), &[("query", &query)])
                .await;
            assert_eq!(a.status, StatusCode::OK, "{query}: {}", a.text());
            serde_json::from_slice::<ImagePage>(&a.body).unwrap()
        }
    };
    let names = |p: &ImagePage| -> Vec<String> {
        p.images.iter().map(|i| i.name.clone().unwrap()).collect()
    };

    // Any part of the name, in any case; the total counts every page.
    let p = list("search=UBUNTU&limit=3&sort_key=name&sort_dir=asc".into()).await;
    assert_eq!(p.total, 7);
    assert_eq!(
        names(&p),
        [
            "Ubuntu-20.04-server",
            "Ubuntu-21.04-server",
            "Ubuntu-22.04-server"
        ]
    );
    assert_eq!(p.prev_marker, None);
    let p2 = list(format!(
        "search=ubuntu&limit=3&sort_key=name&sort_dir=asc&marker={}",
        p.next_marker.clone().unwrap()
    ))
    .await;
    assert_eq!(
        names(&p2),
        [
            "Ubuntu-23.04-server",
            "Ubuntu-24.04-server",
            "Ubuntu-25.04-server"
        ]
    );
    let p3 = list(format!(
        "search=ubuntu&limit=3&sort_key=name&sort_dir=asc&marker={}",
        p2.next_marker.clone().unwrap()
    ))
    .await;
    assert_eq!(names(&p3), ["Ubuntu-26.04-server"]);
    assert_eq!(p3.next_marker, None);
    // Back from the last page, then back to the first, where there is no page before.
    let back = list(format!(
        "search=ubuntu&limit=3&sort_key=name&sort_dir=asc&before={}",
        p3.prev_marker.clone().unwrap()
    ))
    .await;
    assert_eq!(names(&back), names(&p2));
    assert!(back.next_marker.is_some());
    let first = list(format!(
        "search=ubuntu&limit=3&sort_key=name&sort_dir=asc&before={}",
        back.prev_marker.clone().unwrap()
    ))
    .await;
    assert_eq!(names(&first), names(&p));
    assert_eq!(first.prev_marker, None);

    // Short terms and LIKE's own wildcards are taken literally.
    assert_eq!(list("search=4.".into()).await.total, 1);
    assert_eq!(names(&list("search=%_d".into()).await), ["100%_done"]);
    assert_eq!(list("search=%25".into()).await.total, 1);
    assert_eq!(list("search=%25%25".into()).await.total, 0);

    // Renames and deletes keep the search in step.
    let a = api
        .patch(
            &ids[0],
            serde_json::json!([{"op": "replace", "path": "/name", "value": "debian-13"}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        api.call(Method::DELETE, &format!("/v2/images/{}", ids[1]), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(list("search=ubuntu".into()).await.total, 5);
    assert_eq!(names(&list("search=DEBIAN".into()).await), ["debian-13"]);
    // Glance's exact name filter is untouched.
    assert_eq!(list("name=cirros".into()).await.total, 1);
    assert_eq!(list("name=cirr".into()).await.total, 0);
    // Owners come with their project names.
    assert!(
        p.project_names.iter().any(|(_, n)| n == "admin"),
        "{:?}",
        p.project_names
    );
}
