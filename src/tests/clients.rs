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

/// One client program run as one user in one project.
pub struct As<'a> {
    clients: &'a Clients,
    program: &'static str,
    user: &'static str,
    password: &'static str,
    project: &'static str,
}

impl As<'_> {
    pub async fn run(&self, args: &[&str]) -> Run {
        self.clients
            .run(self.program, self.user, self.password, self.project, args)
            .await
    }
}

/// The OS_* environment of a password login as `user` in `project`.
pub fn password_env<'a>(
    auth_url: &'a str,
    user: &'a str,
    password: &'a str,
    project: &'a str,
) -> [(&'a str, &'a str); 8] {
    [
        ("OS_AUTH_URL", auth_url),
        ("OS_USERNAME", user),
        ("OS_PASSWORD", password),
        ("OS_PROJECT_NAME", project),
        ("OS_USER_DOMAIN_NAME", "Default"),
        ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ("OS_IDENTITY_API_VERSION", "3"),
        ("OS_INTERFACE", "public"),
    ]
}

impl Clients {
    /// `program` as `user` in `project`.
    pub fn as_user<'a>(
        &'a self,
        program: &'static str,
        user: &'static str,
        password: &'static str,
        project: &'static str,
    ) -> As<'a> {
        As {
            clients: self,
            program,
            user,
            password,
            project,
        }
    }

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
        let auth_url = format!("{}/identity/v3", self.base);
        let env = password_env(&auth_url, user, password, project);
        self.run_env(program, &env, args).await
    }

    /// Runs a client program with exactly the given OS_* environment.
    pub async fn run_env(&self, program: &str, env: &[(&str, &str)], args: &[&str]) -> Run {
        self.run_with(program, env, args, false).await
    }

    /// `run` with no standard input at all: glanceclient takes any standard input that is not
    /// a terminal, even an empty one, for image data (and refuses it with web-download).
    pub async fn run_without_stdin(
        &self,
        program: &str,
        user: &str,
        password: &str,
        project: &str,
        args: &[&str],
    ) -> Run {
        let auth_url = format!("{}/identity/v3", self.base);
        let env = password_env(&auth_url, user, password, project);
        self.run_with(program, &env, args, true).await
    }

    async fn run_with(
        &self,
        program: &str,
        env: &[(&str, &str)],
        args: &[&str],
        close_stdin: bool,
    ) -> Run {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = if close_stdin {
            // The shell closes descriptor 0 before it becomes the client.
            let mut c = tokio::process::Command::new("/bin/sh");
            c.arg("-c")
                .arg("exec \"$0\" \"$@\" <&-")
                .arg(self.bin.join(program));
            c
        } else {
            tokio::process::Command::new(self.bin.join(program))
        };
        let out = cmd
            .args(args)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .env("HOME", home.path())
            .envs(env.iter().copied())
            // Not a pipe: `image create` would read image data from a piped standard input.
            .stdin(std::process::Stdio::null())
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

    // Quotas are Keystone limits, set with the unmodified client.
    let r = c
        .run(
            "openstack",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &[
                "limit",
                "create",
                "--service",
                "glance",
                "--project",
                "demo",
                "--resource-limit",
                "5",
                "image_count_total",
                "-f",
                "json",
            ],
        )
        .await;
    assert_eq!(r.json()["resource_limit"], 5, "{}", r.stdout);
    let limits = admin(&["limit", "list", "-f", "json"]).await.json();
    assert_eq!(limits[0]["Resource Name"], "image_count_total", "{limits}");

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

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openstack_and_glance_clients_manage_images() {
    let app = TestApp::new().await;
    let base = app.spawn().await;
    let c = Clients::new(&base);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("disk.raw");
    let data: Vec<u8> = (0..3 * 1024 * 1024 + 11)
        .map(|i| (i * 31 % 253) as u8)
        .collect();
    std::fs::write(&file, &data).unwrap();
    let f = file.to_str().unwrap();
    let os = c.as_user("openstack", "admin", ADMIN_PASSWORD, "admin");

    // openstack image create --file: POST, PUT /file, then the SDK checks the checksum.
    let img = os
        .run(&[
            "image",
            "create",
            "--file",
            f,
            "--disk-format",
            "raw",
            "--container-format",
            "bare",
            "--property",
            "os_distro=cirros",
            "--tag",
            "t1",
            "osc-image",
            "-f",
            "json",
        ])
        .await
        .json();
    assert_eq!(img["status"], "active", "{img}");
    assert_eq!(img["checksum"], md5_hex(&data));
    let id = img["id"].as_str().unwrap().to_string();

    let list = os
        .run(&["image", "list", "--name", "osc-image", "-f", "json"])
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let list = os
        .run(&[
            "image",
            "list",
            "--property",
            "os_distro=cirros",
            "--long",
            "-f",
            "json",
        ])
        .await
        .json();
    assert_eq!(list[0]["ID"], id.as_str());
    let r = os
        .run(&[
            "image",
            "set",
            "--property",
            "hw_disk_bus=scsi",
            "--tag",
            "t2",
            "--min-ram",
            "128",
            "osc-image",
        ])
        .await;
    assert!(r.ok, "{}", r.stderr);
    let shown = os
        .run(&["image", "show", "osc-image", "-f", "json"])
        .await
        .json();
    assert_eq!(shown["min_ram"], 128);
    let shown_text = shown.to_string();
    assert!(
        shown_text.contains("hw_disk_bus") && shown_text.contains("scsi"),
        "{shown_text}"
    );
    let tags = shown["tags"].to_string();
    assert!(tags.contains("t1") && tags.contains("t2"), "{tags}");

    let out = dir.path().join("saved.raw");
    let r = os
        .run(&[
            "image",
            "save",
            "--file",
            out.to_str().unwrap(),
            "osc-image",
        ])
        .await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        data,
        "downloaded bytes are the uploaded bytes"
    );

    let r = os.run(&["image", "set", "--deactivate", "osc-image"]).await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        os.run(&["image", "show", "osc-image", "-f", "json"])
            .await
            .json()["status"],
        "deactivated"
    );
    let r = os.run(&["image", "set", "--activate", "osc-image"]).await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        os.run(&["image", "show", "osc-image", "-f", "json"])
            .await
            .json()["status"],
        "active"
    );

    // glance, with password login.
    let g = c.as_user("glance", "admin", ADMIN_PASSWORD, "admin");
    let r = g
        .run(&[
            "image-create",
            "--name",
            "glance-image",
            "--disk-format",
            "raw",
            "--container-format",
            "bare",
            "--file",
            f,
        ])
        .await;
    assert!(r.ok, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("active") && r.stdout.contains(&md5_hex(&data)),
        "{}",
        r.stdout
    );
    let r = g.run(&["image-list"]).await;
    assert!(
        r.ok && r.stdout.contains("glance-image") && r.stdout.contains("osc-image"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let gid = r
        .stdout
        .lines()
        .find(|l| l.contains("glance-image"))
        .unwrap()
        .split('|')
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    let out2 = dir.path().join("g.raw");
    let r = g
        .run(&["image-download", "--file", out2.to_str().unwrap(), &gid])
        .await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(std::fs::read(&out2).unwrap(), data);

    // A token and the endpoint, no catalog.
    let token = app.token("admin", ADMIN_PASSWORD, "admin").await;
    let image_url = format!("{base}/image");
    let r = c
        .run_env(
            "glance",
            &[
                ("OS_IMAGE_URL", image_url.as_str()),
                ("OS_AUTH_TOKEN", token.as_str()),
            ],
            &["image-list"],
        )
        .await;
    assert!(
        r.ok && r.stdout.contains("glance-image"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    // With an endpoint override the SDK skips the catalog and takes the versioned endpoint as is.
    let v2 = format!("{image_url}/v2");
    let r = c
        .run_env(
            "openstack",
            &[],
            &[
                "--os-token",
                &token,
                "--os-endpoint",
                &v2,
                "image",
                "list",
                "-f",
                "json",
            ],
        )
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);

    let r = g.run(&["image-delete", &gid]).await;
    assert!(r.ok, "{}", r.stderr);
    let r = os.run(&["image", "delete", "osc-image"]).await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        os.run(&["image", "list", "-f", "json"]).await.json(),
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openstack_cli_shares_an_image_between_projects() {
    use glimpse::domain::identity::Role;
    let app = TestApp::new().await;
    let (_, _) = app
        .user_with_role("alpha", "ann", "ann-password", Role::Member)
        .await;
    let (beta, _) = app
        .user_with_role("beta", "ben", "ben-password", Role::Member)
        .await;
    let base = app.spawn().await;
    let c = Clients::new(&base);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shared.raw");
    std::fs::write(&file, b"bytes to share").unwrap();
    let ann = c.as_user("openstack", "ann", "ann-password", "alpha");
    let ben = c.as_user("openstack", "ben", "ben-password", "beta");

    let img = ann
        .run(&[
            "image",
            "create",
            "--file",
            file.to_str().unwrap(),
            "--disk-format",
            "raw",
            "--container-format",
            "bare",
            "--shared",
            "to-share",
            "-f",
            "json",
        ])
        .await
        .json();
    let id = img["id"].as_str().unwrap().to_string();
    // A member cannot look projects up by name (Keystone's policy), so the id is given, as
    // against a real cloud.
    let r = ann
        .run(&["image", "add", "project", "to-share", &beta])
        .await;
    assert!(r.ok, "{}", r.stderr);

    assert_eq!(
        ben.run(&["image", "list", "-f", "json"]).await.json(),
        serde_json::json!([]),
        "pending: not listed"
    );
    let r = ben.run(&["image", "set", "--accept", &id]).await;
    assert!(r.ok, "{}", r.stderr);
    let list = ben.run(&["image", "list", "-f", "json"]).await.json();
    assert_eq!(list[0]["ID"], id.as_str(), "{list}");
    let out = dir.path().join("got.raw");
    let r = ben
        .run(&["image", "save", "--file", out.to_str().unwrap(), &id])
        .await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), b"bytes to share");
    assert!(
        !ben.run(&["image", "delete", &id]).await.ok,
        "a member cannot delete"
    );
    assert!(
        !ben.run(&["image", "set", "--name", "mine", &id]).await.ok,
        "a member cannot modify"
    );

    let members = ann
        .run(&["image", "member", "list", "to-share", "-f", "json"])
        .await
        .json();
    assert_eq!(members[0]["Status"], "accepted", "{members}");
    assert_eq!(members[0]["Member ID"], beta.as_str());

    let r = ann
        .run(&["image", "remove", "project", "to-share", &beta])
        .await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        ben.run(&["image", "list", "-f", "json"]).await.json(),
        serde_json::json!([])
    );
    assert!(!ben.run(&["image", "show", &id]).await.ok, "gone again");
}
