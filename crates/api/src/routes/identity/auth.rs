//! Staff sign-in sessions: login, refresh (rotation), logout.

use crate::extract::Json;
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::state::ApiState;
use actix_web::{HttpRequest, HttpResponse, post, web};
use crm_app::AppError;
use crm_app::identity::sessions::{ClientToken, LoginCommand, Tokens};
use crm_domain::platform::TenantCode;
use crm_domain::{FieldError, FieldErrors};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// Username and password; `tenant` is a tenant code and defaults to `default`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tenant": "default", "username": "admin", "password": "correct horse battery"}))]
pub struct LoginRequest {
    #[validate(length(min = 2, max = 63))]
    #[schema(min_length = 2, max_length = 63, example = "default")]
    pub tenant: Option<String>,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "admin")]
    pub username: String,
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

/// A refresh token to rotate or revoke.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 512))]
    #[schema(min_length = 1, max_length = 512)]
    pub refresh_token: String,
}

impl LoginRequest {
    /// The command, with the caller's address for per-address lockout.
    fn into_command(self, client_ip: Option<String>) -> Result<LoginCommand, AppError> {
        let mut errs = FieldErrors::default();
        let tenant = match self.tenant.as_deref() {
            None => Some(TenantCode::default_code()),
            Some(t) => errs.check(TenantCode::parse("/tenant", t)),
        };
        if self.username.trim().is_empty() {
            errs.push(FieldError::new("/username", "required"));
        }
        if self.password.is_empty() {
            errs.push(FieldError::new("/password", "required"));
        }
        errs.into_result()?;
        let Some(tenant) = tenant else { return Err(AppError::Internal("unreachable".into())) };
        Ok(LoginCommand { tenant, username: self.username, password: self.password, client_ip })
    }
}

/// Signs a staff user in.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = Tokens),
        (status = 401, description = "Wrong tenant, username or password, or account disabled", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked after repeated failures (`auth.locked`, with `Retry-After`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: Json<LoginRequest>,
) -> ApiResult<web::Json<Tokens>> {
    let client_ip = req.peer_addr().map(|a| a.ip().to_string());
    let cmd = body.into_inner()?.into_command(client_ip)?;
    Ok(web::Json(state.app.login(cmd).await?))
}

/// Rotates a refresh token. A token used twice revokes its whole session (401 `auth.refresh_token_reused`).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = Tokens),
        (status = 401, description = "Refresh token invalid, expired, revoked or reused", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(state: web::Data<ApiState>, body: Json<RefreshRequest>) -> ApiResult<web::Json<Tokens>> {
    Ok(web::Json(state.app.refresh(&body.into_inner()?.refresh_token).await?))
}

/// Ends the session of a refresh token, and every access token the user holds (their other
/// sessions refresh to go on; 401 `auth.token_revoked` until then). Idempotent.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"))
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<ApiState>, body: Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    state.app.logout(&body.into_inner()?.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Client credentials (OAuth 2.0 style) for integrations.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grant_type": "client_credentials", "client_id": "cli_3q2uU0kQb5f9x1Yz", "client_secret": "..."}))]
pub struct ClientTokenRequest {
    /// Must be `client_credentials` (another is 422 `unsupported_grant_type`).
    #[schema(value_type = GrantType, example = "client_credentials")]
    pub grant_type: String,
    #[schema(min_length = 1, max_length = 64)]
    pub client_id: String,
    #[schema(min_length = 1, max_length = 256)]
    pub client_secret: String,
    /// Space-separated subset of the client's scopes; all of them when absent.
    pub scope: Option<String>,
}

/// The grant types `POST /auth/token` supports (for the document; the handler names an
/// unsupported one itself).
#[derive(serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum GrantType {
    ClientCredentials,
}

/// Exchanges client credentials for an access token limited to the client's scopes.
#[utoipa::path(
    tag = "auth",
    request_body = ClientTokenRequest,
    responses(
        (status = 200, description = "A token", body = ClientToken),
        (status = 401, description = "Wrong id or secret, or revoked (`auth.invalid_client`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn token(state: web::Data<ApiState>, body: Json<ClientTokenRequest>) -> ApiResult<web::Json<ClientToken>> {
    let b = body.into_inner()?;
    if b.grant_type != "client_credentials" {
        return Err(ApiError::validation(vec![crate::problem::FieldIssue {
            field: "/grant_type".to_owned(),
            code: "unsupported_grant_type".to_owned(),
            params: Vec::new(),
        }]));
    }
    Ok(web::Json(state.app.client_token(&b.client_id, &b.client_secret, b.scope.as_deref()).await?))
}
