//! The headers every response carries: a Content-Security-Policy on every HTML response (the
//! dashboard's with a fresh nonce that its inline scripts, and only they, carry; the API's HTML
//! error pages a policy that runs nothing), `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: same-origin`, and HSTS only when cookies are `Secure`; HTTPS served directly
//! with a certificate the test makes (openssl), checked by a client that trusts only it.

use crate::support::{Answer, TestApp};
use axum::body::Body;
use axum::http::{header, Request};

async fn get(app: &TestApp, path: &str, accept: &str) -> Answer {
    let req = Request::builder()
        .uri(path)
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .unwrap();
    app.send(req).await
}

fn csp(a: &Answer) -> String {
    a.header("content-security-policy")
        .unwrap_or_else(|| panic!("no CSP on {}", a.text()))
}

/// The nonce a dashboard policy allows.
fn nonce_of(policy: &str) -> String {
    let start = policy.find("'nonce-").expect("a nonce") + 7;
    policy[start..].split('\'').next().unwrap().to_string()
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    for (path, accept) in [
        ("/login", "text/html"),
        ("/image/v2/images", "application/json"),
        ("/identity/v3", "application/json"),
        ("/healthcheck", "*/*"),
        ("/pkg/nothing.js", "*/*"),
    ] {
        let a = get(&app, path, accept).await;
        assert_eq!(
            a.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            a.header("referrer-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            a.header("strict-transport-security"),
            None,
            "{path}: plain HTTP"
        );
    }
    let secure = TestApp::with(|s| s.cookie_secure = Some(true)).await;
    let a = get(&secure, "/login", "text/html").await;
    assert_eq!(
        a.header("strict-transport-security").as_deref(),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn dashboard_pages_allow_only_their_own_inline_scripts() {
    let app = TestApp::new().await;
    let first = get(&app, "/login", "text/html").await;
    let policy = csp(&first);
    for part in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
    ] {
        assert!(policy.contains(part), "{part} in {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = nonce_of(&policy);
    assert!(nonce.len() >= 16, "{nonce}");
    // Every inline script of the page carries this response's nonce.
    let html = first.text();
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "{html}");
    for s in &scripts {
        let tag = &s[..s.find('>').unwrap()];
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "a script without the nonce: <script{tag}>"
        );
    }
    // A new response, a new nonce.
    let second = get(&app, "/login", "text/html").await;
    assert_ne!(nonce_of(&csp(&second)), nonce);
}

#[tokio::test]
async fn the_apis_html_error_pages_run_nothing() {
    let app = TestApp::new().await;
    let a = get(&app, "/image/v2/images", "text/html").await;
    assert_eq!(a.status, 401);
    assert!(
        a.header("content-type").unwrap().starts_with("text/html"),
        "{:?}",
        a.header("content-type")
    );
    let policy = csp(&a);
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_is_served_directly_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let data = dir.path().join("data");
    let (server, _) = crate::interrupted::spawn_configured(
        &data,
        "tls-node",
        60,
        Some(crate::support::ADMIN_PASSWORD),
        None,
        &[
            ("GLIMPSE_TLS_CERT_FILE", cert.to_str().unwrap()),
            ("GLIMPSE_TLS_KEY_FILE", key.to_str().unwrap()),
        ],
    )
    .await;
    let trusting = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let url = format!("https://{}", server.addr);
    let a = trusting
        .get(format!("{url}/healthcheck"))
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 200);
    // Over HTTPS, cookies are Secure by default, and HSTS tells browsers to stay there.
    assert_eq!(
        a.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let page = trusting.get(format!("{url}/login")).send().await.unwrap();
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    // The API's links name the HTTPS address.
    let versions = trusting
        .get(format!("{url}/image/versions"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let versions: serde_json::Value = serde_json::from_slice(&versions).unwrap();
    let href = versions["versions"][0]["links"][0]["href"]
        .as_str()
        .unwrap();
    assert!(href.starts_with(&format!("{url}/image/")), "{href}");
    // A client that does not trust the certificate, and plain HTTP, get nowhere.
    assert!(reqwest::get(format!("{url}/healthcheck")).await.is_err());
    let plain = reqwest::get(format!("http://{}/healthcheck", server.addr)).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

/// Pages and JSON are compressed for clients that accept it; the image data never is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_json_are_compressed_but_never_the_image_data() {
    let app = TestApp::new().await;
    let admin = crate::support::Api::admin(&app).await;
    let send = |path: &str, encoding: Option<&'static str>| {
        let mut b = Request::builder()
            .uri(path.to_string())
            .header("x-auth-token", &admin.token)
            .header(header::ACCEPT, "application/json, text/html");
        if let Some(e) = encoding {
            b = b.header(header::ACCEPT_ENCODING, e);
        }
        app.send(b.body(Body::empty()).unwrap())
    };
    let a = send("/login", Some("br")).await;
    assert_eq!(a.header("content-encoding").as_deref(), Some("br"));
    assert!(a
        .header("vary")
        .unwrap()
        .to_lowercase()
        .contains("accept-encoding"));
    let a = send("/image/v2/images", Some("gzip")).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-encoding").as_deref(), Some("gzip"));
    let a = send("/image/v2/images", None).await;
    assert_eq!(a.header("content-encoding"), None);
    assert!(a.json()["images"].is_array());

    let img = admin
        .create(serde_json::json!({"name": "z", "disk_format": "raw", "container_format": "bare"}))
        .await;
    let id = img["id"].as_str().unwrap();
    let data = vec![0u8; 100_000]; // as compressible as data gets
    assert_eq!(admin.upload(id, &data, None).await.status, 204);
    let a = send(&format!("/image/v2/images/{id}/file"), Some("gzip, br")).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-encoding"), None);
    assert_eq!(a.header("content-length").as_deref(), Some("100000"));
    assert_eq!(a.body.len(), data.len());

    // Nor the live event stream, which must reach the browser event by event.
    let base = app.spawn().await;
    let login = app
        .server_fn(
            glimpse::server_fns::auth::Login::PATH,
            None,
            &[
                ("username", "admin"),
                ("password", crate::support::ADMIN_PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    use leptos::server_fn::ServerFn;
    let stream = reqwest::Client::new()
        .get(format!("{base}/events"))
        .header("cookie", login.session_cookie().unwrap())
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers().get("content-encoding"), None);
}

/// The dashboard's assets are revalidated on every visit (they keep their names across
/// releases): `no-cache`, and an unchanged one answers 304 with no body.
#[tokio::test]
async fn assets_are_revalidated_and_unchanged_ones_answer_304() {
    let app = TestApp::new().await;
    let pkg = app.config.site_root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("glimpse.js"),
        "export default function () {}\n".repeat(10),
    )
    .unwrap();
    let first = get(&app, "/pkg/glimpse.js", "*/*").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("cache-control").as_deref(), Some("no-cache"));
    let modified = first.header("last-modified").expect("a validator");
    let req = Request::builder()
        .uri("/pkg/glimpse.js")
        .header(header::IF_MODIFIED_SINCE, &modified)
        .body(Body::empty())
        .unwrap();
    let again = app.send(req).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("cache-control").as_deref(), Some("no-cache"));
    // Pages and the API are not assets.
    assert_eq!(
        get(&app, "/healthcheck", "*/*")
            .await
            .header("cache-control"),
        None
    );
}

/// Pages name the dashboard's assets under a hash of their contents; there they are cached for
/// a year as immutable, and the precompressed copies a release build makes are served to the
/// clients that accept them; another build id is not found.
#[tokio::test]
async fn assets_under_their_build_id_are_immutable_and_served_precompressed() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm: Vec<u8> = (0..40_000u32).map(|i| (i % 7) as u8).collect();
    std::fs::write(pkg.join("glimpse.wasm"), &wasm).unwrap();
    std::fs::write(
        pkg.join("glimpse.js"),
        "export default function () {}\n".repeat(50),
    )
    .unwrap();
    std::fs::write(pkg.join("glimpse.css"), "body { margin: 0 }\n".repeat(50)).unwrap();
    // Stand-ins for the compressed copies: the test sees which file answered.
    std::fs::write(pkg.join("glimpse.wasm.br"), b"the brotli copy").unwrap();
    std::fs::write(pkg.join("glimpse.wasm.gz"), b"the gzip copy").unwrap();
    let root = site.path().to_path_buf();
    let app = TestApp::with(move |s| s.site_root = Some(root)).await;
    let build = glimpse::server::assets::build_id(&pkg);
    assert_eq!(build.len(), 16, "{build}");

    let page = get(&app, "/login", "text/html").await.text();
    assert!(page.contains(&format!("/pkg/{build}/glimpse.js")), "{page}");
    assert!(
        page.contains(&format!("/pkg/{build}/glimpse.css")),
        "{page}"
    );

    let fetch = |encoding: &'static str| {
        let path = format!("/pkg/{build}/glimpse.wasm");
        let app = &app;
        async move {
            let req = Request::builder()
                .uri(path)
                .header(header::ACCEPT_ENCODING, encoding)
                .body(Body::empty())
                .unwrap();
            app.send(req).await
        }
    };
    for (accepts, encoding, body) in [
        ("br, gzip", Some("br"), &b"the brotli copy"[..]),
        ("gzip", Some("gzip"), &b"the gzip copy"[..]),
        ("identity", None, &wasm[..]),
    ] {
        let a = fetch(accepts).await;
        assert_eq!(a.status, 200, "{accepts}");
        assert_eq!(
            a.header("content-encoding").as_deref(),
            encoding,
            "{accepts}"
        );
        assert_eq!(a.body, body, "{accepts}");
        assert_eq!(
            a.header("cache-control").as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        assert!(
            a.header("vary")
                .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{accepts}: {:?}",
            a.header("vary")
        );
    }
    // Another build's URL is not served; the plain path still is, revalidated.
    assert_eq!(
        get(&app, "/pkg/0123456789abcdef/glimpse.wasm", "*/*")
            .await
            .status,
        404
    );
    let plain = get(&app, "/pkg/glimpse.wasm", "*/*").await;
    assert_eq!(
        (
            plain.status.as_u16(),
            plain.header("cache-control").as_deref()
        ),
        (200, Some("no-cache"))
    );
    // A new build is a new id.
    std::fs::write(pkg.join("glimpse.wasm"), b"another build").unwrap();
    assert_ne!(glimpse::server::assets::build_id(&pkg), build);
}

/// A split build's chunks and manifest are part of the build: changing any of them makes a new
/// build id (so a page never pairs a new main wasm with an old cached chunk); the compressed
/// copies are not, being made from those files.
#[test]
fn every_built_file_but_the_compressed_copies_makes_the_build_id() {
    let pkg = tempfile::tempdir().unwrap();
    let pkg = pkg.path();
    assert_eq!(glimpse::server::assets::build_id(pkg), "none");
    std::fs::write(pkg.join("glimpse.wasm"), b"main").unwrap();
    std::fs::write(pkg.join("glimpse.js"), b"loader").unwrap();
    std::fs::write(pkg.join("chunk_1.wasm"), b"one").unwrap();
    std::fs::write(pkg.join("__wasm_split_manifest.json"), b"{}").unwrap();
    let first = glimpse::server::assets::build_id(pkg);
    std::fs::write(pkg.join("chunk_1.wasm.br"), b"compressed").unwrap();
    std::fs::write(pkg.join("glimpse.wasm.gz"), b"compressed").unwrap();
    assert_eq!(glimpse::server::assets::build_id(pkg), first);
    std::fs::write(pkg.join("chunk_1.wasm"), b"two").unwrap();
    let second = glimpse::server::assets::build_id(pkg);
    assert_ne!(second, first);
    std::fs::write(pkg.join("__wasm_split_manifest.json"), b"{\"a\":[]}").unwrap();
    let third = glimpse::server::assets::build_id(pkg);
    assert_ne!(third, second);
    // The same contents under another name is another build too.
    std::fs::rename(pkg.join("chunk_1.wasm"), pkg.join("chunk_2.wasm")).unwrap();
    assert_ne!(glimpse::server::assets::build_id(pkg), third);
}

/// In a split build, a page whose code is split off, rendered on the server, asks the browser to
/// preload the chunks its manifest names (beside the main wasm) and their loader; pages in the
/// main wasm ask for none, and neither does a build that is not split.
#[tokio::test]
async fn a_split_page_preloads_its_chunks() {
    use glimpse::server_fns::auth::Login;
    use leptos::server_fn::ServerFn;
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("glimpse.wasm"), b"main").unwrap();
    std::fs::write(pkg.join("glimpse.js"), b"loader").unwrap();
    std::fs::write(
        pkg.join("__wasm_split_manifest.json"),
        r#"{"__create_image_view_42": ["chunk_3", "split___create_image_view_42"],
            "__image_view_7": ["chunk_3", "chunk_9", "split___image_view_7"]}"#,
    )
    .unwrap();
    let root = site.path().to_path_buf();
    let app = TestApp::with(move |s| s.site_root = Some(root)).await;
    let build = glimpse::server::assets::build_id(&pkg);
    let login = app
        .server_fn(
            Login::PATH,
            None,
            &[
                ("username", "admin"),
                ("password", crate::support::ADMIN_PASSWORD),
            ],
        )
        .await;
    let cookie = login.session_cookie().expect("logged in");
    let page = |path: &'static str| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let req = Request::builder()
                .uri(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap();
            let a = app.send(req).await;
            assert_eq!(a.status, 200, "{path}");
            a.text()
        }
    };
    // The preloads beyond the main wasm and its loader, which every page has.
    let preloads = |html: &str| {
        let mut found: Vec<String> = html
            .split("<link")
            .skip(1)
            .filter_map(|l| l.split('>').next())
            .filter(|l| l.contains("rel=\"preload\"") || l.contains("rel=\"modulepreload\""))
            .filter(|l| !l.contains("/glimpse"))
            .filter_map(|l| {
                l.split("href=\"")
                    .nth(1)?
                    .split('"')
                    .next()
                    .map(String::from)
            })
            .collect();
        found.sort();
        found
    };
    let create = page("/project/images/create").await;
    let base = format!("/pkg/{build}");
    assert_eq!(
        preloads(&create),
        vec![
            format!("{base}/__wasm_split.______________________.js"),
            format!("{base}/chunk_3.wasm"),
            format!("{base}/split___create_image_view_42.wasm"),
        ],
        "{create}"
    );
    let images = page("/project/images").await;
    assert_eq!(preloads(&images), Vec::<String>::new(), "{images}");
}
