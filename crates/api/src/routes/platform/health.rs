//! Liveness, readiness and metrics for operators and orchestrators.

use crate::routes::ApiResult;
use crate::state::ApiState;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Process up", body = HealthStatus)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<HealthStatus> {
    web::Json(HealthStatus { status: "ok" })
}

/// The database answers and every migration is applied; otherwise 503.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready for traffic", body = HealthStatus),
        (status = 503, description = "Database unreachable or migrations pending", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<ApiState>) -> ApiResult<web::Json<HealthStatus>> {
    state.app.readiness().await?;
    Ok(web::Json(HealthStatus { status: "ready" }))
}

/// Prometheus text exposition: `http_requests_total`, `http_request_duration_seconds`, `db_pool_*`,
/// `db_statements_total` (every statement sent to the database, transactions' included).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<ApiState>) -> HttpResponse {
    let pool = state.app.store().pool_stats();
    let backend = state.app.store().backend().as_str();
    ::metrics::gauge!("db_pool_connections", "backend" => backend, "state" => "idle").set(f64::from(pool.idle));
    ::metrics::gauge!("db_pool_connections", "backend" => backend, "state" => "in_use")
        .set(f64::from(pool.size.saturating_sub(pool.idle)));
    ::metrics::gauge!("db_pool_max_connections", "backend" => backend).set(f64::from(pool.max));
    ::metrics::counter!("db_statements_total", "backend" => backend).absolute(state.app.store().statements());
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render())
}
