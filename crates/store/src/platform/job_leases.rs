//! Leases for scheduled jobs: one instance at a time runs a job, whichever took the lease; a lease
//! that is not renewed expires, so a stopped instance's job moves to another one.

use crate::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};

/// Takes or renews the lease on `job` for `holder` until `until`, when it is free, expired or
/// already `holder`'s. One statement, so two instances racing for it cannot both win.
pub async fn try_acquire(
    c: &impl ConnectionTrait,
    job: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let backend = c.get_database_backend();
    let res = c
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO job_leases (name, holder, leased_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, leased_until = excluded.leased_until \
             WHERE job_leases.leased_until < $4 OR job_leases.holder = excluded.holder",
            [job.into(), holder.into(), until.into(), now.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Gives the lease up (on shutdown), so another instance can take it at once.
pub async fn release(c: &impl ConnectionTrait, job: &str, holder: &str) -> Result<(), StoreError> {
    let backend = c.get_database_backend();
    c.execute_raw(Statement::from_sql_and_values(
        backend,
        "DELETE FROM job_leases WHERE name = $1 AND holder = $2",
        [job.into(), holder.into()],
    ))
    .await?;
    Ok(())
}
