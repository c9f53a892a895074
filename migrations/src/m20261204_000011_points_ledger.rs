//! The points ledger: points plans (periods that never overlap, items kept as JSON on the plan),
//! the append-only entries (a source credits at most once per kind and status: a unique key),
//! the cached balances per member, plan and kind (written in the entries' transaction, checked
//! against them by `crm ledger check`), purchases and their payments and refunds from the sales
//! system, carry-over runs and the rewards they make, and the ledger entry that caused a level
//! change.

use crate::m20261201_000006_membership::{index, tenant_fk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PointsPlans {
    Table,
    TenantId,
    Id,
    Name,
    StartsOn,
    EndsOn,
    PointValueFen,
    Items,
    MinPoints,
    RewardKind,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsEntries {
    Table,
    TenantId,
    Id,
    MemberId,
    PlanId,
    Kind,
    Status,
    Delta,
    SourceType,
    SourceId,
    Item,
    PurchaseId,
    Reason,
    BusinessDate,
    ActorType,
    ActorId,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PointsBalances {
    Table,
    TenantId,
    MemberId,
    PlanKey,
    Kind,
    Available,
    Pending,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Purchases {
    Table,
    TenantId,
    Id,
    Source,
    ExternalId,
    MemberId,
    PlanId,
    AmountFen,
    Currency,
    OccurredAt,
    BusinessDate,
    Description,
    RequestHash,
    Status,
    EffectiveWhen,
    RewardPoints,
    UpgradePoints,
    PaidFen,
    RefundedFen,
    EffectiveAt,
    CancelledAt,
    CancelReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PurchasePayments {
    Table,
    TenantId,
    PurchaseId,
    Kind,
    ExternalId,
    Id,
    AmountFen,
    At,
    RequestHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CarryOverRuns {
    Table,
    TenantId,
    Id,
    PlanId,
    Status,
    Cursor,
    Members,
    Points,
    ValueFen,
    LeaseUntil,
    StartedBy,
    StartedAt,
    FinishedAt,
    ReversedAt,
}

#[derive(DeriveIden)]
enum Rewards {
    Table,
    TenantId,
    Id,
    RunId,
    MemberId,
    PlanId,
    Points,
    ValueFen,
    Kind,
    Status,
    Note,
    RedeemedOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MemberLevelChanges {
    Table,
    LedgerEntryId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PointsPlans::Table)
                .col(uuid(PointsPlans::TenantId))
                .col(uuid(PointsPlans::Id))
                .col(string_len(PointsPlans::Name, 100))
                .col(date(PointsPlans::StartsOn))
                .col(date(PointsPlans::EndsOn))
                .col(big_integer(PointsPlans::PointValueFen))
                .col(text(PointsPlans::Items))
                .col(big_integer(PointsPlans::MinPoints))
                .col(string_len(PointsPlans::RewardKind, 16))
                .col(uuid_null(PointsPlans::CreatedBy))
                .col(timestamp_with_time_zone(PointsPlans::CreatedAt))
                .col(timestamp_with_time_zone(PointsPlans::UpdatedAt))
                .primary_key(Index::create().col(PointsPlans::TenantId).col(PointsPlans::Id))
                .foreign_key(&mut tenant_fk("fk_points_plans_tenant", PointsPlans::Table, PointsPlans::TenantId))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_points_plans_period",
            PointsPlans::Table,
            vec![PointsPlans::TenantId.into_iden(), PointsPlans::StartsOn.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PointsEntries::Table)
                .col(uuid(PointsEntries::TenantId))
                .col(uuid(PointsEntries::Id))
                .col(uuid(PointsEntries::MemberId))
                .col(uuid_null(PointsEntries::PlanId))
                .col(string_len(PointsEntries::Kind, 16))
                .col(string_len(PointsEntries::Status, 16))
                .col(big_integer(PointsEntries::Delta))
                .col(string_len(PointsEntries::SourceType, 32))
                .col(string_len(PointsEntries::SourceId, 160))
                .col(string_len_null(PointsEntries::Item, 32))
                .col(uuid_null(PointsEntries::PurchaseId))
                .col(string_len_null(PointsEntries::Reason, 500))
                .col(date(PointsEntries::BusinessDate))
                .col(string_len(PointsEntries::ActorType, 16))
                .col(uuid_null(PointsEntries::ActorId))
                .col(string_len_null(PointsEntries::RequestId, 128))
                .col(timestamp_with_time_zone(PointsEntries::CreatedAt))
                .primary_key(Index::create().col(PointsEntries::TenantId).col(PointsEntries::Id))
                .foreign_key(&mut tenant_fk("fk_points_entries_tenant", PointsEntries::Table, PointsEntries::TenantId))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            // A source credits at most once per kind and status, whatever the retries or races.
            (
                "ux_points_entries_source",
                vec![
                    PointsEntries::TenantId.into_iden(),
                    PointsEntries::SourceType.into_iden(),
                    PointsEntries::SourceId.into_iden(),
                    PointsEntries::Kind.into_iden(),
                    PointsEntries::Status.into_iden(),
                ],
                true,
            ),
            (
                "ix_points_entries_member",
                vec![
                    PointsEntries::TenantId.into_iden(),
                    PointsEntries::MemberId.into_iden(),
                    PointsEntries::Id.into_iden(),
                ],
                false,
            ),
            // A purchase's entries (its payments, refunds and cancellation settle against them).
            (
                "ix_points_entries_purchase",
                vec![PointsEntries::TenantId.into_iden(), PointsEntries::PurchaseId.into_iden()],
                false,
            ),
        ] {
            m.create_index(index(name, PointsEntries::Table, cols, unique)).await?;
        }

        m.create_table(
            Table::create()
                .table(PointsBalances::Table)
                .col(uuid(PointsBalances::TenantId))
                .col(uuid(PointsBalances::MemberId))
                .col(uuid(PointsBalances::PlanKey))
                .col(string_len(PointsBalances::Kind, 16))
                .col(big_integer(PointsBalances::Available))
                .col(big_integer(PointsBalances::Pending))
                .col(timestamp_with_time_zone(PointsBalances::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(PointsBalances::TenantId)
                        .col(PointsBalances::MemberId)
                        .col(PointsBalances::PlanKey)
                        .col(PointsBalances::Kind),
                )
                .foreign_key(&mut tenant_fk(
                    "fk_points_balances_tenant",
                    PointsBalances::Table,
                    PointsBalances::TenantId,
                ))
                .to_owned(),
        )
        .await?;
        // Carry-over walks a plan's reward balances in member order.
        m.create_index(index(
            "ix_points_balances_plan",
            PointsBalances::Table,
            vec![
                PointsBalances::TenantId.into_iden(),
                PointsBalances::PlanKey.into_iden(),
                PointsBalances::Kind.into_iden(),
                PointsBalances::MemberId.into_iden(),
            ],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Purchases::Table)
                .col(uuid(Purchases::TenantId))
                .col(uuid(Purchases::Id))
                .col(string_len(Purchases::Source, 64))
                .col(string_len(Purchases::ExternalId, 128))
                .col(uuid(Purchases::MemberId))
                .col(uuid_null(Purchases::PlanId))
                .col(big_integer(Purchases::AmountFen))
                .col(string_len(Purchases::Currency, 3))
                .col(timestamp_with_time_zone(Purchases::OccurredAt))
                .col(date(Purchases::BusinessDate))
                .col(string_len_null(Purchases::Description, 500))
                .col(string_len(Purchases::RequestHash, 64))
                .col(string_len(Purchases::Status, 16))
                .col(string_len_null(Purchases::EffectiveWhen, 16))
                .col(big_integer(Purchases::RewardPoints))
                .col(big_integer(Purchases::UpgradePoints))
                .col(big_integer(Purchases::PaidFen))
                .col(big_integer(Purchases::RefundedFen))
                .col(timestamp_with_time_zone_null(Purchases::EffectiveAt))
                .col(timestamp_with_time_zone_null(Purchases::CancelledAt))
                .col(string_len_null(Purchases::CancelReason, 500))
                .col(uuid_null(Purchases::CreatedBy))
                .col(timestamp_with_time_zone(Purchases::CreatedAt))
                .col(timestamp_with_time_zone(Purchases::UpdatedAt))
                .primary_key(Index::create().col(Purchases::TenantId).col(Purchases::Id))
                .foreign_key(&mut tenant_fk("fk_purchases_tenant", Purchases::Table, Purchases::TenantId))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            // The sales system's key: the same push twice is one purchase.
            (
                "ux_purchases_external",
                vec![Purchases::TenantId.into_iden(), Purchases::Source.into_iden(), Purchases::ExternalId.into_iden()],
                true,
            ),
            (
                "ix_purchases_member",
                vec![Purchases::TenantId.into_iden(), Purchases::MemberId.into_iden(), Purchases::Id.into_iden()],
                false,
            ),
        ] {
            m.create_index(index(name, Purchases::Table, cols, unique)).await?;
        }

        m.create_table(
            Table::create()
                .table(PurchasePayments::Table)
                .col(uuid(PurchasePayments::TenantId))
                .col(uuid(PurchasePayments::PurchaseId))
                .col(string_len(PurchasePayments::Kind, 16))
                .col(string_len(PurchasePayments::ExternalId, 128))
                .col(uuid(PurchasePayments::Id))
                .col(big_integer(PurchasePayments::AmountFen))
                .col(timestamp_with_time_zone(PurchasePayments::At))
                .col(string_len(PurchasePayments::RequestHash, 64))
                .col(timestamp_with_time_zone(PurchasePayments::CreatedAt))
                // A payment (or refund) is known by its external id within its purchase.
                .primary_key(
                    Index::create()
                        .col(PurchasePayments::TenantId)
                        .col(PurchasePayments::PurchaseId)
                        .col(PurchasePayments::Kind)
                        .col(PurchasePayments::ExternalId),
                )
                .foreign_key(&mut tenant_fk(
                    "fk_purchase_payments_tenant",
                    PurchasePayments::Table,
                    PurchasePayments::TenantId,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CarryOverRuns::Table)
                .col(uuid(CarryOverRuns::TenantId))
                .col(uuid(CarryOverRuns::Id))
                .col(uuid(CarryOverRuns::PlanId))
                .col(string_len(CarryOverRuns::Status, 16))
                .col(uuid_null(CarryOverRuns::Cursor))
                .col(big_integer(CarryOverRuns::Members))
                .col(big_integer(CarryOverRuns::Points))
                .col(big_integer(CarryOverRuns::ValueFen))
                .col(timestamp_with_time_zone_null(CarryOverRuns::LeaseUntil))
                .col(uuid_null(CarryOverRuns::StartedBy))
                .col(timestamp_with_time_zone(CarryOverRuns::StartedAt))
                .col(timestamp_with_time_zone_null(CarryOverRuns::FinishedAt))
                .col(timestamp_with_time_zone_null(CarryOverRuns::ReversedAt))
                .primary_key(Index::create().col(CarryOverRuns::TenantId).col(CarryOverRuns::Id))
                .foreign_key(&mut tenant_fk("fk_carry_over_runs_tenant", CarryOverRuns::Table, CarryOverRuns::TenantId))
                .to_owned(),
        )
        .await?;
        // One run of a plan at a time that is not reversed: running twice finds the first.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_carry_over_runs_plan ON carry_over_runs (tenant_id, plan_id) \
                 WHERE status <> 'reversed'",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(Rewards::Table)
                .col(uuid(Rewards::TenantId))
                .col(uuid(Rewards::Id))
                .col(uuid(Rewards::RunId))
                .col(uuid(Rewards::MemberId))
                .col(uuid(Rewards::PlanId))
                .col(big_integer(Rewards::Points))
                .col(big_integer(Rewards::ValueFen))
                .col(string_len(Rewards::Kind, 16))
                .col(string_len(Rewards::Status, 16))
                .col(string_len_null(Rewards::Note, 500))
                .col(date_null(Rewards::RedeemedOn))
                .col(timestamp_with_time_zone(Rewards::CreatedAt))
                .col(timestamp_with_time_zone(Rewards::UpdatedAt))
                .primary_key(Index::create().col(Rewards::TenantId).col(Rewards::Id))
                .foreign_key(&mut tenant_fk("fk_rewards_tenant", Rewards::Table, Rewards::TenantId))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            // A run makes at most one reward per member.
            (
                "ux_rewards_run_member",
                vec![Rewards::TenantId.into_iden(), Rewards::RunId.into_iden(), Rewards::MemberId.into_iden()],
                true,
            ),
            (
                "ix_rewards_member",
                vec![Rewards::TenantId.into_iden(), Rewards::MemberId.into_iden(), Rewards::Id.into_iden()],
                false,
            ),
        ] {
            m.create_index(index(name, Rewards::Table, cols, unique)).await?;
        }

        m.alter_table(
            Table::alter()
                .table(MemberLevelChanges::Table)
                .add_column(uuid_null(MemberLevelChanges::LedgerEntryId))
                .to_owned(),
        )
        .await
    }
}
