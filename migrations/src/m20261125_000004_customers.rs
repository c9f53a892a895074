//! Customers: the customer record with its search keys, lifecycle-grade history, contacts,
//! interactions, tags, and per-tenant counters (the change sequence behind the integrators' delta feed).

use crate::m20261125_000001_platform::Tenants;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
    Kind,
    Name,
    NameNorm,
    NamePinyin,
    NameInitials,
    Phone,
    PhoneLast4,
    Email,
    Gender,
    Birthday,
    IdNumber,
    Company,
    Province,
    City,
    District,
    Address,
    Source,
    ExternalId,
    Industry,
    Level,
    Grade,
    OwnerId,
    Notes,
    CustomFields,
    LastInteractionAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    ChangeSeq,
}

#[derive(DeriveIden)]
enum CustomerGradeHistory {
    Table,
    TenantId,
    Id,
    CustomerId,
    FromGrade,
    ToGrade,
    ChangedAt,
    ActorType,
    ActorId,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    TenantId,
    Id,
    CustomerId,
    Name,
    Title,
    Phone,
    Email,
    IsPrimary,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Interactions {
    Table,
    TenantId,
    Id,
    CustomerId,
    Kind,
    OccurredAt,
    ActorType,
    ActorId,
    Summary,
    NextStep,
    NextContactOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    TenantId,
    Id,
    Name,
    Category,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerTags {
    Table,
    TenantId,
    CustomerId,
    TagId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TenantCounters {
    Table,
    TenantId,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Search keys are compared byte-wise so that a prefix is an index range on both databases.
        let pg = m.get_database_backend() == DbBackend::Postgres;
        let key = |col: Customers, len: u32, null: bool| {
            let mut c = if null { string_len_null(col, len) } else { string_len(col, len) };
            if pg {
                c.extra("COLLATE \"C\"");
            }
            c
        };
        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(uuid(Customers::TenantId))
                .col(uuid(Customers::Id))
                .col(string_len(Customers::Kind, 16))
                .col(string_len(Customers::Name, 200))
                .col(key(Customers::NameNorm, 200, false))
                .col(key(Customers::NamePinyin, 600, false))
                .col(key(Customers::NameInitials, 200, false))
                .col(key(Customers::Phone, 32, true))
                .col(string_len_null(Customers::PhoneLast4, 4))
                .col(key(Customers::Email, 254, true))
                .col(string_len_null(Customers::Gender, 16))
                .col(date_null(Customers::Birthday))
                .col(string_len_null(Customers::IdNumber, 64))
                .col(string_len_null(Customers::Company, 200))
                .col(string_len_null(Customers::Province, 64))
                .col(string_len_null(Customers::City, 64))
                .col(string_len_null(Customers::District, 64))
                .col(string_len_null(Customers::Address, 500))
                .col(string_len_null(Customers::Source, 64))
                .col(string_len_null(Customers::ExternalId, 128))
                .col(string_len_null(Customers::Industry, 100))
                .col(string_len_null(Customers::Level, 64))
                .col(string_len(Customers::Grade, 16))
                .col(uuid_null(Customers::OwnerId))
                .col(text_null(Customers::Notes))
                .col(text(Customers::CustomFields))
                .col(timestamp_with_time_zone_null(Customers::LastInteractionAt))
                .col(uuid_null(Customers::CreatedBy))
                .col(timestamp_with_time_zone(Customers::CreatedAt))
                .col(timestamp_with_time_zone(Customers::UpdatedAt))
                .col(timestamp_with_time_zone_null(Customers::DeletedAt))
                .col(big_integer(Customers::ChangeSeq))
                .primary_key(Index::create().col(Customers::TenantId).col(Customers::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_customers_tenant")
                        .from(Customers::Table, Customers::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await?;
        let indexes: Vec<(&str, Vec<Customers>, bool)> = vec![
            ("ux_customers_external", vec![Customers::TenantId, Customers::Source, Customers::ExternalId], true),
            ("ux_customers_change_seq", vec![Customers::TenantId, Customers::ChangeSeq], true),
            // Search keys end with `id`: an equality match is then already in id order, and a
            // search reads only the index (`id IN (SELECT id ... UNION ...)` in crm-store).
            ("ix_customers_phone", vec![Customers::TenantId, Customers::Phone, Customers::Id], false),
            ("ix_customers_phone_last4", vec![Customers::TenantId, Customers::PhoneLast4, Customers::Id], false),
            ("ix_customers_email", vec![Customers::TenantId, Customers::Email, Customers::Id], false),
            ("ix_customers_name_norm", vec![Customers::TenantId, Customers::NameNorm, Customers::Id], false),
            ("ix_customers_name_pinyin", vec![Customers::TenantId, Customers::NamePinyin, Customers::Id], false),
            ("ix_customers_name_initials", vec![Customers::TenantId, Customers::NameInitials, Customers::Id], false),
            ("ix_customers_owner", vec![Customers::TenantId, Customers::OwnerId, Customers::Id], false),
            ("ix_customers_id_number", vec![Customers::TenantId, Customers::IdNumber], false),
        ];
        for (name, cols, unique) in indexes {
            let mut i = Index::create();
            i.name(name).table(Customers::Table);
            for c in cols {
                i.col(c);
            }
            if unique {
                i.unique();
            }
            m.create_index(i.to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(CustomerGradeHistory::Table)
                .col(uuid(CustomerGradeHistory::TenantId))
                .col(uuid(CustomerGradeHistory::Id))
                .col(uuid(CustomerGradeHistory::CustomerId))
                .col(string_len_null(CustomerGradeHistory::FromGrade, 16))
                .col(string_len(CustomerGradeHistory::ToGrade, 16))
                .col(timestamp_with_time_zone(CustomerGradeHistory::ChangedAt))
                .col(string_len(CustomerGradeHistory::ActorType, 16))
                .col(uuid_null(CustomerGradeHistory::ActorId))
                .primary_key(Index::create().col(CustomerGradeHistory::TenantId).col(CustomerGradeHistory::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_grade_history_customer")
                        .from(
                            CustomerGradeHistory::Table,
                            (CustomerGradeHistory::TenantId, CustomerGradeHistory::CustomerId),
                        )
                        .to(Customers::Table, (Customers::TenantId, Customers::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_grade_history_customer")
                .table(CustomerGradeHistory::Table)
                .col(CustomerGradeHistory::TenantId)
                .col(CustomerGradeHistory::CustomerId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Contacts::Table)
                .col(uuid(Contacts::TenantId))
                .col(uuid(Contacts::Id))
                .col(uuid(Contacts::CustomerId))
                .col(string_len(Contacts::Name, 200))
                .col(string_len_null(Contacts::Title, 100))
                .col(string_len_null(Contacts::Phone, 32))
                .col(string_len_null(Contacts::Email, 254))
                .col(boolean(Contacts::IsPrimary).default(false))
                .col(text_null(Contacts::Notes))
                .col(timestamp_with_time_zone(Contacts::CreatedAt))
                .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                .primary_key(Index::create().col(Contacts::TenantId).col(Contacts::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_contacts_customer")
                        .from(Contacts::Table, (Contacts::TenantId, Contacts::CustomerId))
                        .to(Customers::Table, (Customers::TenantId, Customers::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_contacts_customer")
                .table(Contacts::Table)
                .col(Contacts::TenantId)
                .col(Contacts::CustomerId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Interactions::Table)
                .col(uuid(Interactions::TenantId))
                .col(uuid(Interactions::Id))
                .col(uuid(Interactions::CustomerId))
                .col(string_len(Interactions::Kind, 16))
                .col(timestamp_with_time_zone(Interactions::OccurredAt))
                .col(string_len(Interactions::ActorType, 16))
                .col(uuid_null(Interactions::ActorId))
                .col(text(Interactions::Summary))
                .col(text_null(Interactions::NextStep))
                .col(date_null(Interactions::NextContactOn))
                .col(timestamp_with_time_zone(Interactions::CreatedAt))
                .primary_key(Index::create().col(Interactions::TenantId).col(Interactions::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_interactions_customer")
                        .from(Interactions::Table, (Interactions::TenantId, Interactions::CustomerId))
                        .to(Customers::Table, (Customers::TenantId, Customers::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_interactions_customer_time")
                .table(Interactions::Table)
                .col(Interactions::TenantId)
                .col(Interactions::CustomerId)
                .col(Interactions::OccurredAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Tags::Table)
                .col(uuid(Tags::TenantId))
                .col(uuid(Tags::Id))
                .col(string_len(Tags::Name, 100))
                .col(string_len(Tags::Category, 32))
                .col(timestamp_with_time_zone(Tags::CreatedAt))
                .primary_key(Index::create().col(Tags::TenantId).col(Tags::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_tags_tenant")
                        .from(Tags::Table, Tags::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_tags_category_name")
                .table(Tags::Table)
                .col(Tags::TenantId)
                .col(Tags::Category)
                .col(Tags::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CustomerTags::Table)
                .col(uuid(CustomerTags::TenantId))
                .col(uuid(CustomerTags::CustomerId))
                .col(uuid(CustomerTags::TagId))
                .col(timestamp_with_time_zone(CustomerTags::CreatedAt))
                .primary_key(
                    Index::create().col(CustomerTags::TenantId).col(CustomerTags::CustomerId).col(CustomerTags::TagId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_customer_tags_customer")
                        .from(CustomerTags::Table, (CustomerTags::TenantId, CustomerTags::CustomerId))
                        .to(Customers::Table, (Customers::TenantId, Customers::Id)),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_customer_tags_tag")
                        .from(CustomerTags::Table, (CustomerTags::TenantId, CustomerTags::TagId))
                        .to(Tags::Table, (Tags::TenantId, Tags::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_customer_tags_tag")
                .table(CustomerTags::Table)
                .col(CustomerTags::TenantId)
                .col(CustomerTags::TagId)
                .col(CustomerTags::CustomerId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TenantCounters::Table)
                .col(uuid(TenantCounters::TenantId))
                .col(string_len(TenantCounters::Name, 64))
                .col(big_integer(TenantCounters::Value))
                .primary_key(Index::create().col(TenantCounters::TenantId).col(TenantCounters::Name))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_tenant_counters_tenant")
                        .from(TenantCounters::Table, TenantCounters::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await
    }
}
