//! Batch upsert of customers by `(source, external_id)`: items are read one by one, so an item
//! that cannot be read fails alone, under its index in the request.

use super::fields::BatchUpsertItem;
use crate::extract::{Allowed, Json, parse_json_value};
use crate::perm::CustomersWrite;
use crate::problem::{ApiError, FieldIssue};
use crate::routes::ApiResult;
use crate::routes::batch::{BatchResponse, ItemStatus, respond};
use crate::state::ApiState;
use actix_web::{HttpRequest, post, web};
use crm_app::AppError;
use crm_app::batch::check_size;
use crm_app::customers::batch::{BatchItem, UpsertStatus, Upserted};
use crm_app::customers::records::CustomerInput;
use crm_domain::customers::customer::parse_text;
use crm_domain::{FieldError, FieldErrors, limits};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// Customers from one source system, keyed by `(source, external_id)`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "sales-office", "items": [{"external_id": "C-1001", "name": "张伟", "phone": "13812345678"}]}))]
pub struct BatchUpsertRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub source: String,
    /// 1 to 1000 items.
    #[schema(value_type = Vec<BatchUpsertItem>, min_items = 1, max_items = 1000)]
    pub items: Vec<serde_json::Value>,
}

impl ItemStatus for UpsertStatus {
    const FAILED: Self = UpsertStatus::Failed;
}

/// One item of the request at `index`: read strictly, its key and fields parsed, every problem
/// named under `/items/{index}`.
fn item(index: usize, v: serde_json::Value) -> Result<BatchItem, ApiError> {
    let prefix = format!("/items/{index}");
    let under = |mut e: ApiError| {
        for f in &mut e.fields {
            f.field = format!("{prefix}{}", f.field);
        }
        e
    };
    // An item that is not an object has no key either; both are said.
    if !v.is_object() {
        let mut e =
            parse_json_value::<BatchUpsertItem>(v, &prefix).err().unwrap_or_else(|| ApiError::validation(vec![]));
        e.fields.insert(
            0,
            FieldIssue { field: format!("{prefix}/external_id"), code: "required".to_owned(), params: vec![] },
        );
        return Err(ApiError::validation(e.fields));
    }
    let mut fields = parse_json_value::<BatchUpsertItem>(v, &prefix)?;
    let mut errs = FieldErrors::default();
    let external_id = match fields.external_id.take() {
        None => {
            errs.push(FieldError::new("/external_id", "required"));
            None
        }
        Some(raw) => match errs.check(parse_text("/external_id", Some(&raw), limits::EXTERNAL_ID)) {
            Some(None) => {
                errs.push(FieldError::new("/external_id", "required"));
                None
            }
            other => other.flatten(),
        },
    };
    let input = CustomerInput::from(fields);
    match external_id {
        // The fields' own errors are reported by the use case, with what it finds.
        Some(external_id) if errs.is_empty() => Ok(BatchItem { index, external_id, input }),
        _ => {
            errs.0.extend(input.invalid.0);
            Err(under(AppError::from(errs).into()))
        }
    }
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
    responses((status = 200, description = "Per-item results, in the order of the request", body = BatchResponse<UpsertStatus, Upserted>)))]
#[post("/customers/batch-upsert")]
pub async fn batch_upsert(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    body: Json<BatchUpsertRequest>,
) -> ApiResult<web::Json<BatchResponse<UpsertStatus, Upserted>>> {
    let b = body.into_inner()?;
    check_size("/items", b.items.len())?;
    let mut unreadable = Vec::new();
    let mut items = Vec::with_capacity(b.items.len());
    for (index, v) in b.items.into_iter().enumerate() {
        match item(index, v) {
            Ok(i) => items.push(i),
            Err(e) => unreadable.push((index, e)),
        }
    }
    let results =
        if items.is_empty() { Vec::new() } else { state.app.batch_upsert_customers(&who.0, &b.source, items).await? };
    Ok(web::Json(respond(&req, unreadable, results)))
}
