//! HTTP handlers, one file per endpoint group (a context's groups in its folder). A handler parses,
//! calls one use case, maps the result.

pub mod batch;
pub mod common;
pub mod customers;
pub mod fallback;
pub mod identity;
pub mod integration;
pub mod loyalty;
pub mod membership;
pub mod platform;

use crate::problem::ApiError;

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
