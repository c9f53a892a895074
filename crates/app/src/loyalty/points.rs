//! A member's points (balances per kind, per plan) and ledger; manual and activity points,
//! single and batch. A manual entry is idempotent by its source: the same `(source_type,
//! source_id, kind)` with the same member, delta and reason replays the first entry; with another
//! body it is 409 `points.source_reused`. The database's unique key decides (a concurrent twin
//! fails its insert; the retry then finds the first).

use super::ledger::{self, Origin};
use crate::batch::{ItemResult, check_size};
use crate::codes::Code;
use crate::integration::events;
use crate::membership::member::NOT_FOUND as MEMBER_NOT_FOUND;
use crate::paging::{Page, PageRequest};
use crate::platform::{audit, settings};
use crate::{Access, App, AppError};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::FieldError;
use crm_domain::ids::{MemberId, PointsEntryId, PointsPlanId, PurchaseId};
use crm_domain::integration::events::{DomainEvent, PointsCreditedV1};
use crm_domain::loyalty::ledger::{EntryStatus, Move, SourceType};
use crm_domain::loyalty::plan::ItemCategory;
use crm_domain::loyalty::{Points, PointsKind, business_date};
use crm_domain::membership::{Channel, MemberStatus};
pub use crm_store::loyalty::ledger::EntryFilter;
use crm_store::loyalty::ledger::{self as store, Balance, Entry};
use crm_store::loyalty::plans;
use crm_store::membership::members;
use crm_store::{StoreError, TransactionTrait};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Points of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindBalance {
    /// Counted points (reward points can be spent or carried over).
    pub available: Points,
    /// Points of purchases not yet paid as their plan requires.
    pub pending: Points,
}

impl KindBalance {
    fn add(&mut self, b: &Balance) {
        self.available = self.available.checked_add(b.available).unwrap_or(self.available);
        self.pending = self.pending.checked_add(b.pending).unwrap_or(self.pending);
    }
}

/// A member's points in one plan (`plan_id: null`: entries outside any plan).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanBalance {
    pub plan_id: Option<PointsPlanId>,
    pub reward: KindBalance,
    pub upgrade: KindBalance,
}

/// A member's points: per kind over every plan, and per plan. Always the sum of the member's
/// ledger entries (`crm ledger check` proves it).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsView {
    pub member_id: MemberId,
    pub reward: KindBalance,
    pub upgrade: KindBalance,
    pub plans: Vec<PlanBalance>,
    /// Some plan's available reward points are below zero (spent, then reversed): the member is
    /// flagged for follow-up; balances are never clamped.
    pub negative: bool,
}

pub(crate) fn points_view(member_id: MemberId, rows: &[Balance]) -> PointsView {
    let (mut reward, mut upgrade) = (KindBalance::default(), KindBalance::default());
    let mut plans: BTreeMap<Option<PointsPlanId>, PlanBalance> = BTreeMap::new();
    for b in rows {
        let p = plans.entry(b.plan_id).or_insert(PlanBalance {
            plan_id: b.plan_id,
            reward: KindBalance::default(),
            upgrade: KindBalance::default(),
        });
        match b.kind {
            PointsKind::Reward => {
                reward.add(b);
                p.reward.add(b);
            }
            PointsKind::Upgrade => {
                upgrade.add(b);
                p.upgrade.add(b);
            }
        }
    }
    let negative = rows.iter().any(|b| b.kind == PointsKind::Reward && b.available.is_negative());
    PointsView { member_id, reward, upgrade, plans: plans.into_values().collect(), negative }
}

