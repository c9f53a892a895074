//! Renders every error response as problem+json in the caller's language (`Accept-Language`),
//! whether it came from our code ([`ApiError`]) or from actix itself, with the request id.

use super::request_context::{RequestId, X_REQUEST_ID};
use crate::i18n::Lang;
use crate::problem::{ApiError, PROBLEM_JSON};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

pub async fn render(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let lang = Lang::from_headers(req.headers());
    // The request cannot be cloned before routing, so keep what an error body needs.
    let path = req.path().to_owned();
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let res = match next.call(req).await {
        Ok(r) => r.map_into_boxed_body(),
        Err(e) => {
            // Inner services answer errors as responses; this is the last resort for one that did not.
            let status = e.as_response_error().status_code();
            let api = e.as_error::<ApiError>().cloned().unwrap_or_else(|| ApiError::for_status(status));
            let mut body = api.render(lang, Some(path), request_id.clone());
            if let Some(Ok(v)) = request_id.map(|id| HeaderValue::from_str(&id)) {
                body.headers_mut().insert(X_REQUEST_ID, v);
            }
            return Err(InternalError::from_response(e, body).into());
        }
    };
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let err = match res.response().error() {
        Some(e) => match e.as_error::<ApiError>() {
            Some(api) => api.clone(),
            None => {
                if status.is_server_error() {
                    tracing::error!(error = %e, "unhandled error");
                }
                ApiError::for_status(status)
            }
        },
        None => {
            let is_problem = res
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with(PROBLEM_JSON));
            if is_problem {
                return Ok(res);
            }
            ApiError::for_status(status)
        }
    };
    let request_id = res.request().extensions().get::<RequestId>().map(|r| r.0.clone());
    let instance = Some(res.request().path().to_owned());
    let body = err.render(lang, instance, request_id);
    Ok(res.into_response(body))
}
