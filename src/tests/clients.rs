//! The real python OpenStack clients (from PyPI, in the venv `make venv` builds) against a real
//! server on 127.0.0.1. Set GLIMPSE_CLIENT_VENV to use another venv.

use crate::support::{TestApp, ADMIN_PASSWORD};
use serde_json::Value;
use std::path::PathBuf;

pub struct Clients {
    bin: PathBuf,
    base: String,
}

pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        assert!(self.ok, "command failed:\n{}\n{}", self.stdout, self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

impl Clients {
    pub fn new(base: &str) -> Clients {
        let venv = std::env::var_os("GLIMPSE_CLIENT_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/venv"));
        let bin = venv.join("bin");
        assert!(
            bin.join("openstack").exists(),
            "the python OpenStack clients are missing from {}: run `make venv` (make test does)",
            venv.display()
        );
        Clients {
            bin,
            base: base.to_string(),
        }
    }

    /// Runs a client program (`openstack`, `glance`) as `user` in `project`, password login.
    pub async fn run(
        &self,
        program: &str,
        user: &str,
        password: &str,
        project: &str,
        args: &[&str],
    ) -> Run {
        let out = tokio::process::Command::new(self.bin.join(program))
            .args(args)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .env("HOME", std::env::temp_dir())
            .env("OS_AUTH_URL", format!("{}/identity/v3", self.base))
            .env("OS_USERNAME", user)
            .env("OS_PASSWORD", password)
            .env("OS_PROJECT_NAME", project)
            .env("OS_USER_DOMAIN_NAME", "Default")
            .env("OS_PROJECT_DOMAIN_NAME", "Default")
            .env("OS_IDENTITY_API_VERSION", "3")
            .env("OS_INTERFACE", "public")
            .output()
            .await
            .expect("run client");
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openstack_cli_logs_in_and_manages_identity() {
    let app = TestApp::new().await;
    let base = app.spawn().await;
    let c = Clients::new(&base);
    let admin =
        |args: &'static [&'static str]| c.run("openstack", "admin", ADMIN_PASSWORD, "admin", args);

    let token = admin(&["token", "issue", "-f", "json"]).await.json();
    assert!(token["id"].as_str().unwrap().len() >= 40);
    assert_eq!(token["user_id"].as_str().unwrap().len(), 32);
    let catalog = admin(&["catalog", "list", "-f", "json"]).await.json();
    let image = catalog
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Type"] == "image")
        .expect("image in catalog");
    let endpoints = serde_json::to_string(&image["Endpoints"]).unwrap();
    assert!(endpoints.contains(&format!("{base}/image")), "{endpoints}");

    let p = admin(&[
        "project",
        "create",
        "demo",
        "--description",
        "Demo",
        "-f",
        "json",
    ])
    .await
    .json();
    assert_eq!(p["name"], "demo");
    let u = c
        .run(
            "openstack",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &[
                "user",
                "create",
                "--project",
                "demo",
                "--password",
                "alice-password",
                "alice",
                "-f",
                "json",
            ],
        )
        .await
        .json();
    assert_eq!(u["name"], "alice");
    let r = c
        .run(
            "openstack",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &[
                "role",
                "add",
                "--project",
                "demo",
                "--user",
                "alice",
                "member",
            ],
        )
        .await;
    assert!(r.ok, "{}", r.stderr);
    let list = c
        .run(
            "openstack",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &[
                "role",
                "assignment",
                "list",
                "--user",
                "alice",
                "--project",
                "demo",
                "--names",
                "-f",
                "json",
            ],
        )
        .await
        .json();
    assert_eq!(list[0]["Role"], "member", "{list}");
    let projects = admin(&["project", "list", "-f", "json"]).await.json();
    assert!(projects
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["Name"] == "demo"));
    let users = admin(&["user", "list", "-f", "json"]).await.json();
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["Name"] == "alice"));
    let roles = admin(&["role", "list", "-f", "json"]).await.json();
    assert_eq!(roles.as_array().unwrap().len(), 3);
    let shown = c
        .run(
            "openstack",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &["project", "show", "demo", "-f", "json"],
        )
        .await
        .json();
    assert_eq!(shown["description"], "Demo");

    // The new user logs in with the CLI too, and is refused admin calls.
    let t = c
        .run(
            "openstack",
            "alice",
            "alice-password",
            "demo",
            &["token", "issue", "-f", "json"],
        )
        .await
        .json();
    assert_eq!(t["project_id"], p["id"]);
    let refused = c
        .run(
            "openstack",
            "alice",
            "alice-password",
            "demo",
            &["project", "create", "evil"],
        )
        .await;
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("403") || refused.stderr.to_lowercase().contains("forbidden"),
        "{}",
        refused.stderr
    );
    let wrong = c
        .run(
            "openstack",
            "alice",
            "wrong-password",
            "demo",
            &["token", "issue"],
        )
        .await;
    assert!(!wrong.ok);
    assert!(wrong.stderr.contains("401"), "{}", wrong.stderr);

    // Disabling and deleting through the CLI.
    let r = c
        .run(
            "openstack",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &["user", "set", "--disable", "alice"],
        )
        .await;
    assert!(r.ok, "{}", r.stderr);
    assert!(
        !c.run(
            "openstack",
            "alice",
            "alice-password",
            "demo",
            &["token", "issue"]
        )
        .await
        .ok
    );
    let r = c
        .run(
            "openstack",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &["user", "delete", "alice"],
        )
        .await;
    assert!(r.ok, "{}", r.stderr);
    let r = c
        .run(
            "openstack",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &["project", "delete", "demo"],
        )
        .await;
    assert!(r.ok, "{}", r.stderr);
}
