//! The `glimpse` binary's operator commands and the settings layers, run as a user would.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs the binary on `dir` (and the test database), feeding `stdin` if given.
pub(crate) fn glimpse(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glimpse"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("GLIMPSE_CONFIG")
        .env_remove("GLIMPSE_DATA_DIR");
    if let Some(url) = crate::support::database_url(dir) {
        cmd.env("GLIMPSE_DATABASE_URL", url);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn operator_commands_manage_identity() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(ok(&glimpse(d, &["migrate"], None)).contains("up to date"));
    if crate::support::database_url(d).is_none() {
        assert!(d.join("glimpse.db").exists());
    }
    assert!(ok(&glimpse(
        d,
        &["project", "create", "demo", "--description", "Demo project"],
        None
    ))
    .contains("Created project demo"));
    assert!(ok(&glimpse(d, &["project", "list"], None)).contains("Demo project"));

    let out = ok(&glimpse(
        d,
        &[
            "user",
            "create",
            "alice",
            "--password-stdin",
            "--project",
            "demo",
            "--role",
            "member",
        ],
        Some("alice-password\n"),
    ));
    assert!(
        out.contains("Created user alice") && !out.contains("Password:"),
        "{out}"
    );
    let list = ok(&glimpse(d, &["user", "list"], None));
    assert!(
        list.contains("alice") && list.contains("demo:member"),
        "{list}"
    );

    ok(&glimpse(
        d,
        &["role", "add", "alice", "demo", "reader"],
        None,
    ));
    ok(&glimpse(
        d,
        &["role", "remove", "alice", "demo", "member"],
        None,
    ));
    let list = ok(&glimpse(d, &["user", "list"], None));
    assert!(
        list.contains("demo:reader") && !list.contains("demo:member"),
        "{list}"
    );

    ok(&glimpse(
        d,
        &[
            "quota",
            "set",
            "demo",
            "--image-count-total",
            "7",
            "--image-size-total",
            "1024",
        ],
        None,
    ));
    ok(&glimpse(
        d,
        &["quota", "set", "demo", "--image-count-total", "9"],
        None,
    ));
    let shown = ok(&glimpse(d, &["quota", "show", "demo"], None));
    assert!(
        shown.contains("image_count_total = 9") && shown.contains("image_size_total = 1024"),
        "{shown}"
    );

    // A generated password is printed once, and works.
    let out = ok(&glimpse(d, &["user", "passwd", "alice"], None));
    let pw = out
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .expect("generated password")
        .to_string();
    assert_eq!(pw.len(), 20);

    let bad = glimpse(d, &["role", "add", "alice", "demo", "superuser"], None);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));
    let bad = glimpse(
        d,
        &["user", "create", "bob", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("at least 8"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = glimpse::server::config::Config::resolve(glimpse::server::config::Settings {
            data_dir: Some(d.to_path_buf()),
            database_url: crate::support::database_url(d),
            ..Default::default()
        })
        .unwrap();
        let b = glimpse::server::Backend::open(&config).await.unwrap();
        assert!(b.identity.authenticate("alice", &pw, None).await.is_ok());
        assert!(b
            .identity
            .authenticate("alice", "alice-password", None)
            .await
            .is_err());
    });
}

#[test]
fn help_explains_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let help = ok(&glimpse(dir.path(), &["--help"], None));
    for word in [
        "serve",
        "migrate",
        "user",
        "project",
        "role",
        "--bind",
        "--public-url",
        "GLIMPSE_DATA_DIR",
    ] {
        assert!(help.contains(word), "--help mentions {word}:\n{help}");
    }
}

#[test]
fn flags_beat_environment_beats_file() {
    let dir = tempfile::tempdir().unwrap();
    let (file_dir, env_dir, flag_dir) = (
        dir.path().join("file"),
        dir.path().join("env"),
        dir.path().join("flag"),
    );
    let toml = dir.path().join("glimpse.toml");
    std::fs::write(
        &toml,
        format!("data_dir = {:?}\n", file_dir.display().to_string()),
    )
    .unwrap();
    let run = |env: Option<&Path>, flag: Option<&Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_glimpse"));
        cmd.arg("--config").arg(&toml);
        if let Some(f) = flag {
            cmd.arg("--data-dir").arg(f);
        }
        cmd.env_remove("GLIMPSE_DATA_DIR");
        if let Some(e) = env {
            cmd.env("GLIMPSE_DATA_DIR", e);
        }
        ok(&cmd.arg("migrate").output().unwrap());
    };
    run(None, None);
    assert!(file_dir.join("glimpse.db").exists());
    run(Some(&env_dir), None);
    assert!(env_dir.join("glimpse.db").exists());
    run(Some(&env_dir), Some(&flag_dir));
    assert!(flag_dir.join("glimpse.db").exists());

    std::fs::write(&toml, "no_such_setting = 1\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_glimpse"))
        .arg("--config")
        .arg(&toml)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no_such_setting"));
}

