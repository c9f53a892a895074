//! Tags with categories (region, industry, purchase history, attribute, other).

use super::invalid;
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomersRead, CustomersWrite};
use crate::routes::ApiResult;
use crate::routes::common::IdPath;
use crate::state::ApiState;
use actix_web::{HttpResponse, delete, get, post, web};
use crm_app::customers::tags::{NewTag, TagView};
use crm_app::paging::Items;
use crm_domain::customers::TagCategory;
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::TagId;
use crm_domain::{FieldError, FieldErrors, limits};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// A new tag.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "华东", "category": "region"}))]
pub struct CreateTagRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(value_type = TagCategory)]
    pub category: String,
}

impl TryFrom<CreateTagRequest> for NewTag {
    type Error = FieldErrors;

    fn try_from(b: CreateTagRequest) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = match e.check(parse_text("/name", Some(&b.name), limits::TAG_NAME)) {
            Some(None) => {
                e.push(FieldError::new("/name", "required"));
                None
            }
            n => n.flatten(),
        };
        let category = e.check(TagCategory::parse("/category", &b.category));
        match (name, category) {
            (Some(name), Some(category)) => Ok(NewTag { name, category }),
            _ => Err(e),
        }
    }
}

/// Tag list filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TagParams {
    pub category: Option<TagCategory>,
}

/// Creates a tag (names are unique within a category).
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), request_body = CreateTagRequest,
    responses((status = 201, description = "Created", body = TagView)))]
#[post("/tags")]
pub async fn create_tag(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    body: Json<CreateTagRequest>,
) -> ApiResult<HttpResponse> {
    let input = NewTag::try_from(body.into_inner()?).map_err(invalid)?;
    Ok(HttpResponse::Created().json(state.app.create_tag(&who.0, input).await?))
}

/// The tenant's tags, by category and name.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(TagParams),
    responses((status = 200, description = "Tags, by category and name", body = Items<TagView>)))]
#[get("/tags")]
pub async fn list_tags(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    q: Query<TagParams>,
) -> ApiResult<web::Json<Items<TagView>>> {
    Ok(web::Json(state.app.list_tags(&who.0, q.0.category).await?))
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
    state.app.delete_tag(&who.0, TagId(path.0.id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
