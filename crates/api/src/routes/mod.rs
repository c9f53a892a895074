//! HTTP handlers, one file per endpoint group. A handler parses, calls one use case, maps the result.

pub mod auth;
pub mod fallback;
pub mod health;
pub mod users;

use crate::problem::ApiError;

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
