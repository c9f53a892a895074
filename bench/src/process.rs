//! Servers under test as child processes of their own (so their memory is theirs alone): the
//! release `crm serve` on a given database, and the bare actix-web baseline; their resident
//! memory read from `/proc`.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, killed when dropped.
pub struct Served {
    child: Child,
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The directory of this executable, where `cargo build --release` put `crm` and `bare_hello`.
fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.parent().context("executable directory")?.join(name);
    if !path.exists() {
        bail!("{} not found: build it with `cargo build --release -p crm-server -p crm-bench`", path.display());
    }
    Ok(path)
}

/// A port nobody listens on right now.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `GET {base}/healthz` answers 200 (migrations run before the server listens).
async fn wait_ready(base: &str, child: &mut Child) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(120);
    while Instant::now() < until {
        if let Some(status) = child.try_wait()? {
            bail!("server exited with {status} before it was ready");
        }
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("server at {base} not ready after 120 s")
}

/// `crm serve` (`exe`, or the `crm` beside this binary) on `database_url`: rate limits off, the
/// scheduler off, warnings only, the bench's administrator password, and `env` on top (e.g.
/// `CRM_DB_MAX_CONNECTIONS`).
pub async fn crm(
    exe: Option<&std::path::Path>,
    database_url: &str,
    password: &str,
    env: &[(String, String)],
) -> anyhow::Result<Served> {
    let port = free_port()?;
    let mut cmd = Command::new(match exe {
        Some(p) => p.to_path_buf(),
        None => sibling("crm")?,
    });
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CRM_DATABASE_URL", database_url)
        .env("CRM_LISTEN", format!("127.0.0.1:{port}"))
        .env("CRM_ADMIN_PASSWORD", password)
        .env("CRM_LOG", "warn")
        .env("CRM_RATE_LIMIT_PER_IP", "0")
        .env("CRM_RATE_LIMIT_AUTH_PER_IP", "0")
        .env("CRM_RATE_LIMIT_PER_CALLER", "0")
        .env("CRM_SCHEDULER_INTERVAL_SECS", "0")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().context("starting crm serve")?;
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, &mut child).await?;
    Ok(Served { child, base })
}

/// The bare actix-web hello (`bare_hello`), with actix's default worker count like `crm serve`.
pub async fn bare_hello() -> anyhow::Result<Served> {
    let port = free_port()?;
    let mut child = Command::new(sibling("bare_hello")?)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .context("starting bare_hello")?;
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, &mut child).await?;
    Ok(Served { child, base })
}

/// Resident memory now and its peak so far (`VmRSS`, `VmHWM`), in MiB.
#[derive(Debug, Clone, Copy)]
pub struct Rss {
    pub now_mib: f64,
    pub peak_mib: f64,
}

impl Served {
    pub fn rss(&self) -> anyhow::Result<Rss> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb = |key: &str| -> anyhow::Result<f64> {
            let line = status.lines().find(|l| l.starts_with(key)).with_context(|| format!("{key} in /proc status"))?;
            let n: f64 = line.split_whitespace().nth(1).context("value")?.parse()?;
            Ok(n / 1024.0)
        };
        Ok(Rss { now_mib: kb("VmRSS:")?, peak_mib: kb("VmHWM:")? })
    }
}
