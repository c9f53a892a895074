//! Data scope as a query condition: the one place that turns "what may this caller see" into
//! SQL, for every list, get, search, count and aggregate of owned records.

use crate::entities::{org_units, users};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

/// What part of a tenant a caller sees, resolved from positions by `crm-app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeFilter {
    /// The whole tenant.
    All,
    /// Records in exactly these org units.
    Units(Vec<Uuid>),
    /// Records in the unit whose path is given and every unit below it.
    Subtree(String),
    /// Records owned by these users only.
    Owners(Vec<Uuid>),
}

fn units_in_subtree(tenant: Uuid, path_prefix: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(org_units::Column::Id)
        .from(org_units::Entity)
        .and_where(org_units::Column::TenantId.eq(tenant))
        // Paths hold only hex digits and `/`, so the prefix has no LIKE wildcards in it.
        .and_where(org_units::Column::Path.starts_with(path_prefix))
        .to_owned()
}

/// For records that carry their own org unit and owner (e.g. users: `org_unit_id`, `id`).
pub fn by_unit(tenant: Uuid, f: &ScopeFilter, unit_col: impl ColumnTrait, owner_col: impl ColumnTrait) -> Condition {
    match f {
        ScopeFilter::All => Condition::all(),
        ScopeFilter::Units(ids) => Condition::all().add(unit_col.is_in(ids.clone())),
        ScopeFilter::Subtree(prefix) => Condition::all().add(unit_col.in_subquery(units_in_subtree(tenant, prefix))),
        ScopeFilter::Owners(ids) => Condition::all().add(owner_col.is_in(ids.clone())),
    }
}

/// For records owned by a user (`owner_id`): the owner's org unit decides.
pub fn by_owner(tenant: Uuid, f: &ScopeFilter, owner_col: impl ColumnTrait) -> Condition {
    let owners_in = |units: sea_orm::sea_query::SelectStatement| {
        Query::select()
            .column(users::Column::Id)
            .from(users::Entity)
            .and_where(users::Column::TenantId.eq(tenant))
            .and_where(users::Column::OrgUnitId.in_subquery(units))
            .to_owned()
    };
    match f {
        ScopeFilter::All => Condition::all(),
        ScopeFilter::Units(ids) => {
            let units = Query::select()
                .column(org_units::Column::Id)
                .from(org_units::Entity)
                .and_where(org_units::Column::TenantId.eq(tenant))
                .and_where(org_units::Column::Id.is_in(ids.clone()))
                .to_owned();
            Condition::all().add(owner_col.in_subquery(owners_in(units)))
        }
        ScopeFilter::Subtree(prefix) => {
            Condition::all().add(owner_col.in_subquery(owners_in(units_in_subtree(tenant, prefix))))
        }
        ScopeFilter::Owners(ids) => Condition::all().add(owner_col.is_in(ids.clone())),
    }
}
