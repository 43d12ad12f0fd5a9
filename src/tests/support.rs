//! `TestApp`: a migrated SQLite file and the full router in a temp dir, plus request helpers.

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use glimpse::domain::identity::Role;
use glimpse::server::config::{Config, Settings};
use glimpse::server::identity::service::{NewProject, NewUser};
use glimpse::server::{operator, router, Backend};
use http_body_util::BodyExt;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tempfile::TempDir;
use tower::ServiceExt;

pub const ADMIN_PASSWORD: &str = "admin-secret-1";
pub const PUBLIC_URL: &str = "http://glimpse.test";

pub struct TestApp {
    pub router: Router,
    pub backend: Backend,
    pub config: Arc<Config>,
    /// Kept so the temp dir lives as long as the app.
    pub _dir: TempDir,
}

/// One answer, with the body read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
    /// The `name=value` part of the session cookie this answer sets, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("glimpse_session="))
            .map(|c| c.split(';').next().unwrap().to_string())
    }
    pub fn set_cookie_header(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("glimpse_session="))
    }
}

/// The database a test uses when the suite runs against PostgreSQL: `GLIMPSE_TEST_DATABASE_URL`
/// names a server (`postgres://user@host:port/db`), and each call creates a fresh database
/// there for the data directory `dir` (kept in `dir/.test-database-url`, so several nodes or
/// commands on one directory share it). `None` means the default: a SQLite file in `dir`.
pub fn database_url(dir: &Path) -> Option<String> {
    let server = std::env::var("GLIMPSE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let remembered = dir.join(".test-database-url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return Some(url);
    }
    let name = format!("glimpse_t_{}", uuid::Uuid::new_v4().simple());
    let base = server
        .rsplit_once('/')
        .expect("GLIMPSE_TEST_DATABASE_URL is postgres://user@host:port/db")
        .0
        .to_string();
    let create = format!("CREATE DATABASE {name}");
    // Tests call this from inside their runtime; the database is made on a thread of its own.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                use sqlx::{Connection, Executor};
                let mut c = sqlx::PgConnection::connect(&server).await.unwrap();
                c.execute(create.as_str()).await.unwrap();
                c.close().await.unwrap();
            })
    })
    .join()
    .expect("test database created");
    let url = format!("{base}/{name}");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&remembered, &url).unwrap();
    Some(url)
}

pub fn settings(dir: &TempDir) -> Settings {
    Settings {
        database_url: database_url(dir.path()),
        data_dir: Some(dir.path().to_path_buf()),
        site_root: Some(dir.path().join("site")),
        login_max_failures: Some(3),
        login_lockout: Some(600),
        // GLIMPSE_TEST_STORE=s3: the in-process apps keep image data in the test S3 bucket.
        stores: (std::env::var("GLIMPSE_TEST_STORE").as_deref() == Ok("s3"))
            .then(|| vec![crate::s3::test_bucket_store()]),
        ..Default::default()
    }
}

/// Whether any store holds data for image `id` where an upload would put it.
pub async fn has_data(app: &TestApp, id: &str) -> bool {
    let id = glimpse::domain::ids::ImageId::parse(id).unwrap();
    for store in app.backend.images.stores().all() {
        if store.exists(&store.location_for(&id)).await.unwrap() {
            return true;
        }
    }
    false
}

/// What interrupted uploads left in the stores (partial files, unfinished multipart uploads).
pub async fn leftovers(app: &TestApp) -> usize {
    let mut n = 0;
    for store in app.backend.images.stores().all() {
        n += store.partials().await.unwrap().len();
    }
    n
}

