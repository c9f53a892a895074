//! Customers: the record, search, soft delete and restore, grade history, batch upsert by
//! external id, and the change feed.

use super::ApiResult;
use super::common::{IdPath, nullable, with_etag};
use super::tags::TagResponse;
use crate::extract::{Allowed, IfMatch, Json, Path, Query};
use crate::i18n::Lang;
use crate::perm::{CustomersRead, CustomersWrite};
use crate::problem::{ApiError, DuplicateRef, Problem};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use crm_app::customers::batch::{BatchItem, ItemOutcome};
use crm_app::customers::filters::ListFilters;
use crm_app::customers::input::CustomerInput;
use crm_app::customers::records::GradeChange;
use crm_app::customers::view::CustomerView;
use crm_app::paging::{Page, PageRequest};
use crm_domain::customers::SearchQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// The writable fields of a customer. On create, `name` is required; on `PATCH`, absent fields
/// stay and `null` clears.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "person", "name": "张伟", "phone": "138 1234 5678", "email": "zhang.wei@example.com", "grade": "intent", "city": "上海"}))]
pub struct CustomerFields {
    /// `person` (default) or `organization`.
    pub kind: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Any usual notation; stored as E.164 (`+8613812345678`), China the default country.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    /// `male`, `female`, `other` or `unknown`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub gender: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub birthday: Option<Option<NaiveDate>>,
    /// Stored in full; shown masked unless the caller holds `customers:read_pii`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub id_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub province: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub address: Option<Option<String>>,
    /// Where the customer came from (`walk_in`, `website`, a system's name).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub source: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub industry: Option<Option<String>>,
    /// The tenant's customer level (A/B/C, VIP ...).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub level: Option<Option<String>>,
    /// Lifecycle grade: `prospect` (default), `intent`, `deal`, `loyal`; every change is recorded.
    pub grade: Option<String>,
    /// The responsible user; the creating user by default.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub notes: Option<Option<String>>,
    /// The customer's tags (ids from `/api/v1/tags`); replaces the current ones. Also accepted as `tags`.
    #[serde(alias = "tags")]
    pub tag_ids: Option<Vec<Uuid>>,
    /// Custom field values by key (see `/api/v1/custom-fields`): present keys replace, `null`
    /// clears, absent keys stay. Unknown keys, and fields the caller may not see, are refused.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
}

impl From<CustomerFields> for CustomerInput {
    fn from(f: CustomerFields) -> Self {
        CustomerInput {
            kind: f.kind,
            name: f.name,
            phone: f.phone,
            email: f.email,
            gender: f.gender,
            birthday: f.birthday,
            id_number: f.id_number,
            company: f.company,
            province: f.province,
            city: f.city,
            district: f.district,
            address: f.address,
            source: f.source,
            industry: f.industry,
            level: f.level,
            grade: f.grade,
            owner_id: f.owner_id,
            notes: f.notes,
            tag_ids: f.tag_ids,
            custom_fields: f.custom_fields,
        }
    }
}

/// A customer. `phone` and `id_number` are masked unless the caller holds `customers:read_pii`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerResponse {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub id_number: Option<String>,
    pub company: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub industry: Option<String>,
    pub level: Option<String>,
    pub grade: String,
    pub owner_id: Option<Uuid>,
    pub notes: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the customer is in the trash (`DELETE`d, restorable).
    pub deleted_at: Option<DateTime<Utc>>,
    pub tags: Vec<TagResponse>,
    /// Custom field values by key: only the fields the caller may see.
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
}

impl From<CustomerView> for CustomerResponse {
    fn from(c: CustomerView) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            name: c.name,
            phone: c.phone,
            email: c.email,
            gender: c.gender,
            birthday: c.birthday,
            id_number: c.id_number,
            company: c.company,
            province: c.province,
            city: c.city,
            district: c.district,
            address: c.address,
            source: c.source,
            external_id: c.external_id,
            industry: c.industry,
            level: c.level,
            grade: c.grade,
            owner_id: c.owner_id,
            notes: c.notes,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
            tags: c.tags.into_iter().map(Into::into).collect(),
            custom_fields: c.custom_fields,
        }
    }
}

/// A new customer, with the existing customers it probably duplicates.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCustomerResponse {
    #[serde(flatten)]
    pub customer: CustomerResponse,
    /// Probable duplicates (`customer_id` is `null` for one outside the caller's data scope).
    pub warnings: Vec<DuplicateRef>,
}

/// A page of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    pub items: Vec<CustomerResponse>,
    pub next_cursor: Option<String>,
}

