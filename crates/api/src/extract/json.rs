//! `Json<T>`: reads a JSON body within the configured limit, then deserializes and validates it.
//! 415 for another media type, 413 over the limit, 400 for malformed JSON, 422 for a body that
//! parses but breaks the schema or a `validator` rule (each field listed by path).

use super::serde_issue;
use super::strict::{self, ReadError};
use crate::problem::{ApiError, FieldIssue};
use crate::state::ApiSettings;
use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use crm_app::codes::Code;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// A validated JSON request body. A body that fails is kept as its error until the handler asks
/// for it with [`Json::into_inner`], so authentication and permission failures (found by
/// extractors that finish later) answer first: 401/403 before 413/415/400/422.
#[derive(Debug)]
pub struct Json<T>(Result<T, ApiError>);

impl<T> Json<T> {
    /// The body, or the problem it had.
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<ApiSettings>>().map_or(1024 * 1024, |s| s.body_limit);
        let ct = req.mime_type();
        let mut payload = payload.take();
        let declared =
            req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        Box::pin(async move { Ok(Json(read::<T>(ct, declared, limit, &mut payload).await)) })
    }
}

async fn read<T: DeserializeOwned + Validate>(
    ct: Result<Option<actix_web::mime::Mime>, actix_web::error::ContentTypeError>,
    declared: Option<usize>,
    limit: usize,
    payload: &mut Payload,
) -> Result<T, ApiError> {
    {
        {
            let is_json = matches!(&ct, Ok(Some(m)) if m.type_() == "application"
                && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json")));
            if !is_json {
                return Err(ApiError::new(Code::RequestUnsupportedMediaType));
            }
            let too_large = || ApiError::new(Code::RequestBodyTooLarge).arg("limit", limit);
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| ApiError::new(Code::RequestBadRequest))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            let value = parse::<T>(&body)?;
            value.validate().map_err(|e| ApiError::validation(validation_issues(&e)))?;
            Ok(value)
        }
    }
}

/// Deserializes, telling malformed JSON (400: syntax, trailing data) from well-formed JSON of the
/// wrong shape (422: a duplicate key, a NUL character, an array where an object belongs, a type
/// or a field the schema does not allow), each named by its JSON pointer.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value = strict::read_value(body).map_err(|e| match e {
        ReadError::Refused(r) => ApiError::validation(vec![refusal_issue(r)]),
        ReadError::Malformed(e) => ApiError::new(Code::RequestMalformedJson).arg("reason", e),
    })?;
    from_value(value)
}

/// Reads one element of a larger body (a batch item) the same way, with field paths under `prefix`.
pub fn parse_json_value<T: DeserializeOwned + Validate>(v: serde_json::Value, prefix: &str) -> Result<T, ApiError> {
    let reprefix = |mut e: ApiError| {
        for f in &mut e.fields {
            // The item itself (`/`) is the prefix.
            f.field = if f.field == "/" { prefix.to_owned() } else { format!("{prefix}{}", f.field) };
        }
        e
    };
    strict::check_value(&v, "").map_err(|r| reprefix(ApiError::validation(vec![refusal_issue(r)])))?;
    let value: T = from_value(v).map_err(reprefix)?;
    value.validate().map_err(|e| reprefix(ApiError::validation(validation_issues(&e))))?;
    Ok(value)
}

/// The second pass: the target type from a checked value, structs only from objects.
fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(strict::Strict(v))
        .map_err(|e| ApiError::validation(vec![serde_issue(e.path(), &e.inner().to_string())]))
}

fn refusal_issue(r: strict::Refusal) -> FieldIssue {
    FieldIssue { field: r.field, code: r.code.to_owned(), params: Vec::new() }
}

/// Flattens `validator`'s nested errors into `/a/b/0/c` paths.
pub fn validation_issues(errs: &ValidationErrors) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    collect(errs, "", &mut out);
    out
}

