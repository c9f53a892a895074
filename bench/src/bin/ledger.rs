//! The points ledger's benchmarks (issue 11, item 9), each beside raw SQL on the same database in
//! the same run: a purchase push (`POST /purchases`) at C closed-loop clients against the raw
//! purchase transaction (target: at least half its rate; p99 reported), batch ingestion (`POST
//! /points/entries/batch`, 1000 entries per request) against a raw multi-row insert of the same
//! entries and their balance upserts, and the carry-over of N members (`POST
//! /points-plans/{id}/carry-over`, followed to completion; target under 60 s for 1,000,000 on
//! PostgreSQL) against the same work as raw SQL on a second plan seeded the same way. The server
//! is `crm serve` (the build beside this binary) in a process of its own on a fresh database.
//! Purchase and batch figures are the median of `--runs` runs; the carry-over runs once.
//!
//! `cargo build --release -p crm-server -p crm-bench && $CARGO_TARGET_DIR/release/ledger
//! [--db sqlite|postgres|both] [--clients 8,16,32] [--seconds 5] [--runs 3] [--members N]
//! [--push-members 10000] [--only purchase,batch,carry_over] [--env CRM_KEY=VALUE]... [--pg-url URL]
//! [--crm PATH] [--sqlite-synchronous full|normal]` (see bench/README.md).

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_bench::api::{expect, expect_any, login};
use crm_bench::ledger::{ACTIVITY_REASON, Carried, PastPlan, Purchase, RawLedger, fixture_points};
use crm_bench::load::{Measured, median_loop, pick};
use crm_bench::process;
use crm_bench::raw::{self, Raw};
use crm_bench::server::{self, PASSWORD};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const WORKLOADS: [&str; 3] = ["purchase", "batch", "carry_over"];
/// Entries per batch request (the endpoint's maximum).
const BATCH: usize = 1000;
/// Reward points per batch entry.
const DELTA: i64 = 10;
/// A purchase of 1280.00 earns 12 reward and 12 upgrade points at 1 point per 100.00.
const AMOUNT: &str = "1280.00";
const AMOUNT_FEN: i64 = 128_000;
const POINTS: i64 = 12;
/// The carry-over plans' rule: at least 100 points, 0.50 per point (the fixture's members hold
/// 100..999 each: every one is carried over).
const MIN_POINTS: i64 = 100;
const POINT_VALUE_FEN: i64 = 50;
/// Generated customers of the carry-over fixture are numbers 60,000,000 on (phones 1396...).
const FIXTURE_FIRST: u64 = 60_000_000;
/// Above this many carry-over members the closing ledger check (every balance against its
/// entries, in the server's memory) is skipped.
const CHECK_UP_TO: u64 = 100_000;

struct Args {
    dbs: Vec<String>,
    clients: Vec<usize>,
    seconds: u64,
    runs: usize,
    /// Carry-over members (default: 1,000,000 on PostgreSQL, 100,000 on SQLite).
    members: Option<u64>,
    /// Members the purchases and batch entries go to (default: 10,000, or `members` if fewer).
    push_members: Option<u64>,
    only: Vec<String>,
    env: Vec<(String, String)>,
    pg_url: String,
    crm: Option<std::path::PathBuf>,
    sqlite_synchronous: String,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        dbs: vec!["sqlite".into(), "postgres".into()],
        clients: vec![8, 16, 32],
        seconds: 5,
        runs: 3,
        members: None,
        push_members: None,
        only: WORKLOADS.iter().map(|w| (*w).to_owned()).collect(),
        env: Vec::new(),
        pg_url: server::PG_URL.into(),
        crm: None,
        sqlite_synchronous: "full".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--db" if v == "both" => {}
            "--db" => a.dbs = vec![v],
            "--clients" => a.clients = v.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--seconds" => a.seconds = v.parse()?,
            "--runs" => a.runs = v.parse()?,
            "--members" => a.members = Some(v.parse()?),
            "--push-members" => a.push_members = Some(v.parse()?),
            "--only" => a.only = v.split(',').map(str::to_owned).collect(),
            "--env" => {
                let (key, value) = v.split_once('=').context("--env KEY=VALUE")?;
                a.env.push((key.to_owned(), value.to_owned()));
            }
            "--pg-url" => a.pg_url = v,
            "--crm" => a.crm = Some(v.into()),
            "--sqlite-synchronous" => a.sqlite_synchronous = v,
            _ => bail!("unknown option {k}"),
        }
    }
    if a.runs == 0 || a.clients.is_empty() || a.clients.contains(&0) {
        bail!("--runs and every --clients count must be at least 1");
    }
    if let Some(w) = a.only.iter().find(|w| !WORKLOADS.contains(&w.as_str())) {
        bail!("--only {w}? (purchase, batch, carry_over)");
    }
    Ok(a)
}

