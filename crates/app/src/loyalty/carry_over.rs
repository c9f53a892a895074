//! 积分结转 and 反结转. A dry run previews who would be carried over, with how many points and
//! what value, writing nothing. A run has an id and goes through the plan's reward balances in
//! member order, [`BATCH`] members per transaction: each batch locks its balance rows, debits the
//! points (`carry_over` entries), makes the rewards and their `reward.created` events, and moves
//! the run's cursor and totals, all in one commit; so a run stopped anywhere resumes after its
//! last committed batch (the scheduler resumes runs whose lease ran out), and starting a plan's
//! carry-over again finds its run instead of making another. A reversal (of the whole run or of
//! chosen members) cancels the rewards not yet redeemed and credits their points back
//! (`carry_over_reversal` entries), batch by batch; once every reward of the run is cancelled the
//! run is `reversed`, and the plan may be carried over anew.

use super::ledger::{self, Origin};
use crate::codes::Code;
use crate::integration::events;
use crate::platform::{audit, settings};
use crate::{Access, App, AppError};
use chrono::{DateTime, Duration, Utc};
use crm_domain::ids::{CarryOverRunId, MemberId, PointsPlanId, RewardId};
use crm_domain::integration::events::{DomainEvent, RewardCancelledV1, RewardCreatedV1};
use crm_domain::loyalty::carry_over::{RewardStatus, RunStatus, carry_over, may_carry_over};
use crm_domain::loyalty::ledger::{EntryStatus, Move, SourceType};
use crm_domain::loyalty::{Money, Points, PointsKind, business_date};
use crm_store::loyalty::carry_over::{self as store, Reward, Run};
use crm_store::loyalty::ledger as entries;
use crm_store::loyalty::plans::{self, Plan};
use crm_store::{Insertion, StoreError};
use serde::Serialize;
use serde_json::json;
use std::time::Instant;

/// Members per carry-over or reversal transaction.
pub const BATCH: u64 = 1000;
/// How long a run's holder may go without finishing a batch before another process resumes it.
const LEASE: Duration = Duration::seconds(60);
/// How long a request carries over inline before it answers `202` and the rest continues in the
/// background.
const INLINE: std::time::Duration = std::time::Duration::from_secs(2);
/// Members listed in a dry run's preview (the totals count them all).
const PREVIEW_ITEMS: usize = 1000;

const RUN_NOT_FOUND: AppError = AppError::NotFound { entity: "carry_over_run" };

/// A carry-over run and its progress.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    pub id: CarryOverRunId,
    pub plan_id: PointsPlanId,
    /// `running` (batches still to do), `completed`, `reversed`.
    pub status: RunStatus,
    /// Members carried over so far.
    pub members: i64,
    /// Points carried over so far.
    pub points: Points,
    /// The rewards' value so far.
    pub value: Money,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub reversed_at: Option<DateTime<Utc>>,
}

impl From<Run> for RunView {
    fn from(r: Run) -> Self {
        Self {
            id: r.id,
            plan_id: r.plan_id,
            status: r.status,
            members: r.members,
            points: r.points,
            value: r.value,
            started_at: r.started_at,
            finished_at: r.finished_at,
            reversed_at: r.reversed_at,
        }
    }
}

/// One member in a dry run.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewItem {
    pub member_id: MemberId,
    pub points: Points,
    pub value: Money,
}

/// What a carry-over would do now.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preview {
    pub plan_id: PointsPlanId,
    pub members: i64,
    pub points: Points,
    pub value: Money,
    /// The first members in member order (at most 1000; `truncated` says whether there are more).
    pub items: Vec<PreviewItem>,
    pub truncated: bool,
}

/// What a carry-over request answered: a preview, or the run (and whether it is new).
#[derive(Debug, Clone)]
pub enum CarryOverOutcome {
    Preview(Preview),
    Run { run: RunView, started: bool },
}

/// What a reversal did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reversal {
    pub run: RunView,
    /// Rewards cancelled (their points credited back) by this request.
    pub members_reversed: i64,
    pub points_reversed: Points,
    /// Members asked for whose reward was not reversed: redeemed already, or not in the run.
    pub not_reversed: Vec<NotReversed>,
}

/// A member a reversal left alone, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotReversed {
    pub member_id: MemberId,
    /// `redeemed`, `cancelled` (reversed before) or `not_in_run`.
    pub reason: &'static str,
}

fn plan_not_found() -> AppError {
    AppError::NotFound { entity: "points_plan" }
}

/// An available reward-points move (what carry-over debits and its reversal credits).
fn reward_move(delta: Points) -> Move {
    Move { kind: PointsKind::Reward, status: EntryStatus::Available, delta }
}