fn collect(errs: &ValidationErrors, prefix: &str, out: &mut Vec<FieldIssue>) {
    for (field, kind) in errs.errors() {
        let path = format!("{prefix}/{field}");
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let params = ["min", "max", "equal"]
                        .into_iter()
                        .filter_map(|k| e.params.get(k).map(|v| (k, v.to_string())))
                        .collect();
                    let code = match &e.code {
                        Cow::Borrowed("required") => "required".to_owned(),
                        c => c.to_string(),
                    };
                    out.push(FieldIssue { field: path.clone(), code, params });
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{path}/{i}"), out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        phone: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Batch {
        items: Vec<Item>,
    }

    /// The status, and the first field and code, of reading `body` as a `T`.
    fn outcome<T: DeserializeOwned>(body: &str) -> (u16, String, String) {
        // `parse` is the part of the extractor that reads JSON.
        match parse::<T>(body.as_bytes()) {
            Ok(_) => (200, String::new(), String::new()),
            Err(e) => {
                let f = e.fields.first().map(|f| (f.field.clone(), f.code.clone())).unwrap_or_default();
                (e.status.as_u16(), f.0, f.1)
            }
        }
    }

    fn issue(body: &str) -> (u16, String, String) {
        outcome::<Batch>(body)
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Settings {
        a: Option<u32>,
        b: Option<Item>,
        c: Option<Vec<Item>>,
        #[serde(default, rename = "x/y~z")]
        odd: Option<Item>,
        map: Option<std::collections::HashMap<String, serde_json::Value>>,
    }

    fn settings(body: &str) -> (u16, String, String) {
        outcome::<Settings>(body)
    }

    #[test]
    fn structs_are_read_only_from_objects() {
        assert_eq!(settings("[null,null,null,null,null]"), (422, "/".into(), "invalid_type".into()));
        assert_eq!(settings(r#"{"b":["1"]}"#), (422, "/b".into(), "invalid_type".into()));
        assert_eq!(settings(r#"{"c":[{"phone":"1"},["2"]]}"#), (422, "/c/1".into(), "invalid_type".into()));
        assert_eq!(settings(r#"{"x/y~z":["2"]}"#), (422, "/x~1y~0z".into(), "invalid_type".into()));
        assert_eq!(settings(r#"{"a":1,"b":{"phone":"1"},"c":[{"phone":"2"}],"map":{"k":[1,{"z":null}]}}"#).0, 200);
        assert_eq!(settings("5"), (422, "/".into(), "invalid_type".into()));
    }

    #[test]
    fn trailing_data_is_malformed() {
        assert_eq!(settings(r#"{"a":1}{"a":2}"#).0, 400);
        assert_eq!(settings(r#"{"a":1} x"#).0, 400);
        assert_eq!(settings("{\"a\":1}\n "), (200, String::new(), String::new()));
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert_eq!(settings(r#"{"a":1,"a":2}"#), (422, "/a".into(), "duplicate_key".into()));
        assert_eq!(settings(r#"{"b":{"phone":"1","phone":"2"}}"#), (422, "/b/phone".into(), "duplicate_key".into()));
        assert_eq!(settings(r#"{"map":{"k":[{"q":1,"q":1}]}}"#), (422, "/map/k/0/q".into(), "duplicate_key".into()));
        assert_eq!(settings(r#"{"map":{"a/b":1,"a/b":2}}"#), (422, "/map/a~1b".into(), "duplicate_key".into()));
        assert_eq!(
            issue(r#"{"items":[{"phone":"1","phone":"2"}]}"#),
            (422, "/items/0/phone".into(), "duplicate_key".into())
        );
    }

    #[test]
    fn nul_characters_are_refused_in_values_and_keys() {
        assert_eq!(issue(r#"{"items":[{"phone":"1\u0000"}]}"#), (422, "/items/0/phone".into(), "nul_character".into()));
        assert_eq!(settings(r#"{"map":{"k\u0000":1}}"#), (422, "/map/k\u{0}".into(), "nul_character".into()));
        let v = serde_json::json!({"phone": "a\u{0}"});
        let e = parse_json_value::<Item>(v, "/items/3")
            .err()
            .map(|e| (e.fields[0].field.clone(), e.fields[0].code.clone()));
        assert_eq!(e, Some(("/items/3/phone".into(), "nul_character".into())));
    }

    #[test]
    fn batch_items_are_as_strict_as_bodies() {
        let e = parse_json_value::<Item>(serde_json::json!(["1"]), "/items/2").err();
        let e = e.map(|e| (e.fields[0].field.clone(), e.fields[0].code.clone()));
        assert_eq!(e, Some(("/items/2".into(), "invalid_type".into())));
    }

    #[test]
    fn paths_and_codes() {
        assert_eq!(
            issue(r#"{"items":[{"phone":"1"},{"phone":2}]}"#),
            (422, "/items/1/phone".into(), "invalid_type".into())
        );
        assert_eq!(issue(r#"{"items":[{}]}"#), (422, "/items/0/phone".into(), "required".into()));
        assert_eq!(issue(r#"{"items":[],"tenant_id":"x"}"#), (422, "/tenant_id".into(), "unknown_field".into()));
        assert_eq!(issue(r#"{"items":["#).0, 400);
        assert_eq!(issue("not json").0, 400);
    }
}
