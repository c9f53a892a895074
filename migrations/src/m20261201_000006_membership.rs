//! Membership: member levels, the card-number pool, members (one live membership per customer),
//! level changes, external identities, enrollment applications, and the outbox that every
//! domain event is written to in the transaction of the change that caused it.

use crate::m20261125_000001_platform::Tenants;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    TenantId,
    Id,
    EventType,
    AggregateType,
    AggregateId,
    Payload,
    OccurredAt,
    ActorType,
    ActorId,
    RequestId,
    Status,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    LastError,
}

#[derive(DeriveIden)]
enum MemberLevels {
    Table,
    TenantId,
    Id,
    Name,
    LevelValue,
    UpgradePoints,
    MultiplierPct,
    Benefits,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CardNumbers {
    Table,
    TenantId,
    CardNo,
    Status,
    Reserved,
    Origin,
    MemberId,
    CreatedAt,
    AssignedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    TenantId,
    Id,
    CustomerId,
    CardNo,
    Status,
    LevelId,
    Channel,
    ApplicationId,
    JoinedAt,
    CancelledAt,
    CancelReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MemberLevelChanges {
    Table,
    TenantId,
    Id,
    MemberId,
    FromLevelId,
    ToLevelId,
    Reason,
    Source,
    ActorType,
    ActorId,
    ChangedAt,
}

#[derive(DeriveIden)]
enum MemberIdentities {
    Table,
    TenantId,
    Source,
    ExternalId,
    MemberId,
    LinkedAt,
}

#[derive(DeriveIden)]
enum EnrollmentApplications {
    Table,
    TenantId,
    Id,
    Channel,
    Status,
    Name,
    Phone,
    PhoneRaw,
    Email,
    Gender,
    Birthday,
    IdNumber,
    Province,
    City,
    District,
    Address,
    Notes,
    Source,
    ExternalId,
    CustomerId,
    MemberId,
    LevelId,
    Findings,
    Clean,
    DecidedAt,
    DecidedBy,
    DecisionReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
}

/// An index on `cols` (shared with later migrations).
pub(crate) fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>, unique: bool) -> IndexCreateStatement {
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

/// The foreign key of a tenant's row (shared with later migrations).
pub(crate) fn tenant_fk(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(table, col).to(Tenants::Table, Tenants::Id).to_owned()
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

        m.create_table(
            Table::create()
                .table(OutboxEvents::Table)
                .col(uuid(OutboxEvents::TenantId))
                .col(uuid(OutboxEvents::Id))
                .col(string_len(OutboxEvents::EventType, 64))
                .col(string_len(OutboxEvents::AggregateType, 32))
                .col(uuid(OutboxEvents::AggregateId))
                .col(text(OutboxEvents::Payload))
                .col(timestamp_with_time_zone(OutboxEvents::OccurredAt))
                .col(string_len(OutboxEvents::ActorType, 16))
                .col(uuid_null(OutboxEvents::ActorId))
                .col(string_len_null(OutboxEvents::RequestId, 128))
                .col(string_len(OutboxEvents::Status, 16))
                .col(integer(OutboxEvents::Attempts))
                .col(timestamp_with_time_zone(OutboxEvents::NextAttemptAt))
                .col(timestamp_with_time_zone_null(OutboxEvents::DeliveredAt))
                .col(text_null(OutboxEvents::LastError))
                .primary_key(Index::create().col(OutboxEvents::TenantId).col(OutboxEvents::Id))
                .foreign_key(&mut tenant_fk("fk_outbox_events_tenant", OutboxEvents::Table, OutboxEvents::TenantId))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            // The dispatcher's queue: what is due, across tenants.
            ("ix_outbox_events_due", vec![OutboxEvents::Status.into_iden(), OutboxEvents::NextAttemptAt.into_iden()]),
            (
                "ix_outbox_events_aggregate",
                vec![
                    OutboxEvents::TenantId.into_iden(),
                    OutboxEvents::AggregateId.into_iden(),
                    OutboxEvents::Id.into_iden(),
                ],
            ),
            (
                "ix_outbox_events_type",
                vec![
                    OutboxEvents::TenantId.into_iden(),
                    OutboxEvents::EventType.into_iden(),
                    OutboxEvents::Id.into_iden(),
                ],
            ),
        ] {
            m.create_index(index(name, OutboxEvents::Table, cols, false)).await?;
        }

        m.create_table(
            Table::create()
                .table(MemberLevels::Table)
                .col(uuid(MemberLevels::TenantId))
                .col(uuid(MemberLevels::Id))
                .col(string_len(MemberLevels::Name, 100))
                .col(integer(MemberLevels::LevelValue))
                .col(big_integer(MemberLevels::UpgradePoints))
                .col(integer(MemberLevels::MultiplierPct))
                .col(text_null(MemberLevels::Benefits))
                .col(timestamp_with_time_zone(MemberLevels::CreatedAt))
                .col(timestamp_with_time_zone(MemberLevels::UpdatedAt))
                .primary_key(Index::create().col(MemberLevels::TenantId).col(MemberLevels::Id))
                .foreign_key(&mut tenant_fk("fk_member_levels_tenant", MemberLevels::Table, MemberLevels::TenantId))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_member_levels_value",
            MemberLevels::Table,
            vec![MemberLevels::TenantId.into_iden(), MemberLevels::LevelValue.into_iden()],
            true,
        ))
        .await?;
        m.create_index(index(
            "ux_member_levels_name",
            MemberLevels::Table,
            vec![MemberLevels::TenantId.into_iden(), MemberLevels::Name.into_iden()],
            true,
        ))
        .await?;

        // Every number ever handed out or prepared stays here; an assigned one never becomes free.
        m.create_table(
            Table::create()
                .table(CardNumbers::Table)
                .col(uuid(CardNumbers::TenantId))
                .col(byte_wise(string_len(CardNumbers::CardNo, 32)))
                .col(string_len(CardNumbers::Status, 16))
                .col(boolean(CardNumbers::Reserved))
                .col(string_len(CardNumbers::Origin, 16))
                .col(uuid_null(CardNumbers::MemberId))
                .col(timestamp_with_time_zone(CardNumbers::CreatedAt))
                .col(timestamp_with_time_zone_null(CardNumbers::AssignedAt))
                .col(timestamp_with_time_zone_null(CardNumbers::RetiredAt))
                .primary_key(Index::create().col(CardNumbers::TenantId).col(CardNumbers::CardNo))
                .foreign_key(&mut tenant_fk("fk_card_numbers_tenant", CardNumbers::Table, CardNumbers::TenantId))
                .to_owned(),
        )
        .await?;
        // The lowest free number is the first entry of this index's range.
        m.create_index(index(
            "ix_card_numbers_free",
            CardNumbers::Table,
            vec![
                CardNumbers::TenantId.into_iden(),
                CardNumbers::Status.into_iden(),
                CardNumbers::Reserved.into_iden(),
                CardNumbers::CardNo.into_iden(),
            ],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Members::Table)
                .col(uuid(Members::TenantId))
                .col(uuid(Members::Id))
                .col(uuid(Members::CustomerId))
                .col(byte_wise(string_len(Members::CardNo, 32)))
                .col(string_len(Members::Status, 16))
                .col(uuid_null(Members::LevelId))
                .col(string_len(Members::Channel, 16))
                .col(uuid_null(Members::ApplicationId))
                .col(timestamp_with_time_zone(Members::JoinedAt))
                .col(timestamp_with_time_zone_null(Members::CancelledAt))
                .col(text_null(Members::CancelReason))
                .col(uuid_null(Members::CreatedBy))
                .col(timestamp_with_time_zone(Members::CreatedAt))
                .col(timestamp_with_time_zone(Members::UpdatedAt))
                .primary_key(Index::create().col(Members::TenantId).col(Members::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_members_customer")
                        .from(Members::Table, (Members::TenantId, Members::CustomerId))
                        .to(Customers::Table, (Customers::TenantId, Customers::Id)),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_members_level")
                        .from(Members::Table, (Members::TenantId, Members::LevelId))
                        .to(MemberLevels::Table, (MemberLevels::TenantId, MemberLevels::Id)),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            ("ux_members_card_no", vec![Members::TenantId.into_iden(), Members::CardNo.into_iden()], true),
            (
                "ix_members_customer",
                vec![Members::TenantId.into_iden(), Members::CustomerId.into_iden(), Members::Id.into_iden()],
                false,
            ),
            (
                "ix_members_level",
                vec![Members::TenantId.into_iden(), Members::LevelId.into_iden(), Members::Id.into_iden()],
                false,
            ),
            (
                "ix_members_status",
                vec![Members::TenantId.into_iden(), Members::Status.into_iden(), Members::Id.into_iden()],
                false,
            ),
            ("ix_members_joined", vec![Members::TenantId.into_iden(), Members::JoinedAt.into_iden()], false),
        ] {
            m.create_index(index(name, Members::Table, cols, unique)).await?;
        }
        // One live membership per customer; a cancelled one may be followed by a new enrollment.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_members_live_customer ON members (tenant_id, customer_id) \
                 WHERE status <> 'cancelled'",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(MemberLevelChanges::Table)
                .col(uuid(MemberLevelChanges::TenantId))
                .col(uuid(MemberLevelChanges::Id))
                .col(uuid(MemberLevelChanges::MemberId))
                .col(uuid_null(MemberLevelChanges::FromLevelId))
                .col(uuid_null(MemberLevelChanges::ToLevelId))
                .col(text_null(MemberLevelChanges::Reason))
                .col(string_len(MemberLevelChanges::Source, 16))
                .col(string_len(MemberLevelChanges::ActorType, 16))
                .col(uuid_null(MemberLevelChanges::ActorId))
                .col(timestamp_with_time_zone(MemberLevelChanges::ChangedAt))
                .primary_key(Index::create().col(MemberLevelChanges::TenantId).col(MemberLevelChanges::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_member_level_changes_member")
                        .from(MemberLevelChanges::Table, (MemberLevelChanges::TenantId, MemberLevelChanges::MemberId))
                        .to(Members::Table, (Members::TenantId, Members::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_member_level_changes_member",
            MemberLevelChanges::Table,
            vec![
                MemberLevelChanges::TenantId.into_iden(),
                MemberLevelChanges::MemberId.into_iden(),
                MemberLevelChanges::Id.into_iden(),
            ],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(MemberIdentities::Table)
                .col(uuid(MemberIdentities::TenantId))
                .col(string_len(MemberIdentities::Source, 64))
                .col(string_len(MemberIdentities::ExternalId, 128))
                .col(uuid(MemberIdentities::MemberId))
                .col(timestamp_with_time_zone(MemberIdentities::LinkedAt))
                .primary_key(
                    Index::create()
                        .col(MemberIdentities::TenantId)
                        .col(MemberIdentities::Source)
                        .col(MemberIdentities::ExternalId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_member_identities_member")
                        .from(MemberIdentities::Table, (MemberIdentities::TenantId, MemberIdentities::MemberId))
                        .to(Members::Table, (Members::TenantId, Members::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_member_identities_member",
            MemberIdentities::Table,
            vec![MemberIdentities::TenantId.into_iden(), MemberIdentities::MemberId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(EnrollmentApplications::Table)
                .col(uuid(EnrollmentApplications::TenantId))
                .col(uuid(EnrollmentApplications::Id))
                .col(string_len(EnrollmentApplications::Channel, 16))
                .col(string_len(EnrollmentApplications::Status, 16))
                .col(string_len_null(EnrollmentApplications::Name, 200))
                .col(string_len_null(EnrollmentApplications::Phone, 32))
                .col(string_len_null(EnrollmentApplications::PhoneRaw, 64))
                .col(string_len_null(EnrollmentApplications::Email, 254))
                .col(string_len_null(EnrollmentApplications::Gender, 16))
                .col(date_null(EnrollmentApplications::Birthday))
                .col(string_len_null(EnrollmentApplications::IdNumber, 32))
                .col(string_len_null(EnrollmentApplications::Province, 64))
                .col(string_len_null(EnrollmentApplications::City, 64))
                .col(string_len_null(EnrollmentApplications::District, 64))
                .col(string_len_null(EnrollmentApplications::Address, 500))
                .col(text_null(EnrollmentApplications::Notes))
                .col(string_len_null(EnrollmentApplications::Source, 64))
                .col(string_len_null(EnrollmentApplications::ExternalId, 128))
                .col(uuid_null(EnrollmentApplications::CustomerId))
                .col(uuid_null(EnrollmentApplications::MemberId))
                .col(uuid_null(EnrollmentApplications::LevelId))
                .col(text(EnrollmentApplications::Findings))
                .col(boolean(EnrollmentApplications::Clean))
                .col(timestamp_with_time_zone_null(EnrollmentApplications::DecidedAt))
                .col(uuid_null(EnrollmentApplications::DecidedBy))
                .col(text_null(EnrollmentApplications::DecisionReason))
                .col(uuid_null(EnrollmentApplications::CreatedBy))
                .col(timestamp_with_time_zone(EnrollmentApplications::CreatedAt))
                .col(timestamp_with_time_zone(EnrollmentApplications::UpdatedAt))
                .primary_key(Index::create().col(EnrollmentApplications::TenantId).col(EnrollmentApplications::Id))
                .foreign_key(&mut tenant_fk(
                    "fk_enrollment_applications_tenant",
                    EnrollmentApplications::Table,
                    EnrollmentApplications::TenantId,
                ))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            (
                "ux_enrollment_applications_external",
                vec![
                    EnrollmentApplications::TenantId.into_iden(),
                    EnrollmentApplications::Source.into_iden(),
                    EnrollmentApplications::ExternalId.into_iden(),
                ],
                true,
            ),
            (
                "ix_enrollment_applications_status",
                vec![
                    EnrollmentApplications::TenantId.into_iden(),
                    EnrollmentApplications::Status.into_iden(),
                    EnrollmentApplications::Id.into_iden(),
                ],
                false,
            ),
            (
                "ix_enrollment_applications_phone",
                vec![EnrollmentApplications::TenantId.into_iden(), EnrollmentApplications::Phone.into_iden()],
                false,
            ),
            (
                "ix_enrollment_applications_id_number",
                vec![EnrollmentApplications::TenantId.into_iden(), EnrollmentApplications::IdNumber.into_iden()],
                false,
            ),
        ] {
            m.create_index(index(name, EnrollmentApplications::Table, cols, unique)).await?;
        }
        Ok(())
    }
}
