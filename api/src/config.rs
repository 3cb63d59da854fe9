//! Every setting, read once from the environment (and an optional `.env`).
//! A bad value stops start-up with a message naming the variable.
use std::net::SocketAddr;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Env {
    Dev,
    Prod,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub env: Env,
    pub database_url: String,
    pub redis_url: Option<String>,
    pub listen: SocketAddr,
    pub jwt_secret: String,
    /// True when no secret was configured and a random one was generated (dev only).
    pub jwt_secret_generated: bool,
    pub jwt_issuer: String,
    pub token_ttl_seconds: i64,
    /// Login attempts per e-mail per minute (per process).
    pub login_attempts_per_minute: u32,
    /// CONFLICT answers about identifiers held by another tenant, per caller and hour
    /// (docs/access.md, "What a tenant admin may learn").
    pub probes_per_hour: u32,
    pub limits: GraphqlLimits,
    pub workers: usize,
    /// Browser origins allowed by CORS; `*` allows any.
    pub cors_origins: Vec<String>,
    /// Seed demo data when `serve` finds an empty database (dev default).
    pub seed_demo: bool,
    pub events: EventSettings,
    pub sockets: SocketLimits,
    /// Bearer token `/metrics` asks for (`MERCATO_METRICS_TOKEN`); in prod without one
    /// `/metrics` is not served.
    pub metrics_token: Option<String>,
}

#[derive(Clone, Copy, Debug)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    /// Cost: fields, each list counted by its page size (`graphql::limits`).
    pub max_complexity: u64,
    pub max_aliases: usize,
    pub max_directives: usize,
    /// Bytes of one response (HTTP body or WebSocket message); building an answer stops
    /// once it passes them, and it is replaced by an error.
    pub max_response_bytes: usize,
    /// Field selections one operation may hold, fragments expanded and repeats counted.
    pub max_fields: usize,
    /// Bytes of one query document, checked before it is parsed.
    pub max_query_bytes: usize,
    /// Bytes of one request body once inflated (`body::read`).
    pub max_body_bytes: usize,
    /// Time a request body has to arrive in full.
    pub body_timeout: std::time::Duration,
    pub introspection: bool,
    pub graphiql: bool,
}

/// Live events (ARCHITECTURE.md § Events).
#[derive(Clone, Debug)]
pub struct EventSettings {
    /// How often the relay looks for unsequenced outbox rows and the hub for events it did
    /// not hear of (`MERCATO_EVENTS_POLL_MS`, default 1000): the sweeper's period and the
    /// worst-case latency when Redis is down.
    pub poll: std::time::Duration,
    /// Events a subscriber may fall behind before it is dropped (`MERCATO_EVENTS_BUFFER`).
    pub buffer: usize,
    /// Days sequenced events are kept for replay (`MERCATO_EVENTS_RETENTION_DAYS`).
    pub retention_days: i64,
    /// Redis channel; defaults to one derived from `DATABASE_URL` (`MERCATO_EVENTS_CHANNEL`).
    pub channel: String,
    /// How often a running subscription re-reads its caller's access
    /// (`MERCATO_EVENTS_ACCESS_RECHECK_SECS`, default 30).
    pub access_recheck: std::time::Duration,
}

