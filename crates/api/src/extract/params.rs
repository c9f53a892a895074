//! `Query<T>` and `Path<T>`: typed query strings and path parameters; a value that cannot be
//! read is a 400 naming the parameter.

use super::serde_issue;
use crate::problem::ApiError;
use crate::routes::fallback::{RouteTable, method_not_allowed};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::{Ready, ready};

/// Query parameters.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(req.query_string().as_bytes()));
        ready(serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let issue = serde_issue(e.path(), &e.inner().to_string());
            let issue = if issue.field.is_empty() { named_in_message(&e.inner().to_string()) } else { issue };
            let mut err = ApiError::new(StatusCode::BAD_REQUEST, "request.invalid_query");
            err.fields.push(issue);
            err.into()
        }))
    }
}

/// Path parameters, deserialized from the matched route (`/users/{id}` -> `id`).
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Path<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = actix_router::PathDeserializer::new(req.match_info());
        ready(serde_path_to_error::deserialize(de).map(Path).map_err(|e| {
            // `/customers/changes` also fits `/customers/{id}`: a method the fixed route lacks is a
            // 405 there, not an unreadable id.
            if let Some(table) = req.app_data::<actix_web::web::Data<RouteTable>>()
                && let Some(e405) = method_not_allowed(table, req.path(), req.method().as_str())
            {
                return e405.into();
            }
            let mut err = ApiError::new(StatusCode::BAD_REQUEST, "request.invalid_path");
            err.fields.push(serde_issue(e.path(), &e.inner().to_string()));
            err.into()
        }))
    }
}

/// Flat values lose their path in `serde_urlencoded`; when the message names the field, use it.
fn named_in_message(message: &str) -> crate::problem::FieldIssue {
    let quoted = message.split('`').nth(1).unwrap_or_default();
    crate::problem::FieldIssue {
        field: if quoted.is_empty() { String::new() } else { format!("/{quoted}") },
        code: "invalid_value".to_owned(),
        params: Vec::new(),
    }
}