/// One ledger entry: what changed, and why (its source, the plan item that priced it, the
/// purchase, the reason; a purchase's reason states the rule applied).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    pub id: PointsEntryId,
    pub member_id: MemberId,
    pub kind: PointsKind,
    pub status: EntryStatus,
    pub delta: Points,
    pub plan_id: Option<PointsPlanId>,
    pub source_type: SourceType,
    pub source_id: String,
    /// The plan item that priced the entry.
    pub item: Option<ItemCategory>,
    pub purchase_id: Option<PurchaseId>,
    pub reason: Option<String>,
    /// The day the entry belongs to (the tenant's time zone); it decides the plan.
    pub business_date: NaiveDate,
    /// Who wrote it: `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<Entry> for EntryView {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id,
            member_id: e.member_id,
            kind: e.kind,
            status: e.status,
            delta: e.delta,
            plan_id: e.plan_id,
            source_type: e.source_type,
            source_id: e.source_id,
            item: e.item,
            purchase_id: e.purchase_id,
            reason: e.reason,
            business_date: e.business_date,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            created_at: e.created_at,
        }
    }
}

/// A manual, activity, referral or birthday entry.
#[derive(Debug, Clone)]
pub struct ManualEntry {
    pub member_id: MemberId,
    pub kind: PointsKind,
    /// `None`: the points of the plan's item for the source type.
    pub delta: Option<i64>,
    pub reason: String,
    pub source_type: SourceType,
    pub source_id: String,
    /// The business date (default: today in the tenant's time zone); it decides the plan.
    pub occurred_on: Option<NaiveDate>,
}

/// What a manual entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryStatusOfRequest {
    /// Written now.
    Credited,
    /// Written by an earlier request with the same source and body; this is that entry.
    Replayed,
    Failed,
}

/// A batch item's entry (its own `status` is the entry's, beside the item's).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryWritten {
    /// The entry (absent when the item failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryView>,
}

/// The most points one manual entry may move.
const MAX_MANUAL_DELTA: i64 = 1_000_000_000;

fn item_of(source: SourceType) -> Option<ItemCategory> {
    match source {
        SourceType::Activity => Some(ItemCategory::Activity),
        SourceType::Manual => Some(ItemCategory::Manual),
        SourceType::Referral => Some(ItemCategory::Referral),
        SourceType::Birthday => Some(ItemCategory::Birthday),
        SourceType::OnlineEnrollment => Some(ItemCategory::OnlineEnrollment),
        _ => None,
    }
}

fn same_body(e: &Entry, m: &ManualEntry, delta: Points) -> bool {
    e.member_id == m.member_id && e.delta == delta && e.reason.as_deref() == Some(m.reason.as_str())
}

/// 入会积分: on approval of an `online` or `purchase` application, the `online_enrollment` item
/// of the plan covering today (if any), credited available, once per member (its source id).
pub(crate) async fn award_enrollment(
    tx: &crm_store::DatabaseTransaction,
    who: &Access,
    s: &settings::TenantSettings,
    member: MemberId,
    channel: Channel,
) -> Result<(), AppError> {
    if !matches!(channel, Channel::Online | Channel::Purchase) {
        return Ok(());
    }
    let day = business_date(Utc::now(), s.tz());
    let Some(plan) = plans::covering(tx, who.tenant_id, day).await? else { return Ok(()) };
    let Some(item) = plan.spec.item(ItemCategory::OnlineEnrollment) else { return Ok(()) };
    let moves: Vec<Move> = [(PointsKind::Reward, item.reward_points), (PointsKind::Upgrade, item.upgrade_points)]
        .into_iter()
        .filter(|(_, p)| *p != Points::ZERO)
        .map(|(kind, delta)| Move { kind, status: EntryStatus::Available, delta })
        .collect();
    if moves.is_empty() {
        return Ok(());
    }
    let origin = Origin {
        member_id: member,
        plan_id: Some(plan.id),
        source_type: SourceType::OnlineEnrollment,
        source_id: member.0.to_string(),
        item: Some(ItemCategory::OnlineEnrollment),
        purchase_id: None,
        reason: Some(format!("enrollment through the {channel} channel")),
        business_date: day,
    };
    let entries = ledger::entries(who, &origin, &moves, Utc::now());
    ledger::post(tx, who, s, &entries).await?;
    let credited = PointsCreditedV1 {
        member_id: member.0,
        source_type: SourceType::OnlineEnrollment,
        source_id: member.0.to_string(),
        purchase_id: None,
        reason: origin.reason.clone(),
        entries: ledger::facts(&entries),
    };
    events::emit(tx, who, DomainEvent::PointsCredited(credited)).await
}

