//! Deployment-wide key/value settings.

use crate::StoreError;
use crate::entities::platform_settings as ps;
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

pub async fn get(c: &impl ConnectionTrait, key: &str) -> Result<Option<String>, StoreError> {
    Ok(ps::Entity::find_by_id(key.to_owned()).one(c).await?.map(|m| m.value))
}

/// Stores `value` under `key` unless a value is already there, and returns the value that won.
/// Safe when several instances start at once: the first insert wins, the others read it.
pub async fn get_or_insert(c: &impl ConnectionTrait, key: &str, value: &str) -> Result<String, StoreError> {
    let row = ps::ActiveModel { key: Set(key.to_owned()), value: Set(value.to_owned()), created_at: Set(Utc::now()) };
    ps::Entity::insert(row).on_conflict_do_nothing_on([ps::Column::Key]).exec_without_returning(c).await?;
    get(c, key).await?.ok_or_else(|| StoreError::Config(format!("setting {key} vanished")))
}
