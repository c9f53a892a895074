//! The in-process scheduler: runs periodic jobs (today: returning idle customers to the public
//! pool). Any number of instances may run it; each round, the instance holding the job's lease in
//! the database runs the job, and the job's own updates are conditional, so an overlap after a
//! lease expiry still changes each record once.

use chrono::Utc;
use crm_app::App;
use crm_store::platform::job_leases;
use std::time::Duration;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The job's name in `job_leases`.
const POOL_RETURN: &str = "customers.pool_return";

/// A running scheduler; stops (and gives up its lease) when stopped.
pub struct Scheduler {
    handle: JoinHandle<()>,
    app: App,
    holder: String,
}

impl Scheduler {
    /// Starts the loop; the first round runs after one interval.
    pub fn start(app: App, interval: Duration) -> Self {
        let holder = format!("instance-{}", Uuid::now_v7());
        let (a, h) = (app.clone(), holder.clone());
        let handle = tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                run_round(&a, &h, interval).await;
            }
        });
        Self { handle, app, holder }
    }

    pub async fn stop(self) {
        self.handle.abort();
        if let Err(e) = job_leases::release(self.app.store().conn(), POOL_RETURN, &self.holder).await {
            tracing::warn!(error = %e, "could not release the scheduler lease");
        }
    }
}

async fn run_round(app: &App, holder: &str, interval: Duration) {
    let now = Utc::now();
    // The lease outlives one interval so the holder renews it before anyone else may take it.
    let until = now + chrono::Duration::from_std(interval * 2).unwrap_or(chrono::Duration::minutes(10));
    match job_leases::try_acquire(app.store().conn(), POOL_RETURN, holder, now, until).await {
        Ok(true) => match app.return_idle_customers(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(returned = n, "returned idle customers to the public pool"),
            Err(e) => tracing::error!(error = %e, "public-pool return failed"),
        },
        Ok(false) => tracing::debug!("another instance holds the scheduler lease"),
        Err(e) => tracing::warn!(error = %e, "could not take the scheduler lease"),
    }
}
