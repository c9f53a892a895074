//! The test harness: start the real application on `127.0.0.1:0` with a fresh database per
//! test (a temporary SQLite file, or a PostgreSQL database created and dropped by the test).

use actix_web::dev::ServerHandle;
use crm_server::{Application, Config};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Once;

/// The bootstrap admin's password in tests.
pub const ADMIN_PASSWORD: &str = "admin-pass-1234";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates `mod name { sqlite(), postgres() }` running `async fn name(db: Db)` on both databases.
#[macro_export]
macro_rules! on_both_dbs {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_admin_url().is_some() {
                    super::$name($crate::helpers::Db::Postgres).await
                }
            }
        }
    )*};
}

/// The PostgreSQL server to create test databases on; `None` skips PostgreSQL tests loudly,
/// except under `CI=true`, where a missing server fails the run.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("CRM_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but CRM_TEST_DATABASE_URL is not set: PostgreSQL tests cannot be skipped in CI");
            }
            static WARN: Once = Once::new();
            WARN.call_once(|| {
                eprintln!(
                    "SKIPPING PostgreSQL tests: set CRM_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
                )
            });
            None
        }
    }
}

/// A database made for one test; dropped with it.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn create(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
                TestDb { url, _dir: Some(dir), pg: None }
            }
            Db::Postgres => {
                let admin = postgres_admin_url().expect("postgres configured");
                let name = format!("crm_test_{}", uuid::Uuid::now_v7().simple());
                let conn = Database::connect(&admin).await.expect("connect to PostgreSQL");
                conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
                conn.close().await.ok();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                TestDb { url: format!("{base}/{name}"), _dir: None, pg: Some((admin.clone(), name)) }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Drop runs outside async; use a private runtime on a plain thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    if let Ok(conn) = Database::connect(&admin).await {
                        let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running application and an HTTP client for it.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub handle: ServerHandle,
    pub bootstrap_password: Option<String>,
    pub db: TestDb,
    /// The use cases behind the API, to drive scheduled jobs directly.
    pub app: crm_app::App,
}

/// Test configuration on `db`: port 0, one worker, a known admin password.
pub fn test_config(db: &TestDb) -> Config {
    Config {
        database_url: db.url.clone(),
        listen: "127.0.0.1:0".to_owned(),
        admin_password: Some(SecretString::from(ADMIN_PASSWORD)),
        workers: Some(1),
        db_max_connections: 5,
        // Jobs are driven by the tests themselves.
        scheduler_interval: std::time::Duration::ZERO,
        // Tests fire requests far faster than people; rate-limit tests set their own limits.
        rate_limits: generous_limits(),
        ..Config::default()
    }
}

fn generous_limits() -> crm_api::middleware::rate_limit::RateLimitConfig {
    use crm_api::middleware::rate_limit::{Rate, RateLimitConfig};
    let r = Rate { per_second: 10_000, burst: 10_000 };
    RateLimitConfig { per_ip: r, auth_per_ip: r, per_caller: r }
}

fn init_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = crm_server::telemetry::init(&filter, crm_server::config::LogFormat::Pretty);
        }
    });
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    pub async fn spawn_with(db: Db, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb::create(db).await;
        let mut config = test_config(&db);
        tweak(&mut config);
        Self::start(db, config).await
    }

    /// Starts an application on an existing test database (e.g. to restart on the same data).
    pub async fn start(db: TestDb, config: Config) -> TestApp {
        init_logs();
        let app = Application::build(config).await.expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let bootstrap_password = app.bootstrap().generated_password.as_ref().map(|p| {
            use secrecy::ExposeSecret;
            p.expose_secret().to_owned()
        });
        let handle = app.handle();
        let use_cases = app.app().clone();
        tokio::spawn(app.run_until_stopped());
        TestApp { base, http: reqwest::Client::new(), handle, bootstrap_password, db, app: use_cases }
    }

    /// Stops the server gracefully and hands back the database.
    pub async fn stop(self) -> TestDb {
        self.handle.stop(true).await;
        self.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http.post(self.url(path)).json(body).send().await.expect("request")
    }

    /// Signs in and returns the whole token response.
    pub async fn login(&self, username: &str, password: &str) -> Value {
        let res = self.post_json("/api/v1/auth/login", &json!({"username": username, "password": password})).await;
        assert_eq!(res.status(), 200, "login as {username}");
        res.json().await.expect("json")
    }

    /// An access token of the bootstrap admin.
    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await["access_token"].as_str().expect("token").to_owned()
    }

    /// A store on the same database, to arrange data the API cannot make yet and to check rows.
    pub async fn store(&self) -> crm_store::Store {
        crm_store::Store::connect(&crm_store::DbOptions::new(self.db.url.clone())).await.expect("store")
    }
}

/// Reads a problem+json response and checks the parts every problem has.
pub async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(ct, "application/problem+json", "content type");
    let rid = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "code in {body}");
    assert_eq!(body["status"], status, "status in {body}");
    assert_eq!(body["type"], format!("urn:crm:problem:{code}"));
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "title in {body}");
    assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()), "detail in {body}");
    assert_eq!(body["request_id"].as_str().map(str::to_owned), rid, "request id in body and header");
    body
}

impl TestApp {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn patch_auth(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send(reqwest::Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, token, None).await
    }

    /// POSTs and expects 201; returns the body.
    pub async fn create(&self, path: &str, token: &str, body: Value) -> Value {
        let res = self.post_auth(path, token, &body).await;
        let status = res.status();
        let v: Value = res.json().await.expect("json");
        assert_eq!(status, 201, "POST {path} {body} -> {v}");
        v
    }

    /// A user of tenant `default` with the given positions (and unit), and a token for them.
    pub async fn user_with(
        &self,
        admin: &str,
        username: &str,
        unit: Option<&str>,
        positions: &[&str],
    ) -> (String, String) {
        self.user_in("default", admin, username, unit, positions).await
    }

    /// A user of `tenant` (created by that tenant's `admin`), and a token for them.
    pub async fn user_in(
        &self,
        tenant: &str,
        admin: &str,
        username: &str,
        unit: Option<&str>,
        positions: &[&str],
    ) -> (String, String) {
        let u = self
            .create(
                "/api/v1/users",
                admin,
                json!({"username": username, "password": "user-pass-1234", "display_name": username,
                       "org_unit_id": unit, "position_ids": positions}),
            )
            .await;
        let token = self.login_in(tenant, username, "user-pass-1234").await;
        (u["id"].as_str().unwrap().to_owned(), token)
    }

    /// An org unit's id.
    pub async fn unit(&self, admin: &str, name: &str, kind: &str, parent: Option<&str>) -> String {
        let u = self.create("/api/v1/org-units", admin, json!({"name": name, "kind": kind, "parent_id": parent})).await;
        u["id"].as_str().unwrap().to_owned()
    }

    /// A position's id.
    pub async fn position(&self, admin: &str, name: &str, scope: &str, permissions: &[&str]) -> String {
        let p = self
            .create("/api/v1/positions", admin, json!({"name": name, "data_scope": scope, "permissions": permissions}))
            .await;
        p["id"].as_str().unwrap().to_owned()
    }
}

impl TestApp {
    /// Signs in to a named tenant and returns the access token.
    pub async fn login_in(&self, tenant: &str, username: &str, password: &str) -> String {
        let res = self
            .post_json("/api/v1/auth/login", &json!({"tenant": tenant, "username": username, "password": password}))
            .await;
        assert_eq!(res.status(), 200, "login as {tenant}/{username}");
        res.json::<Value>().await.expect("json")["access_token"].as_str().expect("token").to_owned()
    }
}
