//! The scheduler runs a list of jobs, each under its own lease row: of two instances, one runs
//! each job, and when it stops (giving its leases up) the other takes its jobs over.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crm_server::scheduler::{Job, Scheduler};
use crm_store::platform::job_leases;
use crm_store::{DbOptions, Store};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Which instance ran which job, in order.
type Runs = Arc<Mutex<Vec<(&'static str, &'static str)>>>;

/// The context of one instance: its label and the shared record of runs.
#[derive(Clone)]
struct Ctx(&'static str, Runs);

fn record(job: &'static str, ctx: &Ctx) {
    ctx.1.lock().unwrap().push((job, ctx.0));
}

fn jobs(every: Duration) -> Vec<Job<Ctx>> {
    vec![
        Job {
            name: "test.first",
            interval: every,
            run: |ctx, _| {
                Box::pin(async move {
                    record("test.first", &ctx);
                    Ok(1)
                })
            },
        },
        Job {
            name: "test.second",
            interval: every,
            run: |ctx, _| {
                Box::pin(async move {
                    record("test.second", &ctx);
                    anyhow::bail!("a failing run does not stop the job")
                })
            },
        },
    ]
}

fn by(runs: &[(&'static str, &'static str)], job: &str) -> Vec<&'static str> {
    runs.iter().filter(|(j, _)| *j == job).map(|(_, who)| *who).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_job_runs_on_one_instance_under_its_own_lease() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let store = Store::connect(&DbOptions::new(url)).await.unwrap();
    store.migrate().await.unwrap();
    let every = Duration::from_millis(200);
    let runs: Runs = Arc::default();

    let a = Scheduler::start(store.clone(), Ctx("a", runs.clone()), jobs(every));
    let b = Scheduler::start(store.clone(), Ctx("b", runs.clone()), jobs(every));
    tokio::time::sleep(every * 6).await;

    let seen = runs.lock().unwrap().clone();
    for job in ["test.first", "test.second"] {
        let who = by(&seen, job);
        assert!(who.len() >= 3, "{job} ran each round: {seen:?}");
        assert!(who.iter().all(|w| *w == who[0]), "{job} ran on one instance only: {seen:?}");
    }
    let leases = job_leases::all(store.conn()).await.unwrap();
    let names: Vec<&str> = leases.iter().map(|l| l.job.as_str()).collect();
    assert_eq!(names, ["test.first", "test.second"], "one lease row per job");
    for job in ["test.first", "test.second"] {
        let holders: Vec<&str> = leases.iter().filter(|l| l.job == job).map(|l| l.holder.as_str()).collect();
        assert!(holders == [a.holder()] || holders == [b.holder()], "{job}: {holders:?}");
    }

    // The instance holding the first job stops: the other takes it over at its next round.
    let holder = by(&seen, "test.first")[0];
    let (stopped, running, other) = if holder == "a" { (a, b, "b") } else { (b, a, "a") };
    stopped.stop().await;
    runs.lock().unwrap().clear();
    tokio::time::sleep(every * 4).await;
    let seen = runs.lock().unwrap().clone();
    for job in ["test.first", "test.second"] {
        let who = by(&seen, job);
        assert!(!who.is_empty() && who.iter().all(|w| *w == other), "{job} moved to {other}: {seen:?}");
    }
    running.stop().await;
    assert!(job_leases::all(store.conn()).await.unwrap().is_empty(), "a stopped scheduler gives its leases up");
}

#[test]
fn the_product_jobs_are_the_pool_return_and_the_carry_over_resume() {
    let jobs = crm_server::scheduler::jobs(Duration::from_secs(60));
    assert_eq!(jobs.iter().map(|j| j.name).collect::<Vec<_>>(), ["customers.pool_return", "loyalty.carry_over_resume"]);
    assert!(jobs.iter().all(|j| j.interval == Duration::from_secs(60)));
}