#[test]
fn metadefs_load_export_round_trip_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (d, files, out) = (
        dir.path().join("db"),
        dir.path().join("in"),
        dir.path().join("out"),
    );
    std::fs::create_dir_all(&files).unwrap();
    let web = serde_json::json!({
        "namespace": "Test::Web", "display_name": "Web servers", "description": "Servers that speak HTTP.",
        "visibility": "public", "protected": true,
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "web_"}, {"name": "OS::Nova::Server", "properties_target": "metadata"}],
        "properties": {
            "port": {"title": "Port", "type": "integer", "minimum": 1, "maximum": 65535, "default": 80},
            "server": {"title": "Server", "type": "string", "enum": ["nginx", "apache"]}
        },
        "objects": [{"name": "TLS", "description": "Certificates", "required": ["cert"],
                     "properties": {"cert": {"title": "Certificate", "type": "string"}}}],
        "tags": [{"name": "http"}, {"name": "web"}]
    });
    let db = serde_json::json!({"namespace": "Test::Db", "visibility": "private", "protected": false,
        "resource_type_associations": [], "properties": {}, "objects": [], "tags": []});
    std::fs::write(files.join("web.json"), web.to_string()).unwrap();
    std::fs::write(files.join("db.json"), db.to_string()).unwrap();
    std::fs::write(files.join("notes.txt"), "not a namespace").unwrap();

    let d = d.as_path();
    std::fs::create_dir_all(d).unwrap();
    let loaded = ok(&glimpse(
        d,
        &["metadefs", "load", files.to_str().unwrap()],
        None,
    ));
    assert!(
        loaded.contains("created Test::Web") && loaded.contains("created Test::Db"),
        "{loaded}"
    );
    let exported = ok(&glimpse(
        d,
        &["metadefs", "export", out.to_str().unwrap()],
        None,
    ));
    // Glimpse's own catalog (loaded at first start) is exported too.
    assert!(exported.contains("5 namespaces exported"), "{exported}");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    assert_eq!(read("Test__Web.json"), web);
    assert_eq!(read("Test__Db.json"), db);
    assert!(out.join("Glimpse__OperatingSystem.json").exists());

    // Loading again skips what exists; --merge takes the file's items and keeps the others.
    let mut changed = web.clone();
    changed["properties"] =
        serde_json::json!({"port": {"title": "Listen port", "type": "integer"}});
    changed["tags"] = serde_json::json!([{"name": "https"}]);
    std::fs::write(files.join("web.json"), changed.to_string()).unwrap();
    assert!(ok(&glimpse(
        d,
        &["metadefs", "load", files.to_str().unwrap()],
        None
    ))
    .contains("skipped Test::Web"));
    assert!(ok(&glimpse(
        d,
        &["metadefs", "load", "--merge", files.to_str().unwrap()],
        None
    ))
    .contains("merged Test::Web"));
    ok(&glimpse(
        d,
        &["metadefs", "export", out.to_str().unwrap()],
        None,
    ));
    let merged = read("Test__Web.json");
    assert_eq!(merged["properties"]["port"]["title"], "Listen port");
    assert_eq!(merged["properties"]["server"], web["properties"]["server"]);
    let tags: Vec<&str> = merged["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["http", "https", "web"]);

    // A file that breaks the rules names the file and the field.
    std::fs::write(
        files.join("bad.json"),
        r#"{"namespace": "Bad", "properties": {"x": {"type": "string"}}}"#,
    )
    .unwrap();
    let o = glimpse(d, &["metadefs", "load", files.to_str().unwrap()], None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("'properties.x.title' is required"));

    assert!(ok(&glimpse(d, &["metadefs", "unload"], None)).contains("5 namespaces unloaded"));
}

/// Every namespace file Glance ships loads unchanged (`make glance-metadefs` unpacks them from the
/// pinned `glance` wheel); a default outside its own enum is warned about, not refused.
#[test]
fn glance_shipped_metadefs_load_unchanged() {
    let src = std::env::var_os("GLIMPSE_GLANCE_METADEFS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/glance-metadefs"));
    let mut files: Vec<String> = std::fs::read_dir(&src)
        .unwrap_or_else(|e| {
            panic!(
                "Glance's metadefs are missing from {} ({e}): run `make glance-metadefs` (make test does)",
                src.display()
            )
        })
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{files:?}");
    assert!(files.contains(&"software-databases.json".to_string()));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = glimpse(
        dir.path(),
        &["metadefs", "load", src.to_str().unwrap()],
        None,
    );
    let loaded = ok(&o);
    for f in &files {
        assert!(
            loaded
                .lines()
                .any(|l| l.starts_with("created ") && l.contains(f.as_str())),
            "{f} was not created:\n{loaded}"
        );
    }
    let warned = String::from_utf8_lossy(&o.stderr);
    assert!(
        warned.contains("software-databases.json")
            && warned.contains("sw_database_oracle_edition.default' \"Express\""),
        "{warned}"
    );
    // The namespaces after software-databases.json are there, with their content.
    ok(&glimpse(
        dir.path(),
        &["metadefs", "export", out.to_str().unwrap()],
        None,
    ));
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    let web = read("OS__Software__WebServers.json");
    assert!(!web["objects"].as_array().unwrap().is_empty(), "{web}");
    assert!(out.join("OS__Cinder__Volumetype.json").exists());
    let db = read("OS__Software__DBMS.json");
    let oracle = db["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Oracle")
        .unwrap();
    assert_eq!(
        oracle["properties"]["sw_database_oracle_edition"]["default"],
        "Express"
    );
    // Glimpse's own catalog (3 namespaces) plus one per Glance file.
    let n = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(n, files.len() + 3);
}