impl App {
    /// The member's balances (cached beside the entries, written in their transactions).
    pub async fn member_points(&self, who: &Access, id: MemberId) -> Result<PointsView, AppError> {
        who.require("points:read")?;
        let db = self.store().conn();
        members::find_scoped(db, who.tenant_id, &who.scope, id).await?.ok_or(MEMBER_NOT_FOUND)?;
        Ok(points_view(id, &store::balances_of(db, who.tenant_id, id).await?))
    }

    /// The member's ledger, newest first.
    pub async fn member_points_entries(
        &self,
        who: &Access,
        id: MemberId,
        filter: EntryFilter,
        page: PageRequest,
    ) -> Result<Page<EntryView>, AppError> {
        who.require("points:read")?;
        let db = self.store().conn();
        members::find_scoped(db, who.tenant_id, &who.scope, id).await?.ok_or(MEMBER_NOT_FOUND)?;
        let rows = store::page_of_member(db, who.tenant_id, id, filter, page.after, page.fetch_size()).await?;
        Ok(page.finish(rows, |e| e.id.0, EntryView::from))
    }

    /// Credits (or debits) manual or activity points; the entry and whether it was written now.
    pub async fn add_points_entry(
        &self,
        who: &Access,
        input: ManualEntry,
    ) -> Result<(EntryStatusOfRequest, EntryView), AppError> {
        who.require("points:write")?;
        self.manual_entry(who, &input).await
    }

    /// Many manual entries in one transaction, each in a savepoint of its own: one that cannot be
    /// written rolls back to its savepoint and never stops the others, and the batch commits (and
    /// syncs) once. Items are written in member order, the order every ledger write locks balance
    /// rows in, so two concurrent batches never wait on each other in a cycle; results are by
    /// request index.
    pub async fn add_points_entries(
        &self,
        who: &Access,
        mut items: Vec<(usize, ManualEntry)>,
        total: usize,
    ) -> Result<Vec<ItemResult<EntryStatusOfRequest, EntryWritten>>, AppError> {
        who.require("points:write")?;
        check_size("/items", total)?;
        let s = settings::current(self.store().conn(), who).await?;
        items.sort_by_key(|(index, m)| (m.member_id, *index));
        let tx = self.store().begin_write().await?;
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items {
            let mut written = Err(AppError::Internal("not tried".to_owned()));
            // Once more when a concurrent twin committed between our read and our insert.
            for _ in 0..2 {
                let sp = tx.begin().await.map_err(StoreError::from)?;
                written = write_manual(&sp, who, &s, &item).await;
                match &written {
                    Ok(_) => {
                        sp.commit().await.map_err(StoreError::from)?;
                        break;
                    }
                    Err(AppError::Conflict { code: Code::PointsSourceReused, .. }) => drop(sp),
                    Err(_) => break,
                }
            }
            out.push(match written {
                Ok((status, entry)) => ItemResult::ok(index, status, EntryWritten { entry: Some(entry) }),
                Err(e) => ItemResult::failed(index, e.under(&format!("/items/{index}"))),
            });
        }
        tx.commit().await.map_err(StoreError::from)?;
        out.sort_by_key(|r| r.index);
        Ok(out)
    }

    async fn manual_entry(&self, who: &Access, m: &ManualEntry) -> Result<(EntryStatusOfRequest, EntryView), AppError> {
        let s = settings::current(self.store().conn(), who).await?;
        // Once more when a concurrent twin committed between our read and our insert.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let tx = self.store().begin_write().await?;
            match write_manual(&tx, who, &s, m).await {
                Ok(done) => {
                    tx.commit().await.map_err(StoreError::from)?;
                    return Ok(done);
                }
                Err(AppError::Conflict { code: Code::PointsSourceReused, .. }) if attempt == 1 => drop(tx),
                Err(e) => return Err(e),
            }
        }
    }
}

