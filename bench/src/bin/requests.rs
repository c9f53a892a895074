//! The per-request cost suite (W1, W1b, W2, W3), each workload beside its baseline in the same
//! run, on SQLite and PostgreSQL, with the server's resident memory. The server is the release
//! `crm serve` in a process of its own; HTTP load comes from `oha` (open load, keep-alive), the
//! sequences `oha` cannot express (submit then approve, PATCH of many customers) and the raw-SQL
//! baselines from a closed loop of tasks here. Every figure is the median of `--runs` runs.
//!
//! `bench/run [--db sqlite|postgres|both] [--runs 3] [--seconds 5] [--connections 64]
//! [--clients 8] [--members 100000] [--only W1,W1b,W2,W3] [--env CRM_KEY=VALUE]... [--pg-url URL]
//! [--crm PATH] [--sqlite-synchronous full|normal]`
//! (see bench/README.md).

use anyhow::{Context, bail};
use crm_bench::api::{expect, login};
use crm_bench::load::{Measured, Oha, median, median_loop, pick};
use crm_bench::process;
use crm_bench::server::{self, PASSWORD};
use crm_bench::{customer, raw};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

struct Args {
    dbs: Vec<String>,
    runs: usize,
    seconds: u64,
    connections: usize,
    clients: usize,
    members: u64,
    only: Vec<String>,
    env: Vec<(String, String)>,
    pg_url: String,
    /// The server binary (default: `crm` beside this one), e.g. an older build to compare with.
    crm: Option<std::path::PathBuf>,
    /// SQLite's `synchronous` for the raw baseline (match the server's: `full` by default).
    sqlite_synchronous: String,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        dbs: vec!["sqlite".into(), "postgres".into()],
        runs: 3,
        seconds: 5,
        connections: 64,
        clients: 8,
        members: 100_000,
        only: vec!["W1".into(), "W1b".into(), "W2".into(), "W3".into(), "statements".into()],
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
            "--runs" => a.runs = v.parse()?,
            "--seconds" => a.seconds = v.parse()?,
            "--connections" => a.connections = v.parse()?,
            "--clients" => a.clients = v.parse()?,
            "--members" => a.members = v.parse()?,
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
    if a.runs == 0 {
        bail!("--runs must be at least 1");
    }
    Ok(a)
}

/// One line of the report: a workload, its figure and its baseline's.
struct Line {
    workload: String,
    measured: Measured,
    baseline_name: String,
    baseline: Measured,
}

