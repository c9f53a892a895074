//! The outbox of domain events, for operators and integrators checking what was emitted.

use super::ApiResult;
use crate::extract::{Allowed, Query};
use crate::perm::OutboxRead;
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use crm_app::paging::PageRequest;
use crm_app::platform::events::{OutboxEventView, OutboxFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A domain event.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxEventResponse {
    pub id: Uuid,
    /// `member.enrolled`, `member.card_lost`, ...
    pub event_type: String,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    /// `pending` until delivered.
    pub status: String,
    pub attempts: i32,
}

impl From<OutboxEventView> for OutboxEventResponse {
    fn from(e: OutboxEventView) -> Self {
        Self {
            id: e.id,
            event_type: e.event_type,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            payload: e.payload,
            occurred_at: e.occurred_at,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            status: e.status,
            attempts: e.attempts,
        }
    }
}

/// A page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxEventPage {
    pub items: Vec<OutboxEventResponse>,
    pub next_cursor: Option<String>,
}

/// Event filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    pub event_type: Option<String>,
    /// The member (or other record) the events are about.
    pub aggregate_id: Option<Uuid>,
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The tenant's domain events, newest first.
#[utoipa::path(tag = "platform", security(("bearer" = ["outbox:read"])), params(OutboxParams),
    responses((status = 200, description = "A page of events", body = OutboxEventPage)))]
#[get("/outbox-events")]
pub async fn list_outbox_events(
    state: web::Data<ApiState>,
    who: Allowed<OutboxRead>,
    q: Query<OutboxParams>,
) -> ApiResult<web::Json<OutboxEventPage>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = OutboxFilter { event_type: q.event_type, aggregate_id: q.aggregate_id, status: q.status };
    let p = state.app.list_outbox_events(&who.0, f, page).await.map_err(ApiError::in_query)?;
    Ok(web::Json(OutboxEventPage { items: p.items.into_iter().map(Into::into).collect(), next_cursor: p.next_cursor }))
}
