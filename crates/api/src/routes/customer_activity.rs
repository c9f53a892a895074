//! Around a customer: contacts of organizations, interactions, and the timeline.

use super::ApiResult;
use super::common::{IdPath, nullable};
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomersRead, CustomersWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use crm_app::customers::contacts::{ContactInput, ContactView};
use crm_app::customers::interactions::{InteractionView, NewInteraction, TimelineEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// Contact fields; on `PATCH` absent fields stay and `null` clears.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "李经理", "title": "采购经理", "phone": "021 6123 4567", "is_primary": true}))]
pub struct ContactFields {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    /// At most one primary contact per customer; setting it clears the others.
    pub is_primary: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub notes: Option<Option<String>>,
}

impl From<ContactFields> for ContactInput {
    fn from(f: ContactFields) -> Self {
        ContactInput {
            name: f.name,
            title: f.title,
            phone: f.phone,
            email: f.email,
            is_primary: f.is_primary,
            notes: f.notes,
        }
    }
}

/// A contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactResponse {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub title: Option<String>,
    /// E.164, masked (`+86 138****5678`) without `customers:read_pii`.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_primary: bool,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ContactView> for ContactResponse {
    fn from(c: ContactView) -> Self {
        Self {
            id: c.id,
            customer_id: c.customer_id,
            name: c.name,
            title: c.title,
            phone: c.phone,
            email: c.email,
            is_primary: c.is_primary,
            notes: c.notes,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A customer's contacts, primary first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactResponse>,
}

/// A new interaction.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "call", "summary": "确认看房时间", "next_step": "周六带看", "next_contact_on": "2026-12-05"}))]
pub struct CreateInteractionRequest {
    /// `call`, `email`, `meeting`, `visit`, `chat` or `note`.
    pub kind: String,
    /// When it happened; now when absent.
    pub occurred_at: Option<DateTime<Utc>>,
    #[schema(min_length = 1, max_length = 10000)]
    pub summary: String,
    pub next_step: Option<String>,
    /// When to get in touch again.
    pub next_contact_on: Option<NaiveDate>,
}

/// An interaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionResponse {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub summary: String,
    pub next_step: Option<String>,
    pub next_contact_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl From<InteractionView> for InteractionResponse {
    fn from(i: InteractionView) -> Self {
        Self {
            id: i.id,
            customer_id: i.customer_id,
            kind: i.kind,
            occurred_at: i.occurred_at,
            actor_type: i.actor_type,
            actor_id: i.actor_id,
            summary: i.summary,
            next_step: i.next_step,
            next_contact_on: i.next_contact_on,
            created_at: i.created_at,
        }
    }
}

/// One entry of the timeline: `type` says which fields are set.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// `interaction` or `grade_change`.
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub interaction: Option<InteractionResponse>,
    pub grade_from: Option<String>,
    pub grade_to: Option<String>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
}

impl From<TimelineEvent> for TimelineEntry {
    fn from(e: TimelineEvent) -> Self {
        match e {
            TimelineEvent::Interaction(i) => TimelineEntry {
                type_: "interaction",
                id: i.id,
                at: i.occurred_at,
                actor_type: i.actor_type.clone(),
                actor_id: i.actor_id,
                interaction: Some(i.into()),
                grade_from: None,
                grade_to: None,
            },
            TimelineEvent::GradeChange { id, at, from, to, actor_type, actor_id } => TimelineEntry {
                type_: "grade_change",
                id,
                at,
                interaction: None,
                grade_from: from,
                grade_to: Some(to),
                actor_type,
                actor_id,
            },
        }
    }
}

/// A page of the timeline, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineResponse {
    pub items: Vec<TimelineEntry>,
    pub next_cursor: Option<String>,
}

/// Timeline paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Adds a contact to an organization customer (409 `customer.not_organization` for a person).
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath), request_body = ContactFields,
    responses((status = 201, description = "Created", body = ContactResponse)))]
#[post("/customers/{id}/contacts")]
pub async fn add_contact(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    body: Json<ContactFields>,
) -> ApiResult<HttpResponse> {
    let c = state.app.add_contact(&who.0, path.0.id, body.into_inner()?.into()).await?;
    Ok(HttpResponse::Created().json(ContactResponse::from(c)))
}

/// A customer's contacts.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(IdPath),
    responses((status = 200, description = "Contacts", body = ContactList)))]
#[get("/customers/{id}/contacts")]
pub async fn list_contacts(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<ContactList>> {
    let items = state.app.list_contacts(&who.0, path.0.id).await?.into_iter().map(Into::into).collect();
    Ok(web::Json(ContactList { items }))
}

/// Changes a contact.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath), request_body = ContactFields,
    responses((status = 200, description = "Updated", body = ContactResponse)))]
#[patch("/contacts/{id}")]
pub async fn update_contact(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    body: Json<ContactFields>,
) -> ApiResult<web::Json<ContactResponse>> {
    Ok(web::Json(state.app.update_contact(&who.0, path.0.id, body.into_inner()?.into()).await?.into()))
}

/// Removes a contact.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath),
    responses((status = 204, description = "Removed")))]
#[delete("/contacts/{id}")]
pub async fn delete_contact(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    state.app.delete_contact(&who.0, path.0.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Records an interaction (call, email, meeting, visit, chat, note) with a customer.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath), request_body = CreateInteractionRequest,
    responses((status = 201, description = "Recorded", body = InteractionResponse)))]
#[post("/customers/{id}/interactions")]
pub async fn add_interaction(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    body: Json<CreateInteractionRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let cmd = NewInteraction {
        kind: b.kind,
        occurred_at: b.occurred_at,
        summary: b.summary,
        next_step: b.next_step,
        next_contact_on: b.next_contact_on,
    };
    let i = state.app.add_interaction(&who.0, path.0.id, cmd).await?;
    Ok(HttpResponse::Created().json(InteractionResponse::from(i)))
}

/// The customer's timeline, newest first: interactions and grade changes in one feed.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(IdPath, TimelineParams),
    responses((status = 200, description = "A page of the timeline", body = TimelineResponse)))]
#[get("/customers/{id}/timeline")]
pub async fn timeline(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    path: Path<IdPath>,
    q: Query<TimelineParams>,
) -> ApiResult<web::Json<TimelineResponse>> {
    let page = state
        .app
        .customer_timeline(&who.0, path.0.id, q.0.cursor.as_deref(), q.0.limit)
        .await
        .map_err(ApiError::in_query)?;
    Ok(web::Json(TimelineResponse {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}
