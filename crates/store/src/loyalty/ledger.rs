//! The points ledger: append-only entries and the balances cached beside them. [`write`] is the
//! one way either changes: it inserts the entries (a second entry of one source, kind and status
//! is a unique conflict, `UniqueKey::PointsEntrySource`, decided by the database) and adds their
//! deltas to the balances in the same statement sequence, one multi-row upsert per chunk in key
//! order, so the caller's transaction commits both or neither and concurrent writers of one
//! balance row wait for each other. [`entry_sums`] and [`all_balances`] are what the check
//! compares.

use crate::entities::{points_balances as pb, points_entries as pe};
use crate::stored::parse_stored;
use crate::{StoreError, rows_per_statement};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::ids::{MemberId, PointsEntryId, PointsPlanId, PurchaseId, TenantId};
use crm_domain::loyalty::ledger::{EntryStatus, SourceType};
use crm_domain::loyalty::plan::ItemCategory;
use crm_domain::loyalty::{Points, PointsKind};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;
use uuid::Uuid;

/// An entry: as it is appended, and as it is read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: PointsEntryId,
    pub member_id: MemberId,
    pub plan_id: Option<PointsPlanId>,
    pub kind: PointsKind,
    pub status: EntryStatus,
    pub delta: Points,
    pub source_type: SourceType,
    pub source_id: String,
    /// The plan item that priced it, if one did.
    pub item: Option<ItemCategory>,
    pub purchase_id: Option<PurchaseId>,
    pub reason: Option<String>,
    pub business_date: NaiveDate,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<pe::Model> for Entry {
    type Error = StoreError;

    fn try_from(m: pe::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: PointsEntryId(m.id),
            member_id: MemberId(m.member_id),
            plan_id: m.plan_id.map(PointsPlanId),
            kind: parse_stored("kind", &m.kind, PointsKind::parse)?,
            status: parse_stored("status", &m.status, EntryStatus::parse)?,
            delta: Points::new(m.delta),
            source_type: parse_stored("source_type", &m.source_type, SourceType::parse)?,
            source_id: m.source_id,
            item: m.item.map(|i| parse_stored("item", &i, ItemCategory::parse)).transpose()?,
            purchase_id: m.purchase_id.map(PurchaseId),
            reason: m.reason,
            business_date: m.business_date,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            request_id: m.request_id,
            created_at: m.created_at,
        })
    }
}

/// One cached balance row: a member's points of one kind in one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub member_id: MemberId,
    pub plan_id: Option<PointsPlanId>,
    pub kind: PointsKind,
    pub available: Points,
    pub pending: Points,
}

/// The plan key of a balance row: the plan's id, or the nil id outside any plan.
fn plan_key(p: Option<PointsPlanId>) -> Uuid {
    p.map_or(Uuid::nil(), |p| p.0)
}

fn plan_of_key(k: Uuid) -> Option<PointsPlanId> {
    (!k.is_nil()).then_some(PointsPlanId(k))
}

impl TryFrom<pb::Model> for Balance {
    type Error = StoreError;

    fn try_from(m: pb::Model) -> Result<Self, StoreError> {
        Ok(Self {
            member_id: MemberId(m.member_id),
            plan_id: plan_of_key(m.plan_key),
            kind: parse_stored("kind", &m.kind, PointsKind::parse)?,
            available: Points::new(m.available),
            pending: Points::new(m.pending),
        })
    }
}

fn entry_row(tenant: TenantId, e: Entry) -> pe::ActiveModel {
    pe::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(e.id.0),
        member_id: Set(e.member_id.0),
        plan_id: Set(e.plan_id.map(|p| p.0)),
        kind: Set(e.kind.as_str().to_owned()),
        status: Set(e.status.as_str().to_owned()),
        delta: Set(e.delta.get()),
        source_type: Set(e.source_type.as_str().to_owned()),
        source_id: Set(e.source_id),
        item: Set(e.item.map(|i| i.as_str().to_owned())),
        purchase_id: Set(e.purchase_id.map(|p| p.0)),
        reason: Set(e.reason),
        business_date: Set(e.business_date),
        actor_type: Set(e.actor_type),
        actor_id: Set(e.actor_id),
        request_id: Set(e.request_id),
        created_at: Set(e.created_at),
    }
}

