//! Platform foundation: tenants and deployment-wide settings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Tenants {
    Table,
    Id,
    Code,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlatformSettings {
    Table,
    Key,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Tenants::Table)
                .col(uuid(Tenants::Id).primary_key())
                .col(string_len(Tenants::Code, 63))
                .col(string_len(Tenants::Name, 200))
                .col(timestamp_with_time_zone(Tenants::CreatedAt))
                .col(timestamp_with_time_zone(Tenants::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ux_tenants_code").table(Tenants::Table).col(Tenants::Code).unique().to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PlatformSettings::Table)
                .col(string_len(PlatformSettings::Key, 100).primary_key())
                .col(text(PlatformSettings::Value))
                .col(timestamp_with_time_zone(PlatformSettings::CreatedAt))
                .to_owned(),
        )
        .await
    }
}
