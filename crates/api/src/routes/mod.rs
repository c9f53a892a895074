//! HTTP handlers, one file per endpoint group (a context's groups in its folder). A handler parses,
//! calls one use case, maps the result.

pub mod api_clients;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod card_numbers;
pub mod common;
pub mod custom_fields;
pub mod customers;
pub mod enrollment;
pub mod fallback;
pub mod health;
pub mod member_levels;
pub mod members;
pub mod org_units;
pub mod outbox;
pub mod positions;
pub mod settings;
pub mod tenants;
pub mod users;

use crate::problem::ApiError;

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
