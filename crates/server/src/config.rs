//! Typed configuration, layered: defaults -> optional TOML file named by `CRM_CONFIG` -> `CRM_*`
//! environment variables (environment wins). Unknown keys in either place are an error; secrets
//! are `SecretString` and never printed.

use crm_api::middleware::rate_limit::RateLimitConfig;
use crm_app::identity::sessions::LockoutPolicy;
use crm_store::SqliteSync;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Deployment kind; `production` refuses development-only backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: String,
    pub admin_password: Option<SecretString>,
    pub jwt_secret: Option<SecretString>,
    pub log: String,
    pub log_format: LogFormat,
    pub env: Environment,
    pub body_limit: usize,
    pub db_max_connections: u32,
    /// SQLite's `synchronous` in WAL mode: `full` (default) or `normal`; see [`SqliteSync`].
    pub sqlite_synchronous: SqliteSync,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub shutdown_timeout: Duration,
    pub workers: Option<usize>,
    /// How often the in-process scheduler runs its jobs (the public-pool return); zero turns it off.
    pub scheduler_interval: Duration,
    pub rate_limits: RateLimitConfig,
    pub lockout: LockoutPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/crm.db?mode=rwc".to_owned(),
            listen: "127.0.0.1:8080".to_owned(),
            admin_password: None,
            jwt_secret: None,
            log: "info".to_owned(),
            log_format: LogFormat::Pretty,
            env: Environment::Development,
            body_limit: 1024 * 1024,
            db_max_connections: 10,
            sqlite_synchronous: SqliteSync::default(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            shutdown_timeout: Duration::from_secs(30),
            workers: None,
            scheduler_interval: Duration::from_secs(300),
            rate_limits: RateLimitConfig::default(),
            lockout: LockoutPolicy::default(),
        }
    }
}

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    File { path: String, message: String },
    #[error("unknown environment variable {0} (see the README's configuration table)")]
    UnknownEnv(String),
    #[error("invalid value for {key}: {message}")]
    Value { key: String, message: String },
}

/// Every key, as written in `crm.toml`; the environment variable is `CRM_` + the key in upper case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layer {
    database_url: Option<String>,
    listen: Option<String>,
    admin_password: Option<SecretString>,
    jwt_secret: Option<SecretString>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    env: Option<Environment>,
    body_limit: Option<usize>,
    db_max_connections: Option<u32>,
    sqlite_synchronous: Option<SqliteSync>,
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_secs: Option<u64>,
    shutdown_timeout_secs: Option<u64>,
    workers: Option<usize>,
    scheduler_interval_secs: Option<u64>,
    rate_limit_per_ip: Option<u32>,
    rate_limit_per_ip_burst: Option<u32>,
    rate_limit_auth_per_ip: Option<u32>,
    rate_limit_auth_per_ip_burst: Option<u32>,
    rate_limit_per_caller: Option<u32>,
    rate_limit_per_caller_burst: Option<u32>,
    lockout_user_threshold: Option<i32>,
    lockout_ip_threshold: Option<i32>,
    lockout_window_secs: Option<u64>,
    lockout_secs: Option<u64>,
}

/// Environment variables with the `CRM_` prefix that are not configuration keys.
const NOT_KEYS: &[&str] = &["CONFIG"];

impl Config {
    /// Loads from the process environment (and the file `CRM_CONFIG` names).
    pub fn load() -> Result<Self, ConfigError> {
        Self::from_sources(std::env::vars())
    }

