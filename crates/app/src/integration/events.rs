//! Domain events: the one write path. A use case calls [`emit`] inside its transaction, so the
//! event is in the outbox exactly when the change that caused it is committed; the dispatcher in
//! `crm-integrations` delivers from there.

use crate::{Access, AppError};
use chrono::Utc;
use crm_domain::ids::EventId;
use crm_domain::integration::events::DomainEvent;
use crm_store::ConnectionTrait;
use crm_store::integration::outbox::{self, NewOutboxEvent};

fn message(who: &Access, event: DomainEvent) -> Result<NewOutboxEvent, AppError> {
    let (aggregate_type, aggregate_id) = event.aggregate();
    let payload =
        event.payload().map_err(|e| AppError::Internal(format!("cannot encode {}: {e}", event.event_type())))?;
    Ok(NewOutboxEvent {
        tenant_id: who.tenant_id,
        id: EventId::new(),
        event_type: event.event_type(),
        event_version: event.version(),
        aggregate_type,
        aggregate_id,
        payload,
        occurred_at: Utc::now(),
        actor_type: who.actor.kind().to_owned(),
        actor_id: who.actor.id(),
        request_id: who.request_id.clone(),
    })
}

/// Writes `event` into the outbox, in the caller's transaction, with its type, payload version
/// and aggregate, and the actor and request id of `who`.
pub(crate) async fn emit(c: &impl ConnectionTrait, who: &Access, event: DomainEvent) -> Result<(), AppError> {
    outbox::append(c, message(who, event)?).await?;
    Ok(())
}

/// [`emit`] for the many events of one bulk step (a carry-over batch), in one multi-row insert.
pub(crate) async fn emit_many(
    c: &impl ConnectionTrait,
    who: &Access,
    events: Vec<DomainEvent>,
) -> Result<(), AppError> {
    let messages = events.into_iter().map(|e| message(who, e)).collect::<Result<Vec<_>, _>>()?;
    outbox::append_many(c, messages).await?;
    Ok(())
}
