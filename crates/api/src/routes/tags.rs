//! Tags with categories (region, industry, purchase history, attribute, other).

use super::ApiResult;
use super::common::IdPath;
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomersRead, CustomersWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use crm_app::customers::tags::TagView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// A new tag.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "华东", "category": "region"}))]
pub struct CreateTagRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `region`, `industry`, `purchase_history`, `attribute` or `other`.
    pub category: String,
}

/// A tag.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagResponse {
    pub id: Uuid,
    pub name: String,
    pub category: String,
    pub created_at: DateTime<Utc>,
}

impl From<TagView> for TagResponse {
    fn from(t: TagView) -> Self {
        Self { id: t.id, name: t.name, category: t.category, created_at: t.created_at }
    }
}

/// The tenant's tags, by category and name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub items: Vec<TagResponse>,
}

/// Tag list filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagParams {
    pub category: Option<String>,
}

/// Creates a tag (names are unique within a category).
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), request_body = CreateTagRequest,
    responses((status = 201, description = "Created", body = TagResponse)))]
#[post("/tags")]
pub async fn create_tag(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    body: Json<CreateTagRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let t = state.app.create_tag(&who.0, &b.name, &b.category).await?;
    Ok(HttpResponse::Created().json(TagResponse::from(t)))
}

/// The tenant's tags.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(TagParams),
    responses((status = 200, description = "Tags", body = TagList)))]
#[get("/tags")]
pub async fn list_tags(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    q: Query<TagParams>,
) -> ApiResult<web::Json<TagList>> {
    let items = state.app.list_tags(&who.0, q.0.category.as_deref()).await.map_err(ApiError::in_query)?;
    Ok(web::Json(TagList { items: items.into_iter().map(Into::into).collect() }))
}

/// Deletes a tag; it comes off every customer.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath),
    responses((status = 204, description = "Deleted")))]
#[delete("/tags/{id}")]
pub async fn delete_tag(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    state.app.delete_tag(&who.0, path.0.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
