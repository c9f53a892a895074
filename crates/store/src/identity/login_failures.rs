//! Failed sign-in counters keyed by user or by client address; shared by every node.

use crate::StoreError;
use crate::entities::login_failures as lf;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QuerySelect};

/// When `key` is locked until, if it was ever locked (the lock may have ended already).
pub async fn locked_until(c: &impl ConnectionTrait, key: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(lf::Entity::find_by_id(key.to_owned()).one(c).await?.and_then(|r| r.locked_until))
}

/// Counts one failure within a window of `window`; at `threshold` failures the key is locked for
/// `lock_for`. Returns the lock end when locked. Call inside a write transaction: the row is
/// created if missing and locked before it is read, so concurrent failures each count.
pub async fn record_failure(
    c: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
    window: Duration,
    threshold: i32,
    lock_for: Duration,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let seed = lf::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(0),
        window_started_at: Set(now),
        locked_until: Set(None),
    };
    lf::Entity::insert(seed).on_conflict_do_nothing_on([lf::Column::Key]).exec_without_returning(c).await?;
    let r = lf::Entity::find_by_id(key.to_owned())
        .lock_exclusive()
        .one(c)
        .await?
        .ok_or_else(|| StoreError::Config("login failure row vanished".to_owned()))?;
    let (failures, started) = if r.window_started_at + window > now && r.locked_until.is_none_or(|l| l > now) {
        (r.failures + 1, r.window_started_at)
    } else {
        (1, now)
    };
    let locked_until = (failures >= threshold).then_some(now + lock_for);
    let mut am: lf::ActiveModel = r.into();
    am.failures = Set(failures);
    am.window_started_at = Set(started);
    am.locked_until = Set(locked_until);
    am.update(c).await?;
    Ok(locked_until)
}

pub async fn clear(c: &impl ConnectionTrait, key: &str) -> Result<(), StoreError> {
    lf::Entity::delete_by_id(key.to_owned()).exec(c).await?;
    Ok(())
}
