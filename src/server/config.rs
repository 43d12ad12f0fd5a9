//! Settings: built-in defaults, then an optional TOML file, then `GLIMPSE_*` environment variables,
//! then command-line flags. Every setting is one field of [`Settings`]; README's table lists them.

use clap::{Args, ValueEnum};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Every setting, each optional so that the layers can be merged. The same struct is read from the
/// TOML file (keys as below, in snake_case) and from flags and environment variables.
#[derive(Debug, Clone, Default, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address and port to listen on [default: 127.0.0.1:9292]
    #[arg(long, env = "GLIMPSE_BIND", global = true)]
    pub bind: Option<SocketAddr>,
    /// Directory for the SQLite database and the image files [default: ./data]
    #[arg(long, env = "GLIMPSE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL [default: sqlite://<data dir>/glimpse.db]
    #[arg(long, env = "GLIMPSE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Base URL clients reach this server at, used in API links and the catalog
    /// [default: http://<bind address>]
    #[arg(long, env = "GLIMPSE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Directory holding the built dashboard assets (pkg/) [default: target/site]
    #[arg(long, env = "GLIMPSE_SITE_ROOT", global = true)]
    pub site_root: Option<PathBuf>,
    /// Dashboard session lifetime in seconds of inactivity [default: 3600]
    #[arg(long, env = "GLIMPSE_SESSION_LIFETIME", global = true)]
    pub session_lifetime: Option<u64>,
    /// API token lifetime in seconds [default: 3600]
    #[arg(long, env = "GLIMPSE_TOKEN_LIFETIME", global = true)]
    pub token_lifetime: Option<u64>,
    /// Serve HTTPS with this certificate chain (PEM), for single-binary deployments without a
    /// proxy; needs `tls_key_file` [default: none, plain HTTP]
    #[arg(long, env = "GLIMPSE_TLS_CERT_FILE", global = true)]
    pub tls_cert_file: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert_file` [default: none]
    #[arg(long, env = "GLIMPSE_TLS_KEY_FILE", global = true)]
    pub tls_key_file: Option<PathBuf>,
    /// Mark the session cookie `Secure` (serve over HTTPS) [default: true with tls_cert_file, else false]
    #[arg(long, env = "GLIMPSE_COOKIE_SECURE", global = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub cookie_secure: Option<bool>,
    /// Log format [default: text]
    #[arg(long, env = "GLIMPSE_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, in tracing's EnvFilter syntax [default: info]
    #[arg(long, env = "GLIMPSE_LOG", global = true)]
    pub log: Option<String>,
    /// Largest JSON request body in bytes (API calls and dashboard forms) [default: 1048576]
    #[arg(long, env = "GLIMPSE_MAX_JSON_BODY", global = true)]
    pub max_json_body: Option<usize>,
    /// Largest image, in bytes; bigger uploads are refused with 413 [default: 1099511627776 (1 TiB)]
    #[arg(long, env = "GLIMPSE_IMAGE_SIZE_CAP", global = true)]
    pub image_size_cap: Option<u64>,
    /// Refuse (415) an upload whose data is another disk format than the one declared; when
    /// false the mismatch is only logged. Failed safety checks are always refused [default: true]
    #[arg(long, env = "GLIMPSE_REQUIRE_FORMAT_MATCH", global = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub require_format_match: Option<bool>,
    /// Image policy overrides: a YAML file of Glance rule names and oslo.policy expressions,
    /// read at start [default: none, Glance's defaults]
    #[arg(long, env = "GLIMPSE_POLICY_FILE", global = true)]
    pub policy_file: Option<PathBuf>,
    /// Property protections: Glance's `property_protection_file`, an INI file of regular
    /// expressions over property keys, each saying who may create, read, update and delete the
    /// keys it matches (first match wins), read at start [default: none, no protections]
    #[arg(long, env = "GLIMPSE_PROPERTY_PROTECTION_FILE", global = true)]
    pub property_protection_file: Option<PathBuf>,
    /// How the property protection file names who may: `roles` (comma-separated role names) or
    /// `policies` (a rule of the policy file) [default: roles]
    #[arg(
        long,
        env = "GLIMPSE_PROPERTY_PROTECTION_RULE_FORMAT",
        global = true,
        value_enum
    )]
    pub property_protection_rule_format: Option<crate::domain::property_protections::RuleFormat>,
    /// Notifications not to send: event types (`image.send`) or groups (`image`), comma
    /// separated, as Glance's `disabled_notifications` [default: none]
    #[arg(
        long,
        env = "GLIMPSE_DISABLED_NOTIFICATIONS",
        global = true,
        value_delimiter = ','
    )]
    pub disabled_notifications: Option<Vec<String>>,
    /// Also send notifications to this AMQP broker (RabbitMQ), in oslo.messaging's format:
    /// `rabbit://user:password@host:5672/` or `amqp://…` [default: none, events stay inside]
    #[arg(long, env = "GLIMPSE_NOTIFICATION_TRANSPORT_URL", global = true)]
    pub notification_transport_url: Option<String>,
    /// The notification topics (queues `<topic>.info` and `<topic>.error` on the `glance`
    /// exchange), comma separated [default: notifications]
    #[arg(
        long,
        env = "GLIMPSE_NOTIFICATION_TOPICS",
        global = true,
        value_delimiter = ','
    )]
    pub notification_topics: Option<Vec<String>>,
    /// Failed logins for one user before it is locked for a while [default: 5]
    #[arg(long, env = "GLIMPSE_LOGIN_MAX_FAILURES", global = true)]
    pub login_max_failures: Option<u32>,
    /// How long a locked login stays locked, in seconds [default: 300]
    #[arg(long, env = "GLIMPSE_LOGIN_LOCKOUT", global = true)]
    pub login_lockout: Option<u64>,
    /// This node's name in upload leases; nodes sharing a database need different names
    /// [default: <host name>:<port>]
    #[arg(long, env = "GLIMPSE_NODE_NAME", global = true)]
    pub node_name: Option<String>,
    /// Seconds an upload's lease holds unrenewed (its node renews it every third of that); a
    /// dead node's uploads go back to queued once it runs out [default: 60]
    #[arg(long, env = "GLIMPSE_UPLOAD_LEASE", global = true)]
    pub upload_lease: Option<u64>,
    /// Keep a deleted image's data for `scrub_time` seconds: it becomes `pending_delete`, the API
    /// answers 404 for it, an admin can restore it, and the scrubber removes it when due, as
    /// Glance's delayed delete [default: false]
    #[arg(long, env = "GLIMPSE_DELAYED_DELETE", global = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub delayed_delete: Option<bool>,
    /// Seconds a pending deletion waits before the scrubber removes its data [default: 0]
    #[arg(long, env = "GLIMPSE_SCRUB_TIME", global = true)]
    pub scrub_time: Option<u64>,
    /// Seconds between scrubber runs (one node at a time runs it; Glance's wakeup_time)
    /// [default: 300]
    #[arg(long, env = "GLIMPSE_SCRUB_INTERVAL", global = true)]
    pub scrub_interval: Option<u64>,
    /// Import methods offered, comma separated, among glance-direct, web-download and
    /// copy-image (Glance's `enabled_import_methods`) [default: all three]
    #[arg(
        long,
        env = "GLIMPSE_ENABLED_IMPORT_METHODS",
        global = true,
        value_delimiter = ','
    )]
    pub enabled_import_methods: Option<Vec<String>>,
    /// Convert imported images to this disk format with `qemu-img` (Glance's `image_conversion`
    /// plugin; `raw` is Glance's output format) [default: none, no conversion]
    #[arg(long, env = "GLIMPSE_IMAGE_CONVERSION_FORMAT", global = true)]
    pub image_conversion_format: Option<String>,
    /// Seconds a web-download waits for its source to send more data before it fails
    /// [default: 60]
    #[arg(long, env = "GLIMPSE_WEB_DOWNLOAD_IDLE_TIMEOUT", global = true)]
    pub web_download_idle_timeout: Option<u64>,
    /// Which URIs web-download may fetch, as an `[import_filtering]` table of the settings file
    /// (Glance's `import_filtering_opts`: `allowed_schemes`, `disallowed_schemes`,
    /// `allowed_hosts`, `disallowed_hosts`, `allowed_ports`, `disallowed_ports`, plus
    /// `max_redirects`). Loopback, private, link-local, multicast and reserved addresses are
    /// refused unless their host is in `allowed_hosts` [default: http and https on ports 80 and
    /// 443 to public addresses, 5 redirects]
    #[arg(skip)]
    pub import_filtering: Option<crate::domain::uri_filter::UriFilter>,
    /// Image stores, as `[[stores]]` tables of the settings file (`id`, `kind`, `default`,
    /// `description`, and the kind's own keys) [default: one file store `file` in <data dir>/images]
    #[arg(skip)]
    pub stores: Option<Vec<StoreSettings>>,
}

