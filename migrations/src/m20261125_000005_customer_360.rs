//! Customer 360, second part: tenant settings, custom field definitions and their filterable
//! values, segments (static members and rules), the public pool (`owned_since`), duplicate keys
//! and merges (`company_key`, `merged_into`, `customer_merges`), and leases for scheduled jobs.

use crate::m20261125_000001_platform::Tenants;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
    CompanyKey,
    NamePinyin,
    OwnedSince,
    MergedInto,
    LastInteractionAt,
    OwnerId,
}

#[derive(DeriveIden)]
enum TenantSettings {
    Table,
    TenantId,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomFields {
    Table,
    TenantId,
    Id,
    ObjectType,
    Key,
    Label,
    FieldType,
    Options,
    Required,
    Permission,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomFieldValues {
    Table,
    TenantId,
    ObjectId,
    FieldId,
    Ord,
    ValueText,
    ValueNum,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    TenantId,
    Id,
    Name,
    Kind,
    Description,
    Rules,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SegmentMembers {
    Table,
    TenantId,
    SegmentId,
    CustomerId,
    AddedAt,
    AddedBy,
}

#[derive(DeriveIden)]
enum CustomerMerges {
    Table,
    TenantId,
    Id,
    TargetId,
    MergedId,
    MergedAt,
    ActorType,
    ActorId,
    Moved,
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    LeasedUntil,
}

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>, unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let pg = m.get_database_backend() == DbBackend::Postgres;
        let byte_wise = |mut c: ColumnDef| {
            if pg {
                c.extra("COLLATE \"C\"");
            }
            c
        };
        // SQLite adds one column per ALTER TABLE.
        for col in [
            byte_wise(string_len_null(Customers::CompanyKey, 200)),
            timestamp_with_time_zone_null(Customers::OwnedSince),
            uuid_null(Customers::MergedInto),
        ] {
            m.alter_table(Table::alter().table(Customers::Table).add_column(col).to_owned()).await?;
        }
        // Customers owned before this migration count as owned since they were created.
        let db = m.get_connection();
        db.execute_unprepared("UPDATE customers SET owned_since = created_at WHERE owner_id IS NOT NULL").await?;
        backfill_company_keys(db).await?;
        for (name, cols) in [
            (
                "ix_customers_company_key",
                vec![
                    Customers::TenantId.into_iden(),
                    Customers::CompanyKey.into_iden(),
                    Customers::NamePinyin.into_iden(),
                ],
            ),
            (
                "ix_customers_last_interaction",
                vec![Customers::TenantId.into_iden(), Customers::LastInteractionAt.into_iden()],
            ),
            ("ix_customers_owned_since", vec![Customers::OwnerId.into_iden(), Customers::OwnedSince.into_iden()]),
        ] {
            m.create_index(index(name, Customers::Table, cols, false)).await?;
        }

        m.create_table(
            Table::create()
                .table(TenantSettings::Table)
                .col(uuid(TenantSettings::TenantId))
                .col(string_len(TenantSettings::Key, 100))
                .col(text(TenantSettings::Value))
                .col(timestamp_with_time_zone(TenantSettings::UpdatedAt))
                .primary_key(Index::create().col(TenantSettings::TenantId).col(TenantSettings::Key))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_tenant_settings_tenant")
                        .from(TenantSettings::Table, TenantSettings::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CustomFields::Table)
                .col(uuid(CustomFields::TenantId))
                .col(uuid(CustomFields::Id))
                .col(string_len(CustomFields::ObjectType, 32))
                .col(string_len(CustomFields::Key, 64))
                .col(string_len(CustomFields::Label, 100))
                .col(string_len(CustomFields::FieldType, 16))
                .col(text(CustomFields::Options))
                .col(boolean(CustomFields::Required))
                .col(string_len_null(CustomFields::Permission, 64))
                .col(integer(CustomFields::Position))
                .col(timestamp_with_time_zone(CustomFields::CreatedAt))
                .col(timestamp_with_time_zone(CustomFields::UpdatedAt))
                .primary_key(Index::create().col(CustomFields::TenantId).col(CustomFields::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_custom_fields_tenant")
                        .from(CustomFields::Table, CustomFields::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_custom_fields_key",
            CustomFields::Table,
            vec![
                CustomFields::TenantId.into_iden(),
                CustomFields::ObjectType.into_iden(),
                CustomFields::Key.into_iden(),
            ],
            true,
        ))
        .await?;

        // One row per value (a multi-select has one per option), so every filter is an index range.
        m.create_table(
            Table::create()
                .table(CustomFieldValues::Table)
                .col(uuid(CustomFieldValues::TenantId))
                .col(uuid(CustomFieldValues::ObjectId))
                .col(uuid(CustomFieldValues::FieldId))
                .col(small_integer(CustomFieldValues::Ord))
                .col(byte_wise(string_len_null(CustomFieldValues::ValueText, 500)))
                .col(double_null(CustomFieldValues::ValueNum))
                .primary_key(
                    Index::create()
                        .col(CustomFieldValues::TenantId)
                        .col(CustomFieldValues::ObjectId)
                        .col(CustomFieldValues::FieldId)
                        .col(CustomFieldValues::Ord),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_custom_field_values_field")
                        .from(CustomFieldValues::Table, (CustomFieldValues::TenantId, CustomFieldValues::FieldId))
                        .to(CustomFields::Table, (CustomFields::TenantId, CustomFields::Id))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        for (name, value) in [
            ("ix_custom_field_values_text", CustomFieldValues::ValueText),
            ("ix_custom_field_values_num", CustomFieldValues::ValueNum),
        ] {
            m.create_index(index(
                name,
                CustomFieldValues::Table,
                vec![
                    CustomFieldValues::TenantId.into_iden(),
                    CustomFieldValues::FieldId.into_iden(),
                    value.into_iden(),
                    CustomFieldValues::ObjectId.into_iden(),
                ],
                false,
            ))
            .await?;
        }

        m.create_table(
            Table::create()
                .table(Segments::Table)
                .col(uuid(Segments::TenantId))
                .col(uuid(Segments::Id))
                .col(string_len(Segments::Name, 200))
                .col(string_len(Segments::Kind, 16))
                .col(text_null(Segments::Description))
                .col(text_null(Segments::Rules))
                .col(uuid_null(Segments::CreatedBy))
                .col(timestamp_with_time_zone(Segments::CreatedAt))
                .col(timestamp_with_time_zone(Segments::UpdatedAt))
                .primary_key(Index::create().col(Segments::TenantId).col(Segments::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_segments_tenant")
                        .from(Segments::Table, Segments::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_segments_name",
            Segments::Table,
            vec![Segments::TenantId.into_iden(), Segments::Name.into_iden()],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(SegmentMembers::Table)
                .col(uuid(SegmentMembers::TenantId))
                .col(uuid(SegmentMembers::SegmentId))
                .col(uuid(SegmentMembers::CustomerId))
                .col(timestamp_with_time_zone(SegmentMembers::AddedAt))
                .col(uuid_null(SegmentMembers::AddedBy))
                .primary_key(
                    Index::create()
                        .col(SegmentMembers::TenantId)
                        .col(SegmentMembers::SegmentId)
                        .col(SegmentMembers::CustomerId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_segment_members_segment")
                        .from(SegmentMembers::Table, (SegmentMembers::TenantId, SegmentMembers::SegmentId))
                        .to(Segments::Table, (Segments::TenantId, Segments::Id))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_segment_members_customer")
                        .from(SegmentMembers::Table, (SegmentMembers::TenantId, SegmentMembers::CustomerId))
                        .to(Customers::Table, (Customers::TenantId, Customers::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_segment_members_customer",
            SegmentMembers::Table,
            vec![SegmentMembers::TenantId.into_iden(), SegmentMembers::CustomerId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(CustomerMerges::Table)
                .col(uuid(CustomerMerges::TenantId))
                .col(uuid(CustomerMerges::Id))
                .col(uuid(CustomerMerges::TargetId))
                .col(uuid(CustomerMerges::MergedId))
                .col(timestamp_with_time_zone(CustomerMerges::MergedAt))
                .col(string_len(CustomerMerges::ActorType, 16))
                .col(uuid_null(CustomerMerges::ActorId))
                .col(text(CustomerMerges::Moved))
                .primary_key(Index::create().col(CustomerMerges::TenantId).col(CustomerMerges::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_customer_merges_target")
                        .from(CustomerMerges::Table, (CustomerMerges::TenantId, CustomerMerges::TargetId))
                        .to(Customers::Table, (Customers::TenantId, Customers::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_customer_merges_target",
            CustomerMerges::Table,
            vec![CustomerMerges::TenantId.into_iden(), CustomerMerges::TargetId.into_iden()],
            false,
        ))
        .await?;

        // Deployment-wide: a scheduled job runs on whichever instance holds its lease.
        m.create_table(
            Table::create()
                .table(JobLeases::Table)
                .col(string_len(JobLeases::Name, 64).primary_key())
                .col(string_len(JobLeases::Holder, 64))
                .col(timestamp_with_time_zone(JobLeases::LeasedUntil))
                .to_owned(),
        )
        .await
    }
}

/// Fills `company_key` for existing customers with the same rule `crm-domain` applies on write.
async fn backfill_company_keys(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT tenant_id, id, company FROM customers WHERE company IS NOT NULL",
        ))
        .await?;
    for r in rows {
        let tenant: uuid::Uuid = r.try_get("", "tenant_id")?;
        let id: uuid::Uuid = r.try_get("", "id")?;
        let company: String = r.try_get("", "company")?;
        let key = crm_domain::customers::duplicates::company_key(&company);
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE customers SET company_key = $1 WHERE tenant_id = $2 AND id = $3",
            [key.into(), tenant.into(), id.into()],
        ))
        .await?;
    }
    Ok(())
}