impl From<Page<CustomerView>> for CustomerPage {
    fn from(p: Page<CustomerView>) -> Self {
        Self { items: p.items.into_iter().map(Into::into).collect(), next_cursor: p.next_cursor }
    }
}

/// Search and filters of the customer list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerListParams {
    /// Name (or its beginning), full pinyin or initials (`zw` finds 张伟), phone (full, last 4
    /// digits, or beginning), email, or a membership card number (or its beginning, 4 characters
    /// or more). Answered from indexes.
    pub q: Option<String>,
    /// `person` or `organization`.
    pub kind: Option<String>,
    /// Lifecycle grade.
    pub grade: Option<String>,
    pub level: Option<String>,
    pub source: Option<String>,
    pub industry: Option<String>,
    pub gender: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    /// The company name, exactly.
    pub company: Option<String>,
    /// Born on or after this date.
    pub birthday_from: Option<NaiveDate>,
    /// Born on or before this date.
    pub birthday_to: Option<NaiveDate>,
    /// Created on or after this date (UTC).
    pub created_from: Option<NaiveDate>,
    /// Created on or before this date (UTC).
    pub created_to: Option<NaiveDate>,
    /// No interaction for at least this many days (customers never contacted included).
    #[param(minimum = 0, maximum = 36500)]
    pub inactive_days: Option<u32>,
    /// An interaction within the last this many days.
    #[param(minimum = 0, maximum = 36500)]
    pub active_days: Option<u32>,
    /// `true`: only customers in the public pool (no owner; seen in this list only with the
    /// `all` data scope, see `GET /customers/pool`); `false`: only owned ones.
    pub in_pool: Option<bool>,
    pub owner_id: Option<Uuid>,
    /// Only customers carrying this tag.
    pub tag_id: Option<Uuid>,
    /// `true` lists the trash (deleted customers) instead.
    pub deleted: Option<bool>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One lifecycle-grade change.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradeChangeResponse {
    pub from: Option<String>,
    pub to: String,
    pub changed_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
}

impl From<GradeChange> for GradeChangeResponse {
    fn from(g: GradeChange) -> Self {
        Self { from: g.from, to: g.to, changed_at: g.changed_at, actor_type: g.actor_type, actor_id: g.actor_id }
    }
}

/// The grade history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradeHistory {
    pub items: Vec<GradeChangeResponse>,
}

/// One item of a batch upsert: `external_id` and the fields of [`CustomerFields`]. Its OpenAPI
/// schema is assembled from `CustomerFields` in `openapi::complete` (a flattened struct would be
/// an `allOf` of two closed objects, which no document can satisfy).
///
/// Read in two parts, the key and the fields, each under the item's path: serde's `flatten`
/// would hide which field of an item has the wrong type.
#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct BatchUpsertItem {
    /// The customer's id in the source system: the upsert key with the batch's `source`.
    pub external_id: String,
}

impl BatchUpsertItem {
    /// The key and the fields of one item, with every problem of either named under `prefix`.
    fn parse(mut v: serde_json::Value, prefix: &str) -> Result<(String, CustomerFields), ApiError> {
        let mut key = serde_json::Map::new();
        if let Some(id) = v.as_object_mut().and_then(|o| o.remove("external_id")) {
            key.insert("external_id".to_owned(), id);
        }
        let key = crate::extract::parse_json_value::<BatchUpsertItem>(key.into(), prefix);
        let fields = crate::extract::parse_json_value::<CustomerFields>(v, prefix);
        match (key, fields) {
            (Ok(k), Ok(f)) => Ok((k.external_id, f)),
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
            (Err(a), Err(b)) => Err(ApiError::validation(a.fields.into_iter().chain(b.fields).collect())),
        }
    }
}

/// Customers from one source system, keyed by `(source, external_id)`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "sales-office", "items": [{"external_id": "C-1001", "name": "张伟", "phone": "13812345678"}]}))]
pub struct BatchUpsertRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub source: String,
    /// 1 to 1000 items.
    #[validate(length(min = 1, max = 1000))]
    #[schema(value_type = Vec<Object>, min_items = 1, max_items = 1000)]
    pub items: Vec<serde_json::Value>,
}

/// The result of one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResult {
    pub index: usize,
    /// `created`, `updated`, `unchanged` or `failed`.
    pub status: &'static str,
    pub id: Option<Uuid>,
    pub error: Option<Problem>,
}

/// Per-item results, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchUpsertResponse {
    pub items: Vec<BatchItemResult>,
}

/// Change-feed parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// The `next_cursor` of the previous call; from the beginning when absent.
    pub since: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// One changed customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerChangeResponse {
    pub id: Uuid,
    /// Position in the tenant's change order.
    pub seq: i64,
    /// A tombstone: the customer was deleted (it may be restored later, which is a new change).
    pub deleted: bool,
    pub updated_at: DateTime<Utc>,
}

