//! Leases for scheduled jobs: one instance at a time runs a job, whichever took the lease; a lease
//! that is not renewed expires, so a stopped instance's job moves to another one.

use crate::StoreError;
use crate::entities::job_leases as jl;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};

/// Who holds a job's lease, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job: String,
    pub holder: String,
    pub leased_until: DateTime<Utc>,
}

/// Every lease row, by job name (expired ones too, until their job is taken again).
pub async fn all(c: &impl ConnectionTrait) -> Result<Vec<Lease>, StoreError> {
    let rows = jl::Entity::find().order_by_asc(jl::Column::Name).all(c).await?;
    Ok(rows.into_iter().map(|r| Lease { job: r.name, holder: r.holder, leased_until: r.leased_until }).collect())
}

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