/// One `[[stores]]` table of the settings file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoreSettings {
    /// The store's id (what `image_locations` records).
    pub id: String,
    /// Its kind: `file`.
    pub kind: String,
    /// New data goes here (one store has it; a single store is the default anyway).
    #[serde(default)]
    pub default: bool,
    /// A description for people.
    #[serde(default)]
    pub description: Option<String>,
    /// The kind's own keys (`file`: `path`).
    #[serde(flatten)]
    pub options: std::collections::BTreeMap<String, toml::Value>,
}

/// A store the server runs with, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// Its id.
    pub id: String,
    /// New data goes here.
    pub default: bool,
    /// A description for people.
    pub description: Option<String>,
    /// The kind and its settings.
    pub kind: StoreKind,
}

/// The kinds of store and their settings.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreKind {
    /// A directory of the local file system.
    File {
        /// The directory.
        path: PathBuf,
    },
    /// A bucket of an S3-compatible service.
    S3(crate::server::store::s3::S3Settings),
}

/// The keys an `s3` store takes.
const S3_KEYS: &[&str] = &[
    "endpoint",
    "region",
    "bucket",
    "access_key_id",
    "secret_access_key",
    "secret_access_key_file",
    "secret_access_key_env",
    "path_style",
    "prefix",
];

/// An `s3` store's settings from its table; the secret inline, from a file or from an
/// environment variable.
fn s3_settings(
    id: &str,
    o: &std::collections::BTreeMap<String, toml::Value>,
) -> anyhow::Result<crate::server::store::s3::S3Settings> {
    if let Some(k) = o.keys().find(|k| !S3_KEYS.contains(&k.as_str())) {
        anyhow::bail!(
            "store {id:?}: unknown key {k:?} for an s3 store (it takes {})",
            S3_KEYS.join(", ")
        );
    }
    let text = |key: &str| -> anyhow::Result<Option<String>> {
        match o.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => anyhow::bail!("store {id:?}: {key} must be a string"),
        }
    };
    let needed = |key: &str| -> anyhow::Result<String> {
        text(key)?.ok_or_else(|| anyhow::anyhow!("store {id:?}: an s3 store needs {key}"))
    };
    let secret = match (
        text("secret_access_key")?,
        text("secret_access_key_file")?,
        text("secret_access_key_env")?,
    ) {
        (Some(s), None, None) => s,
        (None, Some(f), None) => std::fs::read_to_string(&f)
            .map_err(|e| anyhow::anyhow!("store {id:?}: cannot read secret_access_key_file {f}: {e}"))?
            .trim()
            .to_string(),
        (None, None, Some(var)) => std::env::var(&var).map_err(|_| {
            anyhow::anyhow!("store {id:?}: the environment has no {var} (secret_access_key_env)")
        })?,
        _ => anyhow::bail!(
            "store {id:?}: give exactly one of secret_access_key, secret_access_key_file, secret_access_key_env"
        ),
    };
    let path_style = match o.get("path_style") {
        None => true,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => anyhow::bail!("store {id:?}: path_style must be true or false"),
    };
    let mut prefix = text("prefix")?.unwrap_or_default();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    Ok(crate::server::store::s3::S3Settings {
        endpoint: needed("endpoint")?,
        region: text("region")?.unwrap_or_else(|| "us-east-1".into()),
        bucket: needed("bucket")?,
        access_key_id: needed("access_key_id")?,
        secret_access_key: secret,
        path_style,
        prefix,
    })
}