/// Appends `entries` and adds their deltas to the cached balances; returns the balances they
/// touched, as they are after the write, in key order. An entry whose source, kind and status
/// are written already is a conflict on `UniqueKey::PointsEntrySource` (nothing is written: the
/// caller's transaction rolls back).
pub async fn write(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    entries: Vec<Entry>,
) -> Result<Vec<Balance>, StoreError> {
    let Some(at) = entries.iter().map(|e| e.created_at).max() else {
        return Ok(Vec::new());
    };
    // Deltas per balance row, in key order (one upsert may not touch a row twice, and every
    // writer takes the rows in the same order).
    let mut deltas: BTreeMap<(Uuid, Uuid, &'static str), (i64, i64)> = BTreeMap::new();
    for e in &entries {
        let d = deltas.entry((e.member_id.0, plan_key(e.plan_id), e.kind.as_str())).or_default();
        let slot = match e.status {
            EntryStatus::Available => &mut d.0,
            EntryStatus::Pending => &mut d.1,
        };
        *slot = slot.checked_add(e.delta.get()).ok_or_else(|| overflow("delta"))?;
    }
    let rows: Vec<pe::ActiveModel> = entries.into_iter().map(|e| entry_row(tenant, e)).collect();
    for chunk in rows.chunks(rows_per_statement(18)) {
        pe::Entity::insert_many(chunk.to_vec()).exec_without_returning(c).await?;
    }
    let upserts: Vec<pb::ActiveModel> = deltas
        .into_iter()
        .map(|((member, plan, kind), (available, pending))| pb::ActiveModel {
            tenant_id: Set(tenant.0),
            member_id: Set(member),
            plan_key: Set(plan),
            kind: Set(kind.to_owned()),
            available: Set(available),
            pending: Set(pending),
            updated_at: Set(at),
        })
        .collect();
    let mut out = Vec::with_capacity(upserts.len());
    for chunk in upserts.chunks(rows_per_statement(7)) {
        let on_conflict =
            OnConflict::columns([pb::Column::TenantId, pb::Column::MemberId, pb::Column::PlanKey, pb::Column::Kind])
                .value(pb::Column::Available, Expr::cust("points_balances.available + excluded.available"))
                .value(pb::Column::Pending, Expr::cust("points_balances.pending + excluded.pending"))
                .value(pb::Column::UpdatedAt, Expr::cust("excluded.updated_at"))
                .to_owned();
        let rows = pb::Entity::insert_many(chunk.to_vec()).on_conflict(on_conflict).exec_with_returning(c).await?;
        for r in rows {
            out.push(Balance::try_from(r)?);
        }
    }
    out.sort_by_key(|b| (b.member_id, plan_key(b.plan_id), b.kind));
    Ok(out)
}

fn overflow(what: &str) -> StoreError {
    StoreError::from(sea_orm::DbErr::Custom(format!("points {what} out of range")))
}

/// The entries written by one source (every kind and status), oldest first.
pub async fn by_source(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source_type: SourceType,
    source_id: &str,
) -> Result<Vec<Entry>, StoreError> {
    // No ORDER BY: SQLite would walk the primary key in id order to avoid a sort, reading every
    // entry of the tenant, instead of the source's unique index; a source has at most four rows.
    let mut rows: Vec<Entry> = pe::Entity::find()
        .filter(pe::Column::TenantId.eq(tenant.0))
        .filter(pe::Column::SourceType.eq(source_type.as_str()))
        .filter(pe::Column::SourceId.eq(source_id))
        .all(c)
        .await?
        .into_iter()
        .map(Entry::try_from)
        .collect::<Result<_, _>>()?;
    rows.sort_by_key(|e| e.id);
    Ok(rows)
}

/// The entries of a purchase (its record, confirmation, refunds, cancellation), oldest first.
pub async fn of_purchase(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    purchase: PurchaseId,
) -> Result<Vec<Entry>, StoreError> {
    // Through `ix_points_entries_purchase`; sorted here, for the reason `by_source` gives.
    let mut rows: Vec<Entry> = pe::Entity::find()
        .filter(pe::Column::TenantId.eq(tenant.0))
        .filter(pe::Column::PurchaseId.eq(purchase.0))
        .all(c)
        .await?
        .into_iter()
        .map(Entry::try_from)
        .collect::<Result<_, _>>()?;
    rows.sort_by_key(|e| e.id);
    Ok(rows)
}

/// Filters of a member's ledger.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntryFilter {
    pub kind: Option<PointsKind>,
    pub status: Option<EntryStatus>,
    pub plan_id: Option<PointsPlanId>,
}

