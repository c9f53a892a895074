//! HTTP handlers, one file per endpoint group. A handler parses, calls one use case, maps the result.

pub mod batch;
pub mod card_numbers;
pub mod common;
pub mod customer_activity;
pub mod customer_duplicates;
pub mod customer_pool;
pub mod customers;
pub mod enrollment;
pub mod fallback;
pub mod identity;
pub mod integration;
pub mod loyalty;
pub mod member_levels;
pub mod members;
pub mod platform;
pub mod segments;
pub mod tags;

use crate::problem::ApiError;

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
