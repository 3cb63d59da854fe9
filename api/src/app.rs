//! Start-up: connect, migrate, optionally seed, bind, serve. Tests build the same
//! [`Application`] on port 0 with a database of their own.
use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::LoginThrottle;
use crate::config::Config;
use crate::state::AppState;
use crate::{db, domain, events, graphql, http};
use actix_web::{App, HttpServer, web};
use entity::company;
use migration::{Migrator, MigratorTrait};
use sea_orm::{EntityTrait, PaginatorTrait};
use std::net::TcpListener;
use std::sync::Arc;

pub use actix_web::dev::ServerHandle;

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    pub state: Arc<AppState>,
    /// True when this start seeded the demo data.
    pub seeded_demo: bool,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        crate::metrics::init();
        let (db, statements) = db::connect(&config.database_url).await?;
        Migrator::up(&db, None).await?;
        let seeded_demo = if config.seed_demo && company::Entity::find().count(&db).await? == 0 {
            domain::demo::seed(&db)
                .await
                .map_err(|e| e.into_anyhow().context("seeding demo data"))?
        } else {
            false
        };
        let keys = JwtKeys::new(
            &config.jwt_secret,
            &config.jwt_issuer,
            config.token_ttl_seconds,
        );
        let redis = match &config.redis_url {
            Some(url) => Some(redis::Client::open(url.as_str())?),
            None => None,
        };
        let events_db = db::connect_background(&config.database_url).await?;
        // Number what was committed before this start (the demo seed, rows a crashed instance
        // left) before the hub takes its starting point: a subscriber without `after` then
        // receives only what happens after it subscribed, never the seed's history.
        let numbered = events::relay::sequence_all(&events_db)
            .await
            .map_err(|e| e.into_anyhow().context("sequencing pending events"))?;
        if numbered > 0 {
            tracing::info!(
                events = numbered,
                "numbered events committed before this start"
            );
        }
        let hub = events::hub::Hub::new(events_db.clone(), config.events.buffer)
            .await
            .map_err(|e| e.into_anyhow().context("reading the event sequence"))?;
        let bus = Arc::new(match &redis {
            Some(client) => events::bus::Bus::redis(client.clone(), config.events.channel.clone()),
            None => events::bus::Bus::local(),
        });
        let schema = graphql::build(
            graphql::Services {
                db: db.clone(),
                keys: keys.clone(),
                login_throttle: LoginThrottle::new(config.login_attempts_per_minute),
                hub: hub.clone(),
                access_recheck: config.events.access_recheck,
                public_links_only: config.env == crate::config::Env::Prod,
                probe_throttle: crate::auth::throttle::ProbeThrottle::new(config.probes_per_hour),
            },
            config.limits,
        );
        let listener = TcpListener::bind(config.listen)
            .map_err(|e| anyhow::anyhow!("MERCATO_LISTEN={}: {e}", config.listen))?;
        let port = listener.local_addr()?.port();
        let workers = config.workers;
        let origins = config.cors_origins.clone();
        let sockets = crate::sockets::Sockets {
            schema: schema.clone(),
            db: db.clone(),
            keys: keys.clone(),
            loaders: Default::default(),
            limits: config.sockets,
            open: Default::default(),
            pending: Default::default(),
        };
        let state = Arc::new(AppState {
            config,
            db,
            keys,
            schema,
            statements,
            redis,
            hub,
            bus,
            events_db,
            sockets,
        });
        let data = web::Data::from(state.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(cors(&origins))
                .wrap(tracing_actix_web::TracingLogger::default())
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .configure(http::routes)
                .configure(crate::downloads::routes)
        })
        .shutdown_timeout(10);
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Application {
            port,
            server,
            state,
            seeded_demo,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGTERM/SIGINT, then drains in-flight requests (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let st = &self.state;
        let tasks = [
            tokio::spawn(housekeeping(st.db.clone(), st.config.events.retention_days)),
            tokio::spawn(events::relay::run(
                st.events_db.clone(),
                st.hub.clone(),
                st.bus.clone(),
                st.config.events.poll,
            )),
            tokio::spawn(st.bus.clone().listen(st.hub.clone())),
        ];
        let result = self.server.await;
        for t in tasks {
            t.abort();
        }
        result
    }

    /// A handle that stops the server (tests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }
}

/// Periodic clean-up every 10 minutes (the first time 10 minutes after start, so short-lived
/// servers never run it): idempotency keys older than their 24 hours, and events older than
/// the retention period.
async fn housekeeping(db: sea_orm::DatabaseConnection, event_retention_days: i64) {
    let mut every = tokio::time::interval_at(
        tokio::time::Instant::now() + HOUSEKEEPING_EVERY,
        HOUSEKEEPING_EVERY,
    );
    loop {
        every.tick().await;
        match domain::idempotency::prune(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "expired idempotency keys pruned"),
            Err(e) => tracing::warn!(error = ?e, "pruning idempotency keys failed"),
        }
        match events::relay::prune(&db, event_retention_days).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "events past their retention pruned"),
            Err(e) => tracing::warn!(error = ?e, "pruning events failed"),
        }
    }
}

const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Browsers may call the API from the configured origins (`MERCATO_CORS_ORIGINS`).
fn cors(origins: &[String]) -> actix_cors::Cors {
    let cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "OPTIONS"])
        .allowed_headers(["authorization", "content-type", "accept", "idempotency-key"])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        cors.allow_any_origin()
    } else {
        origins.iter().fold(cors, |c, o| c.allowed_origin(o))
    }
}
