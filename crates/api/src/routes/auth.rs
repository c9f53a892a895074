//! Staff sign-in sessions: login, refresh (rotation), logout.

use super::ApiResult;
use crate::extract::Json;
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{HttpRequest, HttpResponse, post, web};
use crm_app::identity::sessions::{ClientToken, LoginCommand, Tokens};
use serde::{Deserialize, Serialize};
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

/// Tokens of a session. The access token is a JWT valid for `expires_in` seconds; the refresh
/// token works once and is replaced on every refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: u64,
}

impl From<Tokens> for TokenResponse {
    fn from(t: Tokens) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
        }
    }
}

/// Signs a staff user in.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong tenant, username or password, or account disabled", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked after repeated failures (`auth.locked`, with `Retry-After`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: Json<LoginRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let b = body.into_inner()?;
    let client_ip = req.peer_addr().map(|a| a.ip().to_string());
    let cmd = LoginCommand { tenant: b.tenant, username: b.username, password: b.password, client_ip };
    Ok(web::Json(state.app.login(cmd).await?.into()))
}

/// Rotates a refresh token. A token used twice revokes its whole session (401 `auth.refresh_token_reused`).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Refresh token invalid, expired, revoked or reused", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(state: web::Data<ApiState>, body: Json<RefreshRequest>) -> ApiResult<web::Json<TokenResponse>> {
    Ok(web::Json(state.app.refresh(&body.into_inner()?.refresh_token).await?.into()))
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
    /// Must be `client_credentials`.
    #[schema(example = "client_credentials")]
    pub grant_type: String,
    #[schema(min_length = 1, max_length = 64)]
    pub client_id: String,
    #[schema(min_length = 1, max_length = 256)]
    pub client_secret: String,
    /// Space-separated subset of the client's scopes; all of them when absent.
    pub scope: Option<String>,
}

/// A client access token.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientTokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Space-separated scopes the token carries.
    #[schema(example = "users:read")]
    pub scope: String,
}

impl From<ClientToken> for ClientTokenResponse {
    fn from(t: ClientToken) -> Self {
        Self { access_token: t.access_token, token_type: "Bearer", expires_in: t.expires_in, scope: t.scopes.join(" ") }
    }
}

/// Exchanges client credentials for an access token limited to the client's scopes.
#[utoipa::path(
    tag = "auth",
    request_body = ClientTokenRequest,
    responses(
        (status = 200, description = "A token", body = ClientTokenResponse),
        (status = 401, description = "Wrong id or secret, or revoked (`auth.invalid_client`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn token(
    state: web::Data<ApiState>,
    body: Json<ClientTokenRequest>,
) -> ApiResult<web::Json<ClientTokenResponse>> {
    let b = body.into_inner()?;
    if b.grant_type != "client_credentials" {
        return Err(ApiError::validation(vec![crate::problem::FieldIssue {
            field: "/grant_type".to_owned(),
            code: "unsupported_grant_type".to_owned(),
            params: Vec::new(),
        }]));
    }
    Ok(web::Json(state.app.client_token(&b.client_id, &b.client_secret, b.scope.as_deref()).await?.into()))
}
