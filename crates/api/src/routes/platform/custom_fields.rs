//! Custom field definitions per object type.

use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomFieldsRead, CustomFieldsWrite};
use crate::routes::ApiResult;
use crate::routes::common::{IdPath, nullable};
use crate::state::ApiState;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_app::AppError;
use crm_app::paging::Page;
use crm_app::platform::custom_fields::{CreateCustomField, CustomFieldView, UpdateCustomField};
use crm_domain::FieldErrors;
use crm_domain::ids::CustomFieldId;
use crm_domain::platform::custom_fields::{
    FieldType, ObjectType, parse_key, parse_label, parse_options, parse_permission,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// A new custom field.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"object_type": "customer", "key": "house_type", "label": "户型", "field_type": "select", "options": ["apartment", "villa"], "required": false}))]
pub struct CreateCustomFieldRequest {
    #[schema(value_type = ObjectType)]
    pub object_type: String,
    /// `[a-z][a-z0-9_]*`, unique per object type; the key in `custom_fields` objects and filters.
    pub key: String,
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
    #[schema(value_type = FieldType)]
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

impl TryFrom<CreateCustomFieldRequest> for CreateCustomField {
    type Error = AppError;

    fn try_from(b: CreateCustomFieldRequest) -> Result<Self, AppError> {
        let mut errs = FieldErrors::default();
        let object = errs.check(ObjectType::parse("/object_type", &b.object_type));
        let key = errs.check(parse_key("/key", &b.key));
        let label = errs.check(parse_label("/label", &b.label));
        let ty = errs.check(FieldType::parse("/field_type", &b.field_type));
        let options = match ty.map(|t| parse_options("/options", t, &b.options)) {
            Some(Ok(o)) => o,
            Some(Err(e)) => {
                errs.0.extend(e.0);
                Vec::new()
            }
            None => Vec::new(),
        };
        let permission = b.permission.and_then(|p| errs.check(parse_permission("/permission", &p)));
        errs.into_result()?;
        let (Some(object_type), Some(key), Some(label), Some(field_type)) = (object, key, label, ty) else {
            return Err(AppError::Internal("unreachable".into()));
        };
        Ok(Self {
            object_type,
            key,
            label,
            field_type,
            options,
            required: b.required,
            permission,
            position: b.position.unwrap_or(0),
        })
    }
}

impl From<UpdateCustomFieldRequest> for UpdateCustomField {
    fn from(b: UpdateCustomFieldRequest) -> Self {
        Self {
            label: b.label,
            options: b.options,
            required: b.required,
            permission: b.permission,
            position: b.position,
        }
    }
}

/// Definition list filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomFieldParams {
    pub object_type: Option<ObjectType>,
}

/// Defines a custom field.
#[utoipa::path(tag = "custom-fields", security(("bearer" = ["custom_fields:write"])), request_body = CreateCustomFieldRequest,
    responses(
        (status = 201, description = "Created", body = CustomFieldView),
        (status = 409, description = "The key is taken for the object type (`custom_field.key_taken`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/custom-fields")]
pub async fn create_custom_field(
    state: web::Data<ApiState>,
    who: Allowed<CustomFieldsWrite>,
    body: Json<CreateCustomFieldRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = body.into_inner()?.try_into()?;
    Ok(HttpResponse::Created().json(state.app.create_custom_field(&who.0, cmd).await?))
}

/// The tenant's custom fields.
#[utoipa::path(tag = "custom-fields", security(("bearer" = ["custom_fields:read"])), params(CustomFieldParams),
    responses((status = 200, description = "Definitions, by object type and position", body = Page<CustomFieldView>)))]
#[get("/custom-fields")]
pub async fn list_custom_fields(
    state: web::Data<ApiState>,
    who: Allowed<CustomFieldsRead>,
    q: Query<CustomFieldParams>,
) -> ApiResult<web::Json<Page<CustomFieldView>>> {
    let items = state.app.list_custom_fields(&who.0, q.0.object_type).await?;
    Ok(web::Json(Page { items, next_cursor: None }))
}

/// Changes a custom field's label, options, required flag, permission or position.
#[utoipa::path(tag = "custom-fields", security(("bearer" = ["custom_fields:write"])), params(IdPath),
    request_body = UpdateCustomFieldRequest,
    responses(
        (status = 200, description = "Updated", body = CustomFieldView),
        (status = 409, description = "Removes an option a record still holds (`custom_field.option_in_use`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/custom-fields/{id}")]
pub async fn update_custom_field(
    state: web::Data<ApiState>,
    who: Allowed<CustomFieldsWrite>,
    path: Path<IdPath>,
    body: Json<UpdateCustomFieldRequest>,
) -> ApiResult<web::Json<CustomFieldView>> {
    let cmd = body.into_inner()?.into();
    Ok(web::Json(state.app.update_custom_field(&who.0, CustomFieldId(path.0.id), cmd).await?))
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
    state.app.delete_custom_field(&who.0, CustomFieldId(path.0.id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
