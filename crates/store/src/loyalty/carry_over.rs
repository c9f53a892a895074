//! Carry-over runs and the rewards they make. A plan has at most one run that is not reversed
//! (a partial unique index), so starting a run twice finds the first. A run goes through the
//! plan's reward balances in member order, a batch per transaction, keeping its cursor and totals
//! on its row; whoever holds its lease (`claim`) advances it, so a stalled run is resumed by the
//! next claimer and never by two at once.

use crate::StoreError;
use crate::entities::{carry_over_runs as cr, rewards as rw};
use crate::membership::members;
use crate::scope::ScopeFilter;
use crate::stored::{Insertion, parse_stored};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::ids::{CarryOverRunId, MemberId, PointsPlanId, RewardId, TenantId};
use crm_domain::loyalty::carry_over::{RewardStatus, RunStatus};
use crm_domain::loyalty::plan::RewardKind;
use crm_domain::loyalty::{Money, Points};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: CarryOverRunId,
    pub plan_id: PointsPlanId,
    pub status: RunStatus,
    /// The last member done; the next batch starts after it.
    pub cursor: Option<MemberId>,
    pub members: i64,
    pub points: Points,
    pub value: Money,
    pub lease_until: Option<DateTime<Utc>>,
    pub started_by: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub reversed_at: Option<DateTime<Utc>>,
}

impl TryFrom<cr::Model> for Run {
    type Error = StoreError;

    fn try_from(m: cr::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: CarryOverRunId(m.id),
            plan_id: PointsPlanId(m.plan_id),
            status: parse_stored("status", &m.status, RunStatus::parse)?,
            cursor: m.cursor.map(MemberId),
            members: m.members,
            points: Points::new(m.points),
            value: Money::from_fen(m.value_fen),
            lease_until: m.lease_until,
            started_by: m.started_by,
            started_at: m.started_at,
            finished_at: m.finished_at,
            reversed_at: m.reversed_at,
        })
    }
}

fn one(m: Option<cr::Model>) -> Result<Option<Run>, StoreError> {
    m.map(Run::try_from).transpose()
}

fn run_row(tenant: TenantId, r: &Run) -> cr::ActiveModel {
    cr::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(r.id.0),
        plan_id: Set(r.plan_id.0),
        status: Set(r.status.as_str().to_owned()),
        cursor: Set(r.cursor.map(|m| m.0)),
        members: Set(r.members),
        points: Set(r.points.get()),
        value_fen: Set(r.value.fen()),
        lease_until: Set(r.lease_until),
        started_by: Set(r.started_by),
        started_at: Set(r.started_at),
        finished_at: Set(r.finished_at),
        reversed_at: Set(r.reversed_at),
    }
}

/// Inserts a run unless the plan has one that is not reversed (then `AlreadyThere`, decided by
/// the partial unique index; on PostgreSQL the transaction is then aborted: the caller drops it).
pub async fn insert_run(c: &impl ConnectionTrait, tenant: TenantId, r: &Run) -> Result<Insertion<()>, StoreError> {
    match cr::Entity::insert(run_row(tenant, r)).exec_without_returning(c).await.map_err(StoreError::from) {
        Ok(_) => Ok(Insertion::Inserted(())),
        Err(e) if e.is_conflict_on(crate::UniqueKey::CarryOverRunOfPlan) => Ok(Insertion::AlreadyThere),
        Err(e) => Err(e),
    }
}

/// Writes the run's progress, totals and state.
pub async fn update_run(c: &impl ConnectionTrait, tenant: TenantId, r: &Run) -> Result<Run, StoreError> {
    let mut am = run_row(tenant, r);
    am.tenant_id = Unchanged(tenant.0);
    am.id = Unchanged(r.id.0);
    am.update(c).await?.try_into()
}

