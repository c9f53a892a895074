//! The outbox as operators and integrators see it: what was emitted, and where its delivery is.

use crate::paging::{Page, PageRequest};
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_domain::ids::EventId;
use crm_domain::integration::OutboxStatus;
use crm_domain::integration::events::{AggregateType, EventType};
pub use crm_store::integration::outbox::OutboxFilter;
use crm_store::integration::outbox::{self, OutboxMessage};
use serde::Serialize;
use uuid::Uuid;

/// A domain event.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxEventView {
    pub id: EventId,
    /// `member.enrolled`, `member.card_lost`, ...
    pub event_type: EventType,
    /// The version of the payload's schema (0: written before payloads were a contract).
    pub event_version: i32,
    pub aggregate_type: AggregateType,
    pub aggregate_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::integration::events::payload_schema))]
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    /// `pending` until delivered; `parked` after its last allowed attempt failed.
    pub status: OutboxStatus,
    /// Delivery attempts started.
    pub attempts: i32,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<OutboxMessage> for OutboxEventView {
    fn from(m: OutboxMessage) -> Self {
        Self {
            id: m.id,
            event_type: m.event_type,
            event_version: m.event_version,
            aggregate_type: m.aggregate_type,
            aggregate_id: m.aggregate_id,
            payload: m.payload,
            occurred_at: m.occurred_at,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            delivered_at: m.delivered_at,
            last_error: m.last_error,
        }
    }
}

impl App {
    /// The tenant's outbox, newest first.
    pub async fn list_outbox_events(
        &self,
        who: &Access,
        filter: OutboxFilter,
        page: PageRequest,
    ) -> Result<Page<OutboxEventView>, AppError> {
        who.require("outbox:read")?;
        let rows = outbox::page(self.store().conn(), who.tenant_id, &filter, page.after, page.fetch_size()).await?;
        Ok(page.finish(rows, |r| r.id.0, OutboxEventView::from))
    }
}
