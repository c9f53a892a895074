//! `Authenticated` (any valid caller) and `Allowed<P>` (a caller holding permission `P`): the
//! bearer token is verified, the caller's rights and data scope are loaded, the per-caller rate
//! limit is applied, and for `Allowed` the permission is checked before the body is read.

use crate::middleware::rate_limit::RateLimiters;
use crate::middleware::request_context::RequestId;
use crate::perm::Permission;
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use crm_app::codes::Code;
use crm_app::{Access, AppError};
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;

/// A request with a valid access token, and what its caller may do.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Access);

/// A request whose caller holds permission `P`.
pub struct Allowed<P: Permission>(pub Access, PhantomData<P>);

impl FromRequest for Authenticated {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Authenticated(access(&req).await?)) })
    }
}

impl<P: Permission + 'static> FromRequest for Allowed<P> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let a = access(&req).await?;
            a.require(P::NAME).map_err(ApiError::from)?;
            Ok(Allowed(a, PhantomData))
        })
    }
}

async fn access(req: &HttpRequest) -> Result<Access, ApiError> {
    let missing = || ApiError::new(Code::AuthMissingToken).header(WWW_AUTHENTICATE, "Bearer");
    let header = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(missing)?;
    let (scheme, token) = header.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    let state = req
        .app_data::<web::Data<ApiState>>()
        .ok_or_else(|| ApiError::from(AppError::Internal("api state missing".to_owned())))?;
    let principal = state.app.authenticate(token.trim())?;
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let access = state.app.access(&principal, request_id).await?;
    if let (Some(limits), Some(id)) = (req.app_data::<web::Data<RateLimiters>>(), access.actor.id()) {
        limits.check_caller(id)?;
    }
    Ok(access)
}
