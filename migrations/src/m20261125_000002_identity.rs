//! Identity: the org tree, positions, users with their positions and grants, refresh-token
//! sessions, API clients, and login-failure counters for lockout.

use crate::m20261125_000001_platform::Tenants;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    TenantId,
    Id,
    ParentId,
    Name,
    Kind,
    Path,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Positions {
    Table,
    TenantId,
    Id,
    Name,
    DataScope,
    Permissions,
    GrantsAll,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TenantId,
    Id,
    Username,
    PasswordHash,
    DisplayName,
    Status,
    IsPlatformAdmin,
    OrgUnitId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserPositions {
    Table,
    TenantId,
    UserId,
    PositionId,
}

#[derive(DeriveIden)]
enum UserGrants {
    Table,
    TenantId,
    UserId,
    Permission,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TenantId,
    Id,
    FamilyId,
    UserId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    TenantId,
    Id,
    ClientId,
    Name,
    SecretHash,
    Scopes,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LockedUntil,
}

fn tenant_fk(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(table, col).to(Tenants::Table, Tenants::Id).to_owned()
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
        m.create_table(
            Table::create()
                .table(OrgUnits::Table)
                .col(uuid(OrgUnits::TenantId))
                .col(uuid(OrgUnits::Id))
                .col(uuid_null(OrgUnits::ParentId))
                .col(string_len(OrgUnits::Name, 200))
                .col(string_len(OrgUnits::Kind, 16))
                .col(string_len(OrgUnits::Path, 1024))
                .col(timestamp_with_time_zone(OrgUnits::CreatedAt))
                .col(timestamp_with_time_zone(OrgUnits::UpdatedAt))
                .primary_key(Index::create().col(OrgUnits::TenantId).col(OrgUnits::Id))
                .foreign_key(&mut tenant_fk("fk_org_units_tenant", OrgUnits::Table, OrgUnits::TenantId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_org_units_parent")
                        .from(OrgUnits::Table, (OrgUnits::TenantId, OrgUnits::ParentId))
                        .to(OrgUnits::Table, (OrgUnits::TenantId, OrgUnits::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_org_units_parent",
            OrgUnits::Table,
            vec![OrgUnits::TenantId.into_iden(), OrgUnits::ParentId.into_iden()],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_org_units_path",
            OrgUnits::Table,
            vec![OrgUnits::TenantId.into_iden(), OrgUnits::Path.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Positions::Table)
                .col(uuid(Positions::TenantId))
                .col(uuid(Positions::Id))
                .col(string_len(Positions::Name, 200))
                .col(string_len(Positions::DataScope, 16))
                .col(text(Positions::Permissions))
                .col(boolean(Positions::GrantsAll).default(false))
                .col(timestamp_with_time_zone(Positions::CreatedAt))
                .col(timestamp_with_time_zone(Positions::UpdatedAt))
                .primary_key(Index::create().col(Positions::TenantId).col(Positions::Id))
                .foreign_key(&mut tenant_fk("fk_positions_tenant", Positions::Table, Positions::TenantId))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_positions_tenant_name",
            Positions::Table,
            vec![Positions::TenantId.into_iden(), Positions::Name.into_iden()],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(uuid(Users::TenantId))
                .col(uuid(Users::Id))
                .col(string_len(Users::Username, 64))
                .col(string_len(Users::PasswordHash, 255))
                .col(string_len(Users::DisplayName, 200))
                .col(string_len(Users::Status, 16))
                .col(boolean(Users::IsPlatformAdmin).default(false))
                .col(uuid_null(Users::OrgUnitId))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .primary_key(Index::create().col(Users::TenantId).col(Users::Id))
                .foreign_key(&mut tenant_fk("fk_users_tenant", Users::Table, Users::TenantId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_users_org_unit")
                        .from(Users::Table, (Users::TenantId, Users::OrgUnitId))
                        .to(OrgUnits::Table, (OrgUnits::TenantId, OrgUnits::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_users_tenant_username",
            Users::Table,
            vec![Users::TenantId.into_iden(), Users::Username.into_iden()],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_users_org_unit",
            Users::Table,
            vec![Users::TenantId.into_iden(), Users::OrgUnitId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(UserPositions::Table)
                .col(uuid(UserPositions::TenantId))
                .col(uuid(UserPositions::UserId))
                .col(uuid(UserPositions::PositionId))
                .primary_key(
                    Index::create()
                        .col(UserPositions::TenantId)
                        .col(UserPositions::UserId)
                        .col(UserPositions::PositionId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_positions_user")
                        .from(UserPositions::Table, (UserPositions::TenantId, UserPositions::UserId))
                        .to(Users::Table, (Users::TenantId, Users::Id)),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_positions_position")
                        .from(UserPositions::Table, (UserPositions::TenantId, UserPositions::PositionId))
                        .to(Positions::Table, (Positions::TenantId, Positions::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_user_positions_position",
            UserPositions::Table,
            vec![UserPositions::TenantId.into_iden(), UserPositions::PositionId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(UserGrants::Table)
                .col(uuid(UserGrants::TenantId))
                .col(uuid(UserGrants::UserId))
                .col(string_len(UserGrants::Permission, 100))
                .primary_key(
                    Index::create().col(UserGrants::TenantId).col(UserGrants::UserId).col(UserGrants::Permission),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_grants_user")
                        .from(UserGrants::Table, (UserGrants::TenantId, UserGrants::UserId))
                        .to(Users::Table, (Users::TenantId, Users::Id)),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(uuid(RefreshTokens::TenantId))
                .col(uuid(RefreshTokens::Id))
                .col(uuid(RefreshTokens::FamilyId))
                .col(uuid(RefreshTokens::UserId))
                .col(string_len(RefreshTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .primary_key(Index::create().col(RefreshTokens::TenantId).col(RefreshTokens::Id))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_refresh_tokens_user")
                        .from(RefreshTokens::Table, (RefreshTokens::TenantId, RefreshTokens::UserId))
                        .to(Users::Table, (Users::TenantId, Users::Id)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_refresh_tokens_hash",
            RefreshTokens::Table,
            vec![RefreshTokens::TokenHash.into_iden()],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_refresh_tokens_family",
            RefreshTokens::Table,
            vec![RefreshTokens::TenantId.into_iden(), RefreshTokens::FamilyId.into_iden()],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_refresh_tokens_user",
            RefreshTokens::Table,
            vec![RefreshTokens::TenantId.into_iden(), RefreshTokens::UserId.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(ApiClients::Table)
                .col(uuid(ApiClients::TenantId))
                .col(uuid(ApiClients::Id))
                .col(string_len(ApiClients::ClientId, 64))
                .col(string_len(ApiClients::Name, 200))
                .col(string_len(ApiClients::SecretHash, 64))
                .col(text(ApiClients::Scopes))
                .col(string_len(ApiClients::Status, 16))
                .col(timestamp_with_time_zone(ApiClients::CreatedAt))
                .col(timestamp_with_time_zone(ApiClients::UpdatedAt))
                .primary_key(Index::create().col(ApiClients::TenantId).col(ApiClients::Id))
                .foreign_key(&mut tenant_fk("fk_api_clients_tenant", ApiClients::Table, ApiClients::TenantId))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_api_clients_client_id",
            ApiClients::Table,
            vec![ApiClients::ClientId.into_iden()],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                .col(string_len(LoginFailures::Key, 200).primary_key())
                .col(integer(LoginFailures::Failures))
                .col(timestamp_with_time_zone(LoginFailures::WindowStartedAt))
                .col(timestamp_with_time_zone_null(LoginFailures::LockedUntil))
                .to_owned(),
        )
        .await
    }
}
