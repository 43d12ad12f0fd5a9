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
    /// Mark the session cookie `Secure` (serve over HTTPS) [default: false]
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
    /// Failed logins for one user before it is locked for a while [default: 5]
    #[arg(long, env = "GLIMPSE_LOGIN_MAX_FAILURES", global = true)]
    pub login_max_failures: Option<u32>,
    /// How long a locked login stays locked, in seconds [default: 300]
    #[arg(long, env = "GLIMPSE_LOGIN_LOCKOUT", global = true)]
    pub login_lockout: Option<u64>,
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
            log_format: over.log_format.or(self.log_format),
            log: over.log.or(self.log),
            max_json_body: over.max_json_body.or(self.max_json_body),
            image_size_cap: over.image_size_cap.or(self.image_size_cap),
            require_format_match: over.require_format_match.or(self.require_format_match),
            policy_file: over.policy_file.or(self.policy_file),
            login_max_failures: over.login_max_failures.or(self.login_max_failures),
            login_lockout: over.login_lockout.or(self.login_lockout),
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
    /// Failed logins before lockout.
    pub login_max_failures: u32,
    /// Lockout duration, seconds.
    pub login_lockout: u64,
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
        Ok(Config {
            bind: s
                .bind
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9292))),
            data_dir,
            database_url,
            public_url,
            site_root: s.site_root.unwrap_or_else(|| PathBuf::from("target/site")),
            session_lifetime: s.session_lifetime.unwrap_or(3600),
            token_lifetime: s.token_lifetime.unwrap_or(3600),
            cookie_secure: s.cookie_secure.unwrap_or(false),
            log_format: s.log_format.unwrap_or_default(),
            log: s.log.unwrap_or_else(|| "info".into()),
            max_json_body: s.max_json_body.unwrap_or(1 << 20),
            image_size_cap: s.image_size_cap.unwrap_or(1 << 40),
            require_format_match: s.require_format_match.unwrap_or(true),
            policy_file: s.policy_file,
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
        format!("http://{addr}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
