//! The outbox: domain events appended in the transaction of the change that caused them, and read
//! back for operators. Records carry the domain's types; the delivery side is in
//! [`super::delivery`].

use crate::StoreError;
use crate::entities::outbox_events as ob;
use chrono::{DateTime, Utc};
use crm_domain::ids::{EventId, TenantId};
use crm_domain::integration::OutboxStatus;
use crm_domain::integration::events::{AggregateType, EventType};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

/// An event to append, as `crm-app` hands it over (from a `DomainEvent` and who caused it).
#[derive(Debug, Clone)]
pub struct NewOutboxEvent {
    pub tenant_id: TenantId,
    pub id: EventId,
    pub event_type: EventType,
    pub event_version: i32,
    pub aggregate_type: AggregateType,
    pub aggregate_id: Uuid,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<String>,
}

/// One outbox message as stored, with its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub tenant_id: TenantId,
    pub id: EventId,
    pub event_type: EventType,
    /// The payload's version (0: written before payloads were a contract).
    pub event_version: i32,
    pub aggregate_type: AggregateType,
    pub aggregate_id: Uuid,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub status: OutboxStatus,
    /// Delivery attempts started; a claim counts one.
    pub attempts: i32,
    /// When it is due next (a claim moves it to the end of its lease).
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A stored value the domain does not know: the row was written by something else.
pub(super) fn unreadable(column: &str, value: &str) -> StoreError {
    StoreError::Db(DbErr::Type(format!("outbox_events.{column} holds {value:?}")))
}

impl TryFrom<ob::Model> for OutboxMessage {
    type Error = StoreError;

    fn try_from(m: ob::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: EventId(m.id),
            event_type: EventType::parse("", &m.event_type).map_err(|_| unreadable("event_type", &m.event_type))?,
            event_version: m.event_version,
            aggregate_type: AggregateType::parse("", &m.aggregate_type)
                .map_err(|_| unreadable("aggregate_type", &m.aggregate_type))?,
            aggregate_id: m.aggregate_id,
            payload: serde_json::from_str(&m.payload).map_err(|e| StoreError::Db(DbErr::Json(e.to_string())))?,
            occurred_at: m.occurred_at,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            request_id: m.request_id,
            status: OutboxStatus::parse("", &m.status).map_err(|_| unreadable("status", &m.status))?,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            delivered_at: m.delivered_at,
            last_error: m.last_error,
        })
    }
}

pub(super) fn messages(rows: Vec<ob::Model>) -> Result<Vec<OutboxMessage>, StoreError> {
    rows.into_iter().map(OutboxMessage::try_from).collect()
}

fn row(e: NewOutboxEvent) -> ob::ActiveModel {
    ob::ActiveModel {
        tenant_id: Set(e.tenant_id.0),
        id: Set(e.id.0),
        event_type: Set(e.event_type.as_str().to_owned()),
        event_version: Set(e.event_version),
        aggregate_type: Set(e.aggregate_type.as_str().to_owned()),
        aggregate_id: Set(e.aggregate_id),
        payload: Set(e.payload.to_string()),
        occurred_at: Set(e.occurred_at),
        actor_type: Set(e.actor_type),
        actor_id: Set(e.actor_id),
        request_id: Set(e.request_id),
        status: Set(OutboxStatus::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(e.occurred_at),
        delivered_at: Set(None),
        last_error: Set(None),
    }
}

/// Appends one event, pending and due at once.
pub async fn append(c: &impl ConnectionTrait, e: NewOutboxEvent) -> Result<(), StoreError> {
    ob::Entity::insert(row(e)).exec_without_returning(c).await?;
    Ok(())
}

/// Appends many events (a bulk operation's), a multi-row insert per chunk.
pub async fn append_many(c: &impl ConnectionTrait, events: Vec<NewOutboxEvent>) -> Result<(), StoreError> {
    let rows: Vec<ob::ActiveModel> = events.into_iter().map(row).collect();
    for chunk in rows.chunks(crate::rows_per_statement(17)) {
        ob::Entity::insert_many(chunk.to_vec()).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Filters of the operators' view.
#[derive(Debug, Default, Clone)]
pub struct OutboxFilter {
    pub event_type: Option<EventType>,
    pub aggregate_id: Option<Uuid>,
    pub status: Option<OutboxStatus>,
}

/// The tenant's messages, newest first; `before` is the id of the last one of the previous page.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    f: &OutboxFilter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut q = ob::Entity::find().filter(ob::Column::TenantId.eq(tenant.0));
    if let Some(t) = f.event_type {
        q = q.filter(ob::Column::EventType.eq(t.as_str()));
    }
    if let Some(a) = f.aggregate_id {
        q = q.filter(ob::Column::AggregateId.eq(a));
    }
    if let Some(s) = f.status {
        q = q.filter(ob::Column::Status.eq(s.as_str()));
    }
    if let Some(b) = before {
        q = q.filter(ob::Column::Id.lt(b));
    }
    messages(q.order_by_desc(ob::Column::Id).limit(limit).all(c).await?)
}