/// The stores the settings name, checked: known kinds with their keys, unique ids, one default.
fn resolve_stores(
    stores: Option<Vec<StoreSettings>>,
    data_dir: &std::path::Path,
) -> anyhow::Result<Vec<StoreConfig>> {
    let Some(stores) = stores.filter(|s| !s.is_empty()) else {
        return Ok(vec![StoreConfig {
            id: "file".into(),
            default: true,
            description: None,
            kind: StoreKind::File {
                path: data_dir.join("images"),
            },
        }]);
    };
    let mut out: Vec<StoreConfig> = Vec::new();
    for s in stores {
        let valid_id = !s.id.is_empty()
            && s.id.len() <= 64
            && s.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_id {
            anyhow::bail!(
                "store id {:?}: use 1 to 64 letters, digits, '-' or '_'",
                s.id
            );
        }
        if out.iter().any(|o| o.id == s.id) {
            anyhow::bail!("store id {:?} is given twice", s.id);
        }
        let kind = match s.kind.as_str() {
            "file" => {
                if let Some(k) = s.options.keys().find(|k| k.as_str() != "path") {
                    anyhow::bail!(
                        "store {:?}: unknown key {k:?} for a file store (it takes path)",
                        s.id
                    );
                }
                let path = match s.options.get("path") {
                    None => data_dir.join("images"),
                    Some(toml::Value::String(p)) => PathBuf::from(p),
                    Some(_) => anyhow::bail!("store {:?}: path must be a string", s.id),
                };
                StoreKind::File { path }
            }
            "s3" => StoreKind::S3(s3_settings(&s.id, &s.options)?),
            other => anyhow::bail!(
                "store {:?}: unknown kind {other:?} (this build knows: file, s3)",
                s.id
            ),
        };
        out.push(StoreConfig {
            id: s.id,
            default: s.default,
            description: s.description,
            kind,
        });
    }
    match out.iter().filter(|s| s.default).count() {
        0 if out.len() == 1 => out[0].default = true,
        1 => {}
        0 => anyhow::bail!("several stores are configured: mark one with default = true"),
        _ => anyhow::bail!("only one store can have default = true"),
    }
    Ok(out)
}

