//! Settings, loaded once at start and passed down. Each setting comes from, in rising order of
//! precedence: its default, the TOML file named by `--config`, its `KEYWARD_*` environment
//! variable (secrets also from `KEYWARD_*_FILE`), and its command-line flag. Everything is
//! validated here, so the rest of the program holds only values that make sense.

mod file;
pub mod limits;
pub mod proxies;
pub mod web_identity;

use crate::secrets::SecretString;
use clap::Args;
use proxies::{ProxyHeader, TrustedProxies};
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use url::Url;

pub use file::FileSettings;

/// Storage settings, shared by every subcommand that opens the store.
#[derive(Args, Debug, Clone, Default)]
pub struct StoreArgs {
    /// Settings file (TOML) with any of the keys below, in snake_case.
    #[arg(long, env = "KEYWARD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Directory for the embedded store, the master key and the admin credentials [default: ./var]
    #[arg(long, env = "KEYWARD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// postgres://user:pass@host/db for PostgreSQL, or sqlite://FILE; default: the embedded
    /// store at <data dir>/keyward.db
    #[arg(
        long,
        env = "KEYWARD_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<SecretString>,

    /// File holding the database URL (instead of KEYWARD_DATABASE_URL)
    #[arg(long, env = "KEYWARD_DATABASE_URL_FILE", value_name = "FILE")]
    pub database_url_file: Option<PathBuf>,

    /// Master key sealing secrets at rest: 32 bytes in base64; default: <data dir>/master.key,
    /// generated on first start
    #[arg(
        long,
        env = "KEYWARD_MASTER_KEY",
        value_name = "BASE64",
        hide_env_values = true
    )]
    pub master_key: Option<SecretString>,

    /// File holding the master key (instead of KEYWARD_MASTER_KEY)
    #[arg(long, env = "KEYWARD_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,

    /// Connections in the database pool [default: 10]
    #[arg(long, env = "KEYWARD_DB_POOL_SIZE", value_name = "N")]
    pub db_pool_size: Option<u32>,
}

/// Settings of `keyward serve`.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,

    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "KEYWARD_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,

    /// URL clients use to reach this server (issuer, endpoint_url, sign-in links)
    /// [default: http://<listen>]
    #[arg(long, env = "KEYWARD_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// AWS region name this server answers for [default: us-east-1]
    #[arg(long, env = "KEYWARD_REGION", value_name = "REGION")]
    pub region: Option<String>,

    /// Log format: auto (pretty on a terminal, plain otherwise), pretty or json [default: auto]
    #[arg(long, env = "KEYWARD_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,

    /// Log filter in tracing's EnvFilter syntax [default: info]
    #[arg(long, env = "KEYWARD_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// HTTP worker threads [default: number of CPUs]
    #[arg(long, env = "KEYWARD_WORKERS", value_name = "N")]
    pub workers: Option<usize>,

    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT [default: 10]
    #[arg(long, env = "KEYWARD_SHUTDOWN_TIMEOUT", value_name = "SECONDS")]
    pub shutdown_timeout: Option<u64>,

    /// Console sessions end after this many seconds without a request [default: 3600]
    #[arg(long, env = "KEYWARD_SESSION_IDLE_TIMEOUT", value_name = "SECONDS")]
    pub session_idle_timeout: Option<u64>,

    /// Console sessions end this many seconds after sign-in, however busy [default: 43200]
    #[arg(long, env = "KEYWARD_SESSION_MAX_LIFETIME", value_name = "SECONDS")]
    pub session_max_lifetime: Option<u64>,

    /// OpenID Connect authorization codes must be exchanged within this many seconds
    /// [default: 60]
    #[arg(long, env = "KEYWARD_OIDC_CODE_LIFETIME", value_name = "SECONDS")]
    pub oidc_code_lifetime: Option<u64>,

    /// Proxies in front of Keyward whose forwarding headers name the client: addresses or
    /// CIDR networks, comma-separated [default: none, the headers are ignored]
    #[arg(
        long,
        env = "KEYWARD_TRUSTED_PROXIES",
        value_name = "ADDR|CIDR,...",
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<String>>,

    /// The header the trusted proxies name the client in: x-forwarded-for (with
    /// X-Forwarded-Proto) or forwarded (RFC 7239) [default: x-forwarded-for]
    #[arg(long, env = "KEYWARD_PROXY_HEADER", value_name = "HEADER")]
    pub proxy_header: Option<String>,

    /// Audit events are deleted this many days after they happened; 0 keeps them for ever
    /// [default: 365]
    #[arg(long, env = "KEYWARD_AUDIT_RETENTION_DAYS", value_name = "DAYS")]
    pub audit_retention_days: Option<u32>,

    /// IAM users an account may hold (AWS's quota, UsersPerAccount, is 5000; a deployment
    /// with more people raises it) [default: 5000]
    #[arg(long, env = "KEYWARD_USERS_PER_ACCOUNT", value_name = "N")]
    pub users_per_account: Option<i64>,

    #[command(flatten)]
    pub external: web_identity::ExternalIdentityArgs,
}

