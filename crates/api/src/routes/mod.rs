//! HTTP handlers, one file per endpoint group. A handler parses, calls one use case, maps the result.

pub mod batch;
pub mod common;
pub mod customer_activity;
pub mod customer_duplicates;
pub mod customer_pool;
pub mod customers;
pub mod fallback;
pub mod identity;
pub mod integration;
pub mod loyalty;
pub mod membership;
pub mod platform;
pub mod segments;
pub mod tags;

use crate::problem::ApiError;

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
