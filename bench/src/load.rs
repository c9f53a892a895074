//! Load: open HTTP load from `oha` (a real generator, run as its own process), and a closed loop
//! of C tasks for sequences a generator cannot express (submit then approve) and for the raw-SQL
//! baselines. Both report requests per second, p50 and p99.

use anyhow::{Context, bail};
use serde_json::Value;
use std::future::Future;
use std::process::Command;
use std::time::{Duration, Instant};

/// What one load run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measured {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers that were not the expected status, and transport errors.
    pub failed: u64,
}

/// One `oha` run.
pub struct Oha<'a> {
    pub url: &'a str,
    pub seconds: u64,
    pub connections: usize,
    pub headers: &'a [(&'a str, &'a str)],
    /// Requests per second to offer (open load), or as many as answered (`None`).
    pub rate: Option<f64>,
    /// `url` is a regular expression each request draws its URL from (`--rand-regex-url`).
    pub regex_url: bool,
}

impl Oha<'_> {
    /// Runs `oha` and reads its JSON summary; `failed` counts everything but 2xx.
    pub fn run(&self) -> anyhow::Result<Measured> {
        let mut cmd = Command::new("oha");
        cmd.args(["--no-tui", "--output-format", "json"]).args([
            "-z",
            &format!("{}s", self.seconds),
            "-c",
            &self.connections.to_string(),
        ]);
        for (k, v) in self.headers {
            cmd.args(["-H", &format!("{k}: {v}")]);
        }
        if let Some(q) = self.rate {
            cmd.args(["-q", &format!("{q:.0}")]);
        }
        if self.regex_url {
            cmd.arg("--rand-regex-url");
        }
        cmd.arg(self.url);
        let out = cmd.output().context("running oha (install it with `cargo install oha --locked`)")?;
        if !out.status.success() {
            bail!("oha failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let v: Value = serde_json::from_slice(&out.stdout).context("oha's JSON summary")?;
        let num = |p: &str| v.pointer(p).and_then(Value::as_f64).with_context(|| format!("{p} in oha's summary"));
        let mut ok = 0u64;
        let mut all = 0u64;
        if let Some(codes) = v["statusCodeDistribution"].as_object() {
            for (code, n) in codes {
                let n = n.as_u64().unwrap_or(0);
                all += n;
                if code.starts_with('2') {
                    ok += n;
                }
            }
        }
        // Requests still in flight when the run's time is up are cut off by oha itself.
        let errors: u64 = v["errorDistribution"]
            .as_object()
            .map_or(0, |e| e.iter().filter(|(k, _)| !k.contains("deadline")).filter_map(|(_, n)| n.as_u64()).sum());
        let total = num("/summary/total")?;
        Ok(Measured {
            per_second: ok as f64 / total,
            p50_ms: num("/latencyPercentiles/p50")? * 1000.0,
            p99_ms: num("/latencyPercentiles/p99")? * 1000.0,
            failed: all - ok + errors,
        })
    }
}

/// Runs `op(client, round)` in `clients` concurrent tasks for `seconds`, each task repeating it;
/// an `Err` counts as a failure (the first one is returned beside the figures).
pub async fn closed_loop<F, Fut>(clients: usize, seconds: u64, op: F) -> anyhow::Result<(Measured, Option<String>)>
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let op = op.clone();
            tokio::spawn(async move {
                let (mut took, mut failed, mut first) = (Vec::new(), 0u64, None);
                let mut round = 0;
                while Instant::now() < until {
                    round += 1;
                    let t = Instant::now();
                    match op(c, round).await {
                        Ok(()) => took.push(t.elapsed()),
                        Err(e) => {
                            failed += 1;
                            first.get_or_insert_with(|| format!("{e:#}"));
                        }
                    }
                }
                (took, failed, first)
            })
        })
        .collect();
    let (mut took, mut failed, mut first) = (Vec::new(), 0, None);
    for t in tasks {
        let (d, f, e) = t.await?;
        took.extend(d);
        failed += f;
        first = first.or(e);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = took.len();
    let (p50, p99, _) = crate::summarize(took);
    let m = Measured {
        per_second: n as f64 / elapsed,
        p50_ms: p50.as_secs_f64() * 1000.0,
        p99_ms: p99.as_secs_f64() * 1000.0,
        failed,
    };
    Ok((m, first))
}

/// The median run (by rate) of several.
pub fn median(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
    runs.get(runs.len() / 2).copied().unwrap_or_default()
}

/// The median of `runs` closed-loop runs; the first failure message of any run is printed.
pub async fn median_async<F, Fut>(runs: usize, f: F) -> anyhow::Result<Measured>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<(Measured, Option<String>)>>,
{
    let mut all = Vec::new();
    for _ in 0..runs {
        let (m, first) = f().await?;
        if let Some(e) = first {
            eprintln!("first failure: {e}");
        }
        all.push(m);
    }
    Ok(median(all))
}

/// A spread-out index in `0..n` for client `c`'s round `r`.
pub fn pick(c: usize, r: u64, n: u64) -> u64 {
    let x = (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ r.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x ^ (x >> 31)) % n.max(1)
}

/// [`median_async`] of `runs` [`closed_loop`]s of `op` on shared `state`: `op(state, client,
/// round)` in `clients` tasks for `seconds`.
pub async fn median_loop<S, F, Fut>(
    runs: usize,
    clients: usize,
    seconds: u64,
    state: &std::sync::Arc<S>,
    op: F,
) -> anyhow::Result<Measured>
where
    S: Send + Sync + 'static,
    F: Fn(std::sync::Arc<S>, usize, u64) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    median_async(runs, || {
        let state = std::sync::Arc::clone(state);
        closed_loop(clients, seconds, move |c, r| op(std::sync::Arc::clone(&state), c, r))
    })
    .await
}
