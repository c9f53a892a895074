//! `Query<T>` and `Path<T>`: typed query strings and path parameters; a value that cannot be
//! read is a 400 naming the parameter.

use super::serde_issue;
use super::strict::escape;
use crate::problem::{ApiError, FieldIssue};
use crate::routes::fallback::{RouteTable, method_not_allowed};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use crm_app::codes::Code;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::future::{Ready, ready};

/// Query parameters.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string(), |_| false).map(Query).map_err(Into::into))
    }
}

/// Reads a query string as `T`, as [`Query`] does, leaving out the parameters `skip` names (a
/// `deepObject` parameter such as `custom[key]`, which the caller reads itself); every parameter
/// is checked for NUL characters.
pub fn parse_query<T: DeserializeOwned>(query: &str, skip: impl Fn(&str) -> bool) -> Result<T, ApiError> {
    let invalid = |issue| {
        let mut err = ApiError::new(Code::RequestInvalidQuery);
        err.fields.push(issue);
        err
    };
    let pairs = form_urlencoded::parse(query.as_bytes());
    if let Some(issue) = nul_issue(pairs.map(|(k, v)| (k.clone(), k + v))) {
        return Err(invalid(issue));
    }
    let kept: String;
    let pairs = if pairs.clone().any(|(k, _)| skip(&k)) {
        kept = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.filter(|(k, _)| !skip(k))).finish();
        form_urlencoded::parse(kept.as_bytes())
    } else {
        pairs
    };
    let de = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let message = e.inner().to_string();
        let issue = serde_issue(e.path(), &message);
        invalid(if issue.field == "/" { named_in_message(&message) } else { issue })
    })
}

/// Path parameters, deserialized from the matched route (`/users/{id}` -> `id`).
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Path<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let segments = req.match_info().iter().map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)));
        if let Some(issue) = nul_issue(segments) {
            let mut err = ApiError::new(Code::RequestInvalidPath);
            err.fields.push(issue);
            return ready(Err(err.into()));
        }
        let de = actix_router::PathDeserializer::new(req.match_info());
        ready(serde_path_to_error::deserialize(de).map(Path).map_err(|e| {
            // `/customers/changes` also fits `/customers/{id}`: a method the fixed route lacks is a
            // 405 there, not an unreadable id.
            if let Some(table) = req.app_data::<actix_web::web::Data<RouteTable>>()
                && let Some(e405) = method_not_allowed(table, req.path(), req.method().as_str())
            {
                return e405.into();
            }
            let mut err = ApiError::new(Code::RequestInvalidPath);
            err.fields.push(serde_issue(e.path(), &e.inner().to_string()));
            err.into()
        }))
    }
}

/// Flat values lose their path in `serde_urlencoded`; when the message names the field, use it.
fn named_in_message(message: &str) -> FieldIssue {
    let quoted = message.split('`').nth(1).unwrap_or_default();
    FieldIssue {
        field: if quoted.is_empty() { "/".to_owned() } else { format!("/{quoted}") },
        code: "invalid_value".to_owned(),
        params: Vec::new(),
    }
}

/// The first parameter whose name or value holds a NUL character (which no database text column
/// takes), as `(name, name and value)` pairs.
fn nul_issue<'a>(mut params: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>) -> Option<FieldIssue> {
    params.find(|(_, text)| text.contains('\0')).map(|(name, _)| FieldIssue {
        field: format!("/{}", escape(&name)),
        code: "nul_character".to_owned(),
        params: Vec::new(),
    })
}