fn source_id(run: CarryOverRunId, member: MemberId) -> String {
    format!("{}:{}", run.0, member.0)
}

impl App {
    /// 积分结转 of a plan, or its dry run.
    pub async fn carry_over_plan(
        &self,
        who: &Access,
        plan_id: PointsPlanId,
        dry_run: bool,
    ) -> Result<CarryOverOutcome, AppError> {
        who.require("points_plans:write")?;
        let db = self.store().conn();
        let plan = plans::find(db, who.tenant_id, plan_id).await?.ok_or_else(plan_not_found)?;
        let s = settings::current(db, who).await?;
        if !may_carry_over(plan.spec.ends_on, business_date(Utc::now(), s.tz())) {
            return Err(AppError::Conflict { code: Code::CarryOverPlanNotEnded, field: None });
        }
        if dry_run {
            return Ok(CarryOverOutcome::Preview(self.preview(who, &plan).await?));
        }
        let now = Utc::now();
        let run = Run {
            id: CarryOverRunId::new(),
            plan_id,
            status: RunStatus::Running,
            cursor: None,
            members: 0,
            points: Points::ZERO,
            value: Money::ZERO,
            lease_until: None,
            started_by: who.actor.id(),
            started_at: now,
            finished_at: None,
            reversed_at: None,
        };
        let tx = self.store().begin_write().await?;
        let started = store::insert_run(&tx, who.tenant_id, &run).await? == Insertion::Inserted(());
        if started {
            let a = json!({"plan_id": plan_id, "min_points": plan.spec.carry_over.min_points, "point_value": plan.spec.point_value});
            audit::record(&tx, who, "start", "carry_over_run", run.id.0, a).await?;
            tx.commit().await.map_err(StoreError::from)?;
        } else {
            // The plan's run exists: nothing of this transaction is kept.
            drop(tx);
        }
        let current = store::current_run_of_plan(db, who.tenant_id, plan_id).await?.ok_or(RUN_NOT_FOUND)?;
        let run = self.advance_run(who, current.id, Some(Instant::now() + INLINE)).await?;
        if run.status == RunStatus::Running && run.lease_until.is_some_and(|l| l > Utc::now()) {
            // Still going: the rest in the background, under the lease this request holds.
            let app = self.clone();
            let (who, id) = (who.clone(), run.id);
            tokio::spawn(async move {
                if let Err(e) = app.advance_claimed(&who, id, None).await {
                    tracing::error!(run = %id, error = %e, "carry-over run stopped; it resumes when its lease runs out");
                }
            });
        }
        Ok(CarryOverOutcome::Run { run: run.into(), started })
    }

