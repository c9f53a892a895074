//! Access-token revocation: a per-subject token generation on `users` and `api_clients`. An
//! access token carries the generation it was issued at; logout, a password reset, disabling a
//! user and rotating or revoking a client bump it, so older tokens fail at the next request.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    TokenGeneration,
}

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    TokenGeneration,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Users::Table).add_column(big_integer(Users::TokenGeneration).default(0)).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiClients::Table)
                .add_column(big_integer(ApiClients::TokenGeneration).default(0))
                .to_owned(),
        )
        .await
    }
}