/// Whether the in-process apps keep image data in S3 (so not in files under their data dir).
pub fn data_in_s3() -> bool {
    std::env::var("GLIMPSE_TEST_STORE").as_deref() == Ok("s3")
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with(|_| {}).await
    }

    pub async fn with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(&dir);
        tweak(&mut s);
        let config = Arc::new(Config::resolve(s).unwrap());
        let backend = Backend::open(&config).await.unwrap();
        backend.images.spawn_task_runner();
        backend
            .identity
            .bootstrap(Some(ADMIN_PASSWORD.into()))
            .await
            .unwrap();
        let router = router(config.clone(), &backend, PUBLIC_URL).await.unwrap();
        TestApp {
            router,
            backend,
            config,
            _dir: dir,
        }
    }

    /// Serves the app on 127.0.0.1:0; returns its base URL.
    pub async fn spawn(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let app = router(self.config.clone(), &self.backend, &base)
            .await
            .unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        base
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A JSON request with optional token.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT, "application/json");
        if let Some(t) = token {
            b = b.header("x-auth-token", t);
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    /// A password token scoped to a project by name; returns the secret.
    pub async fn token(&self, user: &str, password: &str, project: &str) -> String {
        let a = self
            .json(
                Method::POST,
                "/identity/v3/auth/tokens",
                None,
                Some(auth_body(user, password, project)),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        a.header("x-subject-token").unwrap()
    }

    /// Calls a server function the way the browser does (form-encoded POST), with a cookie.
    pub async fn server_fn(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> Answer {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Calls a server function whose input is JSON (`input = Json`), with a session cookie.
    pub async fn json_server_fn(&self, path: &str, cookie: &str, body: Value) -> Answer {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, cookie)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// Creates a project and a user holding `role` there; returns (project id, user id).
    pub async fn user_with_role(
        &self,
        project: &str,
        user: &str,
        password: &str,
        role: Role,
    ) -> (String, String) {
        let op = operator();
        let id = &self.backend.identity;
        let p = match id.find_project(&op, project).await.unwrap() {
            Some(p) => p,
            None => id
                .create_project(
                    &op,
                    NewProject {
                        name: project.into(),
                        description: String::new(),
                        enabled: true,
                    },
                )
                .await
                .unwrap(),
        };
        let u = id
            .create_user(
                &op,
                NewUser {
                    name: user.into(),
                    password: password.into(),
                    enabled: true,
                    default_project_id: Some(p.id.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        id.assign_role(&op, &u.id, &p.id, role).await.unwrap();
        (p.id.to_string(), u.id.to_string())
    }
}

pub fn auth_body(user: &str, password: &str, project: &str) -> Value {
    serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}
    }})
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub const PATCH: &str = "application/openstack-images-v2.1-json-patch";

/// Image API calls with one user's token.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl<'a> Api<'a> {
    pub async fn admin(app: &'a TestApp) -> Api<'a> {
        Api {
            app,
            token: app.token("admin", ADMIN_PASSWORD, "admin").await,
        }
    }
    pub async fn member(app: &'a TestApp, project: &str, user: &str) -> Api<'a> {
        app.user_with_role(project, user, "member-password", Role::Member)
            .await;
        Api {
            app,
            token: app.token(user, "member-password", project).await,
        }
    }
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.app
            .json(method, &format!("/image{path}"), Some(&self.token), body)
            .await
    }
    pub async fn create(&self, body: Value) -> Value {
        let a = self.call(Method::POST, "/v2/images", Some(body)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        a.json()
    }
    pub async fn patch(&self, id: &str, ops: Value) -> Answer {
        let req = Request::builder()
            .method(Method::PATCH)
            .uri(format!("/image/v2/images/{id}"))
            .header("x-auth-token", &self.token)
            .header(header::CONTENT_TYPE, PATCH)
            .body(Body::from(ops.to_string()))
            .unwrap();
        self.app.send(req).await
    }
    pub async fn upload(&self, id: &str, data: &[u8], size_header: Option<&str>) -> Answer {
        let mut b = Request::builder()
            .method(Method::PUT)
            .uri(format!("/image/v2/images/{id}/file"))
            .header("x-auth-token", &self.token)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::ACCEPT, "application/json");
        if let Some(s) = size_header {
            b = b.header("x-openstack-image-size", s);
        }
        self.app
            .send(b.body(Body::from(data.to_vec())).unwrap())
            .await
    }
    pub async fn download(&self, id: &str, range: Option<&str>) -> Answer {
        let mut b = Request::builder()
            .uri(format!("/image/v2/images/{id}/file"))
            .header("x-auth-token", &self.token);
        if let Some(r) = range {
            b = b.header(header::RANGE, r);
        }
        self.app.send(b.body(Body::empty()).unwrap()).await
    }
}
