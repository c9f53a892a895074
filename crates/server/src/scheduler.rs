//! The in-process scheduler: a list of periodic jobs ([`jobs`]), each run on its own interval by
//! whichever instance holds the job's own lease row in `job_leases`. Any number of instances may
//! run it; a lease outlives one interval, so its holder renews it before anyone else may take it,
//! and a stopped instance gives its leases up (a crashed one loses them when they expire). Jobs
//! make their own updates conditional, so an overlap after a lease expiry still changes each
//! record once.

use chrono::{DateTime, Utc};
use crm_app::App;
use crm_store::Store;
use crm_store::platform::job_leases;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// What one run of a job returns: how many records it changed, or why it failed.
pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<u64>> + Send>>;

/// A periodic job over a context `C` (the use cases, for the real jobs).
pub struct Job<C> {
    /// Its name, and the key of its lease row in `job_leases`.
    pub name: &'static str,
    pub interval: Duration,
    /// One run at `now`.
    pub run: fn(C, DateTime<Utc>) -> JobFuture,
}

/// The product's jobs, every one at `interval` (`CRM_SCHEDULER_INTERVAL_SECS`).
pub fn jobs(interval: Duration) -> Vec<Job<App>> {
    vec![
        Job {
            // Owned customers nobody followed up for the tenant's `pool_return_days` go back to the pool.
            name: "customers.pool_return",
            interval,
            run: |app, now| Box::pin(async move { Ok(app.return_idle_customers(now).await?) }),
        },
        Job {
            // Carry-over runs whose process stopped (their lease ran out) continue here.
            name: "loyalty.carry_over_resume",
            interval,
            run: |app, _| Box::pin(async move { Ok(app.resume_carry_over_runs().await? as u64) }),
        },
    ]
}

/// A running scheduler; stops (and gives up its leases) when stopped.
pub struct Scheduler {
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    store: Store,
    holder: String,
}

impl Scheduler {
    /// Starts one loop per job; each job's first round runs after one of its intervals.
    pub fn start<C: Clone + Send + Sync + 'static>(store: Store, ctx: C, jobs: Vec<Job<C>>) -> Self {
        let holder = format!("instance-{}", Uuid::now_v7());
        let tasks = jobs
            .into_iter()
            .map(|job| {
                let (store, ctx, holder) = (store.clone(), ctx.clone(), holder.clone());
                let name = job.name;
                let handle = tokio::spawn(async move {
                    let every = job.interval;
                    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                        run_round(&store, &ctx, &holder, &job).await;
                    }
                });
                (name, handle)
            })
            .collect();
        Self { tasks, store, holder }
    }

    /// This instance's name in `job_leases`.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Stops every job and releases its lease, so another instance can take it at once.
    pub async fn stop(self) {
        for (name, task) in self.tasks {
            task.abort();
            // Wait for the abort, so a round in flight cannot renew the lease after its release.
            let _ = task.await;
            if let Err(e) = job_leases::release(self.store.conn(), name, &self.holder).await {
                tracing::warn!(job = name, error = %e, "could not release the job's lease");
            }
        }
    }
}

async fn run_round<C: Clone>(store: &Store, ctx: &C, holder: &str, job: &Job<C>) {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(job.interval * 2).unwrap_or(chrono::Duration::minutes(10));
    match job_leases::try_acquire(store.conn(), job.name, holder, now, until).await {
        Ok(true) => match (job.run)(ctx.clone(), now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(job = job.name, changed = n, "scheduled job ran"),
            Err(e) => tracing::error!(job = job.name, error = %e, "scheduled job failed"),
        },
        Ok(false) => tracing::debug!(job = job.name, "another instance holds the job's lease"),
        Err(e) => tracing::warn!(job = job.name, error = %e, "could not take the job's lease"),
    }
}
