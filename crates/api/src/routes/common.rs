//! Pieces every endpoint group uses: id parameters, ETag responses, PATCH nulls.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::ETAG;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::IntoParams;
use uuid::Uuid;

/// The `{id}` of a resource.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// Resource id.
    pub id: Uuid,
}

/// A JSON response with the resource's `ETag`.
pub fn with_etag<T: Serialize>(status: StatusCode, body: &T, etag: &str) -> HttpResponse {
    HttpResponse::build(status).insert_header((ETAG, etag.to_owned())).json(body)
}

/// For `PATCH` fields that may be set to null: absent -> `None`, `null` -> `Some(None)`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The `If-Match` header of an operation that honours it (declare it with `params(IfMatchHeader)`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The `ETag` the change was based on; a stale one is answered 412 `resource.precondition_failed`
    /// and nothing changes. Without it the change applies to the current version.
    #[serde(rename = "If-Match")]
    #[param(example = "\"1733212800123456\"")]
    pub if_match: Option<String>,
}
