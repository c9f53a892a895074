//! Shared setup of the benchmarks: a fresh database (a temporary SQLite file or a PostgreSQL
//! database created and dropped here), the real application started in-process with rate limits
//! off, and the administrator's token.

use anyhow::{Context, bail};
use crm_api::middleware::rate_limit::{Rate, RateLimitConfig};
use crm_server::{Application, Config};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::json;
use std::future::Future;
use std::time::Duration;

/// The bootstrap administrator's password on the benchmark databases.
pub const PASSWORD: &str = "bench-password-1";

/// The default `--pg-url`.
pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh database for one run, removed again by [`with_database`].
struct Fresh {
    url: String,
    _dir: tempfile::TempDir,
    pg: Option<(DatabaseConnection, String)>,
}

async fn fresh(db: &str, pg_url: &str) -> anyhow::Result<Fresh> {
    let dir = tempfile::tempdir()?;
    match db {
        "sqlite" => Ok(Fresh {
            url: format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()),
            _dir: dir,
            pg: None,
        }),
        "postgres" => {
            let name = format!("crm_bench_{}", uuid::Uuid::now_v7().simple());
            let admin = Database::connect(pg_url).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
            Ok(Fresh { url: pg_database_url(pg_url, &name), _dir: dir, pg: Some((admin, name)) })
        }
        other => bail!("--db sqlite|postgres, not {other}"),
    }
}

/// Runs `run` with the URL of a fresh database of kind `db` (`sqlite` or `postgres`), then drops
/// the database. The in-process server (actix) stops itself on SIGINT/SIGTERM; without the
/// select below the load would go on against a stopped server and end in "error sending
/// request", which reads like a server fault. Stop the run, say so, drop the database.
pub async fn with_database<F, Fut>(db: &str, pg_url: &str, run: F) -> anyhow::Result<()>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let f = fresh(db, pg_url).await?;
    let result = tokio::select! {
        r = run(f.url.clone()) => r,
        s = stop_signal() => Err(anyhow::anyhow!("stopped by {s} (the in-process server stops on it too)")),
    };
    if let Some((admin, name)) = &f.pg {
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    }
    result
}

/// `pg_url` with the database replaced by `name`; its query (e.g. `?options=...`) is kept.
pub fn pg_database_url(pg_url: &str, name: &str) -> String {
    let (url, query) = pg_url.split_once('?').map_or((pg_url, None), |(u, q)| (u, Some(q)));
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Resolves on the first SIGINT or SIGTERM (never when the handlers cannot be installed).
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        _ => std::future::pending().await,
    }
}

/// The benchmark configuration on `url`: rate limits off, warnings only, the administrator's
/// password set; adjust fields before [`start`].
pub fn config(url: &str) -> Config {
    let off = Rate { per_second: 0, burst: 0 };
    Config {
        database_url: url.to_owned(),
        listen: "127.0.0.1:0".into(),
        admin_password: Some(PASSWORD.into()),
        rate_limits: RateLimitConfig { per_ip: off, auth_per_ip: off, per_caller: off },
        log: "warn".into(),
        ..Config::default()
    }
}

/// The running application: its base URL, an HTTP client and the administrator's token.
pub struct Running {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

/// Builds and starts the application, and signs the administrator in.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let app = Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    // actix closes a keep-alive connection after 5 s idle; reusing one the server is closing at
    // that moment fails with "connection closed before message completed". Drop them sooner.
    let http = reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(3)).build()?;
    let token = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?["access_token"]
        .as_str()
        .context("token")?
        .to_owned();
    Ok(Running { base, http, token })
}