/// Writes one manual entry in `tx` (a transaction or a batch item's savepoint): replays the
/// entry its source wrote before, refuses another body, else credits it with its event and
/// audit entry.
async fn write_manual(
    tx: &crm_store::DatabaseTransaction,
    who: &Access,
    s: &settings::TenantSettings,
    m: &ManualEntry,
) -> Result<(EntryStatusOfRequest, EntryView), AppError> {
    if !m.source_type.is_manual() {
        let allowed = "activity, manual, referral, birthday";
        return Err(FieldError::new("/source_type", "invalid_value").with("allowed", allowed).into());
    }
    {
        let member = members::find_scoped(tx, who.tenant_id, &who.scope, m.member_id).await?.ok_or_else(|| {
            // A member named in the body that the caller cannot see is a field of the body.
            FieldError::new("/member_id", "not_found")
        })?;
        let day = m.occurred_on.unwrap_or_else(|| business_date(Utc::now(), s.tz()));
        let plan = plans::covering(tx, who.tenant_id, day).await?;
        let item = item_of(m.source_type);
        let delta = match m.delta {
            Some(d) => d,
            None => plan
                .as_ref()
                .and_then(|p| item.and_then(|c| p.spec.item(c)))
                .map(|i| match m.kind {
                    PointsKind::Reward => i.reward_points.get(),
                    PointsKind::Upgrade => i.upgrade_points.get(),
                })
                .filter(|d| *d != 0)
                .ok_or_else(|| FieldError::new("/delta", "required"))?,
        };
        if delta == 0 || delta.abs() > MAX_MANUAL_DELTA {
            return Err(FieldError::new("/delta", "range")
                .with("min", -MAX_MANUAL_DELTA)
                .with("max", MAX_MANUAL_DELTA)
                .with("not", 0)
                .into());
        }
        let delta = Points::new(delta);
        let existing = store::by_source(tx, who.tenant_id, m.source_type, &m.source_id).await?;
        if let Some(e) = existing.into_iter().find(|e| e.kind == m.kind && e.status == EntryStatus::Available) {
            if same_body(&e, m, delta) {
                return Ok((EntryStatusOfRequest::Replayed, e.into()));
            }
            return Err(AppError::Conflict { code: Code::PointsSourceReused, field: Some("/source_id".to_owned()) });
        }
        if member.status == MemberStatus::Cancelled {
            return Err(crate::membership::member::invalid_transition());
        }
        let origin = Origin {
            member_id: m.member_id,
            plan_id: plan.as_ref().map(|p| p.id),
            source_type: m.source_type,
            source_id: m.source_id.clone(),
            item: item.filter(|c| plan.as_ref().is_some_and(|p| p.spec.item(*c).is_some())),
            purchase_id: None,
            reason: Some(m.reason.clone()),
            business_date: day,
        };
        let moves = [Move { kind: m.kind, status: EntryStatus::Available, delta }];
        let entries = ledger::entries(who, &origin, &moves, Utc::now());
        let balances = ledger::post(tx, who, s, &entries).await?;
        if delta.is_negative()
            && balances.iter().any(|b| b.member_id == m.member_id && b.kind == m.kind && b.available.is_negative())
        {
            return Err(AppError::Conflict { code: Code::PointsInsufficient, field: Some("/delta".to_owned()) });
        }
        let credited = PointsCreditedV1 {
            member_id: m.member_id.0,
            source_type: m.source_type,
            source_id: m.source_id.clone(),
            purchase_id: None,
            reason: Some(m.reason.clone()),
            entries: ledger::facts(&entries),
        };
        events::emit(tx, who, DomainEvent::PointsCredited(credited)).await?;
        let e = &entries[0];
        let audit_entry = json!({
            "member_id": m.member_id, "kind": m.kind, "delta": delta, "plan_id": origin.plan_id,
            "source_type": m.source_type, "source_id": m.source_id, "reason": m.reason, "business_date": day,
        });
        audit::record(tx, who, "credit", "points_entry", e.id.0, audit_entry).await?;
        Ok((EntryStatusOfRequest::Credited, EntryView::from(e.clone())))
    }
}