    /// Loads from the given variables; the seam for tests.
    pub fn from_sources(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let vars: BTreeMap<String, String> = vars.into_iter().filter(|(k, _)| k.starts_with("CRM_")).collect();
        let mut cfg = Config::default();
        if let Some(path) = vars.get("CRM_CONFIG") {
            let text =
                std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
            let layer: Layer =
                toml::from_str(&text).map_err(|e| ConfigError::File { path: path.clone(), message: e.to_string() })?;
            cfg.apply(layer)?;
        }
        let mut table = toml::Table::new();
        for (k, v) in &vars {
            let key = &k["CRM_".len()..];
            if NOT_KEYS.contains(&key) || key.starts_with("TEST_") {
                continue;
            }
            table.insert(key.to_ascii_lowercase(), env_value(key, v));
        }
        let layer: Layer = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
            let msg = e.to_string();
            match msg.split('`').nth(1) {
                Some(field) if msg.contains("unknown field") => {
                    ConfigError::UnknownEnv(format!("CRM_{}", field.to_ascii_uppercase()))
                }
                _ => ConfigError::Value { key: "environment".to_owned(), message: msg },
            }
        })?;
        cfg.apply(layer)?;
        Ok(cfg)
    }

    fn apply(&mut self, l: Layer) -> Result<(), ConfigError> {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = l.$f { self.$f = v; } )* };
        }
        set!(database_url, listen, log, log_format, env, body_limit, db_max_connections, sqlite_synchronous);
        if l.admin_password.is_some() {
            self.admin_password = l.admin_password;
        }
        if l.jwt_secret.is_some() {
            self.jwt_secret = l.jwt_secret;
        }
        if let Some(s) = l.access_token_ttl_secs {
            self.access_token_ttl = Duration::from_secs(s);
        }
        if let Some(s) = l.refresh_token_ttl_secs {
            self.refresh_token_ttl = Duration::from_secs(s);
        }
        if let Some(s) = l.shutdown_timeout_secs {
            self.shutdown_timeout = Duration::from_secs(s);
        }
        if l.workers.is_some() {
            self.workers = l.workers;
        }
        if let Some(s) = l.scheduler_interval_secs {
            self.scheduler_interval = Duration::from_secs(s);
        }
        let r = &mut self.rate_limits;
        for (target, v) in [
            (&mut r.per_ip.per_second, l.rate_limit_per_ip),
            (&mut r.per_ip.burst, l.rate_limit_per_ip_burst),
            (&mut r.auth_per_ip.per_second, l.rate_limit_auth_per_ip),
            (&mut r.auth_per_ip.burst, l.rate_limit_auth_per_ip_burst),
            (&mut r.per_caller.per_second, l.rate_limit_per_caller),
            (&mut r.per_caller.burst, l.rate_limit_per_caller_burst),
        ] {
            if let Some(v) = v {
                *target = v;
            }
        }
        if let Some(v) = l.lockout_user_threshold {
            self.lockout.user_threshold = v;
        }
        if let Some(v) = l.lockout_ip_threshold {
            self.lockout.ip_threshold = v;
        }
        if let Some(v) = l.lockout_window_secs {
            self.lockout.window = Duration::from_secs(v);
        }
        if let Some(v) = l.lockout_secs {
            self.lockout.lock_for = Duration::from_secs(v);
        }
        if self.lockout.user_threshold < 1 || self.lockout.ip_threshold < 1 {
            return Err(ConfigError::Value {
                key: "lockout_*_threshold".to_owned(),
                message: "must be at least 1".to_owned(),
            });
        }
        if self.body_limit == 0 {
            return Err(ConfigError::Value { key: "body_limit".to_owned(), message: "must be positive".to_owned() });
        }
        if self.db_max_connections == 0 {
            return Err(ConfigError::Value {
                key: "db_max_connections".to_owned(),
                message: "must be positive".to_owned(),
            });
        }
        Ok(())
    }
}

/// Environment values are strings; numeric keys are passed as numbers so the same typed layer
/// reads both sources.
fn env_value(key: &str, v: &str) -> toml::Value {
    const NUMERIC: &[&str] = &[
        "BODY_LIMIT",
        "DB_MAX_CONNECTIONS",
        "ACCESS_TOKEN_TTL_SECS",
        "REFRESH_TOKEN_TTL_SECS",
        "SHUTDOWN_TIMEOUT_SECS",
        "WORKERS",
        "SCHEDULER_INTERVAL_SECS",
        "RATE_LIMIT_PER_IP",
        "RATE_LIMIT_PER_IP_BURST",
        "RATE_LIMIT_AUTH_PER_IP",
        "RATE_LIMIT_AUTH_PER_IP_BURST",
        "RATE_LIMIT_PER_CALLER",
        "RATE_LIMIT_PER_CALLER_BURST",
        "LOCKOUT_USER_THRESHOLD",
        "LOCKOUT_IP_THRESHOLD",
        "LOCKOUT_WINDOW_SECS",
        "LOCKOUT_SECS",
    ];
    if NUMERIC.contains(&key)
        && let Ok(n) = v.trim().parse::<i64>()
    {
        return toml::Value::Integer(n);
    }
    toml::Value::String(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn vars(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_without_anything() -> Result<(), ConfigError> {
        let c = Config::from_sources(vars(&[("PATH", "/bin")]))?;
        assert_eq!(c.database_url, "sqlite://data/crm.db?mode=rwc");
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.log_format, LogFormat::Pretty);
        Ok(())
    }

    #[test]
    fn file_then_env_wins() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("crm.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:9000\"\nbody_limit = 2048\nlog_format = \"json\"\n")?;
        let p = path.to_string_lossy().to_string();
        let c = Config::from_sources(vars(&[
            ("CRM_CONFIG", &p),
            ("CRM_BODY_LIMIT", "4096"),
            ("CRM_JWT_SECRET", "s3cr3t"),
        ]))?;
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.body_limit, 4096);
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.jwt_secret.as_ref().map(|s| s.expose_secret().to_owned()), Some("s3cr3t".to_owned()));
        assert!(!format!("{c:?}").contains("s3cr3t"), "secrets never printed");
        Ok(())
    }

    #[test]
    fn unknown_keys_are_errors() -> Result<(), Box<dyn std::error::Error>> {
        let e = Config::from_sources(vars(&[("CRM_LISTN", "x")]));
        assert!(matches!(e, Err(ConfigError::UnknownEnv(ref k)) if k == "CRM_LISTN"), "{e:?}");
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("crm.toml");
        std::fs::write(&path, "lisen = \"x\"\n")?;
        let p = path.to_string_lossy().to_string();
        assert!(matches!(Config::from_sources(vars(&[("CRM_CONFIG", &p)])), Err(ConfigError::File { .. })));
        assert!(matches!(Config::from_sources(vars(&[("CRM_BODY_LIMIT", "lots")])), Err(ConfigError::Value { .. })));
        assert!(matches!(Config::from_sources(vars(&[("CRM_LOG_FORMAT", "xml")])), Err(ConfigError::Value { .. })));
        Ok(())
    }
}
