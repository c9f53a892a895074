//! 会员级别设置: levels with a value (higher is better), the upgrade points that reach them, a
//! points multiplier and benefits; the level with the lowest value is the entry level.

use crate::codes::Code;
use crate::platform::audit;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::ids::LevelId;
use crm_domain::membership::{LevelPatch, LevelSpec, Multiplier};
use crm_store::UniqueKey;
use crm_store::membership::levels::{self as store, Level};
use crm_store::platform::config_generation;
use crm_store::{ConnectionTrait, StoreError};
use serde::Serialize;
use serde_json::json;

const NOT_FOUND: AppError = AppError::NotFound { entity: "member_level" };

/// A level.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelView {
    pub id: LevelId,
    pub name: String,
    /// Higher is better; unique in the tenant.
    pub level_value: i32,
    /// Upgrade points at which a member reaches this level automatically.
    pub upgrade_points: i64,
    /// Two decimal places (`"1.50"`).
    pub points_multiplier: Multiplier,
    pub benefits: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Level> for LevelView {
    fn from(l: Level) -> Self {
        Self {
            id: l.id,
            name: l.spec.name,
            level_value: l.spec.level_value,
            upgrade_points: l.spec.upgrade_points,
            points_multiplier: l.spec.multiplier,
            benefits: l.spec.benefits,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

impl LevelView {
    pub fn etag(&self) -> String {
        etag::of(self.updated_at)
    }
}

fn audit_json(s: &LevelSpec) -> serde_json::Value {
    json!({
        "name": s.name, "level_value": s.level_value, "upgrade_points": s.upgrade_points,
        "points_multiplier": s.multiplier.to_string(), "benefits": s.benefits,
    })
}

fn taken(e: StoreError) -> AppError {
    // PostgreSQL names the index; SQLite names the columns.
    if e.is_conflict_on(UniqueKey::LevelValue) {
        AppError::Conflict { code: Code::MemberLevelValueTaken, field: Some("/level_value".to_owned()) }
    } else if e.is_conflict_on(UniqueKey::LevelName) {
        AppError::Conflict { code: Code::MemberLevelNameTaken, field: Some("/name".to_owned()) }
    } else {
        e.into()
    }
}

/// The tenant's levels as of the caller's request (its cached snapshot), else read now; lowest
/// `level_value` first.
pub(crate) async fn current(c: &impl ConnectionTrait, who: &Access) -> Result<Vec<Level>, AppError> {
    match &who.tenant {
        Some(t) => Ok(t.levels.clone()),
        None => Ok(store::list(c, who.tenant_id).await?),
    }
}

/// The level a new member starts at: the lowest `level_value`, if any level exists.
pub(crate) async fn entry_level(c: &impl ConnectionTrait, who: &Access) -> Result<Option<Level>, AppError> {
    Ok(current(c, who).await?.into_iter().next())
}

impl App {
    pub async fn create_member_level(&self, who: &Access, spec: LevelSpec) -> Result<LevelView, AppError> {
        who.require("member_levels:write")?;
        let tx = self.store().begin_write().await?;
        let audit = audit_json(&spec);
        // As stored: the database keeps microseconds, and the ETag must match a later GET.
        let level = store::insert(&tx, who.tenant_id, LevelId::new(), spec, Utc::now()).await.map_err(taken)?;
        audit::record(&tx, who, "create", "member_level", level.id.0, audit).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(|e| taken(e.into()))?;
        Ok(level.into())
    }

    /// Every level, lowest first.
    pub async fn list_member_levels(&self, who: &Access) -> Result<Vec<LevelView>, AppError> {
        who.require("members:read")?;
        Ok(store::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn get_member_level(&self, who: &Access, id: LevelId) -> Result<LevelView, AppError> {
        who.require("members:read")?;
        Ok(store::find(self.store().conn(), who.tenant_id, id).await?.ok_or(NOT_FOUND)?.into())
    }

    pub async fn update_member_level(
        &self,
        who: &Access,
        id: LevelId,
        patch: LevelPatch,
        if_match: Option<&str>,
    ) -> Result<LevelView, AppError> {
        who.require("member_levels:write")?;
        let tx = self.store().begin_write().await?;
        // Locked, so of two changes made with one ETag the second sees the first's version.
        let before = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        let mut after = before.spec.clone();
        patch.apply(&mut after);
        if after == before.spec {
            return Ok(before.into());
        }
        let diff = audit::diff(&audit_json(&before.spec), &audit_json(&after));
        let level = store::update(&tx, who.tenant_id, id, after, Utc::now()).await.map_err(taken)?;
        audit::record(&tx, who, "update", "member_level", level.id.0, diff).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(|e| taken(e.into()))?;
        Ok(level.into())
    }

    /// Deletes a level no member holds (409 `member_level.in_use` otherwise).
    pub async fn delete_member_level(&self, who: &Access, id: LevelId) -> Result<(), AppError> {
        who.require("member_levels:write")?;
        let tx = self.store().begin_write().await?;
        // Locked: a member being given the level holds it (`hold`), so the check below and the
        // deletion cannot interleave with an enrollment or level change.
        let level = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        if !store::delete_unused(&tx, who.tenant_id, id).await? {
            return Err(AppError::Conflict { code: Code::MemberLevelInUse, field: None });
        }
        audit::record(&tx, who, "delete", "member_level", id.0, audit_json(&level.spec)).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
