//! 级别调整: a member's level changes, by hand (single and bulk, with a reason), on enrollment and
//! by the upgrade rule, each recorded in the member's level history, audited and written to the
//! outbox in its transaction.

use super::member::{MemberView, NOT_FOUND, invalid_transition, view};
use super::members::parse_reason;
use crate::batch::{ItemResult, check_size};
use crate::integration::events;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_domain::FieldError;
use crm_domain::ids::{LevelId, MemberId, PointsEntryId};
use crm_domain::integration::events::{DomainEvent, MemberLevelChangedV1};
use crm_domain::membership::LevelChangeSource;
use crm_domain::membership::level::{LevelStep, downgrade_for, upgrade_for};
use crm_store::membership::level_changes::{self as store, LevelChange};
use crm_store::membership::levels;
use crm_store::membership::members::{self, Member, MemberChanges};
use crm_store::scope::ScopeFilter;
use crm_store::{ConnectionTrait, DatabaseTransaction, StoreError};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One level change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelChangeView {
    pub from_level_id: Option<LevelId>,
    pub to_level_id: Option<LevelId>,
    pub reason: Option<String>,
    pub source: LevelChangeSource,
    /// Who changed it: `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
    /// The ledger entry whose upgrade points caused an automatic change.
    pub ledger_entry_id: Option<PointsEntryId>,
}

impl From<LevelChange> for LevelChangeView {
    fn from(c: LevelChange) -> Self {
        Self {
            from_level_id: c.from_level_id,
            to_level_id: c.to_level_id,
            reason: c.reason,
            source: c.source,
            actor_type: c.actor_type,
            actor_id: c.actor_id,
            changed_at: c.changed_at,
            ledger_entry_id: c.ledger_entry_id,
        }
    }
}

/// A level change to record: from and to, why, and the ledger entry that caused it.
#[derive(Debug, Clone)]
pub(crate) struct Transition {
    pub from: Option<LevelId>,
    pub to: Option<LevelId>,
    pub source: LevelChangeSource,
    pub reason: Option<String>,
    pub entry: Option<PointsEntryId>,
}

/// What a bulk level change did with one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LevelChangeStatus {
    Changed,
    /// The member had the level already.
    Unchanged,
    Failed,
}

/// The member a bulk change is about.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelChanged {
    pub id: MemberId,
}

/// Records a level change of `member` in its history.
pub(crate) async fn record_level_change(
    c: &impl ConnectionTrait,
    who: &Access,
    member: MemberId,
    t: Transition,
) -> Result<(), AppError> {
    let change = LevelChange {
        from_level_id: t.from,
        to_level_id: t.to,
        reason: t.reason,
        source: t.source,
        actor_type: who.actor.kind().to_owned(),
        actor_id: who.actor.id(),
        changed_at: Utc::now(),
        ledger_entry_id: t.entry,
    };
    store::append(c, who.tenant_id, member, change).await?;
    Ok(())
}

/// Sets a member's level (in the caller's transaction), with its history, audit entry and
/// `member.level_changed` event; returns whether anything changed.
pub(crate) async fn set_level(
    tx: &DatabaseTransaction,
    who: &Access,
    before: Member,
    to: Option<LevelId>,
    source: LevelChangeSource,
    reason: Option<String>,
    entry: Option<PointsEntryId>,
) -> Result<(Member, bool), AppError> {
    if !before.status.is_live() {
        return Err(invalid_transition());
    }
    if before.level_id == to {
        return Ok((before, false));
    }
    let from = before.level_id;
    let changes = MemberChanges { level_id: Some(to), ..MemberChanges::default() };
    let row = members::update(tx, who.tenant_id, before.id, changes, Utc::now()).await?;
    let t = Transition { from, to, source, reason: reason.clone(), entry };
    record_level_change(tx, who, row.id, t).await?;
    let changes = json!({
        "level_id": {"from": from, "to": to}, "reason": reason, "source": source.as_str(), "ledger_entry_id": entry,
    });
    audit::record(tx, who, "change_level", "member", row.id.0, changes.clone()).await?;
    let (from_level_id, to_level_id) = (from.map(|l| l.0), to.map(|l| l.0));
    let ledger_entry_id = entry.map(|e| e.0);
    let changed =
        MemberLevelChangedV1 { member_id: row.id.0, from_level_id, to_level_id, source, reason, ledger_entry_id };
    events::emit(tx, who, DomainEvent::MemberLevelChanged(changed)).await?;
    Ok((row, true))
}