/// Where state lives.
#[derive(Debug, Clone)]
pub enum DatabaseTarget {
    /// The embedded store: a SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server; the URL may hold a password.
    Postgres(SecretString),
}

impl DatabaseTarget {
    /// Reads a database URL, choosing the backend from its scheme.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::Invalid {
            setting: "database_url",
            reason: why.to_string(),
        };
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "postgres" | "postgresql" => {
                let parsed = Url::parse(url).map_err(|e| bad(&format!("not a valid URL ({e})")))?;
                if parsed.host_str().unwrap_or_default().is_empty()
                    && !parsed.query_pairs().any(|(k, _)| k == "host")
                {
                    return Err(bad("a postgres:// URL needs a host"));
                }
                Ok(Self::Postgres(SecretString::from(url.to_string())))
            }
            "sqlite" => {
                let path = url
                    .trim_start_matches("sqlite:")
                    .trim_start_matches("//")
                    .to_string();
                if path.is_empty() {
                    return Err(bad("a sqlite:// URL needs a file path"));
                }
                Ok(Self::Sqlite(PathBuf::from(path)))
            }
            _ => Err(bad(
                "expected a postgres://, postgresql:// or sqlite:// URL",
            )),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "embedded (SQLite)",
            Self::Postgres(_) => "PostgreSQL",
        }
    }

    /// The URL with any password replaced, for messages.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => match Url::parse(url.expose_secret()) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("***"));
                    }
                    u.to_string()
                }
                Err(_) => "postgres://***".to_string(),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Auto,
    Pretty,
    Json,
}

/// Store settings after validation.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub data_dir: PathBuf,
    pub database: DatabaseTarget,
    pub master_key: Option<SecretString>,
    pub db_pool_size: u32,
}

/// Server settings after validation.
#[derive(Debug, Clone)]
pub struct Settings {
    pub store: StoreSettings,
    pub listen: SocketAddr,
    /// None: `http://<the address actually bound>`.
    pub public_url: Option<Url>,
    pub region: String,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub workers: usize,
    pub shutdown_timeout: u64,
    /// Console session idle timeout, seconds.
    pub session_idle_timeout: u64,
    /// Console session absolute lifetime, seconds.
    pub session_max_lifetime: u64,
    /// How long an OpenID Connect authorization code lives, seconds.
    pub oidc_code_lifetime: u64,
    /// The proxies whose forwarding headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// Days audit events are kept; 0: for ever.
    pub audit_retention_days: u32,
    /// The UsersPerAccount quota.
    pub users_per_account: i64,
    pub web_identity: web_identity::WebIdentitySettings,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("settings file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("invalid {setting}: {reason}")]
    Invalid {
        setting: &'static str,
        reason: String,
    },
}

/// The environment variables Keyward reads; any other `KEYWARD_*` draws a warning.
pub const KNOWN_ENV: &[&str] = &[
    "KEYWARD_CONFIG",
    "KEYWARD_DATA_DIR",
    "KEYWARD_DATABASE_URL",
    "KEYWARD_DATABASE_URL_FILE",
    "KEYWARD_MASTER_KEY",
    "KEYWARD_MASTER_KEY_FILE",
    "KEYWARD_DB_POOL_SIZE",
    "KEYWARD_LISTEN",
    "KEYWARD_PUBLIC_URL",
    "KEYWARD_REGION",
    "KEYWARD_LOG_FORMAT",
    "KEYWARD_LOG",
    "KEYWARD_WORKERS",
    "KEYWARD_SHUTDOWN_TIMEOUT",
    "KEYWARD_SESSION_IDLE_TIMEOUT",
    "KEYWARD_SESSION_MAX_LIFETIME",
    "KEYWARD_OIDC_CODE_LIFETIME",
    "KEYWARD_TRUSTED_PROXIES",
    "KEYWARD_PROXY_HEADER",
    "KEYWARD_AUDIT_RETENTION_DAYS",
    "KEYWARD_USERS_PER_ACCOUNT",
    "KEYWARD_OIDC_JWKS_MAX_CACHE_SECONDS",
    "KEYWARD_WEB_IDENTITY_JTI_ONCE",
    "KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS",
    "KEYWARD_ALLOW_PLAIN_LDAP",
    // Read by the test suite, not by the server.
    "KEYWARD_TEST_DATABASE_URL",
];

/// `KEYWARD_*` variables in `vars` that no setting reads (likely typos).
pub fn unknown_env_vars(vars: impl Iterator<Item = String>) -> Vec<String> {
    vars.filter(|k| k.starts_with("KEYWARD_") && !KNOWN_ENV.contains(&k.as_str()))
        .collect()
}

fn read_secret_file(what: &'static str, path: &Path) -> Result<SecretString, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })?;
    Ok(SecretString::from(text.trim().to_string()))
}

/// Chooses between a secret given directly and one given as a file; both at once is an error.
fn secret_from(
    setting: &'static str,
    direct: Option<SecretString>,
    file: Option<PathBuf>,
) -> Result<Option<SecretString>, ConfigError> {
    match (direct, file) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid {
            setting,
            reason: format!("give either {setting} or {setting}_file, not both"),
        }),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(path)) => read_secret_file(setting, &path).map(Some),
        (None, None) => Ok(None),
    }
}

