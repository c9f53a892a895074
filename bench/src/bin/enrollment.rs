//! Enrollment under concurrency. C clients (default 12) for a bounded time (default 20 s), each
//! repeating: submit an onsite application (`POST /enrollment-applications`), approve it
//! (`POST /enrollment-applications/{id}/approve`), and read the new member twice (`GET
//! /members/{id}`, and the first page of `GET /members`). Reports, per operation, the count,
//! operations per second, p50, p99 and the number of failures.
//!
//! `cargo run --release -p crm-bench --bin enrollment -- [--db sqlite|postgres] [--clients C]
//! [--seconds S] [--pool N] [--pg-url URL]` (see bench/README.md).

use anyhow::{Context, bail};
use crm_bench::server::{self, Running};
use crm_bench::{ms, summarize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    db: String,
    clients: usize,
    seconds: u64,
    pool: Option<u32>,
    pg_url: String,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args { db: "sqlite".into(), clients: 12, seconds: 20, pool: None, pg_url: server::PG_URL.into() };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--db" => a.db = v,
            "--clients" => a.clients = v.parse()?,
            "--seconds" => a.seconds = v.parse()?,
            "--pool" => a.pool = Some(v.parse()?),
            "--pg-url" => a.pg_url = v,
            _ => bail!("unknown option {k}"),
        }
    }
    Ok(a)
}

/// The operations measured, in report order.
const OPS: [&str; 4] = ["apply", "approve", "get member", "list members"];

/// What one client measured: latencies of successes and the failures, per operation.
#[derive(Default)]
struct Tally {
    ok: [Vec<Duration>; 4],
    failed: [u64; 4],
    first_error: Option<String>,
}

impl Tally {
    /// Times one request; returns its JSON body when it answered `want`.
    async fn time(&mut self, op: usize, want: u16, req: reqwest::RequestBuilder) -> Option<Value> {
        let start = Instant::now();
        let res = req.send().await;
        let outcome = match res {
            Ok(r) if r.status().as_u16() == want => r.json::<Value>().await.map_err(|e| e.to_string()),
            Ok(r) => {
                let status = r.status();
                Err(format!("{status}: {}", r.text().await.unwrap_or_default()))
            }
            Err(e) => Err(e.to_string()),
        };
        let took = start.elapsed();
        match outcome {
            Ok(v) => {
                self.ok[op].push(took);
                Some(v)
            }
            Err(e) => {
                self.failed[op] += 1;
                self.first_error.get_or_insert(format!("{}: {e}", OPS[op]));
                None
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = &args()?;
    server::with_database(&a.db, &a.pg_url, move |url| async move { run(a, &url).await }).await
}

async fn run(a: &Args, url: &str) -> anyhow::Result<()> {
    let mut config = server::config(url);
    if let Some(n) = a.pool {
        config.db_max_connections = n;
    }
    let pool = config.db_max_connections;
    let Running { base, http, token } = server::start(config).await?;
    let api = Arc::new((base, http, format!("Bearer {token}")));
    println!(
        "# enrollment benchmark on {}: {} clients for {} s, pool of {} connections",
        a.db, a.clients, a.seconds, pool
    );
    let until = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let clients: Vec<_> = (0..a.clients)
        .map(|c| {
            let api = Arc::clone(&api);
            tokio::spawn(async move { client(&api, c, until).await })
        })
        .collect();
    let mut all = Tally::default();
    for c in clients {
        let t = c.await?;
        for op in 0..OPS.len() {
            all.ok[op].extend(t.ok[op].iter().copied());
            all.failed[op] += t.failed[op];
        }
        if all.first_error.is_none() {
            all.first_error = t.first_error;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("| operation | ok | ops/s | p50 ms | p99 ms | failed |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (op, name) in OPS.iter().enumerate() {
        let n = all.ok[op].len();
        let (p50, p99, _) = summarize(std::mem::take(&mut all.ok[op]));
        println!("| {name} | {n} | {:.1} | {} | {} | {} |", n as f64 / elapsed, ms(p50), ms(p99), all.failed[op]);
    }
    if let Some(e) = all.first_error {
        println!("first failure: {e}");
    }
    Ok(())
}

/// One client's loop until `until`: apply, approve, read the member, list members.
async fn client(api: &(String, reqwest::Client, String), c: usize, until: Instant) -> Tally {
    let (base, http, auth) = api;
    let mut t = Tally::default();
    let mut n: u64 = 0;
    while Instant::now() < until {
        n += 1;
        // Distinct phones per client and round: 139 + client (2 digits) + round (6 digits).
        let phone = format!("139{c:02}{n:06}");
        let body = json!({"channel": "onsite", "name": format!("压测{c}-{n}"), "phone": phone});
        let req = http.post(format!("{base}/api/v1/enrollment-applications")).header("authorization", auth);
        let Some(app) = t.time(0, 201, req.json(&body)).await else { continue };
        let Some(id) = app["id"].as_str() else { continue };
        let req = http
            .post(format!("{base}/api/v1/enrollment-applications/{id}/approve"))
            .header("authorization", auth)
            .json(&json!({}));
        let Some(approved) = t.time(1, 200, req).await else { continue };
        if let Some(member) = approved["member_id"].as_str() {
            let req = http.get(format!("{base}/api/v1/members/{member}")).header("authorization", auth);
            t.time(2, 200, req).await;
        }
        let req = http.get(format!("{base}/api/v1/members?limit=20")).header("authorization", auth);
        t.time(3, 200, req).await;
    }
    t
}