/// The upgrade hook: raises `member` to the highest level its `upgrade_points` reach; when the
/// points went down (a reversal) and `demote` (the tenant's setting), lowers it to the level the
/// points still reach, else never down. `entry` is the ledger entry that changed the points; it
/// is recorded with the change. A cancelled member keeps its level. The loyalty ledger calls it
/// whenever upgrade points change, with the member's total.
pub async fn upgrade_if_due(
    tx: &DatabaseTransaction,
    who: &Access,
    member: MemberId,
    upgrade_points: i64,
    entry: Option<PointsEntryId>,
    demote: bool,
) -> Result<bool, AppError> {
    let Some(row) = members::lock_scoped(tx, who.tenant_id, &ScopeFilter::All, member).await? else {
        return Ok(false);
    };
    if !row.status.is_live() {
        return Ok(false);
    }
    let all = crate::membership::levels::current(tx, who).await?;
    let current = row.level_id.and_then(|l| all.iter().find(|x| x.id == l)).map(|l| l.spec.level_value);
    let steps: Vec<LevelStep<LevelId>> = all
        .iter()
        .map(|l| LevelStep { id: l.id, level_value: l.spec.level_value, upgrade_points: l.spec.upgrade_points })
        .collect();
    let (to, source) = match upgrade_for(&steps, current, upgrade_points) {
        Some(to) => (to, LevelChangeSource::Upgrade),
        None => match downgrade_for(&steps, current, upgrade_points).filter(|_| demote) {
            Some(to) => (to, LevelChangeSource::Reversal),
            None => return Ok(false),
        },
    };
    Ok(set_level(tx, who, row, Some(to), source, None, entry).await?.1)
}

fn level_not_found() -> FieldError {
    FieldError::new("/level_id", "not_found")
}

impl App {
    /// Sets one member's level by hand in its own transaction; whether it changed.
    async fn change_level_one(
        &self,
        who: &Access,
        id: MemberId,
        level_id: LevelId,
        reason: Option<String>,
    ) -> Result<(Member, bool), AppError> {
        let tx = self.store().begin_write().await?;
        levels::hold(&tx, who.tenant_id, level_id).await?.ok_or_else(level_not_found)?;
        let before = members::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let changed = set_level(&tx, who, before, Some(level_id), LevelChangeSource::Manual, reason, None).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(changed)
    }

    /// 级别调整: sets one member's level by hand, with a reason.
    pub async fn change_member_level(
        &self,
        who: &Access,
        id: MemberId,
        level_id: LevelId,
        reason: Option<String>,
    ) -> Result<MemberView, AppError> {
        who.require("members:level")?;
        let reason = parse_reason("/reason", reason.as_deref(), true)?;
        let (row, _) = self.change_level_one(who, id, level_id, reason).await?;
        view(self.store().conn(), who, row).await
    }

    /// The same level change for many members, each in its own transaction: one member that
    /// cannot change never stops the others. Results are by the member's index in `ids`.
    pub async fn bulk_change_member_level(
        &self,
        who: &Access,
        ids: &[MemberId],
        level_id: LevelId,
        reason: Option<String>,
    ) -> Result<Vec<ItemResult<LevelChangeStatus, LevelChanged>>, AppError> {
        who.require("members:level")?;
        check_size("/member_ids", ids.len())?;
        let reason = parse_reason("/reason", reason.as_deref(), true)?;
        levels::find(self.store().conn(), who.tenant_id, level_id).await?.ok_or_else(level_not_found)?;
        let mut out = Vec::with_capacity(ids.len());
        for (index, id) in ids.iter().enumerate() {
            let detail = LevelChanged { id: *id };
            out.push(match self.change_level_one(who, *id, level_id, reason.clone()).await {
                Ok((_, true)) => ItemResult::ok(index, LevelChangeStatus::Changed, detail),
                Ok((_, false)) => ItemResult::ok(index, LevelChangeStatus::Unchanged, detail),
                Err(e) => ItemResult::failed(index, e),
            });
        }
        Ok(out)
    }

    /// Every level the member has had, oldest first.
    pub async fn member_level_history(&self, who: &Access, id: MemberId) -> Result<Vec<LevelChangeView>, AppError> {
        who.require("members:read")?;
        let db = self.store().conn();
        members::find_scoped(db, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        Ok(store::of_member(db, who.tenant_id, id).await?.into_iter().map(Into::into).collect())
    }
}