impl StoreArgs {
    /// Validates the store settings, reading the settings file if one is named.
    pub fn resolve(self) -> Result<(StoreSettings, FileSettings), ConfigError> {
        let file = match &self.config {
            Some(path) => FileSettings::load(path)?,
            None => FileSettings::default(),
        };
        let data_dir = self
            .data_dir
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("var"));
        let database_url = secret_from(
            "database_url",
            self.database_url,
            self.database_url_file
                .or_else(|| file.database_url_file.clone()),
        )?
        .or_else(|| file.database_url.clone().map(SecretString::from));
        let database = match database_url {
            Some(url) => DatabaseTarget::parse(url.expose_secret())?,
            None => DatabaseTarget::Sqlite(data_dir.join("keyward.db")),
        };
        let master_key = secret_from(
            "master_key",
            self.master_key,
            self.master_key_file
                .or_else(|| file.master_key_file.clone()),
        )?;
        let db_pool_size = self.db_pool_size.or(file.db_pool_size).unwrap_or(10);
        if !(1..=200).contains(&db_pool_size) {
            return Err(ConfigError::Invalid {
                setting: "db_pool_size",
                reason: format!("{db_pool_size} is outside 1..=200"),
            });
        }
        let store = StoreSettings {
            data_dir,
            database,
            master_key,
            db_pool_size,
        };
        Ok((store, file))
    }
}

