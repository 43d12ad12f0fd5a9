//! The dashboard's server functions and pages, driven in-process as the browser would: login,
//! throttling, cookie flags, session rotation, logout, admin-only functions and SSR redirects.

use crate::support::{Answer, TestApp, ADMIN_PASSWORD};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use glimpse::domain::identity::Role;
use glimpse::server_fns::auth::{CurrentSession, Login, Logout, SessionInfo, SwitchProject};
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
        AppError::LoginRefused("The user name or password is incorrect.".into())
    );
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
        AppError::LoginRefused(m) => {
            assert!(m.starts_with("Too many failed login attempts"), "{m}")
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