pub async fn find_run(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: CarryOverRunId,
) -> Result<Option<Run>, StoreError> {
    one(cr::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// One run, locked until the transaction ends.
pub async fn lock_run(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: CarryOverRunId,
) -> Result<Option<Run>, StoreError> {
    one(cr::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?)
}

/// The plan's run that is not reversed, if any.
pub async fn current_run_of_plan(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    plan: PointsPlanId,
) -> Result<Option<Run>, StoreError> {
    one(cr::Entity::find()
        .filter(cr::Column::TenantId.eq(tenant.0))
        .filter(cr::Column::PlanId.eq(plan.0))
        .filter(cr::Column::Status.ne(RunStatus::Reversed.as_str()))
        .one(c)
        .await?)
}

/// The plan's runs, newest first.
pub async fn runs_of_plan(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    plan: PointsPlanId,
) -> Result<Vec<Run>, StoreError> {
    cr::Entity::find()
        .filter(cr::Column::TenantId.eq(tenant.0))
        .filter(cr::Column::PlanId.eq(plan.0))
        .order_by_desc(cr::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(Run::try_from)
        .collect()
}

/// Takes the lease of a running run until `until`, if nobody holds it (`now` is past its lease):
/// one conditional `UPDATE`, so of two claimers one wins.
pub async fn claim(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: CarryOverRunId,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = cr::Entity::update_many()
        .col_expr(cr::Column::LeaseUntil, Expr::value(until))
        .filter(cr::Column::TenantId.eq(tenant.0))
        .filter(cr::Column::Id.eq(id.0))
        .filter(cr::Column::Status.eq(RunStatus::Running.as_str()))
        .filter(Condition::any().add(cr::Column::LeaseUntil.is_null()).add(cr::Column::LeaseUntil.lt(now)))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Running runs nobody holds (their lease ran out: the process advancing them stopped), across
/// tenants.
pub async fn stalled(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<(TenantId, CarryOverRunId)>, StoreError> {
    Ok(cr::Entity::find()
        .filter(cr::Column::Status.eq(RunStatus::Running.as_str()))
        .filter(Condition::any().add(cr::Column::LeaseUntil.is_null()).add(cr::Column::LeaseUntil.lt(now)))
        .all(c)
        .await?
        .into_iter()
        .map(|m| (TenantId(m.tenant_id), CarryOverRunId(m.id)))
        .collect())
}

/// A reward as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reward {
    pub id: RewardId,
    pub run_id: CarryOverRunId,
    pub member_id: MemberId,
    pub plan_id: PointsPlanId,
    pub points: Points,
    pub value: Money,
    pub kind: RewardKind,
    pub status: RewardStatus,
    pub note: Option<String>,
    pub redeemed_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<rw::Model> for Reward {
    type Error = StoreError;

    fn try_from(m: rw::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: RewardId(m.id),
            run_id: CarryOverRunId(m.run_id),
            member_id: MemberId(m.member_id),
            plan_id: PointsPlanId(m.plan_id),
            points: Points::new(m.points),
            value: Money::from_fen(m.value_fen),
            kind: parse_stored("kind", &m.kind, RewardKind::parse)?,
            status: parse_stored("status", &m.status, RewardStatus::parse)?,
            note: m.note,
            redeemed_on: m.redeemed_on,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn reward_row(tenant: TenantId, r: &Reward) -> rw::ActiveModel {
    rw::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(r.id.0),
        run_id: Set(r.run_id.0),
        member_id: Set(r.member_id.0),
        plan_id: Set(r.plan_id.0),
        points: Set(r.points.get()),
        value_fen: Set(r.value.fen()),
        kind: Set(r.kind.as_str().to_owned()),
        status: Set(r.status.as_str().to_owned()),
        note: Set(r.note.clone()),
        redeemed_on: Set(r.redeemed_on),
        created_at: Set(r.created_at),
        updated_at: Set(r.updated_at),
    }
}

/// Inserts rewards (a member's second reward of one run is a conflict on
/// `UniqueKey::RewardOfRunMember`).
pub async fn insert_rewards(c: &impl ConnectionTrait, tenant: TenantId, rewards: &[Reward]) -> Result<(), StoreError> {
    for chunk in rewards.chunks(crate::rows_per_statement(13)) {
        rw::Entity::insert_many(chunk.iter().map(|r| reward_row(tenant, r))).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Writes a reward's editable fields and state.
pub async fn update_reward(c: &impl ConnectionTrait, tenant: TenantId, r: &Reward) -> Result<Reward, StoreError> {
    let mut am = reward_row(tenant, r);
    am.tenant_id = Unchanged(tenant.0);
    am.id = Unchanged(r.id.0);
    am.update(c).await?.try_into()
}

pub async fn find_reward(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: RewardId,
) -> Result<Option<Reward>, StoreError> {
    rw::Entity::find_by_id((tenant.0, id.0)).one(c).await?.map(Reward::try_from).transpose()
}

/// One reward, locked until the transaction ends.
pub async fn lock_reward(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: RewardId,
) -> Result<Option<Reward>, StoreError> {
    rw::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?.map(Reward::try_from).transpose()
}

/// Filters of the reward list.
#[derive(Debug, Clone, Copy, Default)]
pub struct RewardFilter {
    pub run_id: Option<CarryOverRunId>,
    pub member_id: Option<MemberId>,
    pub plan_id: Option<PointsPlanId>,
    pub status: Option<RewardStatus>,
}

/// Rewards, newest first, after the cursor reward `before`.
pub async fn rewards_page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    f: RewardFilter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Reward>, StoreError> {
    let mut q = rw::Entity::find().filter(rw::Column::TenantId.eq(tenant.0));
    if let Some(r) = f.run_id {
        q = q.filter(rw::Column::RunId.eq(r.0));
    }
    if let Some(m) = f.member_id {
        q = q.filter(rw::Column::MemberId.eq(m.0));
    }
    if let Some(p) = f.plan_id {
        q = q.filter(rw::Column::PlanId.eq(p.0));
    }
    if let Some(s) = f.status {
        q = q.filter(rw::Column::Status.eq(s.as_str()));
    }
    if !matches!(scope, ScopeFilter::All) {
        q = q.filter(rw::Column::MemberId.in_subquery(members::ids_in_scope(tenant, scope)));
    }
    if let Some(b) = before {
        q = q.filter(rw::Column::Id.lt(b));
    }
    q.order_by_desc(rw::Column::Id).limit(limit).all(c).await?.into_iter().map(Reward::try_from).collect()
}

/// The run's issued rewards (of `members` only, when given), in member order after `after`,
/// locked until the transaction ends: a reversal batch.
pub async fn issued_of_run(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    run: CarryOverRunId,
    members: Option<&[MemberId]>,
    after: Option<MemberId>,
    limit: u64,
) -> Result<Vec<Reward>, StoreError> {
    let mut q = rw::Entity::find()
        .filter(rw::Column::TenantId.eq(tenant.0))
        .filter(rw::Column::RunId.eq(run.0))
        .filter(rw::Column::Status.eq(RewardStatus::Issued.as_str()));
    if let Some(ms) = members {
        q = q.filter(rw::Column::MemberId.is_in(ms.iter().map(|m| m.0)));
    }
    if let Some(a) = after {
        q = q.filter(rw::Column::MemberId.gt(a.0));
    }
    q.order_by_asc(rw::Column::MemberId)
        .limit(limit)
        .lock_exclusive()
        .all(c)
        .await?
        .into_iter()
        .map(Reward::try_from)
        .collect()
}

/// Marks rewards cancelled (the caller holds their locks and reverses their points).
pub async fn cancel_rewards(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[RewardId],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(crate::MULTI_ROW_CHUNK) {
        rw::Entity::update_many()
            .col_expr(rw::Column::Status, Expr::value(RewardStatus::Cancelled.as_str()))
            .col_expr(rw::Column::UpdatedAt, Expr::value(at))
            .filter(rw::Column::TenantId.eq(tenant.0))
            .filter(rw::Column::Id.is_in(chunk.iter().map(|r| r.0)))
            .exec(c)
            .await?;
    }
    Ok(())
}

/// Whether the run has rewards that are not cancelled (redeemed ones stay after a reversal).
pub async fn has_live_rewards(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    run: CarryOverRunId,
) -> Result<bool, StoreError> {
    Ok(rw::Entity::find()
        .filter(rw::Column::TenantId.eq(tenant.0))
        .filter(rw::Column::RunId.eq(run.0))
        .filter(rw::Column::Status.ne(RewardStatus::Cancelled.as_str()))
        .one(c)
        .await?
        .is_some())
}