impl ServeArgs {
    /// Validates every server setting.
    pub fn resolve(self) -> Result<Settings, ConfigError> {
        let (store, file) = self.store.resolve()?;
        let web_identity = self.external.resolve(&file)?;
        let listen_text = self
            .listen
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_string());
        let listen: SocketAddr = listen_text.parse().map_err(|_| ConfigError::Invalid {
            setting: "listen",
            reason: format!("'{listen_text}' is not an address:port such as 127.0.0.1:8080"),
        })?;
        let public_url = match self.public_url.or(file.public_url) {
            None => None,
            Some(text) => Some(
                Url::parse(&text)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .ok_or_else(|| ConfigError::Invalid {
                        setting: "public_url",
                        reason: format!("'{text}' is not an http(s) URL"),
                    })?,
            ),
        };
        let region = self
            .region
            .or(file.region)
            .unwrap_or_else(|| "us-east-1".to_string());
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ConfigError::Invalid {
                setting: "region",
                reason: format!("'{region}' is not a region name such as us-east-1"),
            });
        }
        let log_format = match self
            .log_format
            .or(file.log_format)
            .as_deref()
            .unwrap_or("auto")
        {
            "auto" => LogFormat::Auto,
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::Invalid {
                    setting: "log_format",
                    reason: format!("'{other}' is not one of auto, pretty, json"),
                })
            }
        };
        let log_filter = self.log.or(file.log).unwrap_or_else(|| "info".to_string());
        let workers = self
            .workers
            .or(file.workers)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        if !(1..=512).contains(&workers) {
            return Err(ConfigError::Invalid {
                setting: "workers",
                reason: format!("{workers} is outside 1..=512"),
            });
        }
        let shutdown_timeout = self
            .shutdown_timeout
            .or(file.shutdown_timeout)
            .unwrap_or(10);
        let session_idle_timeout = self
            .session_idle_timeout
            .or(file.session_idle_timeout)
            .unwrap_or(3600);
        let session_max_lifetime = self
            .session_max_lifetime
            .or(file.session_max_lifetime)
            .unwrap_or(43_200);
        // One minute at least (the last-seen time is written at most once a minute); at most
        // 30 days, past which a "session" is a long-term credential.
        for (setting, value) in [
            ("session_idle_timeout", session_idle_timeout),
            ("session_max_lifetime", session_max_lifetime),
        ] {
            if !(60..=30 * 86_400).contains(&value) {
                return Err(ConfigError::Invalid {
                    setting,
                    reason: format!("{value} seconds is outside 60..=2592000"),
                });
            }
        }
        // RFC 6749 4.1.2: a code lives ten minutes at most.
        let oidc_code_lifetime = self
            .oidc_code_lifetime
            .or(file.oidc_code_lifetime)
            .unwrap_or(60);
        if !(1..=600).contains(&oidc_code_lifetime) {
            return Err(ConfigError::Invalid {
                setting: "oidc_code_lifetime",
                reason: format!("{oidc_code_lifetime} seconds is outside 1..=600"),
            });
        }
        if session_idle_timeout > session_max_lifetime {
            return Err(ConfigError::Invalid {
                setting: "session_idle_timeout",
                reason: "longer than session_max_lifetime".to_string(),
            });
        }
        let trusted_proxies = TrustedProxies {
            networks: parse_networks(self.trusted_proxies.or(file.trusted_proxies))?,
            header: parse_proxy_header(self.proxy_header.or(file.proxy_header))?,
        };
        let audit_retention_days = self
            .audit_retention_days
            .or(file.audit_retention_days)
            .unwrap_or(365);
        if audit_retention_days > 36_500 {
            return Err(ConfigError::Invalid {
                setting: "audit_retention_days",
                reason: format!(
                    "{audit_retention_days} is outside 0..=36500 (0 keeps events for ever)"
                ),
            });
        }
        let users_per_account = self
            .users_per_account
            .or(file.users_per_account)
            .unwrap_or(5000);
        if !(1..=1_000_000).contains(&users_per_account) {
            return Err(ConfigError::Invalid {
                setting: "users_per_account",
                reason: format!("{users_per_account} is outside 1..=1000000"),
            });
        }
        Ok(Settings {
            web_identity,
            users_per_account,
            audit_retention_days,
            trusted_proxies,
            session_idle_timeout,
            session_max_lifetime,
            oidc_code_lifetime,
            store,
            listen,
            public_url,
            region,
            log_format,
            log_filter,
            workers,
            shutdown_timeout,
        })
    }
}

/// `trusted_proxies`: each entry an address (`10.0.0.5`, one host) or a CIDR network.
/// IPv4-mapped IPv6 entries are made IPv4, as client addresses are.
fn parse_networks(entries: Option<Vec<String>>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    entries
        .unwrap_or_default()
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let parsed = entry.parse::<ipnet::IpNet>().or_else(|_| {
                entry
                    .parse::<std::net::IpAddr>()
                    .map(|ip| ipnet::IpNet::from(ip.to_canonical()))
            });
            parsed.map(|n| n.trunc()).map_err(|_| ConfigError::Invalid {
                setting: "trusted_proxies",
                reason: format!("'{entry}' is not an address or a CIDR network such as 10.0.0.0/8"),
            })
        })
        .collect()
}

fn parse_proxy_header(text: Option<String>) -> Result<ProxyHeader, ConfigError> {
    match text.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("x-forwarded-for") => Ok(ProxyHeader::XForwardedFor),
        Some("forwarded") => Ok(ProxyHeader::Forwarded),
        Some(other) => Err(ConfigError::Invalid {
            setting: "proxy_header",
            reason: format!("'{other}' is not one of x-forwarded-for, forwarded"),
        }),
    }
}

#[cfg(test)]
mod tests;
