//! Points plans: insert, change, find, lock, list by period, and the plan covering a business
//! date. Items are stored as a JSON array on the plan row (they are read and written with it).

use crate::StoreError;
use crate::entities::points_plans as pp;
use crate::stored::{parse_stored, unreadable};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::ids::{PointsPlanId, TenantId};
use crm_domain::loyalty::plan::{CarryOverRule, EffectiveWhen, ItemCategory, PlanSpec, PointItem, RewardKind};
use crm_domain::loyalty::{Money, Points};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A plan as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: PointsPlanId,
    pub spec: PlanSpec,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An item as its JSON is stored (fen and strings, so a reader needs no domain code).
#[derive(Debug, Serialize, Deserialize)]
struct StoredItem {
    category: String,
    reward_points: i64,
    upgrade_points: i64,
    amount_per_point_fen: Option<i64>,
    effective_when: Option<String>,
}

fn items_json(items: &[PointItem]) -> String {
    let stored: Vec<StoredItem> = items
        .iter()
        .map(|i| StoredItem {
            category: i.category.as_str().to_owned(),
            reward_points: i.reward_points.get(),
            upgrade_points: i.upgrade_points.get(),
            amount_per_point_fen: i.amount_per_point.map(Money::fen),
            effective_when: i.effective_when.map(|e| e.as_str().to_owned()),
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_owned())
}

fn items_of(raw: &str) -> Result<Vec<PointItem>, StoreError> {
    let stored: Vec<StoredItem> = serde_json::from_str(raw).map_err(|_| unreadable("items", raw))?;
    stored
        .into_iter()
        .map(|s| {
            Ok(PointItem {
                category: parse_stored("items.category", &s.category, ItemCategory::parse)?,
                reward_points: Points::new(s.reward_points),
                upgrade_points: Points::new(s.upgrade_points),
                amount_per_point: s.amount_per_point_fen.map(Money::from_fen),
                effective_when: s
                    .effective_when
                    .map(|e| parse_stored("items.effective_when", &e, EffectiveWhen::parse))
                    .transpose()?,
            })
        })
        .collect()
}

impl TryFrom<pp::Model> for Plan {
    type Error = StoreError;

    fn try_from(m: pp::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: PointsPlanId(m.id),
            spec: PlanSpec {
                name: m.name,
                starts_on: m.starts_on,
                ends_on: m.ends_on,
                point_value: Money::from_fen(m.point_value_fen),
                items: items_of(&m.items)?,
                carry_over: CarryOverRule {
                    min_points: Points::new(m.min_points),
                    reward_kind: parse_stored("reward_kind", &m.reward_kind, RewardKind::parse)?,
                },
            },
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn one(m: Option<pp::Model>) -> Result<Option<Plan>, StoreError> {
    m.map(Plan::try_from).transpose()
}

fn set_spec(am: &mut pp::ActiveModel, spec: &PlanSpec) {
    am.name = Set(spec.name.clone());
    am.starts_on = Set(spec.starts_on);
    am.ends_on = Set(spec.ends_on);
    am.point_value_fen = Set(spec.point_value.fen());
    am.items = Set(items_json(&spec.items));
    am.min_points = Set(spec.carry_over.min_points.get());
    am.reward_kind = Set(spec.carry_over.reward_kind.as_str().to_owned());
}

pub async fn insert(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: PointsPlanId,
    spec: &PlanSpec,
    created_by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<Plan, StoreError> {
    let mut am = pp::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(id.0),
        created_by: Set(created_by),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    set_spec(&mut am, spec);
    pp::Entity::insert(am).exec_with_returning(c).await?.try_into()
}

pub async fn update(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: PointsPlanId,
    spec: &PlanSpec,
    at: DateTime<Utc>,
) -> Result<Plan, StoreError> {
    let mut am = pp::ActiveModel { tenant_id: Unchanged(tenant.0), id: Unchanged(id.0), ..Default::default() };
    set_spec(&mut am, spec);
    am.updated_at = Set(at);
    am.update(c).await?.try_into()
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: PointsPlanId) -> Result<Option<Plan>, StoreError> {
    one(pp::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// One plan, locked until the transaction ends (`FOR UPDATE` on PostgreSQL).
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: PointsPlanId) -> Result<Option<Plan>, StoreError> {
    one(pp::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?)
}

/// Every plan of the tenant, by period.
pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<Plan>, StoreError> {
    pp::Entity::find()
        .filter(pp::Column::TenantId.eq(tenant.0))
        .order_by_asc(pp::Column::StartsOn)
        .all(c)
        .await?
        .into_iter()
        .map(Plan::try_from)
        .collect()
}

/// A plan other than `except` whose period shares a day with `starts_on..=ends_on`.
pub async fn overlapping(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    except: Option<PointsPlanId>,
) -> Result<Option<Plan>, StoreError> {
    let mut q = pp::Entity::find()
        .filter(pp::Column::TenantId.eq(tenant.0))
        .filter(pp::Column::StartsOn.lte(ends_on))
        .filter(pp::Column::EndsOn.gte(starts_on));
    if let Some(e) = except {
        q = q.filter(pp::Column::Id.ne(e.0));
    }
    one(q.one(c).await?)
}

/// The plan whose period contains `day`, if any.
pub async fn covering(c: &impl ConnectionTrait, tenant: TenantId, day: NaiveDate) -> Result<Option<Plan>, StoreError> {
    one(pp::Entity::find()
        .filter(pp::Column::TenantId.eq(tenant.0))
        .filter(pp::Column::StartsOn.lte(day))
        .filter(pp::Column::EndsOn.gte(day))
        .one(c)
        .await?)
}
