//! 积分方案: create, change, read and list points plans. Periods never overlap: a create or a
//! period change checks under a tenant-wide key lock (`platform::key_locks`), so two concurrent
//! plans cannot both pass the check on PostgreSQL. A plan's period is fixed once it has entries.

use crate::codes::Code;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::ids::PointsPlanId;
use crm_domain::loyalty::plan::{CarryOverRule, EffectiveWhen, ItemCategory, PlanSpec, PointItem, RewardKind};
use crm_domain::loyalty::{Money, Points};
use crm_store::loyalty::plans::{self as store, Plan};
use crm_store::platform::key_locks;
use crm_store::{ConnectionTrait, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

pub(crate) const NOT_FOUND: AppError = AppError::NotFound { entity: "points_plan" };

/// A point item as callers see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointItemView {
    pub category: ItemCategory,
    /// Reward points per unit (per `amount_per_point` of a purchase, else per occasion).
    pub reward_points: Points,
    /// Upgrade points per unit.
    pub upgrade_points: Points,
    /// Purchase items: the amount that earns one unit (rounded down).
    pub amount_per_point: Option<Money>,
    /// Purchase items: when the pending points turn available.
    pub effective_when: Option<EffectiveWhen>,
}

/// The carry-over rule.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CarryOverRuleView {
    /// Members with fewer available reward points in the plan are not carried over.
    pub min_points: Points,
    pub reward_kind: RewardKind,
}

/// A points plan.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanView {
    pub id: PointsPlanId,
    pub name: String,
    /// First day of the period, in the tenant's time zone.
    pub starts_on: NaiveDate,
    /// Last day of the period (inclusive).
    pub ends_on: NaiveDate,
    /// Money per reward point when carried over into cash.
    pub point_value: Money,
    pub currency: &'static str,
    pub items: Vec<PointItemView>,
    pub carry_over: CarryOverRuleView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Plan> for PlanView {
    fn from(p: Plan) -> Self {
        Self {
            id: p.id,
            name: p.spec.name,
            starts_on: p.spec.starts_on,
            ends_on: p.spec.ends_on,
            point_value: p.spec.point_value,
            currency: "CNY",
            items: p
                .spec
                .items
                .into_iter()
                .map(|i| PointItemView {
                    category: i.category,
                    reward_points: i.reward_points,
                    upgrade_points: i.upgrade_points,
                    amount_per_point: i.amount_per_point,
                    effective_when: i.effective_when,
                })
                .collect(),
            carry_over: CarryOverRuleView {
                min_points: p.spec.carry_over.min_points,
                reward_kind: p.spec.carry_over.reward_kind,
            },
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A change of a plan: absent parts stay; `items` replaces the whole list.
#[derive(Debug, Clone, Default)]
pub struct PlanPatch {
    pub name: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub point_value: Option<Money>,
    pub items: Option<Vec<PointItem>>,
    pub carry_over: Option<CarryOverRule>,
}

fn audit_json(s: &PlanSpec) -> Value {
    json!({
        "name": s.name, "starts_on": s.starts_on, "ends_on": s.ends_on, "point_value": s.point_value,
        "items": s.items.iter().map(|i| json!({
            "category": i.category, "reward_points": i.reward_points, "upgrade_points": i.upgrade_points,
            "amount_per_point": i.amount_per_point, "effective_when": i.effective_when,
        })).collect::<Vec<_>>(),
        "carry_over": {"min_points": s.carry_over.min_points, "reward_kind": s.carry_over.reward_kind},
    })
}

/// Refuses a period that shares a day with another plan (the caller holds the periods' lock).
async fn check_free(
    c: &impl ConnectionTrait,
    who: &Access,
    s: &PlanSpec,
    except: Option<PointsPlanId>,
) -> Result<(), AppError> {
    if store::overlapping(c, who.tenant_id, s.starts_on, s.ends_on, except).await?.is_some() {
        return Err(AppError::Conflict { code: Code::PointsPlanOverlaps, field: Some("/starts_on".to_owned()) });
    }
    Ok(())
}

/// The lock every check of plan periods runs under.
async fn lock_periods(c: &impl ConnectionTrait, who: &Access) -> Result<(), AppError> {
    key_locks::lock(c, "points_plans", who.tenant_id, &["periods"]).await?;
    Ok(())
}

impl App {
    pub async fn create_points_plan(&self, who: &Access, spec: PlanSpec) -> Result<PlanView, AppError> {
        who.require("points_plans:write")?;
        spec.validate()?;
        let tx = self.store().begin_write().await?;
        lock_periods(&tx, who).await?;
        check_free(&tx, who, &spec, None).await?;
        let plan = store::insert(&tx, who.tenant_id, PointsPlanId::new(), &spec, who.actor.id(), Utc::now()).await?;
        audit::record(&tx, who, "create", "points_plan", plan.id.0, audit_json(&plan.spec)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(plan.into())
    }

    pub async fn update_points_plan(
        &self,
        who: &Access,
        id: PointsPlanId,
        patch: PlanPatch,
    ) -> Result<PlanView, AppError> {
        who.require("points_plans:write")?;
        let tx = self.store().begin_write().await?;
        lock_periods(&tx, who).await?;
        let before = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let mut spec = before.spec.clone();
        if let Some(n) = patch.name {
            spec.name = n;
        }
        if let Some(d) = patch.starts_on {
            spec.starts_on = d;
        }
        if let Some(d) = patch.ends_on {
            spec.ends_on = d;
        }
        if let Some(v) = patch.point_value {
            spec.point_value = v;
        }
        if let Some(i) = patch.items {
            spec.items = i;
        }
        if let Some(r) = patch.carry_over {
            spec.carry_over = r;
        }
        spec.validate()?;
        let period_moved = (spec.starts_on, spec.ends_on) != (before.spec.starts_on, before.spec.ends_on);
        if period_moved {
            if crm_store::loyalty::ledger::plan_has_entries(&tx, who.tenant_id, id).await? {
                return Err(AppError::Conflict {
                    code: Code::PointsPlanPeriodLocked,
                    field: Some("/starts_on".to_owned()),
                });
            }
            check_free(&tx, who, &spec, Some(id)).await?;
        }
        let plan = store::update(&tx, who.tenant_id, id, &spec, Utc::now()).await?;
        let diff = audit::diff(&audit_json(&before.spec), &audit_json(&plan.spec));
        audit::record(&tx, who, "update", "points_plan", id.0, diff).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(plan.into())
    }

    pub async fn get_points_plan(&self, who: &Access, id: PointsPlanId) -> Result<PlanView, AppError> {
        who.require("points:read")?;
        Ok(store::find(self.store().conn(), who.tenant_id, id).await?.ok_or(NOT_FOUND)?.into())
    }

    /// Every plan, by period.
    pub async fn list_points_plans(&self, who: &Access) -> Result<Vec<PlanView>, AppError> {
        who.require("points:read")?;
        Ok(store::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect())
    }
}