impl Args {
    fn want(&self, w: &str) -> bool {
        self.only.iter().any(|o| o == w)
    }

    fn members(&self, db: &str) -> u64 {
        self.members.unwrap_or(if db == "postgres" { 1_000_000 } else { 100_000 })
    }

    fn push_members(&self, db: &str) -> u64 {
        self.push_members.unwrap_or_else(|| self.members(db).min(10_000)).max(1)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Arc::new(args()?);
    println!(
        "# points ledger: {} run(s) of {} s each, medians; purchase push at {:?} closed-loop clients; \
         batches of {BATCH} entries, one in flight; carry-over once",
        a.runs, a.seconds, a.clients
    );
    for db in a.dbs.clone() {
        let a2 = Arc::clone(&a);
        let d = db.clone();
        server::with_database(&db, &a.pg_url, move |url| async move { suite(&a2, &d, &url).await }).await?;
    }
    Ok(())
}

/// The server under test, as the closed-loop clients reach it.
struct Api {
    http: reqwest::Client,
    base: String,
    auth: String,
}

impl Api {
    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).header("authorization", &self.auth).json(body)
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base)).header("authorization", &self.auth)
    }

    /// A plan over `starts_on..=ends_on` with a purchase item of 1 reward and 1 upgrade point per
    /// 100.00 and the carry-over rule of the benchmark.
    async fn plan(&self, name: &str, starts_on: NaiveDate, ends_on: NaiveDate) -> anyhow::Result<Uuid> {
        let body = json!({
            "name": name, "starts_on": starts_on, "ends_on": ends_on, "point_value": "0.50",
            "items": [{"category": "purchase", "reward_points": 1, "upgrade_points": 1, "amount_per_point": "100.00"}],
            "carry_over": {"min_points": MIN_POINTS, "reward_kind": "cash"},
        });
        let v = expect(self.post("/api/v1/points-plans", &body), 201).await.with_context(|| format!("plan {name}"))?;
        uuid_of(&v["id"])
    }
}

fn uuid_of(v: &Value) -> anyhow::Result<Uuid> {
    v.as_str().and_then(|s| s.parse().ok()).with_context(|| format!("an id, not {v}"))
}

/// Today in the tenant's time zone (Asia/Shanghai, UTC+8 all year).
fn shanghai_today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn year(y: i32) -> anyhow::Result<(NaiveDate, NaiveDate)> {
    let day = |m, d| NaiveDate::from_ymd_opt(y, m, d).context("a date");
    Ok((day(1, 1)?, day(12, 31)?))
}

/// One workload's figure beside its baseline.
struct Line {
    label: String,
    api: Measured,
    raw: Measured,
}

impl Line {
    fn ratio(&self) -> f64 {
        self.api.per_second / self.raw.per_second.max(f64::MIN_POSITIVE)
    }
}

/// The carry-over's figures.
struct CarryOver {
    members: u64,
    api: Duration,
    /// The run's own `started_at` to `finished_at`.
    api_run: Option<Duration>,
    raw: Duration,
}

#[derive(Default)]
struct Report {
    purchase: Vec<Line>,
    batch: Option<Line>,
    carry_over: Option<CarryOver>,
    check: Option<String>,
}