/// This machine's host name (for the default node name).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

impl Settings {
    /// `self` with every field that `over` sets replaced by `over`'s value.
    pub fn overlay(self, over: Settings) -> Settings {
        Settings {
            bind: over.bind.or(self.bind),
            data_dir: over.data_dir.or(self.data_dir),
            database_url: over.database_url.or(self.database_url),
            public_url: over.public_url.or(self.public_url),
            site_root: over.site_root.or(self.site_root),
            session_lifetime: over.session_lifetime.or(self.session_lifetime),
            token_lifetime: over.token_lifetime.or(self.token_lifetime),
            cookie_secure: over.cookie_secure.or(self.cookie_secure),
            tls_cert_file: over.tls_cert_file.or(self.tls_cert_file),
            tls_key_file: over.tls_key_file.or(self.tls_key_file),
            log_format: over.log_format.or(self.log_format),
            log: over.log.or(self.log),
            max_json_body: over.max_json_body.or(self.max_json_body),
            image_size_cap: over.image_size_cap.or(self.image_size_cap),
            require_format_match: over.require_format_match.or(self.require_format_match),
            policy_file: over.policy_file.or(self.policy_file),
            disabled_notifications: over.disabled_notifications.or(self.disabled_notifications),
            notification_transport_url: over
                .notification_transport_url
                .or(self.notification_transport_url),
            notification_topics: over.notification_topics.or(self.notification_topics),
            property_protection_file: over
                .property_protection_file
                .or(self.property_protection_file),
            property_protection_rule_format: over
                .property_protection_rule_format
                .or(self.property_protection_rule_format),
            login_max_failures: over.login_max_failures.or(self.login_max_failures),
            login_lockout: over.login_lockout.or(self.login_lockout),
            node_name: over.node_name.or(self.node_name),
            upload_lease: over.upload_lease.or(self.upload_lease),
            delayed_delete: over.delayed_delete.or(self.delayed_delete),
            scrub_time: over.scrub_time.or(self.scrub_time),
            scrub_interval: over.scrub_interval.or(self.scrub_interval),
            stores: over.stores.or(self.stores),
            enabled_import_methods: over.enabled_import_methods.or(self.enabled_import_methods),
            image_conversion_format: over
                .image_conversion_format
                .or(self.image_conversion_format),
            web_download_idle_timeout: over
                .web_download_idle_timeout
                .or(self.web_download_idle_timeout),
            import_filtering: over.import_filtering.or(self.import_filtering),
        }
    }

