//! The store's one error type: database failures, with unique-key conflicts told apart by the
//! key they hit ([`UniqueKey`]), mapped once here from each backend's report.

use sea_orm::{DbErr, SqlErr};

/// A unique key of the schema. A conflict on one of these is a rule of the domain (a taken name, a
/// source id seen before); the use case decides what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueKey {
    TenantCode,
    PositionName,
    Username,
    RefreshTokenHash,
    ApiClientId,
    CustomerExternal,
    CustomerChangeSeq,
    TagName,
    CustomFieldKey,
    SegmentName,
    LevelValue,
    LevelName,
    CardNo,
    LiveMember,
    ApplicationExternal,
    PointsEntrySource,
    PurchaseExternal,
    CarryOverRunOfPlan,
    RewardOfRunMember,
}

/// Every unique index: its key, name (what PostgreSQL reports), table and columns (what SQLite
/// reports as `table.col, table.col`). A store test checks this table against the migrated schema.
pub const UNIQUE_INDEXES: &[(UniqueKey, &str, &str, &[&str])] = &[
    (UniqueKey::TenantCode, "ux_tenants_code", "tenants", &["code"]),
    (UniqueKey::PositionName, "ux_positions_tenant_name", "positions", &["tenant_id", "name"]),
    (UniqueKey::Username, "ux_users_tenant_username", "users", &["tenant_id", "username"]),
    (UniqueKey::RefreshTokenHash, "ux_refresh_tokens_hash", "refresh_tokens", &["token_hash"]),
    (UniqueKey::ApiClientId, "ux_api_clients_client_id", "api_clients", &["client_id"]),
    (UniqueKey::CustomerExternal, "ux_customers_external", "customers", &["tenant_id", "source", "external_id"]),
    (UniqueKey::CustomerChangeSeq, "ux_customers_change_seq", "customers", &["tenant_id", "change_seq"]),
    (UniqueKey::TagName, "ux_tags_category_name", "tags", &["tenant_id", "category", "name"]),
    (UniqueKey::CustomFieldKey, "ux_custom_fields_key", "custom_fields", &["tenant_id", "object_type", "key"]),
    (UniqueKey::SegmentName, "ux_segments_name", "segments", &["tenant_id", "name"]),
    (UniqueKey::LevelValue, "ux_member_levels_value", "member_levels", &["tenant_id", "level_value"]),
    (UniqueKey::LevelName, "ux_member_levels_name", "member_levels", &["tenant_id", "name"]),
    (UniqueKey::CardNo, "ux_members_card_no", "members", &["tenant_id", "card_no"]),
    (UniqueKey::LiveMember, "ux_members_live_customer", "members", &["tenant_id", "customer_id"]),
    (
        UniqueKey::ApplicationExternal,
        "ux_enrollment_applications_external",
        "enrollment_applications",
        &["tenant_id", "source", "external_id"],
    ),
    (
        UniqueKey::PointsEntrySource,
        "ux_points_entries_source",
        "points_entries",
        &["tenant_id", "source_type", "source_id", "kind", "status"],
    ),
    (UniqueKey::PurchaseExternal, "ux_purchases_external", "purchases", &["tenant_id", "source", "external_id"]),
    (UniqueKey::CarryOverRunOfPlan, "ux_carry_over_runs_plan", "carry_over_runs", &["tenant_id", "plan_id"]),
    (UniqueKey::RewardOfRunMember, "ux_rewards_run_member", "rewards", &["tenant_id", "run_id", "member_id"]),
];

impl UniqueKey {
    /// The key a backend's constraint report names: PostgreSQL gives the index name, SQLite
    /// `UNIQUE constraint failed: table.col, table.col` (or `index 'name'`).
    pub fn from_report(report: &str) -> Option<UniqueKey> {
        let report = report.trim();
        let sqlite = report.strip_prefix("UNIQUE constraint failed: ").unwrap_or(report).trim();
        UNIQUE_INDEXES.iter().find_map(|(key, name, table, cols)| {
            let columns = cols.iter().map(|c| format!("{table}.{c}")).collect::<Vec<_>>().join(", ");
            let named =
                report == *name || report.contains(&format!("\"{name}\"")) || sqlite == format!("index '{name}'");
            (named || sqlite == columns).then_some(*key)
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the row: `key` is which one, `None` for a key outside the table
    /// (a primary key), whose report is `constraint`.
    #[error("unique constraint violated: {constraint}")]
    Conflict { key: Option<UniqueKey>, constraint: String },
    /// The database URL or options are unusable.
    #[error("invalid database configuration: {0}")]
    Config(String),
    /// PostgreSQL gave up on the transaction to break a deadlock or a serialization conflict
    /// (SQLSTATE `40P01`, `40001`); retrying the request may succeed. Fixed lock orders keep it
    /// rare; it is never a 500.
    #[error("transaction aborted by contention: {0}")]
    Contention(#[source] DbErr),
    #[error("database error: {0}")]
    Db(#[source] DbErr),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(c)) => {
                StoreError::Conflict { key: UniqueKey::from_report(&c).or_else(|| constraint_name(&e)), constraint: c }
            }
            _ if is_contention(&e) => StoreError::Contention(e),
            _ => StoreError::Db(e),
        }
    }
}

/// The constraint PostgreSQL names in its error fields, when the message text does not.
fn constraint_name(e: &DbErr) -> Option<UniqueKey> {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(x)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(x))) = e else {
        return None;
    };
    match &**x {
        sea_orm::sqlx::Error::Database(d) => d.constraint().and_then(UniqueKey::from_report),
        _ => None,
    }
}

/// Whether PostgreSQL aborted the statement to resolve a deadlock or serialization failure.
fn is_contention(e: &DbErr) -> bool {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(x)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(x))) = e else {
        return false;
    };
    match &**x {
        sea_orm::sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

impl StoreError {
    /// The unique key this error hit, if it is a conflict on one.
    pub fn unique_key(&self) -> Option<UniqueKey> {
        match self {
            StoreError::Conflict { key, .. } => *key,
            _ => None,
        }
    }

    /// Whether this is a unique-key conflict on `key`.
    pub fn is_conflict_on(&self, key: UniqueKey) -> bool {
        self.unique_key() == Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_reports_name_the_key() {
        assert_eq!(UniqueKey::from_report("ux_members_card_no"), Some(UniqueKey::CardNo));
        assert_eq!(
            UniqueKey::from_report(
                "UNIQUE constraint failed: customers.tenant_id, customers.source, customers.external_id"
            ),
            Some(UniqueKey::CustomerExternal)
        );
        assert_eq!(UniqueKey::from_report("UNIQUE constraint failed: customers.tenant_id, customers.source"), None);
        assert_eq!(UniqueKey::from_report("card_numbers_pkey"), None);
    }
}