async fn suite(a: &Args, db: &str, url: &str) -> anyhow::Result<()> {
    // A million-member fixture takes longer to seed than the default 15-minute access token.
    let mut env = vec![("CRM_ACCESS_TOKEN_TTL_SECS".to_owned(), (6 * 3600).to_string())];
    env.extend(a.env.iter().cloned());
    let crm = process::crm(a.crm.as_deref(), url, PASSWORD, &env).await?;
    let idle = crm.rss()?;
    // actix closes a keep-alive connection after 5 s idle (and the seeding keeps the client
    // idle for minutes): drop idle connections before that.
    let http = reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(3)).build()?;
    let token = login(&http, &crm.base).await?;
    let api = Arc::new(Api { http: http.clone(), base: crm.base.clone(), auth: format!("Bearer {token}") });
    let me = expect(api.get("/api/v1/me"), 200).await?;
    let raw = Raw::connect(url, &a.sqlite_synchronous).await?;
    let ledger = RawLedger::new(raw.clone(), uuid_of(&me["id"])?);
    let today = shanghai_today();
    let (starts, ends) = year(today.year())?;
    let current = api.plan(&format!("压测 {}", today.year()), starts, ends).await?;
    let mut report = Report::default();

    let mut members = Vec::new();
    if a.want("purchase") || a.want("batch") {
        let n = a.push_members(db);
        let t = Instant::now();
        members = raw::seed_members(&http, &crm.base, &token, url, n).await?.members;
        eprintln!("{db}: {n} members seeded in {:.1} s", t.elapsed().as_secs_f64());
    }
    let ctx = Arc::new(Ctx { api: Arc::clone(&api), ledger: ledger.clone(), members, plan: current });

    if a.want("purchase") {
        ctx.check_purchase().await?;
        for &clients in &a.clients {
            let pushed =
                median_loop(a.runs, clients, a.seconds, &ctx, |x, c, r| async move { x.push(c, r).await }).await?;
            let baseline =
                median_loop(a.runs, clients, a.seconds, &ctx, |x, c, r| async move { x.raw_purchase(c, r).await })
                    .await?;
            report.purchase.push(Line { label: clients.to_string(), api: pushed, raw: baseline });
        }
    }

    if a.want("batch") {
        let batched = median_loop(a.runs, 1, a.seconds, &ctx, |x, c, r| async move { x.batch(c, r).await }).await?;
        let baseline =
            median_loop(a.runs, 1, a.seconds, &ctx, |x, c, r| async move { x.raw_batch(c, r).await }).await?;
        report.batch = Some(Line { label: BATCH.to_string(), api: batched, raw: baseline });
    }

    if a.want("carry_over") {
        report.carry_over = Some(carry_over(&api, &ledger, a.members(db), today.year()).await?);
    }

    if a.want("carry_over") && a.members(db) > CHECK_UP_TO {
        report.check = Some(format!("(ledger check skipped: more than {CHECK_UP_TO} carry-over members)"));
    } else {
        let v = expect(api.post("/api/v1/ledger/check", &json!({})), 200).await?;
        let differences = v["differences"].as_array().map_or(0, Vec::len);
        report.check = Some(format!(
            "ledger check (`POST /api/v1/ledger/check`): ok = {}, {} balances compared, {differences} differences",
            v["ok"], v["balances_checked"]
        ));
    }
    let end = crm.rss()?;
    print(db, a, &report);
    println!(
        "\nRSS of `crm serve`: {:.1} MiB idle after start, {:.1} MiB peak over the run.",
        idle.now_mib, end.peak_mib
    );
    drop(crm);
    raw.close().await;
    Ok(())
}

fn purchase_body(member: Uuid) -> Value {
    json!({
        "source": "bench", "external_id": format!("P{}", raw::next_serial()), "member": {"id": member},
        "amount": AMOUNT, "currency": "CNY", "occurred_at": Utc::now().to_rfc3339(), "description": "压测认购",
    })
}

/// What the closed-loop clients share: the server, the raw pool, the members to write to and
/// the current plan.
struct Ctx {
    api: Arc<Api>,
    ledger: RawLedger,
    members: Vec<Uuid>,
    plan: Uuid,
}

impl Ctx {
    /// Client `c`'s member for round `r` (spread over all).
    fn member(&self, c: usize, r: u64) -> Uuid {
        self.members[pick(c, r, self.members.len() as u64) as usize]
    }

    /// The members of client `c`'s batch `r` (spread over all, repeats allowed).
    fn batch_members(&self, c: usize, r: u64) -> Vec<Uuid> {
        (0..BATCH as u64).map(|i| self.member(c, r * BATCH as u64 + i)).collect()
    }

