//! Domain events: the one write path. A use case calls [`emit`] inside its transaction, so the
//! event is in the outbox exactly when the change that caused it is committed; the dispatcher in
//! `crm-integrations` delivers from there. Operators read the outbox with [`App::list_outbox_events`].

use crate::paging::{Page, PageRequest};
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_store::ConnectionTrait;
pub use crm_store::platform::outbox::OutboxFilter;
use crm_store::platform::outbox::{self, OutboxRow};
use serde_json::Value;
use uuid::Uuid;

/// Not yet delivered.
pub const PENDING: &str = "pending";

/// An event as operators see it.
#[derive(Debug, Clone)]
pub struct OutboxEventView {
    pub id: Uuid,
    pub event_type: String,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub status: String,
    pub attempts: i32,
}

/// Writes `event_type` about `aggregate_type`/`aggregate_id` into the outbox, in the caller's
/// transaction, with the actor and request id of `who`.
pub(crate) async fn emit(
    c: &impl ConnectionTrait,
    who: &Access,
    event_type: &str,
    aggregate_type: &str,
    aggregate_id: Uuid,
    payload: Value,
) -> Result<(), AppError> {
    let now = Utc::now();
    outbox::append(
        c,
        OutboxRow {
            tenant_id: who.tenant_id.0,
            id: Uuid::now_v7(),
            event_type: event_type.to_owned(),
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id,
            payload: payload.to_string(),
            occurred_at: now,
            actor_type: who.actor.kind().to_owned(),
            actor_id: who.actor.id(),
            request_id: who.request_id.clone(),
            status: PENDING.to_owned(),
            attempts: 0,
            next_attempt_at: now,
            delivered_at: None,
            last_error: None,
        },
    )
    .await?;
    Ok(())
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
        Ok(page.finish(
            rows,
            |r| r.id,
            |r| OutboxEventView {
                id: r.id,
                event_type: r.event_type,
                aggregate_type: r.aggregate_type,
                aggregate_id: r.aggregate_id,
                payload: serde_json::from_str(&r.payload).unwrap_or(Value::Null),
                occurred_at: r.occurred_at,
                actor_type: r.actor_type,
                actor_id: r.actor_id,
                status: r.status,
                attempts: r.attempts,
            },
        ))
    }
}
