//! The tenant's configuration generation: a counter on `tenants` that every change of a user,
//! position, grant, org unit or API client, of the settings or of a member level bumps in its own
//! transaction. A node keeps what it resolved (a caller's rights, the tenant's settings and
//! levels) beside the generation it read them at, and resolves them again when the tenant's
//! generation has moved; so a change applies at the next request on every node.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    ConfigGeneration,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Tenants::Table)
                .add_column(big_integer(Tenants::ConfigGeneration).default(0))
                .to_owned(),
        )
        .await
    }
}
