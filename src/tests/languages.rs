//! The dashboard's languages as the server renders them: `Accept-Language`, the choice kept in
//! the session (before the header, and past logout), `<html lang>`, and a refused language.

use crate::support::{Answer, TestApp, ADMIN_PASSWORD};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use glimpse::server_fns::auth::{Login, Logout, SetLanguage};
use leptos::server_fn::ServerFn;

async fn login_page(app: &TestApp, accept_language: Option<&str>, cookie: Option<&str>) -> String {
    let mut req = Request::builder()
        .uri("/login")
        .header(header::ACCEPT, "text/html");
    if let Some(l) = accept_language {
        req = req.header(header::ACCEPT_LANGUAGE, l);
    }
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let a = app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    a.text()
}

/// Logs in to the dashboard as the admin, in the session `cookie` names (if any).
async fn login_admin(app: &TestApp, cookie: Option<&str>) -> Answer {
    app.server_fn(
        Login::PATH,
        cookie,
        &[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "/"),
        ],
    )
    .await
}

async fn choose(app: &TestApp, cookie: Option<&str>, lang: &str) -> Answer {
    app.server_fn(SetLanguage::PATH, cookie, &[("lang", lang)])
        .await
}

/// A page not in English names and preloads its language's words, which the browser loads before
/// hydrating (the wasm holds English only): an asset cached for a year under a name that changes
/// with the words. An English page names none.
#[tokio::test]
async fn a_page_not_in_english_names_its_words_and_they_are_cached() {
    let app = TestApp::new().await;
    let en = login_page(&app, None, None).await;
    assert!(
        !en.contains("glimpse-words") && !en.contains("/words/"),
        "{en}"
    );
    let de = login_page(&app, Some("de"), None).await;
    let url = de
        .split(r#"name="glimpse-words" content=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no words named: {de}"))
        .to_string();
    assert!(
        url.starts_with("/words/de-") && url.ends_with(".tsv"),
        "{url}"
    );
    assert!(
        de.contains(&format!(
            r#"<link as="fetch" crossorigin="anonymous" href="{url}" rel="preload">"#
        )),
        "{de}"
    );
    let get = |uri: String| {
        let app = &app;
        async move {
            app.send(Request::builder().uri(uri).body(Body::empty()).unwrap())
                .await
        }
    };
    let words = get(url.clone()).await;
    assert_eq!(words.status, StatusCode::OK);
    assert_eq!(
        words.header("cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        words.header("content-type").as_deref(),
        Some("text/tab-separated-values; charset=utf-8")
    );
    let words = words.text();
    assert!(
        words.lines().any(|l| l == "User name\tBenutzername"),
        "{words}"
    );
    assert!(words.lines().any(|l| l == "Log in\tAnmelden"), "{words}");
    let zh = login_page(&app, Some("zh"), None).await;
    assert!(zh.contains("/words/zh-") && !zh.contains(&url), "{zh}");
    // Only the current words answer: an old or made-up name is not found.
    for wrong in [
        "/words/de-0000000000000000.tsv",
        "/words/en.tsv",
        "/words/xx-1.tsv",
    ] {
        assert_eq!(
            get(wrong.to_string()).await.status,
            StatusCode::NOT_FOUND,
            "{wrong}"
        );
    }
}

#[tokio::test]
async fn the_login_page_speaks_the_browsers_language() {
    let app = TestApp::new().await;
    let en = login_page(&app, None, None).await;
    assert!(en.contains(r#"<html lang="en""#), "{en}");
    assert!(en.contains("User name") && en.contains("Log in to manage your images."));

    let de = login_page(&app, Some("de-DE,de;q=0.9,en;q=0.5"), None).await;
    assert!(de.contains(r#"<html lang="de""#), "{de}");
    assert!(
        de.contains("Benutzername") && !de.contains("User name"),
        "{de}"
    );

    let zh = login_page(&app, Some("zh-CN,zh;q=0.9"), None).await;
    assert!(zh.contains(r#"<html lang="zh""#), "{zh}");
    assert!(zh.contains("用户名"), "{zh}");

    // A language the dashboard does not have falls back to English.
    let fr = login_page(&app, Some("fr-FR"), None).await;
    assert!(fr.contains(r#"<html lang="en""#) && fr.contains("User name"));
}

#[tokio::test]
async fn the_choice_kept_in_the_session_wins_and_outlives_logout() {
    let app = TestApp::new().await;
    // Chosen before logging in: the anonymous session keeps it.
    let a = choose(&app, None, "zh").await;
    assert!(a.status.is_success(), "{}", a.text());
    let cookie = a.session_cookie().expect("a session for the choice");
    let page = login_page(&app, Some("de"), Some(&cookie)).await;
    assert!(
        page.contains(r#"<html lang="zh""#) && page.contains("用户名"),
        "{page}"
    );

    // Logging in rotates the session and keeps the choice; changing it again is heard at once.
    let cookie = login_admin(&app, Some(&cookie))
        .await
        .session_cookie()
        .expect("rotated session");
    let a = choose(&app, Some(&cookie), "de").await;
    assert!(a.status.is_success(), "{}", a.text());
    let req = Request::builder()
        .uri("/project/images")
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, "en")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let images = app.send(req).await.text();
    assert!(images.contains(r#"<html lang="de""#), "{images}");
    assert!(
        images.contains("Abmelden") && images.contains("Alle Abbilder"),
        "{images}"
    );

    // Logging out ends the session but not the language of the login page after it.
    let a = app.server_fn(Logout::PATH, Some(&cookie), &[]).await;
    let after = a.session_cookie().expect("a session keeps the language");
    let page = login_page(&app, Some("en"), Some(&after)).await;
    assert!(
        page.contains(r#"<html lang="de""#) && page.contains("Benutzername"),
        "{page}"
    );
}

#[tokio::test]
async fn a_language_the_dashboard_lacks_is_refused() {
    let app = TestApp::new().await;
    let a = choose(&app, None, "fr").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    assert!(a.session_cookie().is_none(), "nothing kept");
}

/// The services' refusals reach the dashboard typed, and the page words them: an image name
/// over the schema's limit and a project that does not exist, in German.
#[tokio::test]
async fn refusals_from_the_image_rules_arrive_typed_and_are_worded_in_the_language() {
    use glimpse::app::i18n::Locale;
    use glimpse::app::lang;
    use glimpse::domain::image::SchemaProblem;
    use glimpse::domain::reason::Reason;
    use glimpse::server_fns::images::{AddMember, CreateImage, NewImageForm};
    use glimpse::server_fns::AppError;

    let app = TestApp::new().await;
    let cookie = login_admin(&app, None)
        .await
        .session_cookie()
        .expect("logged in");
    let form = |name: String| NewImageForm {
        name,
        disk_format: "raw".into(),
        container_format: "bare".into(),
        visibility: "private".into(),
        ..NewImageForm::default()
    };

    let a = app
        .json_server_fn(
            CreateImage::PATH,
            &cookie,
            serde_json::json!({ "form": form("n".repeat(300)) }),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    let e: AppError = serde_json::from_slice(&a.body).expect("an AppError");
    let AppError::Refused(Reason::Schema {
        problem: SchemaProblem::TooLong { value },
    }) = &e
    else {
        panic!("not a typed schema refusal: {e:?}");
    };
    assert_eq!(value, &format!("{}…", "n".repeat(32)));
    assert_eq!(lang::error(Locale::en, &e), e.to_string());
    let de = lang::error(Locale::de, &e);
    assert!(de.contains("ist zu lang (höchstens 255 Zeichen)"), "{de}");

    let a = app
        .json_server_fn(
            CreateImage::PATH,
            &cookie,
            serde_json::json!({ "form": form("fine".into()) }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let id = serde_json::from_slice::<serde_json::Value>(&a.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = app
        .server_fn(
            AddMember::PATH,
            Some(&cookie),
            &[("image_id", &id), ("project", "nowhere")],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    let e: AppError = serde_json::from_slice(&a.body).expect("an AppError");
    assert_eq!(
        e,
        AppError::Refused(Reason::UnknownProject {
            name: "nowhere".into()
        })
    );
    assert_eq!(
        lang::error(Locale::de, &e),
        "\"nowhere\" ist weder Name noch ID eines Projekts"
    );
}
