//! Black-box tests over HTTP against the real application, one binary. Each test runs on SQLite,
//! and on PostgreSQL when `CRM_TEST_DATABASE_URL` is set (with `CI=true` it must be).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod access;
mod access_cache;
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
mod loyalty;
mod loyalty_races;
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

/// One visible line in `cargo test` when the PostgreSQL half is skipped (`ignored, ...`).
#[test]
#[cfg_attr(
    crm_no_postgres,
    ignore = "SKIPPED: the PostgreSQL half of every test; set CRM_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
)]
fn postgresql_half() {
    assert!(helpers::postgres_admin_url().is_some(), "CRM_TEST_DATABASE_URL is set, so PostgreSQL tests run");
}
