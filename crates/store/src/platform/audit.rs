//! The audit log: append and query.

use crate::StoreError;
use crate::entities::audit_log as al;
use crate::platform::{parse_stored, unreadable};
use chrono::{DateTime, Utc};
use crm_domain::ids::{AuditEntryId, TenantId};
use crm_domain::platform::audit::ActorType;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub tenant_id: TenantId,
    pub id: AuditEntryId,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: ActorType,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub changes: serde_json::Value,
}

impl TryFrom<al::Model> for AuditRecord {
    type Error = StoreError;

    fn try_from(m: al::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: AuditEntryId(m.id),
            occurred_at: m.occurred_at,
            actor_type: parse_stored("audit_log.actor_type", &m.actor_type, ActorType::parse)?,
            changes: serde_json::from_str(&m.changes).map_err(|_| unreadable("audit_log.changes", &m.changes))?,
            actor_id: m.actor_id,
            request_id: m.request_id,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
        })
    }
}

/// One entry to append.
pub struct NewAuditEntry<'a> {
    pub tenant_id: TenantId,
    pub actor_type: ActorType,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<&'a str>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Uuid,
    pub changes: &'a serde_json::Value,
}

pub async fn append(c: &impl ConnectionTrait, e: NewAuditEntry<'_>) -> Result<(), StoreError> {
    al::Entity::insert(active(e)).exec_without_returning(c).await?;
    Ok(())
}

/// Appends many entries with multi-row inserts (a batch's creations).
pub async fn append_many(c: &impl ConnectionTrait, entries: Vec<NewAuditEntry<'_>>) -> Result<(), StoreError> {
    let mut rows = entries.into_iter().map(active).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<al::ActiveModel> = rows.by_ref().take(crate::MULTI_ROW_CHUNK).collect();
        al::Entity::insert_many(chunk).exec_without_returning(c).await?;
    }
    Ok(())
}

fn active(e: NewAuditEntry<'_>) -> al::ActiveModel {
    al::ActiveModel {
        tenant_id: Set(e.tenant_id.0),
        id: Set(Uuid::now_v7()),
        occurred_at: Set(Utc::now()),
        actor_type: Set(e.actor_type.as_str().to_owned()),
        actor_id: Set(e.actor_id),
        request_id: Set(e.request_id.map(str::to_owned)),
        action: Set(e.action.to_owned()),
        entity_type: Set(e.entity_type.to_owned()),
        entity_id: Set(e.entity_id),
        changes: Set(e.changes.to_string()),
    }
}

/// Filters of the audit-log query.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Newest first; `before` is the cursor (the id of the last entry of the previous page).
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    f: &AuditFilter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let mut q = al::Entity::find().filter(al::Column::TenantId.eq(tenant.0));
    if let Some(v) = &f.entity_type {
        q = q.filter(al::Column::EntityType.eq(v.clone()));
    }
    if let Some(v) = f.entity_id {
        q = q.filter(al::Column::EntityId.eq(v));
    }
    if let Some(v) = f.actor_id {
        q = q.filter(al::Column::ActorId.eq(v));
    }
    if let Some(v) = f.from {
        q = q.filter(al::Column::OccurredAt.gte(v));
    }
    if let Some(v) = f.to {
        q = q.filter(al::Column::OccurredAt.lt(v));
    }
    if let Some(b) = before {
        q = q.filter(al::Column::Id.lt(b));
    }
    q.order_by_desc(al::Column::Id).limit(limit).all(c).await?.into_iter().map(AuditRecord::try_from).collect()
}