/// Changes in order; continue with `since=next_cursor`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerChangesResponse {
    pub items: Vec<CustomerChangeResponse>,
    pub next_cursor: String,
    pub has_more: bool,
}

fn respond(status: StatusCode, c: CustomerView) -> HttpResponse {
    let etag = c.etag.clone();
    with_etag(status, &CustomerResponse::from(c), &etag)
}

/// Creates a customer. Probable duplicates (same phone, email, id number, or similar name at the
/// same company) are returned in `warnings`, or refuse the creation with 409 `customer.duplicate`
/// when the tenant's `duplicate_policy` is `refuse`.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), request_body = CustomerFields,
    responses((status = 201, description = "Created", body = CreatedCustomerResponse)))]
#[post("/customers")]
pub async fn create_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    body: Json<CustomerFields>,
) -> ApiResult<HttpResponse> {
    let c = state.app.create_customer(&who.0, body.into_inner()?.into()).await?;
    let etag = c.customer.etag.clone();
    let body = CreatedCustomerResponse {
        customer: c.customer.into(),
        warnings: c.warnings.into_iter().map(Into::into).collect(),
    };
    Ok(with_etag(StatusCode::CREATED, &body, &etag))
}

/// Customers within the caller's data scope, oldest first; `q` searches names, pinyin, phones and emails.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])),
    params(CustomerListParams, ("custom" = Option<std::collections::HashMap<String, String>>, Query, style = DeepObject, explode,
        description = "Custom fields by key: `custom[house_type]=villa` (equals; for a multi-select, holds the option), `custom[area]=90..140` or `custom[visit_on]=2026-01-01..` (a range of a number or date field; either end may be empty).")),
    responses((status = 200, description = "A page of customers", body = CustomerPage)))]
#[get("/customers")]
pub async fn list_customers(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    q: Query<CustomerListParams>,
) -> ApiResult<web::Json<CustomerPage>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = list_filters(q, req.query_string());
    Ok(web::Json(state.app.list_customers(&who.0, f, page).await.map_err(ApiError::in_query)?.into()))
}

/// Customers changed since a cursor, in change order, deleted ones as tombstones: an
/// integrator's delta sync.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(ChangesParams),
    responses((status = 200, description = "Changes", body = CustomerChangesResponse)))]
#[get("/customers/changes")]
pub async fn customer_changes(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    q: Query<ChangesParams>,
) -> ApiResult<web::Json<CustomerChangesResponse>> {
    let page = state.app.customer_changes(&who.0, q.0.since.as_deref(), q.0.limit).await.map_err(ApiError::in_query)?;
    Ok(web::Json(CustomerChangesResponse {
        items: page
            .items
            .into_iter()
            .map(|c| CustomerChangeResponse { id: c.id, seq: c.seq, deleted: c.deleted, updated_at: c.updated_at })
            .collect(),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }))
}

/// Creates or updates customers by `(source, external_id)`; each item is answered on its own and
/// re-sending the same batch creates and changes nothing. A merged customer's key resolves to the
/// survivor; a deleted customer's key fails with `customer.deleted` (restore it first).
///
/// Data scope: the key space is the tenant's, so a caller whose data scope is the whole tenant
/// (integration clients) creates and updates by any key, while any other caller may update only
/// customers within its scope, and every other key, whether it names someone else's customer or
/// no customer at all, fails alike with 403 `customer.key_out_of_scope`: the answer never tells
/// whether a key outside the scope exists.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), request_body = BatchUpsertRequest,
    responses((status = 200, description = "Per-item results", body = BatchUpsertResponse)))]
