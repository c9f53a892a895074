//! The raw-SQL side of the per-request suite: the fixture of members (customers loaded through
//! the API, member rows inserted beside them), and the baselines: the member lookup's SELECT, and
//! single-row transactions shaped like an enrollment and a customer change, through a pool of
//! the server's size on the same database.

use anyhow::{Context, bail};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait, Value,
};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A process-wide counter, for keys that must be fresh in every run (phones, card numbers).
pub fn next_serial() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The id of the bootstrap tenant `default`, where the benchmarks' data lives.
pub async fn default_tenant(db: &DatabaseConnection) -> anyhow::Result<uuid::Uuid> {
    Ok(db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM tenants WHERE code = 'default'",
        ))
        .await?
        .context("the default tenant")?
        .try_get("", "id")?)
}

/// A pool of raw connections on the bench's database, the same size as the server's default.
#[derive(Clone)]
pub struct Raw {
    db: DatabaseConnection,
    tenant: uuid::Uuid,
}

const POOL: u32 = 10;

impl Raw {
    /// Connects with the server's SQLite settings (WAL, `synchronous` as given: `full` or
    /// `normal`) and creates the baseline's own tables.
    pub async fn connect(url: &str, synchronous: &str) -> anyhow::Result<Self> {
        let mut co = ConnectOptions::new(url.to_owned());
        co.max_connections(POOL).min_connections(1).sqlx_logging(false);
        let sync = match synchronous {
            "full" => SqliteSynchronous::Full,
            "normal" => SqliteSynchronous::Normal,
            "off" => SqliteSynchronous::Off,
            other => bail!("synchronous {other}?"),
        };
        co.map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal).synchronous(sync).busy_timeout(Duration::from_secs(10))
        });
        let db = Database::connect(co).await?;
        let tenant = default_tenant(&db).await?;
        let id = if db.get_database_backend() == DbBackend::Postgres { "uuid" } else { "blob" };
        for ddl in [
            format!(
                "CREATE TABLE IF NOT EXISTS bench_applications (id {id} PRIMARY KEY, tenant_id {id} NOT NULL, \
                 name TEXT NOT NULL, phone TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS bench_customers (id {id} PRIMARY KEY, tenant_id {id} NOT NULL, \
                 name TEXT NOT NULL, phone TEXT NOT NULL, created_at TEXT NOT NULL)"
            ),
            "CREATE UNIQUE INDEX IF NOT EXISTS bench_customers_phone ON bench_customers (tenant_id, phone)".to_owned(),
            format!(
                "CREATE TABLE IF NOT EXISTS bench_members (id {id} PRIMARY KEY, tenant_id {id} NOT NULL, \
                 customer_id {id} NOT NULL, card_no TEXT NOT NULL, created_at TEXT NOT NULL)"
            ),
            "CREATE UNIQUE INDEX IF NOT EXISTS bench_members_card ON bench_members (tenant_id, card_no)".to_owned(),
        ] {
            db.execute_unprepared(&ddl).await?;
        }
        Ok(Self { db, tenant })
    }

    fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(self.db.get_database_backend(), sql, values)
    }

    /// The member lookup's statement: live members whose customer has this phone.
    pub async fn member_by_phone(&self, phone: &str) -> anyhow::Result<()> {
        let sql = "SELECT m.* FROM members m WHERE m.tenant_id = $1 AND m.status <> 'cancelled' \
                   AND m.customer_id IN (SELECT c.id FROM customers c WHERE c.tenant_id = $1 AND c.phone = $2 \
                   AND c.deleted_at IS NULL) ORDER BY m.id LIMIT 2";
        let rows =
            self.db.query_all_raw(self.stmt(sql, vec![self.tenant.into(), format!("+86{phone}").into()])).await?;
        if rows.len() != 1 {
            bail!("phone {phone}: {} members", rows.len());
        }
        Ok(())
    }

    async fn begin(&self) -> anyhow::Result<sea_orm::DatabaseTransaction> {
        let opts = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.db.begin_with_options(opts).await?)
    }

    /// An enrollment's shape: one transaction inserting the application, then one updating it
    /// and inserting a customer and a member.
    pub async fn submit_and_approve(&self, c: usize, r: u64) -> anyhow::Result<()> {
        let now = chrono::Utc::now().to_rfc3339();
        let (app, customer, member) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let n = next_serial();
        let phone = format!("+86136{c:02}{n:06}");
        let tx = self.begin().await?;
        tx.execute_raw(self.stmt(
            "INSERT INTO bench_applications (id, tenant_id, name, phone, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)",
            vec![app.into(), self.tenant.into(), format!("压测{c}-{r}").into(), phone.clone().into(), now.clone().into()],
        ))
        .await?;
        tx.commit().await?;
        let tx = self.begin().await?;
        tx.execute_raw(self.stmt(
            "UPDATE bench_applications SET status = 'approved' WHERE id = $1 AND status = 'pending'",
            vec![app.into()],
        ))
        .await?;
        tx.execute_raw(self.stmt(
            "INSERT INTO bench_customers (id, tenant_id, name, phone, created_at) VALUES ($1, $2, $3, $4, $5)",
            vec![customer.into(), self.tenant.into(), format!("压测{c}-{r}").into(), phone.into(), now.clone().into()],
        ))
        .await?;
        tx.execute_raw(self.stmt(
            "INSERT INTO bench_members (id, tenant_id, customer_id, card_no, created_at) VALUES ($1, $2, $3, $4, $5)",
            vec![member.into(), self.tenant.into(), customer.into(), format!("R{n:09}").into(), now.into()],
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A customer change's shape: one transaction updating one customer row.
    pub async fn patch_customer(&self, id: uuid::Uuid, r: u64) -> anyhow::Result<()> {
        let tx = self.begin().await?;
        tx.execute_raw(self.stmt(
            "UPDATE customers SET address = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
            vec![format!("杭州市西湖区文三路{r}号").into(), chrono::Utc::now().into(), self.tenant.into(), id.into()],
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn close(self) {
        let _ = self.db.close().await;
    }
}

/// Loads `n` customers through `POST /customers/batch-upsert` (1000 per request, two in
/// flight; names and phones from [`crate::customer`]) and makes each a member with a row in
/// `members` inserted beside it (card `B` + the number; the lookup reads only members and
/// customers). Returns the customers' ids.
pub async fn seed_members(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    url: &str,
    n: u64,
) -> anyhow::Result<Vec<uuid::Uuid>> {
    const BATCH: u64 = 1000;
    let db = Database::connect(url).await?;
    let backend = db.get_database_backend();
    let tenant = default_tenant(&db).await?;
    let batches: Vec<u64> = (0..n.div_ceil(BATCH)).collect();
    let mut ids = Vec::with_capacity(n as usize);
    for pair in batches.chunks(2) {
        let answers = futures_util::future::try_join_all(pair.iter().map(|&b| async move {
            let items: Vec<_> = (b * BATCH..((b + 1) * BATCH).min(n))
                .map(|k| {
                    let (name, phone) = crate::customer(k);
                    json!({"external_id": format!("M{k}"), "name": name, "phone": phone})
                })
                .collect();
            let r = http
                .post(format!("{base}/api/v1/customers/batch-upsert"))
                .bearer_auth(token)
                .json(&json!({"source": "bench", "items": items}))
                .send()
                .await?;
            let status = r.status();
            let v: serde_json::Value = r.json().await?;
            if !status.is_success() {
                bail!("batch {b}: {status} {v}");
            }
            let got: Vec<uuid::Uuid> = v["items"]
                .as_array()
                .context("items")?
                .iter()
                .map(|i| i["id"].as_str().and_then(|s| s.parse().ok()).with_context(|| format!("batch {b}: {i}")))
                .collect::<anyhow::Result<_>>()?;
            Ok::<_, anyhow::Error>((b, got))
        }))
        .await?;
        for (b, got) in answers {
            insert_members(&db, tenant, b * BATCH, &got).await?;
            ids.extend(got);
        }
        // Fresh statistics as the table grows, as autovacuum would gather (this machine's
        // PostgreSQL runs without it): planned for an empty table, the upsert's key lookup walks
        // the tenant's rows and every batch costs more than the last.
        if pair.last().is_some_and(|b| b % 10 == 9) {
            db.execute_unprepared(if backend == DbBackend::Postgres { "ANALYZE customers" } else { "ANALYZE" }).await?;
        }
    }
    db.execute_unprepared("ANALYZE").await?;
    db.close().await?;
    Ok(ids)
}

async fn insert_members(
    db: &DatabaseConnection,
    tenant: uuid::Uuid,
    first: u64,
    customers: &[uuid::Uuid],
) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let mut sql = String::from(
        "INSERT INTO members (tenant_id, id, customer_id, card_no, status, channel, joined_at, created_at, updated_at) VALUES ",
    );
    let mut values: Vec<Value> = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        let row: Vec<Value> = vec![
            tenant.into(),
            uuid::Uuid::now_v7().into(),
            (*c).into(),
            format!("B{:08}", first + i as u64).into(),
            "active".into(),
            "import".into(),
            now.into(),
            now.into(),
            now.into(),
        ];
        let at = values.len();
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        sql.push_str(&(1..=row.len()).map(|k| format!("${}", at + k)).collect::<Vec<_>>().join(","));
        sql.push(')');
        values.extend(row);
    }
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values)).await?;
    Ok(())
}