    async fn preview(&self, who: &Access, plan: &Plan) -> Result<Preview, AppError> {
        let db = self.store().conn();
        let (mut members, mut points, mut value) = (0i64, Points::ZERO, Money::ZERO);
        let mut items = Vec::new();
        let mut after = None;
        let overflow = || AppError::Internal("carry-over totals overflow".to_owned());
        loop {
            let rows = entries::carry_over_batch(
                db,
                who.tenant_id,
                plan.id,
                plan.spec.carry_over.min_points,
                after,
                BATCH,
                false,
            )
            .await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.member_id.0);
            for b in &rows {
                if let Some((p, v)) =
                    carry_over(b.available, &plan.spec.carry_over, plan.spec.point_value).ok_or_else(overflow)?
                {
                    members += 1;
                    points = points.checked_add(p).ok_or_else(overflow)?;
                    value = value.checked_add(v).ok_or_else(overflow)?;
                    if items.len() < PREVIEW_ITEMS + 1 {
                        items.push(PreviewItem { member_id: b.member_id, points: p, value: v });
                    }
                }
            }
        }
        let truncated = items.len() > PREVIEW_ITEMS;
        items.truncate(PREVIEW_ITEMS);
        Ok(Preview { plan_id: plan.id, members, points, value, items, truncated })
    }

    /// Advances a run batch by batch while this caller holds its lease, until it completes or
    /// `until` passes; answers the run as it is then.
    pub(crate) async fn advance_run(
        &self,
        who: &Access,
        id: CarryOverRunId,
        until: Option<Instant>,
    ) -> Result<Run, AppError> {
        let db = self.store().conn();
        let now = Utc::now();
        let mine = store::claim(db, who.tenant_id, id, now, now + LEASE).await?;
        if !mine {
            return store::find_run(db, who.tenant_id, id).await?.ok_or(RUN_NOT_FOUND);
        }
        self.advance_claimed(who, id, until).await
    }

    /// [`Self::advance_run`] for the holder of the run's lease (each batch extends it).
    async fn advance_claimed(&self, who: &Access, id: CarryOverRunId, until: Option<Instant>) -> Result<Run, AppError> {
        loop {
            let run = self.carry_over_batch(who, id).await?;
            if run.status != RunStatus::Running || until.is_some_and(|u| Instant::now() >= u) {
                return Ok(run);
            }
        }
    }

    /// One batch of a run in one transaction; the run as committed.
    async fn carry_over_batch(&self, who: &Access, id: CarryOverRunId) -> Result<Run, AppError> {
        let tx = self.store().begin_write().await?;
        let mut run = store::lock_run(&tx, who.tenant_id, id).await?.ok_or(RUN_NOT_FOUND)?;
        if run.status != RunStatus::Running {
            return Ok(run);
        }
        let plan = plans::find(&tx, who.tenant_id, run.plan_id).await?.ok_or_else(plan_not_found)?;
        let rule = plan.spec.carry_over;
        let after = run.cursor.map(|m| m.0);
        let rows = entries::carry_over_batch(&tx, who.tenant_id, plan.id, rule.min_points, after, BATCH, true).await?;
        let now = Utc::now();
        let overflow = || AppError::Internal("carry-over totals overflow".to_owned());
        let (mut debits, mut rewards, mut created) = (Vec::new(), Vec::new(), Vec::new());
        for b in &rows {
            let Some((points, value)) = carry_over(b.available, &rule, plan.spec.point_value).ok_or_else(overflow)?
            else {
                continue;
            };
            let origin = Origin {
                member_id: b.member_id,
                plan_id: Some(plan.id),
                source_type: SourceType::CarryOver,
                source_id: source_id(run.id, b.member_id),
                item: None,
                purchase_id: None,
                reason: Some(format!("carried over into a {} reward worth {value}", rule.reward_kind)),
                business_date: plan.spec.ends_on,
            };
            let debit = reward_move(points.checked_neg().ok_or_else(overflow)?);
            let entry = ledger::entries(who, &origin, &[debit], now).remove(0);
            let reward = Reward {
                id: RewardId::new(),
                run_id: run.id,
                member_id: b.member_id,
                plan_id: plan.id,
                points,
                value,
                kind: rule.reward_kind,
                status: RewardStatus::Issued,
                note: None,
                redeemed_on: None,
                created_at: now,
                updated_at: now,
            };
            created.push(DomainEvent::RewardCreated(RewardCreatedV1 {
                reward_id: reward.id.0,
                run_id: run.id.0,
                member_id: b.member_id.0,
                plan_id: plan.id.0,
                points,
                value,
                kind: rule.reward_kind,
                entry_id: entry.id.0,
            }));
            run.members += 1;
            run.points = run.points.checked_add(points).ok_or_else(overflow)?;
            run.value = run.value.checked_add(value).ok_or_else(overflow)?;
            debits.push(entry);
            rewards.push(reward);
        }
        entries::write(&tx, who.tenant_id, debits).await.map_err(ledger::source_used)?;
        store::insert_rewards(&tx, who.tenant_id, &rewards).await?;
        events::emit_many(&tx, who, created).await?;
        match rows.last() {
            Some(last) if rows.len() as u64 == BATCH => {
                run.cursor = Some(last.member_id);
                run.lease_until = Some(now + LEASE);
            }
            _ => {
                run.cursor = rows.last().map(|b| b.member_id).or(run.cursor);
                run.status = RunStatus::Completed;
                run.finished_at = Some(now);
                run.lease_until = None;
                let a = json!({"members": run.members, "points": run.points, "value": run.value});
                audit::record(&tx, who, "complete", "carry_over_run", run.id.0, a).await?;
            }
        }
        let run = store::update_run(&tx, who.tenant_id, &run).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(run)
    }

    pub async fn get_carry_over_run(&self, who: &Access, id: CarryOverRunId) -> Result<RunView, AppError> {
        who.require("points:read")?;
        Ok(store::find_run(self.store().conn(), who.tenant_id, id).await?.ok_or(RUN_NOT_FOUND)?.into())
    }

    /// The plan's runs, newest first.
    pub async fn list_carry_over_runs(&self, who: &Access, plan: PointsPlanId) -> Result<Vec<RunView>, AppError> {
        who.require("points:read")?;
        let db = self.store().conn();
        plans::find(db, who.tenant_id, plan).await?.ok_or_else(plan_not_found)?;
        Ok(store::runs_of_plan(db, who.tenant_id, plan).await?.into_iter().map(Into::into).collect())
    }

    /// 反结转 of a run, or of the chosen members in it.
    pub async fn reverse_carry_over(
        &self,
        who: &Access,
        id: CarryOverRunId,
        member_ids: Option<Vec<MemberId>>,
    ) -> Result<Reversal, AppError> {
        who.require("points_plans:write")?;
        if let Some(ms) = &member_ids {
            crate::batch::check_size("/member_ids", ms.len())?;
        }
        let db = self.store().conn();
        let run = store::find_run(db, who.tenant_id, id).await?.ok_or(RUN_NOT_FOUND)?;
        if run.status == RunStatus::Running {
            return Err(AppError::Conflict { code: Code::CarryOverRunning, field: None });
        }
        let (mut members, mut points) = (0i64, Points::ZERO);
        let mut after = None;
        loop {
            let (n, p, last) = self.reverse_batch(who, id, member_ids.as_deref(), after).await?;
            members += n;
            points = points.checked_add(p).unwrap_or(points);
            match last {
                Some(l) => after = Some(l),
                None => break,
            }
        }
        let mut not_reversed = Vec::new();
        if let Some(ms) = &member_ids {
            let f = store::RewardFilter { run_id: Some(id), ..Default::default() };
            for m in ms {
                let f = store::RewardFilter { member_id: Some(*m), ..f };
                let reward = store::rewards_page(db, who.tenant_id, &who.scope, f, None, 1).await?.pop();
                match reward.map(|r| r.status) {
                    None => not_reversed.push(NotReversed { member_id: *m, reason: "not_in_run" }),
                    Some(RewardStatus::Redeemed) => {
                        not_reversed.push(NotReversed { member_id: *m, reason: "redeemed" })
                    }
                    Some(_) => {}
                }
            }
        }
        let run = store::find_run(db, who.tenant_id, id).await?.ok_or(RUN_NOT_FOUND)?;
        Ok(Reversal { run: run.into(), members_reversed: members, points_reversed: points, not_reversed })
    }

    /// One reversal batch in one transaction: (rewards cancelled, their points, the last member
    /// done, `None` when nothing was left).
    async fn reverse_batch(
        &self,
        who: &Access,
        id: CarryOverRunId,
        members: Option<&[MemberId]>,
        after: Option<MemberId>,
    ) -> Result<(i64, Points, Option<MemberId>), AppError> {
        let today = business_date(Utc::now(), settings::current(self.store().conn(), who).await?.tz());
        let tx = self.store().begin_write().await?;
        let mut run = store::lock_run(&tx, who.tenant_id, id).await?.ok_or(RUN_NOT_FOUND)?;
        let rewards = store::issued_of_run(&tx, who.tenant_id, id, members, after, BATCH).await?;
        let now = Utc::now();
        let (mut credits, mut cancelled) = (Vec::new(), Vec::new());
        let mut points = Points::ZERO;
        for r in &rewards {
            let origin = Origin {
                member_id: r.member_id,
                plan_id: Some(r.plan_id),
                source_type: SourceType::CarryOverReversal,
                source_id: source_id(run.id, r.member_id),
                item: None,
                purchase_id: None,
                reason: Some("carry-over reversed: reward cancelled, points credited back".to_owned()),
                business_date: today,
            };
            let entry = ledger::entries(who, &origin, &[reward_move(r.points)], now).remove(0);
            cancelled.push(DomainEvent::RewardCancelled(RewardCancelledV1 {
                reward_id: r.id.0,
                run_id: run.id.0,
                member_id: r.member_id.0,
                points: r.points,
                entry_id: entry.id.0,
            }));
            points = points.checked_add(r.points).unwrap_or(points);
            credits.push(entry);
        }
        let n = rewards.len() as i64;
        let last = rewards.last().map(|r| r.member_id);
        entries::write(&tx, who.tenant_id, credits).await.map_err(ledger::source_used)?;
        let ids: Vec<RewardId> = rewards.iter().map(|r| r.id).collect();
        store::cancel_rewards(&tx, who.tenant_id, &ids, now).await?;
        events::emit_many(&tx, who, cancelled).await?;
        if n > 0 {
            let a = json!({"members": n, "points": points, "member_ids": members.map(|m| m.len())});
            audit::record(&tx, who, "reverse", "carry_over_run", run.id.0, a).await?;
        }
        if run.status != RunStatus::Reversed && !store::has_live_rewards(&tx, who.tenant_id, id).await? {
            run.status = RunStatus::Reversed;
            run.reversed_at = Some(now);
            store::update_run(&tx, who.tenant_id, &run).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok((n, points, if (n as u64) == BATCH { last } else { None }))
    }

    /// Resumes every run whose holder stopped (its lease ran out): the scheduler's job.
    pub async fn resume_carry_over_runs(&self) -> Result<usize, AppError> {
        let stalled = store::stalled(self.store().conn(), Utc::now()).await?;
        let n = stalled.len();
        for (tenant, id) in stalled {
            self.advance_run(&Access::system(tenant), id, None).await?;
        }
        Ok(n)
    }
}
