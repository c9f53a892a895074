//! The customer list: search and filters (shared with the public pool), and the extractor that
//! reads them with the `custom[key]=value` filters (OpenAPI `deepObject`) beside them.

use crate::extract::{Allowed, parse_query};
use crate::perm::CustomersRead;
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::state::ApiState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, get, web};
use chrono::NaiveDate;
use crm_app::customers::records::{CustomerView, ListFilters};
use crm_app::paging::{Page, PageRequest};
use crm_domain::customers::{CustomerKind, Gender, LifecycleGrade, SearchQuery};
use crm_domain::ids::{TagId, UserId};
use serde::Deserialize;
use std::future::{Ready, ready};
use utoipa::IntoParams;
use uuid::Uuid;

/// Search and filters of the customer list. Besides these, `custom[key]=value` filters by a
/// custom field; any other parameter is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerListParams {
    /// Name (or its beginning), full pinyin or initials (`zw` finds 张伟), phone (full, last 4
    /// digits, or beginning), email, or a membership card number (or its beginning, 4 characters
    /// or more). Answered from indexes.
    pub q: Option<String>,
    pub kind: Option<CustomerKind>,
    /// Lifecycle grade.
    pub grade: Option<LifecycleGrade>,
    pub level: Option<String>,
    pub source: Option<String>,
    pub industry: Option<String>,
    pub gender: Option<Gender>,
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

/// The customer list's query: [`CustomerListParams`] and the `custom[key]=value` pairs.
#[derive(Debug)]
pub struct CustomerQuery {
    pub params: CustomerListParams,
    /// `(key, value)` of each `custom[key]=value`, in order.
    pub custom: Vec<(String, String)>,
}

/// The key of a `custom[key]` parameter.
fn custom_key(name: &str) -> Option<&str> {
    name.strip_prefix("custom[")?.strip_suffix(']')
}

impl FromRequest for CustomerQuery {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = req.query_string();
        let custom = form_urlencoded::parse(query.as_bytes())
            .filter_map(|(k, v)| Some((custom_key(&k)?.to_owned(), v.into_owned())))
            .collect();
        ready(
            parse_query::<CustomerListParams>(query, |name| custom_key(name).is_some())
                .map(|params| CustomerQuery { params, custom })
                .map_err(Into::into),
        )
    }
}

impl CustomerQuery {
    /// The page asked for, and the filters (shared by the customer list and the public pool).
    pub fn into_filters(self) -> Result<(PageRequest, ListFilters), ApiError> {
        let q = self.params;
        let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
        // A `q` of four or more letters and digits may also be (the beginning of) a card number.
        let card_no =
            q.q.as_deref()
                .and_then(|raw| crm_domain::membership::card::parse_card_no("/q", raw).ok())
                .filter(|c| c.len() >= 4);
        let filters = ListFilters {
            q: q.q.as_deref().and_then(SearchQuery::parse),
            owner_id: q.owner_id.map(UserId),
            tag_id: q.tag_id.map(TagId),
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
            custom: self.custom,
            card_no,
        };
        Ok((page, filters))
    }
}

/// Customers within the caller's data scope, oldest first; `q` searches names, pinyin, phones and emails.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])),
    params(CustomerListParams, ("custom" = Option<std::collections::HashMap<String, String>>, Query, style = DeepObject, explode,
        description = "Custom fields by key: `custom[house_type]=villa` (equals; for a multi-select, holds the option), `custom[area]=90..140` or `custom[visit_on]=2026-01-01..` (a range of a number or date field; either end may be empty).")),
    responses((status = 200, description = "A page of customers", body = Page<CustomerView>)))]
#[get("/customers")]
pub async fn list_customers(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    q: CustomerQuery,
) -> ApiResult<web::Json<Page<CustomerView>>> {
    let (page, f) = q.into_filters()?;
    Ok(web::Json(state.app.list_customers(&who.0, f, page).await.map_err(ApiError::in_query)?))
}
