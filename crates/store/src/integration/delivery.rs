//! The outbox's delivery side, for the dispatcher in `crm-integrations`: claim due messages under
//! a lease, then mark each delivered, due again later, or parked; parked messages are read and
//! shown to operators.
//!
//! A claim moves a message's `next_attempt_at` to the end of the lease and counts an attempt, in
//! one statement: on PostgreSQL the due rows are picked `FOR UPDATE SKIP LOCKED`, so concurrent
//! claimers (any number of instances) take different messages without waiting on each other; on
//! SQLite writers are serialized and the statement's condition does the same. A claimer that dies
//! leaves the message to be claimed again when its lease ends. The outcome of an attempt is
//! written only while the message is still that attempt's ([`ClaimKey`]), so a claimer whose
//! lease ran out cannot overwrite what the next claimer did.

use super::outbox::{OutboxFilter, OutboxMessage, messages, page};
use crate::StoreError;
use crate::entities::outbox_events as ob;
use chrono::{DateTime, Duration, Utc};
use crm_domain::ids::{EventId, TenantId};
use crm_domain::integration::OutboxStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

/// The longest `last_error` kept, in characters.
pub const MAX_ERROR_CHARS: usize = 2000;

/// Which attempt of which message an outcome is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimKey {
    pub tenant_id: TenantId,
    pub id: EventId,
    pub attempt: i32,
}

impl OutboxMessage {
    /// The key of the attempt this (claimed) message is in.
    pub fn claim_key(&self) -> ClaimKey {
        ClaimKey { tenant_id: self.tenant_id, id: self.id, attempt: self.attempts }
    }
}

/// Claims up to `limit` pending messages due at `now`, across tenants, oldest due first: each is
/// leased until `now + lease` (nobody else claims it before then) and its `attempts` counts this
/// attempt. Returns them in id order (the order they were written).
pub async fn claim(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
    lease: Duration,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let backend = c.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        // MATERIALIZED: the locked pick runs once, whatever the planner would inline.
        "WITH due AS MATERIALIZED (\
           SELECT tenant_id, id FROM outbox_events WHERE status = $1 AND next_attempt_at <= $2 \
           ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
         UPDATE outbox_events o SET next_attempt_at = $4, attempts = o.attempts + 1 \
         FROM due WHERE o.tenant_id = due.tenant_id AND o.id = due.id RETURNING o.*"
    } else {
        "UPDATE outbox_events SET next_attempt_at = $4, attempts = attempts + 1 \
         WHERE (tenant_id, id) IN (\
           SELECT tenant_id, id FROM outbox_events WHERE status = $1 AND next_attempt_at <= $2 \
           ORDER BY next_attempt_at, id LIMIT $3) \
         AND status = $1 AND next_attempt_at <= $2 RETURNING *"
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [OutboxStatus::Pending.as_str().into(), now.into(), limit.into(), (now + lease).into()],
    );
    let mut claimed = messages(ob::Entity::find().from_raw_sql(stmt).all(c).await?)?;
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

fn this_attempt(k: ClaimKey) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(ob::Column::TenantId.eq(k.tenant_id.0))
        .add(ob::Column::Id.eq(k.id.0))
        .add(ob::Column::Attempts.eq(k.attempt))
        .add(ob::Column::Status.eq(OutboxStatus::Pending.as_str()))
}

fn clip(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

/// The attempt succeeded: the message is delivered and never claimed again. `false` when the
/// message is no longer in this attempt (its lease ran out and another claimer took it).
pub async fn mark_delivered(c: &impl ConnectionTrait, k: ClaimKey, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let res = ob::Entity::update_many()
        .col_expr(ob::Column::Status, Expr::value(OutboxStatus::Delivered.as_str()))
        .col_expr(ob::Column::DeliveredAt, Expr::value(Some(now)))
        .col_expr(ob::Column::LastError, Expr::value(Option::<String>::None))
        .filter(this_attempt(k))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The attempt failed and may be retried: due again at `next_at`, with the error kept for
/// operators. `false` as for [`mark_delivered`].
pub async fn retry_later(
    c: &impl ConnectionTrait,
    k: ClaimKey,
    next_at: DateTime<Utc>,
    error: &str,
) -> Result<bool, StoreError> {
    let res = ob::Entity::update_many()
        .col_expr(ob::Column::NextAttemptAt, Expr::value(next_at))
        .col_expr(ob::Column::LastError, Expr::value(Some(clip(error))))
        .filter(this_attempt(k))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The attempt failed for the last time (or cannot succeed): the message is parked, never claimed
/// again (replaying it is the dispatcher's to design). `false` as for [`mark_delivered`].
pub async fn park(c: &impl ConnectionTrait, k: ClaimKey, error: &str) -> Result<bool, StoreError> {
    let res = ob::Entity::update_many()
        .col_expr(ob::Column::Status, Expr::value(OutboxStatus::Parked.as_str()))
        .col_expr(ob::Column::LastError, Expr::value(Some(clip(error))))
        .filter(this_attempt(k))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The tenant's parked messages, newest first; `before` is the id of the last one of the
/// previous page.
pub async fn parked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    page(c, tenant, &OutboxFilter { status: Some(OutboxStatus::Parked), ..OutboxFilter::default() }, before, limit)
        .await
}
