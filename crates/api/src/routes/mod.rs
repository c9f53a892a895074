//! HTTP handlers, one file per endpoint group. A handler parses, calls one use case, maps the result.

pub mod api_clients;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod common;
pub mod custom_fields;
pub mod customer_activity;
pub mod customer_duplicates;
pub mod customer_pool;
pub mod customers;
pub mod fallback;
pub mod health;
pub mod membership;
pub mod org_units;
pub mod outbox;
pub mod positions;
pub mod segments;
pub mod settings;
pub mod tags;
pub mod tenants;
pub mod users;

use crate::problem::ApiError;

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
