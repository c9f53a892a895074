//! Posting to the ledger: the one path of every use case that changes points. [`post`] writes the
//! entries and their balances (`crm_store::loyalty::ledger::write`), then, in the same
//! transaction, flags a member whose available reward points went below zero
//! (`member.points_negative`) and calls the level hook (`upgrade_if_due`) for a member whose
//! upgrade points changed, naming the entry that changed them.

use crate::codes::Code;
use crate::integration::events;
use crate::membership::level_changes::upgrade_if_due;
use crate::platform::settings::TenantSettings;
use crate::{Access, AppError};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::ids::{MemberId, PointsEntryId, PointsPlanId, PurchaseId};
use crm_domain::integration::events::{DomainEvent, LedgerEntryFacts, MemberPointsNegativeV1};
use crm_domain::loyalty::ledger::{EntryStatus, Move, SourceType};
use crm_domain::loyalty::plan::ItemCategory;
use crm_domain::loyalty::{Points, PointsKind};
use crm_store::loyalty::ledger::{self as store, Balance, Entry};
use crm_store::{DatabaseTransaction, StoreError, UniqueKey};

/// Where a group of entries comes from and why: what every entry of one posting shares.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub member_id: MemberId,
    pub plan_id: Option<PointsPlanId>,
    pub source_type: SourceType,
    pub source_id: String,
    pub item: Option<ItemCategory>,
    pub purchase_id: Option<PurchaseId>,
    pub reason: Option<String>,
    pub business_date: NaiveDate,
}

/// The entries of `moves`, all from `origin`, written by `who` at `at`.
pub(crate) fn entries(who: &Access, origin: &Origin, moves: &[Move], at: DateTime<Utc>) -> Vec<Entry> {
    moves
        .iter()
        .map(|m| Entry {
            id: PointsEntryId::new(),
            member_id: origin.member_id,
            plan_id: origin.plan_id,
            kind: m.kind,
            status: m.status,
            delta: m.delta,
            source_type: origin.source_type,
            source_id: origin.source_id.clone(),
            item: origin.item,
            purchase_id: origin.purchase_id,
            reason: origin.reason.clone(),
            business_date: origin.business_date,
            actor_type: who.actor.kind().to_owned(),
            actor_id: who.actor.id(),
            request_id: who.request_id.clone(),
            created_at: at,
        })
        .collect()
}

/// What events say of entries.
pub(crate) fn facts(entries: &[Entry]) -> Vec<LedgerEntryFacts> {
    entries
        .iter()
        .map(|e| LedgerEntryFacts {
            entry_id: e.id.0,
            kind: e.kind,
            status: e.status,
            delta: e.delta,
            plan_id: e.plan_id.map(|p| p.0),
        })
        .collect()
}

/// A second entry of one source, kind and status: the database refused it.
pub(crate) fn source_used(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::PointsEntrySource) {
        AppError::Conflict { code: Code::PointsSourceReused, field: Some("/source_id".to_owned()) }
    } else {
        e.into()
    }
}

/// Writes `entries` and their balances, then flags negative reward balances and lets the level
/// follow the upgrade points (each member's total over every plan). Returns the balances the
/// entries touched, as they are now.
pub(crate) async fn post(
    tx: &DatabaseTransaction,
    who: &Access,
    settings: &TenantSettings,
    entries: &[Entry],
) -> Result<Vec<Balance>, AppError> {
    let balances = store::write(tx, who.tenant_id, entries.to_vec()).await.map_err(source_used)?;
    for b in &balances {
        let debited = entries.iter().any(|e| {
            e.member_id == b.member_id
                && e.plan_id == b.plan_id
                && e.kind == PointsKind::Reward
                && e.status == EntryStatus::Available
                && e.delta.is_negative()
        });
        if b.kind == PointsKind::Reward && b.available.is_negative() && debited {
            let flagged = MemberPointsNegativeV1 {
                member_id: b.member_id.0,
                plan_id: b.plan_id.map(|p| p.0),
                available: b.available,
            };
            events::emit(tx, who, DomainEvent::MemberPointsNegative(flagged)).await?;
        }
    }
    let mut members: Vec<MemberId> = entries
        .iter()
        .filter(|e| e.kind == PointsKind::Upgrade && e.status == EntryStatus::Available && e.delta != Points::ZERO)
        .map(|e| e.member_id)
        .collect();
    members.sort();
    members.dedup();
    for m in members {
        let cause = entries
            .iter()
            .rev()
            .find(|e| e.member_id == m && e.kind == PointsKind::Upgrade && e.status == EntryStatus::Available);
        let lowered = cause.is_some_and(|e| e.delta.is_negative());
        let total = store::upgrade_total(tx, who.tenant_id, m).await?;
        let demote = lowered && settings.points_demote_on_reversal;
        upgrade_if_due(tx, who, m, total.get(), cause.map(|e| e.id), demote).await?;
    }
    Ok(balances)
}