#[post("/customers/batch-upsert")]
pub async fn batch_upsert(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    body: Json<BatchUpsertRequest>,
) -> ApiResult<web::Json<BatchUpsertResponse>> {
    let lang = Lang::from_headers(req.headers());
    let b = body.into_inner()?;
    // Items are read one by one so that one malformed item fails alone.
    let mut parsed: Vec<(usize, Result<BatchItem, ApiError>)> = Vec::with_capacity(b.items.len());
    for (i, v) in b.items.into_iter().enumerate() {
        let item = BatchUpsertItem::parse(v, &format!("/items/{i}"))
            .map(|(external_id, fields)| BatchItem { external_id, input: fields.into() });
        parsed.push((i, item));
    }
    let good: Vec<BatchItem> = parsed.iter().filter_map(|(_, r)| r.as_ref().ok().cloned()).collect();
    let mut outcomes =
        if good.is_empty() { Vec::new() } else { state.app.batch_upsert_customers(&who.0, &b.source, good).await? }
            .into_iter();
    let instance = Some(req.path().to_owned());
    let items = parsed
        .into_iter()
        .map(|(index, r)| match r {
            Err(e) => BatchItemResult {
                index,
                status: "failed",
                id: None,
                error: Some(e.to_problem(lang, instance.clone(), None)),
            },
            Ok(_) => match outcomes.next() {
                Some(ItemOutcome::Created(id)) => {
                    BatchItemResult { index, status: "created", id: Some(id), error: None }
                }
                Some(ItemOutcome::Updated(id)) => {
                    BatchItemResult { index, status: "updated", id: Some(id), error: None }
                }
                Some(ItemOutcome::Unchanged(id)) => {
                    BatchItemResult { index, status: "unchanged", id: Some(id), error: None }
                }
                Some(ItemOutcome::Failed(e)) => {
                    let e = ApiError::from(e);
                    BatchItemResult {
                        index,
                        status: "failed",
                        id: None,
                        error: Some(e.to_problem(lang, instance.clone(), None)),
                    }
                }
                None => BatchItemResult { index, status: "failed", id: None, error: None },
            },
        })
        .collect();
    Ok(web::Json(BatchUpsertResponse { items }))
}

/// One customer within the caller's data scope.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(IdPath),
    responses((status = 200, description = "The customer", body = CustomerResponse)))]
#[get("/customers/{id}")]
pub async fn get_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_customer(&who.0, path.0.id).await?))
}

/// Changes a customer; absent fields stay, `null` clears. Honours `If-Match` (checked under the
/// customer's lock: of concurrent changes carrying the same version, one wins and the others get
/// 412). With the tenant's `duplicate_policy: refuse`, a change that gives the customer another
/// live customer's phone, email, id number or name at the company is refused with 409 `customer.duplicate`.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath), request_body = CustomerFields,
    responses((status = 200, description = "Updated", body = CustomerResponse),
        (status = 409, description = "Probable duplicate under the refuse policy (`customer.duplicate`)", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[patch("/customers/{id}")]
pub async fn update_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<CustomerFields>,
) -> ApiResult<HttpResponse> {
    let input = body.into_inner()?.into();
    Ok(respond(StatusCode::OK, state.app.update_customer(&who.0, path.0.id, input, if_match.as_deref()).await?))
}

/// Moves a customer to the trash (soft delete; its history stays). Honours `If-Match`.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath),
    responses((status = 204, description = "Deleted")))]
#[delete("/customers/{id}")]
pub async fn delete_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    state.app.delete_customer(&who.0, path.0.id, if_match.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Brings a deleted customer back.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath),
    responses((status = 200, description = "Restored", body = CustomerResponse)))]
#[post("/customers/{id}/restore")]
pub async fn restore_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.restore_customer(&who.0, path.0.id).await?))
}

/// Every lifecycle grade the customer has had, oldest first.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(IdPath),
    responses((status = 200, description = "The history", body = GradeHistory)))]
#[get("/customers/{id}/grade-history")]
pub async fn grade_history(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<GradeHistory>> {
    let items = state.app.customer_grade_history(&who.0, path.0.id).await?.into_iter().map(Into::into).collect();
    Ok(web::Json(GradeHistory { items }))
}

/// `custom[key]=value` pairs of a query string (OpenAPI `deepObject`).
pub(crate) fn custom_params(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("custom[")?.strip_suffix(']')?;
            Some((key.to_owned(), v.into_owned()))
        })
        .collect()
}

/// The list filters of a query (shared by the customer list and the public pool).
pub(crate) fn list_filters(q: CustomerListParams, query: &str) -> ListFilters {
    ListFilters {
        q: q.q.as_deref().and_then(SearchQuery::parse),
        owner_id: q.owner_id,
        tag_id: q.tag_id,
        deleted: q.deleted.unwrap_or(false),
        kind: q.kind,
        grade: q.grade,
        level: q.level,
        source: q.source,
        industry: q.industry,
        gender: q.gender,
        province: q.province,
        city: q.city,
        district: q.district,
        company: q.company,
        birthday_from: q.birthday_from,
        birthday_to: q.birthday_to,
        created_from: q.created_from,
        created_to: q.created_to,
        inactive_days: q.inactive_days,
        active_days: q.active_days,
        in_pool: q.in_pool,
        custom: custom_params(query),
        // A `q` of four or more letters and digits may also be (the beginning of) a card number.
        card_no: q
            .q
            .as_deref()
            .and_then(|raw| crm_domain::membership::card::parse_card_no("/q", raw).ok())
            .filter(|c| c.len() >= 4),
    }
}