impl Line {
    fn print(&self) {
        let (m, b) = (&self.measured, &self.baseline);
        println!(
            "| {} | {:.0} | {:.2} / {:.2} | {} | {} | {:.0} | {:.2} / {:.2} | **{:.3}x** |",
            self.workload,
            m.per_second,
            m.p50_ms,
            m.p99_ms,
            m.failed,
            self.baseline_name,
            b.per_second,
            b.p50_ms,
            b.p99_ms,
            m.per_second / b.per_second.max(f64::MIN_POSITIVE),
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Arc::new(args()?);
    if std::process::Command::new("oha").arg("--version").output().is_err() {
        bail!("oha is not on PATH: `cargo install oha --locked` (bench/run does it)");
    }
    println!(
        "# per-request cost: {} run(s) of {} s each, medians; oha with {} connections; {} closed-loop clients",
        a.runs, a.seconds, a.connections, a.clients
    );
    for db in a.dbs.clone() {
        let a2 = Arc::clone(&a);
        let d = db.clone();
        server::with_database(&db, &a.pg_url, move |url| async move { suite(&a2, &d, &url).await }).await?;
    }
    Ok(())
}

async fn suite(a: &Args, db: &str, url: &str) -> anyhow::Result<()> {
    let crm = process::crm(a.crm.as_deref(), url, PASSWORD, &a.env).await?;
    let idle = crm.rss()?;
    let http = reqwest::Client::new();
    let token = login(&http, &crm.base).await?;
    let auth = format!("Bearer {token}");
    let mut lines = Vec::new();
    let want = |w: &str| a.only.iter().any(|o| o.eq_ignore_ascii_case(w));
    let oha = |url: &str, headers: &[(&str, &str)], rate: Option<f64>, regex_url: bool| -> anyhow::Result<Measured> {
        Oha { url, seconds: a.seconds, connections: a.connections, headers, rate, regex_url }.run()
    };
    let runs = |f: &dyn Fn() -> anyhow::Result<Measured>| -> anyhow::Result<Measured> {
        Ok(median((0..a.runs).map(|_| f()).collect::<anyhow::Result<Vec<_>>>()?))
    };
    let healthz = format!("{}/healthz", crm.base);

    if want("W1") {
        let bare = process::bare_hello().await?;
        let bare_url = format!("{}/healthz", bare.base);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..a.runs {
            theirs.push(oha(&bare_url, &[], None, false)?);
            ours.push(oha(&healthz, &[], None, false)?);
        }
        lines.push(Line {
            workload: "W1 `GET /healthz`".into(),
            measured: median(ours),
            baseline_name: "bare actix-web hello".into(),
            baseline: median(theirs),
        });
    }
    if want("W1b") {
        let base = runs(&|| oha(&healthz, &[], None, false))?;
        let h = [("authorization", auth.as_str())];
        for path in ["/api/v1/me", "/api/v1/member-levels"] {
            let url = format!("{}{path}", crm.base);
            lines.push(Line {
                workload: format!("W1b `GET {path}`"),
                measured: runs(&|| oha(&url, &h, None, false))?,
                baseline_name: "`GET /healthz`, same server".into(),
                baseline: base,
            });
        }
    }
    let mut customers = Vec::new();
    if want("W2") || want("W3") || want("statements") {
        let t = Instant::now();
        customers = raw::seed_members(&http, &crm.base, &token, url, a.members).await?.customers;
        eprintln!("{db}: {} members seeded in {:.1} s", a.members, t.elapsed().as_secs_f64());
    }
    let pool = raw::Raw::connect(url, &a.sqlite_synchronous).await?;
    if want("W2") {
        // Phones 139 0000 0000 .. 139 0009 9999 are the seeded members' (`customer(n)`).
        let digits = (a.members.max(2) - 1).to_string().len();
        let regex =
            format!(r"{}/api/v1/members/lookup\?phone=139{}[0-9]{{{digits}}}", crm.base, "0".repeat(8 - digits));
        if a.members != 10u64.pow(digits as u32) {
            eprintln!("(W2 draws phones over 10^{digits}; members beyond --members answer 404 and count as failed)");
        }
        let h = [("authorization", auth.as_str())];
        let peak = runs(&|| oha(&regex, &h, None, true))?;
        let lookups = Arc::new((pool.clone(), a.members));
        let raw_peak = median_loop(a.runs, a.connections, a.seconds, &lookups, |l, c, r| async move {
            l.0.member_by_phone(&customer(pick(c, r, l.1)).1).await
        })
        .await?;
        lines.push(Line {
            workload: "W2 `GET /members/lookup?phone=` (peak)".into(),
            measured: peak,
            baseline_name: "the same SELECT, raw, pool of 10".into(),
            baseline: raw_peak,
        });
        let at70 = runs(&|| oha(&regex, &h, Some(peak.per_second * 0.7), true))?;
        lines.push(Line {
            workload: "W2 at 70% of its peak (p99 < 10 ms?)".into(),
            measured: at70,
            baseline_name: "the same SELECT, raw (peak)".into(),
            baseline: raw_peak,
        });
    }
    if want("W3") {
        let api = Arc::new((http.clone(), crm.base.clone(), auth.clone()));
        let enroll = median_loop(a.runs, a.clients, a.seconds, &api, submit_and_approve).await?;
        let raw_pool = Arc::new(pool.clone());
        let raw_enroll =
            median_loop(
                a.runs,
                a.clients,
                a.seconds,
                &raw_pool,
                |p, c, r| async move { p.submit_and_approve(c, r).await },
            )
            .await?;
        lines.push(Line {
            workload: "W3 enrollment submit + approve".into(),
            measured: enroll,
            baseline_name: "raw: INSERT txn, then UPDATE + 2 INSERTs txn".into(),
            baseline: raw_enroll,
        });
        let patching = Arc::new((Arc::clone(&api), pool.clone(), customers));
        let patch = median_loop(a.runs, a.clients, a.seconds, &patching, |p, c, r| async move {
            patch_customer(&p.0, &p.2, c, r).await
        })
        .await?;
        let raw_patch = median_loop(a.runs, a.clients, a.seconds, &patching, |p, c, r| async move {
            p.1.patch_customer(p.2[pick(c, r, p.2.len() as u64) as usize], r).await
        })
        .await?;
        lines.push(Line {
            workload: "W3 customer `PATCH`".into(),
            measured: patch,
            baseline_name: "raw: UPDATE one row txn".into(),
            baseline: raw_patch,
        });
    }
    let end = crm.rss()?;
    report(db, &lines, idle.now_mib, end.peak_mib);
    let counts = if want("statements") {
        statements(&http, &crm.base, &auth).await.unwrap_or_else(|e| {
            println!("\nStatement counts failed: {e:#}");
            Vec::new()
        })
    } else {
        Vec::new()
    };
    if !counts.is_empty() {
        println!("\nStatements per operation (the server's `db_statements_total`, one operation at a time):\n");
        println!("| operation | statements |");
        println!("| --- | --- |");
        for (op, n) in counts {
            println!("| {op} | {n:.1} |");
        }
    }
    drop(crm);
    pool.close().await;
    Ok(())
}

fn report(db: &str, lines: &[Line], idle_mib: f64, peak_mib: f64) {
    println!("\n## {db}\n");
    println!("| workload | req/s | p50 / p99 ms | failed | baseline | req/s | p50 / p99 ms | ratio |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for l in lines {
        l.print();
    }
    println!("\nRSS of `crm serve`: {idle_mib:.1} MiB idle after start, {peak_mib:.1} MiB peak over the run.");
}

/// The server's statement counter, from `/metrics` (`None` on a server that has none).
async fn statement_counter(http: &reqwest::Client, base: &str) -> anyhow::Result<Option<f64>> {
    let text = http.get(format!("{base}/metrics")).send().await?.text().await?;
    Ok(text
        .lines()
        .find(|l| l.starts_with("db_statements_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok()))
}

/// Statements per operation, as the mean over `N` operations run one at a time: the authenticated
/// reads, enrollment submit and approve, a customer PATCH, and batch upserts of 100 customers
/// (new, then the same again as changes).
async fn statements(http: &reqwest::Client, base: &str, auth: &str) -> anyhow::Result<Vec<(String, f64)>> {
    const N: u64 = 20;
    if statement_counter(http, base).await?.is_none() {
        eprintln!("(this server has no db_statements_total: statement counts skipped)");
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    macro_rules! count {
        ($name:expr, $n:expr, $op:expr) => {{
            let before = statement_counter(http, base).await?.unwrap_or(0.0);
            for i in 0..$n {
                let _ = i;
                $op(i).await?;
            }
            let after = statement_counter(http, base).await?.unwrap_or(0.0);
            out.push(($name.to_owned(), (after - before) / $n as f64));
        }};
    }
    let get =
        |path: &'static str| move |_: u64| expect(http.get(format!("{base}{path}")).header("authorization", auth), 200);
    count!("`GET /me`", N, get("/api/v1/me"));
    count!("`GET /member-levels`", N, get("/api/v1/member-levels"));
    let lookup = |i: u64| {
        let phone = customer(i).1;
        expect(http.get(format!("{base}/api/v1/members/lookup?phone={phone}")).header("authorization", auth), 200)
    };
    count!("`GET /members/lookup?phone=`", N, lookup);
    let mut apps = Vec::new();
    // Phones 135 + 8 digits, fresh in this process.
    let serial = raw::next_serial() % 10_000;
    for i in 0..N {
        let body = json!({"channel": "onsite", "name": format!("计数{i}"), "phone": format!("135{serial:04}{i:04}")});
        let before = statement_counter(http, base).await?.unwrap_or(0.0);
        let v = expect(
            http.post(format!("{base}/api/v1/enrollment-applications")).header("authorization", auth).json(&body),
            201,
        )
        .await?;
        let after = statement_counter(http, base).await?.unwrap_or(0.0);
        apps.push((v["id"].as_str().context("id")?.to_owned(), after - before));
    }
    out.push(("enrollment submit".to_owned(), apps.iter().map(|(_, n)| n).sum::<f64>() / N as f64));
    let mut approve = 0.0;
    for (id, _) in &apps {
        let before = statement_counter(http, base).await?.unwrap_or(0.0);
        let url = format!("{base}/api/v1/enrollment-applications/{id}/approve");
        expect(http.post(url).header("authorization", auth).json(&json!({})), 200).await?;
        approve += statement_counter(http, base).await?.unwrap_or(0.0) - before;
    }
    out.push(("enrollment approve (new customer)".to_owned(), approve / N as f64));
    let items = |round: u64| -> Vec<serde_json::Value> {
        (0..100u64)
            .map(|k| json!({"external_id": format!("S{serial}-{k}"), "name": format!("批量{k}"), "phone": format!("134{serial:04}{k:04}"), "city": format!("城市{round}")}))
            .collect()
    };
    let upsert = |round: u64| {
        let body = json!({"source": "bench-count", "items": items(round)});
        expect(
            http.post(format!("{base}/api/v1/customers/batch-upsert")).header("authorization", auth).json(&body),
            200,
        )
    };
    count!("batch upsert, 100 new customers", 1u64, |_| upsert(0));
    count!("batch upsert, the same 100 changed", 1u64, |_| upsert(1));
    let customers =
        expect(http.get(format!("{base}/api/v1/customers?limit=20")).header("authorization", auth), 200).await?;
    let ids: Vec<String> = customers["items"]
        .as_array()
        .context("items")?
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    let patch = |i: u64| {
        let id = &ids[i as usize % ids.len()];
        let body = json!({"address": format!("计数路{i}号")});
        expect(http.patch(format!("{base}/api/v1/customers/{id}")).header("authorization", auth).json(&body), 200)
    };
    count!("customer `PATCH`", N, patch);
    Ok(out)
}

async fn submit_and_approve(api: Arc<(reqwest::Client, String, String)>, c: usize, r: u64) -> anyhow::Result<()> {
    let (http, base, auth) = &*api;
    // Phones 137 + client (2 digits) + a process-wide run number (6 digits): fresh every run.
    let n = raw::next_serial();
    let body = json!({"channel": "onsite", "name": format!("压测{c}-{r}"), "phone": format!("137{c:02}{n:06}")});
    let app = expect(
        http.post(format!("{base}/api/v1/enrollment-applications")).header("authorization", auth).json(&body),
        201,
    )
    .await?;
    let id = app["id"].as_str().context("application id")?;
    let url = format!("{base}/api/v1/enrollment-applications/{id}/approve");
    expect(http.post(url).header("authorization", auth).json(&json!({})), 200).await?;
    Ok(())
}

async fn patch_customer(
    api: &(reqwest::Client, String, String),
    ids: &[uuid::Uuid],
    c: usize,
    r: u64,
) -> anyhow::Result<()> {
    let (http, base, auth) = api;
    let id = ids[pick(c, r, ids.len() as u64) as usize];
    let body = json!({"address": format!("杭州市西湖区文三路{r}号")});
    expect(http.patch(format!("{base}/api/v1/customers/{id}")).header("authorization", auth).json(&body), 200).await?;
    Ok(())
}