/// A member's entries, newest first, after the cursor entry `before`.
pub async fn page_of_member(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    filter: EntryFilter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Entry>, StoreError> {
    let mut q = pe::Entity::find().filter(pe::Column::TenantId.eq(tenant.0)).filter(pe::Column::MemberId.eq(member.0));
    if let Some(k) = filter.kind {
        q = q.filter(pe::Column::Kind.eq(k.as_str()));
    }
    if let Some(s) = filter.status {
        q = q.filter(pe::Column::Status.eq(s.as_str()));
    }
    if let Some(p) = filter.plan_id {
        q = q.filter(pe::Column::PlanId.eq(p.0));
    }
    if let Some(b) = before {
        q = q.filter(pe::Column::Id.lt(b));
    }
    q.order_by_desc(pe::Column::Id).limit(limit).all(c).await?.into_iter().map(Entry::try_from).collect()
}

/// A member's cached balances, by plan and kind.
pub async fn balances_of(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Vec<Balance>, StoreError> {
    pb::Entity::find()
        .filter(pb::Column::TenantId.eq(tenant.0))
        .filter(pb::Column::MemberId.eq(member.0))
        .order_by_asc(pb::Column::PlanKey)
        .order_by_asc(pb::Column::Kind)
        .all(c)
        .await?
        .into_iter()
        .map(Balance::try_from)
        .collect()
}

/// A member's available upgrade points over every plan (what decides the level).
pub async fn upgrade_total(c: &impl ConnectionTrait, tenant: TenantId, member: MemberId) -> Result<Points, StoreError> {
    let rows = balances_of(c, tenant, member).await?;
    Points::sum(rows.iter().filter(|b| b.kind == PointsKind::Upgrade).map(|b| b.available))
        .ok_or_else(|| overflow("sum"))
}

/// The sums of the entries, per member, plan and kind: `(available, pending)`.
#[derive(Debug, FromQueryResult)]
struct SumRow {
    member_id: Uuid,
    plan_id: Option<Uuid>,
    kind: String,
    available: i64,
    pending: i64,
}

/// Every member's entry sums per plan and kind, computed from the entries alone.
pub async fn entry_sums(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<Balance>, StoreError> {
    let rows = pe::Entity::find()
        .select_only()
        .column(pe::Column::MemberId)
        .column(pe::Column::PlanId)
        .column(pe::Column::Kind)
        .column_as(Expr::cust("CAST(SUM(CASE WHEN status = 'available' THEN delta ELSE 0 END) AS BIGINT)"), "available")
        .column_as(Expr::cust("CAST(SUM(CASE WHEN status = 'pending' THEN delta ELSE 0 END) AS BIGINT)"), "pending")
        .filter(pe::Column::TenantId.eq(tenant.0))
        .group_by(pe::Column::MemberId)
        .group_by(pe::Column::PlanId)
        .group_by(pe::Column::Kind)
        .into_model::<SumRow>()
        .all(c)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Balance {
                member_id: MemberId(r.member_id),
                plan_id: r.plan_id.map(PointsPlanId),
                kind: parse_stored("kind", &r.kind, PointsKind::parse)?,
                available: Points::new(r.available),
                pending: Points::new(r.pending),
            })
        })
        .collect()
}

/// Every cached balance row of the tenant.
pub async fn all_balances(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<Balance>, StoreError> {
    pb::Entity::find()
        .filter(pb::Column::TenantId.eq(tenant.0))
        .all(c)
        .await?
        .into_iter()
        .map(Balance::try_from)
        .collect()
}

/// A plan's reward balances of at least `min` available points, in member order after `after`,
/// locked until the transaction ends (a carry-over batch).
pub async fn carry_over_batch(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    plan: PointsPlanId,
    min: Points,
    after: Option<Uuid>,
    limit: u64,
    lock: bool,
) -> Result<Vec<Balance>, StoreError> {
    let mut q = pb::Entity::find()
        .filter(pb::Column::TenantId.eq(tenant.0))
        .filter(pb::Column::PlanKey.eq(plan.0))
        .filter(pb::Column::Kind.eq(PointsKind::Reward.as_str()))
        .filter(pb::Column::Available.gte(min.get().max(1)));
    if let Some(a) = after {
        q = q.filter(pb::Column::MemberId.gt(a));
    }
    let q = q.order_by_asc(pb::Column::MemberId).limit(limit);
    let rows = if lock { q.lock_exclusive().all(c).await? } else { q.all(c).await? };
    rows.into_iter().map(Balance::try_from).collect()
}

/// Whether any entry belongs to the plan.
pub async fn plan_has_entries(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    plan: PointsPlanId,
) -> Result<bool, StoreError> {
    Ok(pe::Entity::find()
        .filter(pe::Column::TenantId.eq(tenant.0))
        .filter(pe::Column::PlanId.eq(plan.0))
        .one(c)
        .await?
        .is_some())
}
