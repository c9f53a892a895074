//! `Application::build(config)`: connect, migrate, bootstrap, bind. `main` and the integration
//! tests start exactly the same thing. The server stops gracefully on SIGTERM/SIGINT: it stops
//! accepting, lets in-flight requests finish (up to `shutdown_timeout`), stops the scheduler, then
//! closes the pool.

use crate::config::Config;
use actix_web::dev::{Server, ServerHandle};
use actix_web::{HttpServer, web};
use crm_api::middleware::rate_limit::RateLimiters;
use crm_api::{ApiSettings, ApiState};
use crm_app::identity::tokens::TokenConfig;
use crm_app::platform::bootstrap::BootstrapOutcome;
use crm_app::{App, AppConfig};
use crm_store::{DbOptions, Store};
use std::net::TcpListener;

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    app: App,
    bootstrap: BootstrapOutcome,
    scheduler_interval: std::time::Duration,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = connect(&config).await?;
        store.migrate().await?;
        let app = use_cases(&config, store.clone()).await?;
        let bootstrap = app.bootstrap(config.admin_password.as_ref()).await?;
        let listener = TcpListener::bind(&config.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(ApiState { app: app.clone(), metrics: crm_api::middleware::metrics::handle() });
        let settings = ApiSettings { body_limit: config.body_limit };
        let limits = web::Data::new(RateLimiters::new(config.rate_limits));
        let mut server = HttpServer::new(move || crm_api::app(state.clone(), settings.clone(), limits.clone()))
            .shutdown_timeout(config.shutdown_timeout.as_secs())
            .listen(listener)?;
        if let Some(n) = config.workers {
            server = server.workers(n);
        }
        Ok(Self { port, server: server.run(), store, app, bootstrap, scheduler_interval: config.scheduler_interval })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from elsewhere (tests; graceful when asked).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// What the first-start bootstrap did.
    pub fn bootstrap(&self) -> &BootstrapOutcome {
        &self.bootstrap
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The use cases behind the API (tests drive scheduled jobs through it).
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves (and runs the scheduler, unless its interval is zero) until stopped by a signal or
    /// the handle, then stops the scheduler and closes the database pool.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let scheduler = (!self.scheduler_interval.is_zero()).then(|| {
            let jobs = crate::scheduler::jobs(self.scheduler_interval);
            crate::scheduler::Scheduler::start(self.store.clone(), self.app.clone(), jobs)
        });
        let served = self.server.await;
        if let Some(s) = scheduler {
            s.stop().await;
        }
        served?;
        self.store.close().await?;
        Ok(())
    }
}

/// Connects with the configured pool size and migrates; used by `serve` and `migrate`.
/// The use cases on `store`, configured (what `serve` runs, and the commands that act on data).
pub async fn use_cases(config: &Config, store: Store) -> anyhow::Result<App> {
    Ok(App::init(
        store,
        AppConfig {
            tokens: TokenConfig {
                secret: config.jwt_secret.clone(),
                access_ttl: config.access_token_ttl,
                refresh_ttl: config.refresh_token_ttl,
                ..TokenConfig::default()
            },
            lockout: config.lockout,
        },
    )
    .await?)
}

pub async fn connect(config: &Config) -> anyhow::Result<Store> {
    let mut opts = DbOptions::new(config.database_url.clone());
    opts.max_connections = config.db_max_connections;
    opts.sqlite_synchronous = config.sqlite_synchronous;
    Ok(Store::connect(&opts).await?)
}