    /// Reads a TOML settings file.
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Settings> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("invalid config file {}: {e}", path.display()))
    }
}

/// A broker URL, which may hold a password: shown without it.
#[derive(Clone, PartialEq)]
pub struct TransportUrl(pub String);

impl std::fmt::Debug for TransportUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = match (self.0.find("://"), self.0.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***{}", &self.0[..s], &self.0[at..]),
            _ => self.0.clone(),
        };
        write!(f, "TransportUrl({shown:?})")
    }
}

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub bind: SocketAddr,
    /// Data directory (database and image files).
    pub data_dir: PathBuf,
    /// SQLite URL.
    pub database_url: String,
    /// Public base URL without a trailing slash; `None` means "derive it from the bound address".
    pub public_url: Option<String>,
    /// Dashboard assets directory.
    pub site_root: PathBuf,
    /// Session inactivity lifetime, seconds.
    pub session_lifetime: u64,
    /// API token lifetime, seconds.
    pub token_lifetime: u64,
    /// `Secure` cookie flag.
    pub cookie_secure: bool,
    /// HTTPS: the certificate chain and key files.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log: String,
    /// Largest JSON body.
    pub max_json_body: usize,
    /// Largest image, bytes.
    pub image_size_cap: u64,
    /// Whether a disk-format mismatch is refused.
    pub require_format_match: bool,
    /// Policy overrides file.
    pub policy_file: Option<PathBuf>,
    /// Notifications not sent (event types or groups).
    pub disabled_notifications: Vec<String>,
    /// The AMQP broker notifications also go to.
    pub notification_transport_url: Option<TransportUrl>,
    /// Their topics.
    pub notification_topics: Vec<String>,
    /// Property protection file.
    pub property_protection_file: Option<PathBuf>,
    /// How it names who may.
    pub property_protection_rule_format: crate::domain::property_protections::RuleFormat,
    /// Failed logins before lockout.
    pub login_max_failures: u32,
    /// Lockout duration, seconds.
    pub login_lockout: u64,
    /// This node's name in upload leases.
    pub node_name: String,
    /// Upload lease, seconds.
    pub upload_lease: u64,
    /// The image stores (one is the default).
    pub stores: Vec<StoreConfig>,
    /// Whether the settings named the stores (`[[stores]]`): Glance's multi-store API is on.
    pub stores_named: bool,
    /// Delayed delete: deleted images keep their data until the scrubber removes it.
    pub delayed_delete: bool,
    /// Seconds a pending deletion waits for the scrubber.
    pub scrub_time: u64,
    /// Seconds between scrubber runs.
    pub scrub_interval: u64,
    /// The import methods offered.
    pub import_methods: Vec<crate::domain::task::ImportMethod>,
    /// The disk format imports are converted to, if any.
    pub image_conversion_format: Option<String>,
    /// web-download's idle timeout, seconds.
    pub web_download_idle_timeout: u64,
    /// Which URIs web-download may fetch.
    pub import_filtering: crate::domain::uri_filter::UriFilter,
}

