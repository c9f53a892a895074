//! The audit log: who changed what, when, from which request.

use crate::m20261125_000001_platform::Tenants;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    TenantId,
    Id,
    OccurredAt,
    ActorType,
    ActorId,
    RequestId,
    Action,
    EntityType,
    EntityId,
    Changes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(uuid(AuditLog::TenantId))
                .col(uuid(AuditLog::Id))
                .col(timestamp_with_time_zone(AuditLog::OccurredAt))
                .col(string_len(AuditLog::ActorType, 16))
                .col(uuid_null(AuditLog::ActorId))
                .col(string_len_null(AuditLog::RequestId, 128))
                .col(string_len(AuditLog::Action, 32))
                .col(string_len(AuditLog::EntityType, 64))
                .col(uuid(AuditLog::EntityId))
                .col(text(AuditLog::Changes))
                .primary_key(Index::create().col(AuditLog::TenantId).col(AuditLog::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_audit_log_tenant")
                        .from(AuditLog::Table, AuditLog::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ix_audit_log_entity", vec![AuditLog::TenantId, AuditLog::EntityType, AuditLog::EntityId, AuditLog::Id]),
            ("ix_audit_log_actor", vec![AuditLog::TenantId, AuditLog::ActorId, AuditLog::Id]),
        ] {
            let mut i = Index::create();
            i.name(name).table(AuditLog::Table);
            for c in cols {
                i.col(c);
            }
            m.create_index(i.to_owned()).await?;
        }
        Ok(())
    }
}