    /// One purchase through the API, checked against what the raw baseline writes (the current
    /// plan, 12 reward and 12 upgrade points, pending), so both sides do the same.
    async fn check_purchase(&self) -> anyhow::Result<()> {
        let v = expect(self.api.post("/api/v1/purchases", &purchase_body(self.member(0, 0))), 201).await?;
        let got =
            (v["plan_id"].as_str(), v["reward_points"].as_i64(), v["upgrade_points"].as_i64(), v["status"].as_str());
        let plan = self.plan.to_string();
        if got != (Some(plan.as_str()), Some(POINTS), Some(POINTS), Some("pending")) {
            bail!(
                "the purchase push answered {v}; the raw baseline assumes plan {plan}, {POINTS} points each, pending"
            );
        }
        Ok(())
    }

    async fn push(&self, c: usize, r: u64) -> anyhow::Result<()> {
        expect(self.api.post("/api/v1/purchases", &purchase_body(self.member(c, r))), 201).await?;
        Ok(())
    }

    async fn raw_purchase(&self, c: usize, r: u64) -> anyhow::Result<()> {
        let p = Purchase {
            plan: self.plan,
            member: self.member(c, r),
            external_id: format!("R{}", raw::next_serial()),
            amount_fen: AMOUNT_FEN,
            points: POINTS,
            business_date: shanghai_today(),
        };
        self.ledger.purchase(&p).await
    }

    /// One batch of activity entries through the API; every item must be credited.
    async fn batch(&self, c: usize, r: u64) -> anyhow::Result<()> {
        let n = raw::next_serial();
        let items: Vec<Value> = self
            .batch_members(c, r)
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                json!({"member_id": m, "kind": "reward", "delta": DELTA, "reason": ACTIVITY_REASON,
                       "source_type": "activity", "source_id": format!("A{n}-{i}")})
            })
            .collect();
        let v = expect(self.api.post("/api/v1/points/entries/batch", &json!({"items": items})), 200).await?;
        let results = v["items"].as_array().context("items")?;
        // A failed item carries `error` (its `status` cannot be relied on: a credited item's
        // entry has a `status` of its own, flattened beside it).
        if let Some(failed) = results.iter().find(|i| !i["error"].is_null()) {
            bail!("batch item failed: {failed}");
        }
        if results.len() != BATCH {
            bail!("{} results for {BATCH} items", results.len());
        }
        Ok(())
    }

    async fn raw_batch(&self, c: usize, r: u64) -> anyhow::Result<()> {
        let tag = format!("R{}", raw::next_serial());
        self.ledger.entries_batch(self.plan, shanghai_today(), &self.batch_members(c, r), &tag, DELTA).await
    }
}

/// Seeds the fixture into two past plans, carries one over as raw SQL and then the other through
/// the API, and checks that both carried every member with every point.
async fn carry_over(api: &Api, ledger: &RawLedger, n: u64, this_year: i32) -> anyhow::Result<CarryOver> {
    let mut plans = Vec::new();
    for (y, name) in [(this_year - 1, "压测结转"), (this_year - 2, "压测结转（基线）")] {
        let (starts, ends) = year(y)?;
        let id = api.plan(&format!("{name} {y}"), starts, ends).await?;
        plans.push(PastPlan { id, ends_on: ends, min_points: MIN_POINTS, point_value_fen: POINT_VALUE_FEN });
    }
    let t = Instant::now();
    ledger.seed_carry_over(&plans, FIXTURE_FIRST, n).await?;
    eprintln!("carry-over fixture: {n} members in 2 plans seeded in {:.1} s", t.elapsed().as_secs_f64());
    let want = Carried { members: n as i64, points: fixture_points(n) };

    // The baseline first: the API's run then writes into tables the baseline has grown.
    let t = Instant::now();
    let done = ledger.carry_over(&plans[1]).await?;
    let raw = t.elapsed();
    if done != want {
        bail!("the raw carry-over did {done:?}, not {want:?}");
    }
    eprintln!("raw carry-over: {:.1} s", raw.as_secs_f64());

    let t = Instant::now();
    let path = format!("/api/v1/points-plans/{}/carry-over", plans[0].id);
    let (_, mut run) = expect_any(api.post(&path, &json!({"dry_run": false})), &[201, 202]).await?;
    let id = uuid_of(&run["id"])?;
    while run["status"] == "running" {
        tokio::time::sleep(Duration::from_millis(100)).await;
        run = expect(api.get(&format!("/api/v1/carry-over-runs/{id}")), 200).await?;
    }
    let took = t.elapsed();
    if run["status"] != "completed" {
        bail!("carry-over run {id} ended {run}");
    }
    let got = Carried { members: run["members"].as_i64().unwrap_or(-1), points: run["points"].as_i64().unwrap_or(-1) };
    if got != want {
        bail!("the API's carry-over did {got:?}, not {want:?}: {run}");
    }
    let at = |k: &str| run[k].as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok());
    let api_run = at("started_at").zip(at("finished_at")).and_then(|(s, f)| (f - s).to_std().ok());
    Ok(CarryOver { members: n, api: took, api_run, raw })
}

