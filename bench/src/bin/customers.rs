//! Customers at scale. Loads N customers through `POST /api/v1/customers/batch-upsert` and
//! reports its throughput, then lookup-by-phone and search latency through the API; each figure
//! beside the same insert or query run as raw SQL on the same database in the same run.
//!
//! `cargo run --release -p crm-bench --bin customers -- [--db sqlite|postgres] [--customers N]
//! [--lookups K] [--pg-url URL]` (see bench/README.md).

use anyhow::{Context, bail};
use crm_bench::server::{self, Running};
use crm_bench::{customer, ms, summarize};
use crm_domain::customers::NameKeys;
use crm_domain::customers::search::prefix_upper_bound;
use crm_server::Config;
use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use std::time::{Duration, Instant};

struct Args {
    db: String,
    customers: u64,
    lookups: usize,
    pg_url: String,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args { db: "sqlite".into(), customers: 1_000_000, lookups: 2000, pg_url: server::PG_URL.into() };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--db" => a.db = v,
            "--customers" => a.customers = v.parse()?,
            "--lookups" => a.lookups = v.parse()?,
            "--pg-url" => a.pg_url = v,
            _ => bail!("unknown option {k}"),
        }
    }
    Ok(a)
}

const BATCH: u64 = 1000;
const INFLIGHT: u64 = 2;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = &args()?;
    server::with_database(&a.db, &a.pg_url, move |url| async move { run(a, &url).await }).await
}

async fn run(a: &Args, url: &str) -> anyhow::Result<()> {
    // A 1M load takes longer than the default 15-minute access token.
    let config = Config { access_token_ttl: Duration::from_secs(6 * 3600), ..server::config(url) };
    let Running { base, http, token } = server::start(config).await?;
    let db = Database::connect(url).await?;
    let tenant = crm_bench::raw::default_tenant(&db).await?;

    println!("# customers benchmark: {} customers on {}", a.customers, a.db);
    // Without statistics PostgreSQL plans for an empty table, and the cached plan of the upsert's
    // key lookup then walks the tenant's rows through a one-column index: every item costs more
    // than the last. Autovacuum analyzes a growing table within about a minute; where it is
    // off, the load does that itself.
    let analyze = (db.get_database_backend() == DbBackend::Postgres && !autovacuum_on(&db).await?).then_some(&db);
    if analyze.is_some() {
        println!(
            "(autovacuum is off on this server: the load runs ANALYZE customers once a minute, as autovacuum would)"
        );
    }

    // Load through the API, two batches in flight.
    let api_load = load(&http, &base, &token, a.customers, analyze).await?;
    eprintln!("load through the API: {:.1} s", api_load.as_secs_f64());

    // The same number of rows inserted by raw SQL into the same table (another key range).
    let raw_rows = a.customers.min(200_000);
    let start = Instant::now();
    for b in 0..raw_rows.div_ceil(BATCH) {
        // Generated customers 50,000,000 on: clear of the API's numbers.
        let numbers = 50_000_000 + b * BATCH..50_000_000 + ((b + 1) * BATCH).min(raw_rows);
        crm_bench::raw::insert_customers(&db, tenant, numbers).await?;
    }
    let raw_load = start.elapsed();
    eprintln!("raw load: {raw_rows} rows in {:.1} s", raw_load.as_secs_f64());
    if db.get_database_backend() == DbBackend::Postgres {
        // Fresh statistics, as autovacuum would gather on a live database; without them the
        // planner takes the just-loaded table for empty and nests loops over it (seconds per
        // search). Both the API and the raw queries below run on the same statistics.
        db.execute_unprepared("ANALYZE").await?;
    }

    // Lookups by phone.
    let mut rng = rand::rng();
    let picks: Vec<u64> = (0..a.lookups).map(|_| rng.random_range(0..a.customers)).collect();
    let mut api = Vec::new();
    let mut raw = Vec::new();
    for &n in &picks {
        let phone = customer(n).1;
        let t = Instant::now();
        let v: serde_json::Value = http
            .get(format!("{base}/api/v1/customers?q={phone}&limit=5"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        api.push(t.elapsed());
        if v["items"].as_array().map_or(0, Vec::len) != 1 {
            bail!("phone {phone} found {v}");
        }
        let t = Instant::now();
        let e164 = format!("+86{phone}");
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT id, name FROM customers WHERE tenant_id = $1 AND phone = $2 AND deleted_at IS NULL ORDER BY id LIMIT 6",
                [tenant.into(), e164.into()],
            ))
            .await?;
        raw.push(t.elapsed());
        if rows.len() != 1 {
            bail!("raw lookup of {phone}: {} rows", rows.len());
        }
    }
    let lookup = (summarize(api), summarize(raw));
    eprintln!("lookups done");

    // Search: pinyin prefixes of generated names (e.g. `wangwei`), a page of 50.
    let mut api = Vec::new();
    let mut raw = Vec::new();
    for &n in &picks {
        let q = NameKeys::of(&customer(n).0).pinyin;
        let t = Instant::now();
        let v: serde_json::Value = http
            .get(format!("{base}/api/v1/customers?q={q}&limit=50"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        api.push(t.elapsed());
        if v["items"].as_array().map_or(0, Vec::len) == 0 {
            bail!("search {q} found nothing");
        }
        let t = Instant::now();
        let ub = prefix_upper_bound(&q);
        db.query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT * FROM customers WHERE tenant_id = $1 AND deleted_at IS NULL AND id IN (\
               SELECT id FROM customers WHERE tenant_id = $1 AND name_norm >= $2 AND name_norm < $3 \
               UNION SELECT id FROM customers WHERE tenant_id = $1 AND name_pinyin >= $2 AND name_pinyin < $3 \
               UNION SELECT id FROM customers WHERE tenant_id = $1 AND name_initials >= $2 AND name_initials < $3) \
             ORDER BY id LIMIT 51",
            [tenant.into(), q.clone().into(), ub.into()],
        ))
        .await?;
        raw.push(t.elapsed());
    }
    let search = (summarize(api), summarize(raw));

    println!();
    println!("| measure | API | raw SQL, same database |");
    println!("| --- | --- | --- |");
    println!(
        "| load: customers per second | {:.0} ({} via batch-upsert, 1000 per batch, 2 in flight) | {:.0} ({} rows, multi-row INSERT of 1000) |",
        a.customers as f64 / api_load.as_secs_f64(),
        a.customers,
        raw_rows as f64 / raw_load.as_secs_f64(),
        raw_rows
    );
    let row = |label: &str,
               ((ap50, ap99, am), (rp50, rp99, rm)): (
        (Duration, Duration, Duration),
        (Duration, Duration, Duration),
    )| {
        println!(
            "| {label}: p50 / p99 / mean ms | {} / {} / {} | {} / {} / {} |",
            ms(ap50),
            ms(ap99),
            ms(am),
            ms(rp50),
            ms(rp99),
            ms(rm)
        );
    };
    row(&format!("lookup by phone ({} lookups)", a.lookups), lookup);
    row(&format!("search by pinyin prefix, page of 50 ({} searches)", a.lookups), search);
    Ok(())
}

