//! The outbox of domain events, for operators and integrators checking what was emitted and
//! where its delivery is.

use crate::extract::{Allowed, Query};
use crate::perm::OutboxRead;
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::state::ApiState;
use actix_web::{get, web};
use crm_app::integration::outbox::{OutboxEventView, OutboxFilter};
use crm_app::paging::{Page, PageRequest};
use crm_domain::integration::OutboxStatus;
use crm_domain::integration::events::EventType;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Event filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    pub event_type: Option<EventType>,
    /// The member (or other record) the events are about.
    pub aggregate_id: Option<Uuid>,
    pub status: Option<OutboxStatus>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The tenant's domain events, newest first.
#[utoipa::path(tag = "integration", security(("bearer" = ["outbox:read"])), params(OutboxParams),
    responses((status = 200, description = "A page of events, newest first", body = Page<OutboxEventView>)))]
#[get("/outbox-events")]
pub async fn list_outbox_events(
    state: web::Data<ApiState>,
    who: Allowed<OutboxRead>,
    q: Query<OutboxParams>,
) -> ApiResult<web::Json<Page<OutboxEventView>>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = OutboxFilter { event_type: q.event_type, aggregate_id: q.aggregate_id, status: q.status };
    Ok(web::Json(state.app.list_outbox_events(&who.0, f, page).await.map_err(ApiError::in_query)?))
}