/// WebSocket sessions (`sockets`).
#[derive(Clone, Copy, Debug)]
pub struct SocketLimits {
    /// Operations running at once on one socket (`MERCATO_WS_MAX_OPERATIONS`).
    pub max_operations: usize,
    /// Sockets one principal may hold per process (`MERCATO_WS_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// How often the watchdog re-reads access (`MERCATO_EVENTS_ACCESS_RECHECK_SECS`).
    pub recheck: std::time::Duration,
    /// Time a socket has to send `connection_init` (`MERCATO_WS_INIT_TIMEOUT_MS`).
    pub init_timeout: std::time::Duration,
    /// Sockets one address may hold before they authenticate
    /// (`MERCATO_WS_MAX_PENDING_PER_ADDRESS`).
    pub max_pending_per_address: usize,
    /// Largest client message, fragments joined (`MERCATO_MAX_BODY_BYTES`).
    pub max_message_bytes: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl Config {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds the configuration from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let env = match var("MERCATO_ENV").as_deref() {
            None | Some("dev") | Some("development") => Env::Dev,
            Some("prod") | Some("production") => Env::Prod,
            Some(other) => {
                return Err(ConfigError {
                    var: "MERCATO_ENV",
                    message: format!("expected dev or prod, got {other:?}"),
                });
            }
        };
        let (jwt_secret, jwt_secret_generated) = match var("MERCATO_JWT_SECRET") {
            Some(s) if s.len() >= 32 => (s, false),
            Some(_) => {
                return Err(ConfigError {
                    var: "MERCATO_JWT_SECRET",
                    message: "must be at least 32 characters".into(),
                });
            }
            None if env == Env::Dev => (crate::auth::tokens::random_hex(32), true),
            None => {
                return Err(ConfigError {
                    var: "MERCATO_JWT_SECRET",
                    message: "required when MERCATO_ENV=prod".into(),
                });
            }
        };
        let dev = env == Env::Dev;
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| "sqlite://mercato.db?mode=rwc".to_owned());
        let events = EventSettings {
            poll: std::time::Duration::from_millis(parse(&var, "MERCATO_EVENTS_POLL_MS", "1000")?),
            buffer: parse(&var, "MERCATO_EVENTS_BUFFER", "1024")?,
            retention_days: parse(&var, "MERCATO_EVENTS_RETENTION_DAYS", "30")?,
            channel: var("MERCATO_EVENTS_CHANNEL")
                .unwrap_or_else(|| crate::events::bus::channel_for(&database_url)),
            access_recheck: std::time::Duration::from_secs(
                parse::<u64>(&var, "MERCATO_EVENTS_ACCESS_RECHECK_SECS", "30")?.max(1),
            ),
        };
        if events.poll.is_zero() {
            return Err(ConfigError {
                var: "MERCATO_EVENTS_POLL_MS",
                message: "must be at least 1".into(),
            });
        }
        let sockets = SocketLimits {
            max_operations: parse(&var, "MERCATO_WS_MAX_OPERATIONS", "50")?,
            max_connections: parse(&var, "MERCATO_WS_MAX_CONNECTIONS", "20")?,
            recheck: events.access_recheck,
            init_timeout: std::time::Duration::from_millis(
                parse::<u64>(&var, "MERCATO_WS_INIT_TIMEOUT_MS", "5000")?.max(1),
            ),
            max_pending_per_address: parse(&var, "MERCATO_WS_MAX_PENDING_PER_ADDRESS", "50")?,
            max_message_bytes: parse(&var, "MERCATO_MAX_BODY_BYTES", "1048576")?,
        };
        Ok(Config {
            env,
            database_url,
            sockets,
            metrics_token: var("MERCATO_METRICS_TOKEN"),
            events,
            redis_url: var("REDIS_URL"),
            listen: parse(&var, "MERCATO_LISTEN", "127.0.0.1:8080")?,
            jwt_secret,
            jwt_secret_generated,
            jwt_issuer: var("MERCATO_JWT_ISSUER").unwrap_or_else(|| "mercato".to_owned()),
            token_ttl_seconds: parse(&var, "MERCATO_TOKEN_TTL_SECONDS", "3600")?,
            login_attempts_per_minute: parse(&var, "MERCATO_LOGIN_ATTEMPTS_PER_MINUTE", "10")?,
            probes_per_hour: parse(&var, "MERCATO_PROBES_PER_HOUR", "20")?,
            limits: GraphqlLimits {
                max_depth: parse(&var, "MERCATO_GRAPHQL_MAX_DEPTH", "12")?,
                max_complexity: parse(&var, "MERCATO_GRAPHQL_MAX_COMPLEXITY", "500000")?,
                max_aliases: parse(&var, "MERCATO_GRAPHQL_MAX_ALIASES", "50")?,
                max_directives: parse(&var, "MERCATO_GRAPHQL_MAX_DIRECTIVES", "100")?,
                max_response_bytes: parse(&var, "MERCATO_GRAPHQL_MAX_RESPONSE_BYTES", "4194304")?,
                max_fields: parse(&var, "MERCATO_GRAPHQL_MAX_FIELDS", "500")?,
                max_query_bytes: parse(&var, "MERCATO_GRAPHQL_MAX_QUERY_BYTES", "65536")?,
                max_body_bytes: parse(&var, "MERCATO_MAX_BODY_BYTES", "1048576")?,
                body_timeout: std::time::Duration::from_secs(
                    parse::<u64>(&var, "MERCATO_BODY_TIMEOUT_SECS", "15")?.max(1),
                ),
                introspection: parse(&var, "MERCATO_GRAPHQL_INTROSPECTION", "true")?,
                graphiql: parse(&var, "MERCATO_GRAPHIQL", if dev { "true" } else { "false" })?,
            },
            workers: parse(&var, "MERCATO_WORKERS", "0")?,
            cors_origins: var("MERCATO_CORS_ORIGINS")
                .unwrap_or_else(|| if dev { "*".into() } else { String::new() })
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            seed_demo: parse(
                &var,
                "MERCATO_SEED_DEMO",
                if dev { "true" } else { "false" },
            )?,
        })
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

fn parse<T: FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let raw = var(name).unwrap_or_else(|| default.to_owned());
    raw.trim().parse().map_err(|e| ConfigError {
        var: name,
        message: format!("cannot parse {raw:?}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn dev_defaults_generate_a_secret_and_use_sqlite() {
        let c = config(&[]).unwrap();
        assert!(c.jwt_secret_generated);
        assert_eq!(c.database_url, "sqlite://mercato.db?mode=rwc");
        assert!(c.seed_demo);
    }

    #[test]
    fn prod_without_secret_names_the_variable() {
        let err = config(&[("MERCATO_ENV", "prod")]).unwrap_err();
        assert_eq!(err.var, "MERCATO_JWT_SECRET");
    }

    #[test]
    fn a_bad_number_names_the_variable() {
        let err = config(&[("MERCATO_GRAPHQL_MAX_DEPTH", "deep")]).unwrap_err();
        assert_eq!(err.var, "MERCATO_GRAPHQL_MAX_DEPTH");
        let err = config(&[("MERCATO_LISTEN", "nowhere")]).unwrap_err();
        assert_eq!(err.var, "MERCATO_LISTEN");
    }
}
