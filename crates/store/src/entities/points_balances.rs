//! `points_balances`: cached sums of a member's entries per plan and kind.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_balances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The plan's id, or the nil id for entries outside any plan.
    #[sea_orm(primary_key, auto_increment = false)]
    pub plan_key: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    pub available: i64,
    pub pending: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