/// Loads customers `0..n` through the API, `INFLIGHT` batches at a time, and reports progress; every
/// item must come back `created`. Returns the time it took.
async fn load(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    n: u64,
    analyze: Option<&DatabaseConnection>,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let batches = n.div_ceil(BATCH);
    let (mut next, mut reported, mut report_at) = (0u64, 0u64, Instant::now());
    let mut analyzed_at = Instant::now();
    let mut slowest = Duration::ZERO;
    while next < batches {
        let round: Vec<_> =
            (next..(next + INFLIGHT).min(batches)).map(|b| send_batch(http, base, token, b, n)).collect();
        for took in futures_util::future::join_all(round).await {
            slowest = slowest.max(took?);
        }
        next += INFLIGHT;
        if let Some(db) = analyze.filter(|_| analyzed_at.elapsed() >= Duration::from_secs(60)) {
            db.execute_unprepared("ANALYZE customers").await?;
            analyzed_at = Instant::now();
        }
        if report_at.elapsed() >= Duration::from_secs(60) || next >= batches {
            let done = (next * BATCH).min(n);
            eprintln!(
                "loaded {done} / {n} in {:.0} s: {:.0}/s overall, {:.0}/s since the last line, slowest batch {:.1} s",
                start.elapsed().as_secs_f64(),
                done as f64 / start.elapsed().as_secs_f64(),
                (done - reported) as f64 / report_at.elapsed().as_secs_f64(),
                slowest.as_secs_f64()
            );
            (reported, report_at, slowest) = (done, Instant::now(), Duration::ZERO);
        }
    }
    Ok(start.elapsed())
}

/// Whether PostgreSQL's autovacuum (which also keeps the planner's statistics) is on.
async fn autovacuum_on(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SHOW autovacuum"))
        .await?
        .context("SHOW autovacuum")?;
    Ok(row.try_get::<String>("", "autovacuum")? == "on")
}

/// Sends batch `b` (customers `b*BATCH ..`) and checks that each of its items was created.
async fn send_batch(http: &reqwest::Client, base: &str, token: &str, b: u64, n: u64) -> anyhow::Result<Duration> {
    let range = b * BATCH..((b + 1) * BATCH).min(n);
    let expected = range.end - range.start;
    let items: Vec<_> = range
        .map(|n| {
            let (name, phone) = customer(n);
            json!({"external_id": format!("B{n}"), "name": name, "phone": phone})
        })
        .collect();
    let t = Instant::now();
    let r = http
        .post(format!("{base}/api/v1/customers/batch-upsert"))
        .bearer_auth(token)
        .json(&json!({"source": "bench", "items": items}))
        .send()
        .await
        .with_context(|| format!("batch {b}"))?;
    let status = r.status();
    let body = r.text().await.with_context(|| format!("batch {b}: reading the answer"))?;
    let took = t.elapsed();
    if !status.is_success() {
        bail!("batch {b} failed after {:.1} s: {status} {body}", took.as_secs_f64());
    }
    let v: serde_json::Value = serde_json::from_str(&body)?;
    let results = v["items"].as_array().map_or(&[][..], Vec::as_slice);
    let created = results.iter().filter(|i| i["status"] == "created").count() as u64;
    if created != expected {
        let other = results.iter().find(|i| i["status"] != "created");
        bail!("batch {b}: {created} of {expected} items created; e.g. {other:?}");
    }
    Ok(took)
}
