//! Outbox rows carry the version of their payload (`event_version`), so a payload is read by its
//! event type and version, the public contract of `crm_domain::integration::events`. Rows written
//! before payloads were a contract get version 0 (their payloads are the old free-form ones).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    EventVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OutboxEvents::Table)
                .add_column(integer(OutboxEvents::EventVersion).default(0))
                .to_owned(),
        )
        .await
    }
}