impl Config {
    /// Fills every unset field with its default.
    pub fn resolve(s: Settings) -> anyhow::Result<Config> {
        let data_dir = s.data_dir.unwrap_or_else(|| PathBuf::from("data"));
        let database_url = s
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("glimpse.db").display()));
        let public_url = match s.public_url {
            Some(u) => {
                let u = u.trim_end_matches('/').to_string();
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    anyhow::bail!("public_url must start with http:// or https://, got {u:?}");
                }
                Some(u)
            }
            None => None,
        };
        let bind = s
            .bind
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9292)));
        let stores_named = s.stores.as_ref().is_some_and(|s| !s.is_empty());
        let tls = match (s.tls_cert_file.clone(), s.tls_key_file.clone()) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => anyhow::bail!("HTTPS needs both tls_cert_file and tls_key_file"),
        };
        let stores = resolve_stores(s.stores, &data_dir)?;
        let import_methods = match s.enabled_import_methods {
            None => crate::domain::task::ImportMethod::ALL.to_vec(),
            Some(names) => names
                .iter()
                .map(|n| n.trim())
                .filter(|n| !n.is_empty())
                .map(|n| {
                    crate::domain::task::ImportMethod::parse(n).ok_or_else(|| {
                        anyhow::anyhow!(
                            "enabled_import_methods: unknown method {n:?} (use glance-direct, web-download, copy-image)"
                        )
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        };
        let image_conversion_format = match s.image_conversion_format {
            Some(f) if !crate::domain::image::DISK_FORMATS.contains(&f.as_str()) => {
                anyhow::bail!("image_conversion_format: unknown disk format {f:?}")
            }
            other => other,
        };
        Ok(Config {
            import_methods,
            image_conversion_format,
            web_download_idle_timeout: s.web_download_idle_timeout.unwrap_or(60).max(1),
            import_filtering: s.import_filtering.unwrap_or_default(),
            bind,
            stores,
            stores_named,
            node_name: s
                .node_name
                .unwrap_or_else(|| format!("{}:{}", host_name(), bind.port())),
            upload_lease: s.upload_lease.unwrap_or(60).max(3),
            delayed_delete: s.delayed_delete.unwrap_or(false),
            scrub_time: s.scrub_time.unwrap_or(0),
            scrub_interval: s.scrub_interval.unwrap_or(300).max(1),
            data_dir,
            database_url,
            public_url,
            site_root: s.site_root.unwrap_or_else(|| PathBuf::from("target/site")),
            session_lifetime: s.session_lifetime.unwrap_or(3600),
            token_lifetime: s.token_lifetime.unwrap_or(3600),
            cookie_secure: s.cookie_secure.unwrap_or(tls.is_some()),
            tls,
            log_format: s.log_format.unwrap_or_default(),
            log: s.log.unwrap_or_else(|| "info".into()),
            max_json_body: s.max_json_body.unwrap_or(1 << 20),
            image_size_cap: s.image_size_cap.unwrap_or(1 << 40),
            require_format_match: s.require_format_match.unwrap_or(true),
            policy_file: s.policy_file,
            property_protection_file: s.property_protection_file,
            notification_transport_url: match s.notification_transport_url {
                Some(u) => {
                    crate::server::amqp::check_url(&u)?;
                    Some(TransportUrl(u))
                }
                None => None,
            },
            notification_topics: s
                .notification_topics
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| vec!["notifications".into()]),
            disabled_notifications: s
                .disabled_notifications
                .unwrap_or_default()
                .into_iter()
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
                .collect(),
            property_protection_rule_format: s.property_protection_rule_format.unwrap_or_default(),
            login_max_failures: s.login_max_failures.unwrap_or(5).max(1),
            login_lockout: s.login_lockout.unwrap_or(300),
        })
    }

    /// The public base URL for a server bound at `local`: the configured one, or `http://<local>`
    /// (with 127.0.0.1 standing in for an unspecified address).
    pub fn public_url_for(&self, local: SocketAddr) -> String {
        if let Some(u) = &self.public_url {
            return u.clone();
        }
        let mut addr = local;
        if addr.ip().is_unspecified() {
            addr.set_ip([127, 0, 0, 1].into());
        }
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{addr}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broker_password_stays_out_of_debug_output() {
        let u = TransportUrl("rabbit://glimpse:s3cret@mq.example:5672/".into());
        let shown = format!("{u:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("@mq.example:5672/"), "{shown}");
        let c = Config::resolve(Settings {
            notification_transport_url: Some("http://nope".into()),
            ..Default::default()
        });
        assert!(c.unwrap_err().to_string().contains("not an AMQP URL"));
    }

    #[test]
    fn later_layers_win() {
        let file: Settings = toml::from_str("bind = \"0.0.0.0:1\"\ntoken_lifetime = 10").unwrap();
        let env_flags = Settings {
            bind: Some("127.0.0.1:2".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::resolve(Settings::default().overlay(file).overlay(env_flags)).unwrap();
        assert_eq!(c.bind.port(), 2);
        assert_eq!(c.token_lifetime, 10);
        assert_eq!(c.session_lifetime, 3600);
        assert!(c.database_url.ends_with("glimpse.db"));
    }

    #[test]
    fn stores_are_checked_when_read() {
        let read = |t: &str| Config::resolve(toml::from_str::<Settings>(t).unwrap());
        let c = read("").unwrap();
        assert_eq!(c.stores.len(), 1);
        assert_eq!(
            (c.stores[0].id.as_str(), c.stores[0].default),
            ("file", true)
        );
        let c = read("[[stores]]\nid = \"local\"\nkind = \"file\"\npath = \"/srv/images\"\n[[stores]]\nid = \"fast\"\nkind = \"file\"\ndefault = true\n").unwrap();
        assert_eq!(
            c.stores[0].kind,
            StoreKind::File {
                path: "/srv/images".into()
            }
        );
        assert!(c.stores[1].default && !c.stores[0].default);
        for (toml, why) in [
            ("[[stores]]\nid = \"x\"\nkind = \"tape\"\n", "unknown kind \"tape\""),
            ("[[stores]]\nid = \"x\"\nkind = \"file\"\nbucket = \"b\"\n", "unknown key \"bucket\""),
            ("[[stores]]\nid = \"a\"\nkind = \"file\"\n[[stores]]\nid = \"b\"\nkind = \"file\"\n", "mark one with default"),
            ("[[stores]]\nid = \"a\"\nkind = \"file\"\n[[stores]]\nid = \"a\"\nkind = \"file\"\n", "given twice"),
            ("[[stores]]\nid = \"a/b\"\nkind = \"file\"\n", "store id"),
        ] {
            let e = read(toml).unwrap_err().to_string();
            assert!(e.contains(why), "{toml}: {e}");
        }
    }

    #[test]
    fn unknown_file_keys_are_errors() {
        assert!(toml::from_str::<Settings>("bnd = \"x\"").is_err());
    }

    #[test]
    fn public_url_is_derived_from_the_bound_address() {
        let c = Config::resolve(Settings::default()).unwrap();
        assert_eq!(
            c.public_url_for("0.0.0.0:9292".parse().unwrap()),
            "http://127.0.0.1:9292"
        );
        let c = Config::resolve(Settings {
            public_url: Some("https://cloud.example/".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            c.public_url_for("0.0.0.0:9292".parse().unwrap()),
            "https://cloud.example"
        );
    }
}
