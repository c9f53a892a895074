//! Custom field definitions per object type.

use super::ApiResult;
use super::common::{IdPath, nullable};
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomFieldsRead, CustomFieldsWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use crm_app::platform::custom_fields::{CustomFieldPatch, CustomFieldView, NewCustomField};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// A new custom field.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"object_type": "customer", "key": "house_type", "label": "户型", "field_type": "select", "options": ["apartment", "villa"], "required": false}))]
pub struct CreateCustomFieldRequest {
    /// `customer`.
    pub object_type: String,
    /// `[a-z][a-z0-9_]*`, unique per object type; the key in `custom_fields` objects and filters.
    pub key: String,
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
    /// `text`, `number`, `date`, `select`, `multi_select` or `bool`.
    pub field_type: String,
    /// The allowed values of `select` and `multi_select` fields (1 to 200); none for other types.
    #[serde(default)]
    pub options: Vec<String>,
    /// Records must carry a value when created, and it cannot be cleared.
    #[serde(default)]
    pub required: bool,
    /// Only callers holding this permission see and write the field (e.g. `customers:read_pii`).
    pub permission: Option<String>,
    /// Display order.
    pub position: Option<i32>,
}

/// A change of a custom field; `key`, `object_type` and `field_type` never change.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomFieldRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub label: Option<String>,
    /// The new options; an option a record still holds cannot be removed (409).
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    /// `null` makes the field visible to everyone who sees the record.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub permission: Option<Option<String>>,
    pub position: Option<i32>,
}

/// A custom field definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldResponse {
    pub id: Uuid,
    pub object_type: String,
    pub key: String,
    pub label: String,
    pub field_type: String,
    pub options: Vec<String>,
    pub required: bool,
    pub permission: Option<String>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CustomFieldView> for CustomFieldResponse {
    fn from(v: CustomFieldView) -> Self {
        Self {
            id: v.id,
            object_type: v.object_type,
            key: v.key,
            label: v.label,
            field_type: v.field_type,
            options: v.options,
            required: v.required,
            permission: v.permission,
            position: v.position,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// Definitions, by object type and position.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldList {
    pub items: Vec<CustomFieldResponse>,
}

/// Definition list filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomFieldParams {
    /// `customer`.
    pub object_type: Option<String>,
}

/// Defines a custom field.
#[utoipa::path(tag = "custom-fields", security(("bearer" = ["custom_fields:write"])), request_body = CreateCustomFieldRequest,
    responses((status = 201, description = "Created", body = CustomFieldResponse)))]
#[post("/custom-fields")]
pub async fn create_custom_field(
    state: web::Data<ApiState>,
    who: Allowed<CustomFieldsWrite>,
    body: Json<CreateCustomFieldRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let input = NewCustomField {
        object_type: b.object_type,
        key: b.key,
        label: b.label,
        field_type: b.field_type,
        options: b.options,
        required: b.required,
        permission: b.permission,
        position: b.position,
    };
    let v = state.app.create_custom_field(&who.0, input).await?;
    Ok(HttpResponse::Created().json(CustomFieldResponse::from(v)))
}

/// The tenant's custom fields.
#[utoipa::path(tag = "custom-fields", security(("bearer" = ["custom_fields:read"])), params(CustomFieldParams),
    responses((status = 200, description = "Definitions", body = CustomFieldList)))]
#[get("/custom-fields")]
pub async fn list_custom_fields(
    state: web::Data<ApiState>,
    who: Allowed<CustomFieldsRead>,
    q: Query<CustomFieldParams>,
) -> ApiResult<web::Json<CustomFieldList>> {
    let items = state.app.list_custom_fields(&who.0, q.0.object_type.as_deref()).await.map_err(ApiError::in_query)?;
    Ok(web::Json(CustomFieldList { items: items.into_iter().map(Into::into).collect() }))
}

/// Changes a custom field's label, options, required flag, permission or position.
#[utoipa::path(tag = "custom-fields", security(("bearer" = ["custom_fields:write"])), params(IdPath),
    request_body = UpdateCustomFieldRequest,
    responses((status = 200, description = "Updated", body = CustomFieldResponse)))]
#[patch("/custom-fields/{id}")]
pub async fn update_custom_field(
    state: web::Data<ApiState>,
    who: Allowed<CustomFieldsWrite>,
    path: Path<IdPath>,
    body: Json<UpdateCustomFieldRequest>,
) -> ApiResult<web::Json<CustomFieldResponse>> {
    let b = body.into_inner()?;
    let patch = CustomFieldPatch {
        label: b.label,
        options: b.options,
        required: b.required,
        permission: b.permission,
        position: b.position,
    };
    Ok(web::Json(state.app.update_custom_field(&who.0, path.0.id, patch).await?.into()))
}

/// Deletes a custom field and every value of it.
#[utoipa::path(tag = "custom-fields", security(("bearer" = ["custom_fields:write"])), params(IdPath),
    responses((status = 204, description = "Deleted")))]
#[delete("/custom-fields/{id}")]
pub async fn delete_custom_field(
    state: web::Data<ApiState>,
    who: Allowed<CustomFieldsWrite>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    state.app.delete_custom_field(&who.0, path.0.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
