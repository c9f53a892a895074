//! 会员级别设置: levels with a value (higher is better), the upgrade points that reach them, a
//! points multiplier and benefits; the level with the lowest value is the entry level.

use crate::platform::audit;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::customers::customer::parse_text;
use crm_domain::identity::org::parse_name_within;
use crm_domain::membership::Multiplier;
use crm_domain::membership::level::{parse_level_value, parse_upgrade_points};
use crm_domain::{FieldError, FieldErrors};
use crm_store::UniqueKey;
use crm_store::membership::levels::{self as store, LevelRow};
use crm_store::{ConnectionTrait, StoreError};
use serde_json::json;
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: "member_level" };

/// A level as the API shows it.
#[derive(Debug, Clone)]
pub struct LevelView {
    pub id: Uuid,
    pub name: String,
    pub level_value: i32,
    pub upgrade_points: i64,
    pub points_multiplier: Multiplier,
    pub benefits: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<LevelRow> for LevelView {
    fn from(r: LevelRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            level_value: r.level_value,
            upgrade_points: r.upgrade_points,
            points_multiplier: Multiplier::from_hundredths(r.multiplier_pct),
            benefits: r.benefits,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl LevelView {
    pub fn etag(&self) -> String {
        etag::of(self.updated_at)
    }
}

/// A new level or a change: absent fields stay (on create, the defaults), `benefits: Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct LevelInput {
    pub name: Option<String>,
    pub level_value: Option<i64>,
    pub upgrade_points: Option<i64>,
    /// A decimal string (`"1.5"`).
    pub points_multiplier: Option<String>,
    pub benefits: Option<Option<String>>,
}

fn apply(row: &mut LevelRow, input: &LevelInput) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::default();
    if let Some(n) = &input.name
        && let Some(n) = errs.check(parse_name_within("/name", n, crm_domain::limits::MEMBER_LEVEL_NAME))
    {
        row.name = n;
    }
    if let Some(v) = input.level_value
        && let Some(v) = errs.check(parse_level_value("/level_value", v))
    {
        row.level_value = v;
    }
    if let Some(v) = input.upgrade_points
        && let Some(v) = errs.check(parse_upgrade_points("/upgrade_points", v))
    {
        row.upgrade_points = v;
    }
    if let Some(m) = &input.points_multiplier
        && let Some(m) = errs.check(Multiplier::parse("/points_multiplier", m))
    {
        row.multiplier_pct = m.hundredths();
    }
    if let Some(b) = &input.benefits
        && let Some(b) = errs.check(parse_text("/benefits", b.as_deref(), 2000))
    {
        row.benefits = b;
    }
    errs.into_result()
}

fn audit_json(r: &LevelRow) -> serde_json::Value {
    json!({
        "name": r.name, "level_value": r.level_value, "upgrade_points": r.upgrade_points,
        "points_multiplier": Multiplier::from_hundredths(r.multiplier_pct).to_string(), "benefits": r.benefits,
    })
}

fn taken(e: StoreError) -> AppError {
    // PostgreSQL names the index; SQLite names the columns.
    if e.is_conflict_on(UniqueKey::LevelValue) {
        AppError::Conflict { code: "member_level.value_taken", field: Some("/level_value".to_owned()) }
    } else if e.is_conflict_on(UniqueKey::LevelName) {
        AppError::Conflict { code: "member_level.name_taken", field: Some("/name".to_owned()) }
    } else {
        e.into()
    }
}

/// The level a new member starts at: the lowest `level_value`, if any level exists.
pub(crate) async fn entry_level(
    c: &impl ConnectionTrait,
    tenant: crm_domain::ids::TenantId,
) -> Result<Option<LevelRow>, AppError> {
    Ok(store::list(c, tenant).await?.into_iter().next())
}

impl App {
    pub async fn create_member_level(&self, who: &Access, input: LevelInput) -> Result<LevelView, AppError> {
        who.require("member_levels:write")?;
        let now = Utc::now();
        let mut row = LevelRow {
            tenant_id: who.tenant_id.0,
            id: Uuid::now_v7(),
            name: String::new(),
            level_value: 0,
            upgrade_points: 0,
            multiplier_pct: Multiplier::ONE.hundredths(),
            benefits: None,
            created_at: now,
            updated_at: now,
        };
        let mut errs = FieldErrors::default();
        if input.name.is_none() {
            errs.push(FieldError::new("/name", "required"));
        }
        if input.level_value.is_none() {
            errs.push(FieldError::new("/level_value", "required"));
        }
        if let Err(e) = apply(&mut row, &input) {
            errs.0.extend(e.0);
        }
        errs.into_result()?;
        let tx = self.store().begin_write().await?;
        store::insert(&tx, &row).await.map_err(taken)?;
        audit::record(&tx, who, "create", "member_level", row.id, audit_json(&row)).await?;
        // Read back as stored: the database keeps microseconds, and the ETag must match a later GET.
        let row = store::find(&tx, who.tenant_id, row.id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await.map_err(|e| taken(e.into()))?;
        Ok(row.into())
    }

    /// Every level, lowest first.
    pub async fn list_member_levels(&self, who: &Access) -> Result<Vec<LevelView>, AppError> {
        who.require("members:read")?;
        Ok(store::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn get_member_level(&self, who: &Access, id: Uuid) -> Result<LevelView, AppError> {
        who.require("members:read")?;
        Ok(store::find(self.store().conn(), who.tenant_id, id).await?.ok_or(NOT_FOUND)?.into())
    }

    pub async fn update_member_level(
        &self,
        who: &Access,
        id: Uuid,
        input: LevelInput,
        if_match: Option<&str>,
    ) -> Result<LevelView, AppError> {
        who.require("member_levels:write")?;
        let tx = self.store().begin_write().await?;
        // Locked, so of two changes made with one ETag the second sees the first's version.
        let before = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        let mut after = before.clone();
        apply(&mut after, &input)?;
        if after == before {
            return Ok(before.into());
        }
        after.updated_at = Utc::now();
        let diff = audit::diff(&audit_json(&before), &audit_json(&after));
        let row = store::update(&tx, before, after).await.map_err(taken)?;
        audit::record(&tx, who, "update", "member_level", row.id, diff).await?;
        tx.commit().await.map_err(|e| taken(e.into()))?;
        Ok(row.into())
    }

    /// Deletes a level no member holds (409 `member_level.in_use` otherwise).
    pub async fn delete_member_level(&self, who: &Access, id: Uuid) -> Result<(), AppError> {
        who.require("member_levels:write")?;
        let tx = self.store().begin_write().await?;
        // Locked: a member being given the level holds it (`hold`), so the check below and the
        // deletion cannot interleave with an enrollment or level change.
        let row = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        if !store::delete_unused(&tx, who.tenant_id, id).await? {
            return Err(AppError::Conflict { code: "member_level.in_use", field: None });
        }
        audit::record(&tx, who, "delete", "member_level", id, audit_json(&row)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
