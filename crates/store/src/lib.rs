//! crm-store: persistence. sea-orm entities and queries, identical on SQLite and PostgreSQL.
//!
//! Query functions take `&impl ConnectionTrait` so a use case in `crm-app` can run them inside
//! one transaction (opened with [`Store::begin_write`]) or directly on the pool.

/// Sets each named column of the active model `$am` to its value in `$after` where it differs,
/// so an update writes only what changed.
macro_rules! set_changed {
    ($am:ident, $after:ident; $($f:ident),* $(,)?) => {
        $( if $am.$f.as_ref() != &$after.$f { $am.$f = sea_orm::ActiveValue::Set($after.$f.clone()); } )*
    };
}

pub mod customers;
pub mod db;
mod entities;
pub mod error;
pub mod identity;
pub mod integration;
pub mod loyalty;
pub mod membership;
pub mod platform;
pub mod scope;
pub mod stored;

/// Rows per multi-row `INSERT`: well under SQLite's and PostgreSQL's limits on bound parameters
/// for the widest table (customers, about 40 columns).
pub const MULTI_ROW_CHUNK: usize = 200;

/// Rows per multi-row statement of a table with `columns` columns: as many as keep the bound
/// parameters under 30,000 (SQLite allows 32,766, PostgreSQL 65,535), at most 1000. The bulk
/// writers of narrow tables (ledger entries, balances, rewards, outbox events) use it, so a
/// batch of 1000 is one statement.
pub const fn rows_per_statement(columns: usize) -> usize {
    let n = 30_000 / columns;
    if n > 1000 { 1000 } else { n }
}

pub use db::{Backend, DbOptions, PoolStats, SqliteSync, Store};
pub use error::{StoreError, UniqueKey};
pub use scope::ScopeFilter;
pub use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};
pub use stored::Insertion;
