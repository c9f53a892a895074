//! The `crm` binary as an operator uses it: help, config errors, migrate, openapi, and
//! `serve` on a fresh machine (no config) with graceful shutdown on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn crm(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_crm"));
    c.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).current_dir(dir);
    c
}

#[test]
fn help_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = crm(dir.path()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "migrate", "openapi", "ledger"] {
        assert!(text.contains(cmd), "{cmd} in {text}");
        let sub = crm(dir.path()).args([cmd, "--help"]).output().unwrap();
        assert!(sub.status.success(), "{cmd} --help");
        assert!(String::from_utf8_lossy(&sub.stdout).contains("Usage: crm"), "{cmd} --help");
    }
}

#[test]
fn openapi_prints_the_committed_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = crm(dir.path()).arg("openapi").output().unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../api-spec/openapi.json")).unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "api-spec/openapi.json is stale: run `cargo run -p crm-server -- openapi -o api-spec/openapi.json`"
    );
}

#[test]
fn unknown_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = crm(dir.path()).arg("migrate").env("CRM_LISTN", "x").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CRM_LISTN"));

    std::fs::write(dir.path().join("crm.toml"), "database_url = \"sqlite://x.db?mode=rwc\"\nport = 1\n").unwrap();
    let out = crm(dir.path()).arg("migrate").env("CRM_CONFIG", "crm.toml").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("port"), "{err}");
    assert!(!dir.path().join("x.db").exists(), "nothing done on bad config");
}

#[test]
fn secrets_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    // A bad setting makes the process report its configuration error; the secret next to it must not leak.
    let out = crm(dir.path())
        .arg("migrate")
        .env("CRM_JWT_SECRET", "super-secret-value-0123456789abcdef")
        .env("CRM_BODY_LIMIT", "lots")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("super-secret-value"), "{all}");
}

#[test]
fn migrate_applies_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let first = crm(dir.path()).arg("migrate").env("CRM_DATABASE_URL", &url).output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let out = String::from_utf8_lossy(&first.stdout).to_string();
    let line = out.lines().find_map(|l| l.strip_prefix("applied ")).unwrap_or_else(|| panic!("{out}"));
    let n: usize = line.split(' ').next().and_then(|n| n.parse().ok()).unwrap();
    assert!(n >= 3, "{out}");
    let again = crm(dir.path()).arg("migrate").env("CRM_DATABASE_URL", &url).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("applied 0 migration(s)"));
}

/// Reads stdout until the listening line; returns the base URL and every line seen.
fn wait_listening(child: &mut Child) -> (String, Vec<String>) {
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        lines.push(line.clone());
        if let Some(rest) = line.strip_prefix("crm listening on ") {
            let base = rest.split_whitespace().next().unwrap().to_owned();
            return (base, lines);
        }
    }
    panic!("server never said it was listening: {lines:?}");
}

fn http(base: &str, request: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_on_a_fresh_machine_then_stop_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = crm(dir.path())
        .arg("serve")
        .env("CRM_LISTEN", "127.0.0.1:0")
        .env("CRM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (base, lines) = wait_listening(&mut child);
    assert!(dir.path().join("data/crm.db").exists(), "SQLite file under ./data");
    let pw_line = lines.iter().find(|l| l.contains("with password: ")).expect("generated password printed");
    let password = pw_line.rsplit("with password: ").next().unwrap().trim().to_owned();
    assert!(lines.iter().any(|l| l.contains("/docs")), "docs location printed");

    let health = http(&base, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    // An in-flight request (a login spends real time in argon2) finishes after SIGTERM.
    let body = format!("{{\"username\":\"admin\",\"password\":\"{password}\"}}");
    let req = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let b = base.clone();
    let inflight = std::thread::spawn(move || http(&b, &req));
    std::thread::sleep(Duration::from_millis(30));
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let answer = inflight.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "in-flight login completed: {answer}");
    assert!(answer.contains("access_token"));

    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    assert!(TcpStream::connect(base.trim_start_matches("http://")).is_err(), "no longer listening");
}

#[test]
fn ledger_check_reports_a_balance_that_is_not_the_sum_of_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
    let migrated = crm(dir.path()).arg("migrate").env("CRM_DATABASE_URL", &url).output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let tenant = uuid::Uuid::now_v7();
    let member = uuid::Uuid::now_v7();
    let sql = |stmt: String| {
        let url = url.clone();
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
            use crm_store::ConnectionTrait;
            let store = crm_store::Store::connect(&crm_store::DbOptions::new(url)).await.unwrap();
            store.conn().execute_unprepared(&stmt).await.unwrap();
            store.close().await.unwrap();
        })
    };
    let now = "2026-12-04 00:00:00+00:00";
    // SQLite keeps uuids as 16-byte blobs.
    let blob = |u: uuid::Uuid| format!("X'{}'", u.simple());
    sql(format!(
        "INSERT INTO tenants (id, code, name, created_at, updated_at) VALUES ({}, 't1', 'T', '{now}', '{now}')",
        blob(tenant)
    ));
    let ok = crm(dir.path()).args(["ledger", "check"]).env("CRM_DATABASE_URL", &url).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ledger ok"));
    // A balance no entry explains.
    sql(format!(
        "INSERT INTO points_balances (tenant_id, member_id, plan_key, kind, available, pending, updated_at) \
         VALUES ({}, {}, {}, 'reward', 5, 0, '{now}')",
        blob(tenant),
        blob(member),
        blob(uuid::Uuid::nil())
    ));
    let bad = crm(dir.path()).args(["ledger", "check"]).env("CRM_DATABASE_URL", &url).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(text.contains("1 difference(s)") && text.contains(&member.to_string()), "{text}");
}
