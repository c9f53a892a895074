//! The raw-SQL side of the benchmarks: the fixture of members (customers loaded through the API,
//! or inserted directly, with member rows inserted beside them), multi-row `INSERT`s, and the
//! per-request suite's baselines: the member lookup's SELECT, and single-row transactions shaped
//! like an enrollment and a customer change, through a pool of the server's size on the same
//! database.

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

    /// The pool itself.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The bootstrap tenant the benchmarks' rows belong to.
    pub fn tenant(&self) -> uuid::Uuid {
        self.tenant
    }

    pub(crate) fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
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

    /// A write transaction as the server begins one (`BEGIN IMMEDIATE` on SQLite).
    pub(crate) async fn begin(&self) -> anyhow::Result<sea_orm::DatabaseTransaction> {
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

/// What [`seed_members`] made: the customers' ids and their members' ids, in the same order.
#[derive(Debug, Default)]
pub struct Seeded {
    pub customers: Vec<uuid::Uuid>,
    pub members: Vec<uuid::Uuid>,
}

/// Loads `n` customers through `POST /customers/batch-upsert` (1000 per request, two in
/// flight; names and phones from [`crate::customer`]) and makes each a member with a row in
/// `members` inserted beside it (card `B` + the number; the lookup reads only members and
/// customers).
pub async fn seed_members(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    url: &str,
    n: u64,
) -> anyhow::Result<Seeded> {
    const BATCH: u64 = 1000;
    let db = Database::connect(url).await?;
    let backend = db.get_database_backend();
    let tenant = default_tenant(&db).await?;
    let batches: Vec<u64> = (0..n.div_ceil(BATCH)).collect();
    let mut seeded = Seeded::default();
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
            seeded.members.extend(insert_members(&db, tenant, "B", b * BATCH, &got).await?);
            seeded.customers.extend(got);
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
    Ok(seeded)
}

/// Inserts a member row for each of `customers` (active, channel `import`, card `prefix` + the
/// number from `first` on, 8 digits); returns the members' ids in the same order.
pub async fn insert_members(
    c: &impl ConnectionTrait,
    tenant: uuid::Uuid,
    prefix: &str,
    first: u64,
    customers: &[uuid::Uuid],
) -> anyhow::Result<Vec<uuid::Uuid>> {
    let now = chrono::Utc::now();
    let ids: Vec<uuid::Uuid> = customers.iter().map(|_| uuid::Uuid::now_v7()).collect();
    let rows = customers
        .iter()
        .zip(&ids)
        .enumerate()
        .map(|(i, (c, id))| -> Vec<Value> {
            vec![
                tenant.into(),
                (*id).into(),
                (*c).into(),
                format!("{prefix}{:08}", first + i as u64).into(),
                "active".into(),
                "import".into(),
                now.into(),
                now.into(),
                now.into(),
            ]
        })
        .collect();
    insert_rows(
        c,
        "members (tenant_id, id, customer_id, card_no, status, channel, joined_at, created_at, updated_at)",
        rows,
        "",
    )
    .await?;
    Ok(ids)
}

/// Inserts generated customers [`crate::customer`]`(n)` for each `n` of `numbers` straight into
/// `customers` (no audit entry, no grade history, no change counter: the bare row and its
/// indexes; `change_seq` is 10^10 + n, clear of the counter's); returns their ids in order.
pub async fn insert_customers(
    c: &impl ConnectionTrait,
    tenant: uuid::Uuid,
    numbers: std::ops::Range<u64>,
) -> anyhow::Result<Vec<uuid::Uuid>> {
    let now = chrono::Utc::now();
    let mut ids = Vec::with_capacity((numbers.end - numbers.start) as usize);
    let rows = numbers
        .map(|n| {
            let (name, phone) = crate::customer(n);
            let keys = crm_domain::customers::NameKeys::of(&name);
            let last4 = phone[phone.len() - 4..].to_owned();
            let id = uuid::Uuid::now_v7();
            ids.push(id);
            let row: Vec<Value> = vec![
                tenant.into(),
                id.into(),
                "person".into(),
                name.into(),
                keys.norm.into(),
                keys.pinyin.into(),
                keys.initials.into(),
                format!("+86{phone}").into(),
                last4.into(),
                "prospect".into(),
                "{}".into(),
                now.into(),
                now.into(),
                (10_000_000_000i64 + n as i64).into(),
            ];
            row
        })
        .collect();
    insert_rows(
        c,
        "customers (tenant_id, id, kind, name, name_norm, name_pinyin, name_initials, phone, phone_last4, \
         grade, custom_fields, created_at, updated_at, change_seq)",
        rows,
        "",
    )
    .await?;
    Ok(ids)
}

/// One multi-row statement: `INSERT INTO {table} VALUES (row), (row) ... {tail}`, one placeholder
/// per value (`tail`: e.g. an `ON CONFLICT` clause, `RETURNING`). Rows are of equal width; keep
/// rows x width within SQLite's 32766 variables. SQLite gets positional `?`s, as sea-orm writes
/// them: to SQLite `$1`..`$N` are N *named* parameters, each looked up among the names before it
/// (quadratic: seconds for a statement of 17,000 in a debug build).
pub fn rows_statement(backend: DbBackend, table: &str, rows: Vec<Vec<Value>>, tail: &str) -> Statement {
    let mut sql = format!("INSERT INTO {table} VALUES ");
    let mut values: Vec<Value> = Vec::new();
    let sqlite = backend == DbBackend::Sqlite;
    for (i, row) in rows.into_iter().enumerate() {
        let at = values.len();
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        let marks: Vec<String> =
            (1..=row.len()).map(|k| if sqlite { "?".to_owned() } else { format!("${}", at + k) }).collect();
        sql.push_str(&marks.join(","));
        sql.push(')');
        values.extend(row);
    }
    if !tail.is_empty() {
        sql.push(' ');
        sql.push_str(tail);
    }
    Statement::from_sql_and_values(backend, sql, values)
}

/// Executes [`rows_statement`]; nothing for no rows. Returns the rows affected.
pub async fn insert_rows(
    c: &impl ConnectionTrait,
    table: &str,
    rows: Vec<Vec<Value>>,
    tail: &str,
) -> anyhow::Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(c.execute_raw(rows_statement(c.get_database_backend(), table, rows, tail)).await?.rows_affected())
}
