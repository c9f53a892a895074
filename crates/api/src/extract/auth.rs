//! `Authenticated`: the caller proven by `Authorization: Bearer <access token>`.

use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, web};
use crm_app::Principal;
use std::future::{Ready, ready};

/// A request with a valid access token.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).map(Authenticated).map_err(Into::into))
    }
}

fn principal(req: &HttpRequest) -> Result<Principal, ApiError> {
    let missing = || {
        ApiError::new(StatusCode::UNAUTHORIZED, "auth.missing_token")
            .header(WWW_AUTHENTICATE, "Bearer")
    };
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = header.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    let state = req
        .app_data::<web::Data<ApiState>>()
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal.error"))?;
    Ok(state.app.authenticate(token.trim())?)
}