fn print(db: &str, a: &Args, r: &Report) {
    let ms = |m: &Measured| format!("{:.2} / {:.2}", m.p50_ms, m.p99_ms);
    println!("\n## {db}");
    if !r.purchase.is_empty() {
        println!(
            "\nPurchase push, `POST /api/v1/purchases` (closed loop, {} members), beside the raw purchase \
             transaction (purchase, 2 entries, 2 balance upserts, 2 outbox events, audit entry; pool of 10):\n",
            a.push_members(db)
        );
        println!("| clients | API req/s | p50 / p99 ms | failed | raw txn/s | p50 / p99 ms | ratio | >= 0.5x |");
        println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for l in &r.purchase {
            println!(
                "| {} | {:.0} | {} | {} | {:.0} | {} | **{:.3}x** | {} |",
                l.label,
                l.api.per_second,
                ms(&l.api),
                l.api.failed,
                l.raw.per_second,
                ms(&l.raw),
                l.ratio(),
                if l.ratio() >= 0.5 { "met" } else { "missed" }
            );
        }
    }
    if let Some(l) = &r.batch {
        println!(
            "\nBatch ingestion, `POST /api/v1/points/entries/batch` ({} entries per request, one in flight), \
             beside a raw multi-row INSERT of the same entries and their balance upserts (one transaction per batch):\n",
            l.label
        );
        println!(
            "| API entries/s | batch p50 / p99 ms | failed batches | raw entries/s | batch p50 / p99 ms | ratio |"
        );
        println!("| --- | --- | --- | --- | --- | --- |");
        let per = BATCH as f64;
        println!(
            "| {:.0} | {} | {} | {:.0} | {} | **{:.3}x** |",
            l.api.per_second * per,
            ms(&l.api),
            l.api.failed,
            l.raw.per_second * per,
            ms(&l.raw),
            l.ratio()
        );
    }
    if let Some(c) = &r.carry_over {
        println!(
            "\nCarry-over of {} members, `POST /api/v1/points-plans/{{id}}/carry-over` followed by \
             `GET /api/v1/carry-over-runs/{{id}}` until completed, beside the same batches as raw SQL on a \
             second plan seeded the same way:\n",
            c.members
        );
        println!("| members | API s | (run's own s) | raw s | ratio (raw s / API s) | target |");
        println!("| --- | --- | --- | --- | --- | --- |");
        let target = match db {
            "postgres" if c.members >= 1_000_000 => {
                if c.api.as_secs_f64() < 60.0 {
                    "< 60 s: met"
                } else {
                    "< 60 s: missed"
                }
            }
            "postgres" => "(< 60 s at 1,000,000)",
            _ => "(PostgreSQL only)",
        };
        println!(
            "| {} | {:.2} | {} | {:.2} | **{:.3}x** | {target} |",
            c.members,
            c.api.as_secs_f64(),
            c.api_run.map_or("-".to_owned(), |d| format!("{:.2}", d.as_secs_f64())),
            c.raw.as_secs_f64(),
            c.raw.as_secs_f64() / c.api.as_secs_f64().max(f64::MIN_POSITIVE)
        );
    }
    if let Some(check) = &r.check {
        println!("\n{check}");
    }
}
