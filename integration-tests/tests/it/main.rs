//! Black-box tests over HTTP against the real application, one binary. Each test runs on SQLite,
//! and on PostgreSQL when `CRM_TEST_DATABASE_URL` is set (with `CI=true` it must be).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod access;
mod api_clients;
mod audit;
mod customer_duplicates;
mod customer_fields;
mod customer_pool;
mod customer_races;
mod customers;
mod identity;
mod input;
mod integration_delivery;
mod integration_outbox;
mod membership_cards;
mod membership_enrollment;
mod membership_members;
mod membership_races;
mod membership_scope;
mod privileges;
mod segments;

mod auth;
mod errors;
mod observability;
mod openapi;
mod platform;
