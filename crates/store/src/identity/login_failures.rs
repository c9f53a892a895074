//! Failed sign-in counters keyed by user or by client address; shared by every node.

use crate::StoreError;
use crate::entities::login_failures as lf;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

pub use lf::Model as LoginFailureRow;

pub async fn get(c: &impl ConnectionTrait, key: &str) -> Result<Option<LoginFailureRow>, StoreError> {
    Ok(lf::Entity::find_by_id(key.to_owned()).one(c).await?)
}

/// Counts one failure within a window of `window`; at `threshold` failures the key is locked for
/// `lock_for`. Returns the lock end when locked. Call inside a write transaction.
pub async fn record_failure(
    c: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
    window: Duration,
    threshold: i32,
    lock_for: Duration,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let existing = get(c, key).await?;
    let (failures, started) = match &existing {
        Some(r) if r.window_started_at + window > now && r.locked_until.is_none_or(|l| l > now) => {
            (r.failures + 1, r.window_started_at)
        }
        _ => (1, now),
    };
    let locked_until = (failures >= threshold).then_some(now + lock_for);
    match existing {
        Some(r) => {
            let mut am: lf::ActiveModel = r.into();
            am.failures = Set(failures);
            am.window_started_at = Set(started);
            am.locked_until = Set(locked_until);
            am.update(c).await?;
        }
        None => {
            let am = lf::ActiveModel {
                key: Set(key.to_owned()),
                failures: Set(failures),
                window_started_at: Set(started),
                locked_until: Set(locked_until),
            };
            lf::Entity::insert(am).exec_without_returning(c).await?;
        }
    }
    Ok(locked_until)
}

pub async fn clear(c: &impl ConnectionTrait, key: &str) -> Result<(), StoreError> {
    lf::Entity::delete_by_id(key.to_owned()).exec(c).await?;
    Ok(())
}
