//! A member's level history: append and read.

use crate::StoreError;
use crate::entities::member_level_changes as lc;
use crate::stored::parse_stored;
use chrono::{DateTime, Utc};
use crm_domain::ids::{LevelId, MemberId, PointsEntryId, TenantId};
use crm_domain::membership::LevelChangeSource;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// One level a member was given, with why and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelChange {
    pub from_level_id: Option<LevelId>,
    pub to_level_id: Option<LevelId>,
    pub reason: Option<String>,
    pub source: LevelChangeSource,
    /// Who changed it: `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
    /// The ledger entry whose upgrade points caused it (automatic changes).
    pub ledger_entry_id: Option<PointsEntryId>,
}

impl TryFrom<lc::Model> for LevelChange {
    type Error = StoreError;

    fn try_from(m: lc::Model) -> Result<Self, StoreError> {
        Ok(Self {
            from_level_id: m.from_level_id.map(LevelId),
            to_level_id: m.to_level_id.map(LevelId),
            reason: m.reason,
            source: parse_stored("source", &m.source, LevelChangeSource::parse)?,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            changed_at: m.changed_at,
            ledger_entry_id: m.ledger_entry_id.map(PointsEntryId),
        })
    }
}

pub async fn append(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    change: LevelChange,
) -> Result<(), StoreError> {
    let am = lc::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(Uuid::now_v7()),
        member_id: Set(member.0),
        from_level_id: Set(change.from_level_id.map(|l| l.0)),
        to_level_id: Set(change.to_level_id.map(|l| l.0)),
        reason: Set(change.reason),
        source: Set(change.source.as_str().to_owned()),
        actor_type: Set(change.actor_type),
        actor_id: Set(change.actor_id),
        changed_at: Set(change.changed_at),
        ledger_entry_id: Set(change.ledger_entry_id.map(|e| e.0)),
    };
    lc::Entity::insert(am).exec_without_returning(c).await?;
    Ok(())
}

/// Oldest first.
pub async fn of_member(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Vec<LevelChange>, StoreError> {
    lc::Entity::find()
        .filter(lc::Column::TenantId.eq(tenant.0))
        .filter(lc::Column::MemberId.eq(member.0))
        .order_by_asc(lc::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(LevelChange::try_from)
        .collect()
}
