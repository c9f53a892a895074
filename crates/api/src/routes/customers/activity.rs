//! Around a customer: contacts of organizations, interactions, and the timeline.

use super::invalid;
use super::records::id;
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomersRead, CustomersWrite};
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::routes::common::{IdPath, nullable};
use crate::state::ApiState;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use crm_app::customers::contacts::{ContactInput, ContactView};
use crm_app::customers::interactions::{InteractionView, NewInteraction, TimelineEntry};
use crm_app::paging::{Items, Page};
use crm_domain::FieldErrors;
use crm_domain::customers::customer::{parse_email, parse_text, unless_blank};
use crm_domain::customers::{InteractionKind, Phone};
use crm_domain::identity::org::parse_name;
use crm_domain::ids::ContactId;
use crm_domain::{FieldError, limits};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// Declares a request body with a contact's fields (`name` annotated by `$name_attr`), and its
/// conversion into a `ContactInput`.
macro_rules! contact_fields {
    ($(#[$meta:meta])* $struct:ident $(#[$name_attr:meta])*) => {
        #[derive(Debug, Default, Deserialize, Validate, ToSchema)]
        #[serde(deny_unknown_fields)]
        $(#[$meta])*
        pub struct $struct {
            $(#[$name_attr])*
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

        impl TryFrom<$struct> for ContactInput {
            type Error = FieldErrors;

            fn try_from(f: $struct) -> Result<Self, FieldErrors> {
                let mut e = FieldErrors::default();
                let input = ContactInput {
                    name: f.name.and_then(|n| e.check(parse_name("/name", &n))),
                    title: f.title.map(|t| e.check(parse_text("/title", t.as_deref(), limits::CONTACT_TITLE)).flatten()),
                    phone: f.phone.map(|v| v.and_then(|v| e.check(unless_blank(&v, |s| Phone::parse("/phone", s))).flatten())),
                    email: f.email.map(|v| v.and_then(|v| e.check(unless_blank(&v, |s| parse_email("/email", s))).flatten())),
                    is_primary: f.is_primary,
                    notes: f.notes.map(|n| e.check(parse_text("/notes", n.as_deref(), 10_000)).flatten()),
                };
                e.into_result().map(|()| input)
            }
        }
    };
}

contact_fields!(
    /// A new contact: `name` is required.
    #[schema(example = json!({"name": "李经理", "title": "采购经理", "phone": "021 6123 4567", "is_primary": true}))]
    NewContact
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
);

contact_fields!(
    /// A change of a contact: absent fields stay, `null` clears.
    #[schema(example = json!({"title": "总经理", "is_primary": true}))]
    ContactPatch
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
);

/// A new interaction.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "call", "summary": "确认看房时间", "next_step": "周六带看", "next_contact_on": "2026-12-05"}))]
pub struct CreateInteractionRequest {
    #[schema(value_type = InteractionKind)]
    pub kind: String,
    /// When it happened; now when absent.
    pub occurred_at: Option<DateTime<Utc>>,
    #[schema(min_length = 1, max_length = 10000)]
    pub summary: String,
    pub next_step: Option<String>,
    /// When to get in touch again.
    pub next_contact_on: Option<NaiveDate>,
}

impl TryFrom<CreateInteractionRequest> for NewInteraction {
    type Error = FieldErrors;

    fn try_from(b: CreateInteractionRequest) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = e.check(InteractionKind::parse("/kind", &b.kind));
        let summary = match e.check(parse_text("/summary", Some(&b.summary), 10_000)) {
            Some(None) => {
                e.push(FieldError::new("/summary", "required"));
                None
            }
            s => s.flatten(),
        };
        let next_step = e.check(parse_text("/next_step", b.next_step.as_deref(), 2000)).flatten();
        match (kind, summary) {
            (Some(kind), Some(summary)) if e.is_empty() => Ok(NewInteraction {
                kind,
                occurred_at: b.occurred_at,
                summary,
                next_step,
                next_contact_on: b.next_contact_on,
            }),
            _ => Err(e),
        }
    }
}

/// Timeline paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineParams {
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Adds a contact to an organization customer (409 `customer.not_organization` for a person).
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath), request_body = NewContact,
    responses((status = 201, description = "Created", body = ContactView)))]
#[post("/customers/{id}/contacts")]
pub async fn add_contact(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    body: Json<NewContact>,
) -> ApiResult<HttpResponse> {
    let input = ContactInput::try_from(body.into_inner()?).map_err(invalid)?;
    let c = state.app.add_contact(&who.0, id(&path.0), input).await?;
    Ok(HttpResponse::Created().json(c))
}

/// A customer's contacts, primary first.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(IdPath),
    responses((status = 200, description = "Contacts, primary first", body = Items<ContactView>)))]
#[get("/customers/{id}/contacts")]
pub async fn list_contacts(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<Items<ContactView>>> {
    Ok(web::Json(state.app.list_contacts(&who.0, id(&path.0)).await?))
}

/// Changes a contact.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath), request_body = ContactPatch,
    responses((status = 200, description = "Updated", body = ContactView)))]
#[patch("/contacts/{id}")]
pub async fn update_contact(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    body: Json<ContactPatch>,
) -> ApiResult<web::Json<ContactView>> {
    let input = ContactInput::try_from(body.into_inner()?).map_err(invalid)?;
    Ok(web::Json(state.app.update_contact(&who.0, ContactId(path.0.id), input).await?))
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
    state.app.delete_contact(&who.0, ContactId(path.0.id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Records an interaction (call, email, meeting, visit, chat, note) with a customer.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath), request_body = CreateInteractionRequest,
    responses((status = 201, description = "Recorded", body = InteractionView)))]
#[post("/customers/{id}/interactions")]
pub async fn add_interaction(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    body: Json<CreateInteractionRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = NewInteraction::try_from(body.into_inner()?).map_err(invalid)?;
    let i = state.app.add_interaction(&who.0, id(&path.0), cmd).await?;
    Ok(HttpResponse::Created().json(i))
}

/// The customer's timeline, newest first: interactions and grade changes in one feed.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(IdPath, TimelineParams),
    responses((status = 200, description = "A page of the timeline, newest first", body = Page<TimelineEntry>)))]
#[get("/customers/{id}/timeline")]
pub async fn timeline(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    path: Path<IdPath>,
    q: Query<TimelineParams>,
) -> ApiResult<web::Json<Page<TimelineEntry>>> {
    let page = state
        .app
        .customer_timeline(&who.0, id(&path.0), q.0.cursor.as_deref(), q.0.limit)
        .await
        .map_err(ApiError::in_query)?;
    Ok(web::Json(page))
}
