//! crm-migrations: the schema, forward-only, one module per change, named by date.
//! Every migration runs on SQLite and PostgreSQL; a landed migration is never edited.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_platform;
mod m20261125_000002_identity;
mod m20261125_000003_audit;
mod m20261125_000004_customers;
mod m20261125_000005_customer_360;
mod m20261201_000006_membership;
mod m20261202_000008_application_owner;

/// The ordered list of migrations; `crm migrate` and `crm serve` apply the pending ones.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_platform::Migration),
            Box::new(m20261125_000002_identity::Migration),
            Box::new(m20261125_000003_audit::Migration),
            Box::new(m20261125_000004_customers::Migration),
            Box::new(m20261125_000005_customer_360::Migration),
            Box::new(m20261201_000006_membership::Migration),
            Box::new(m20261202_000008_application_owner::Migration),
        ]
    }
}
