//! `customer_merges`: which customer was merged into which, by whom, and what moved.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_merges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub target_id: Uuid,
    pub merged_id: Uuid,
    pub merged_at: DateTimeUtc,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    /// JSON: the ids of the records moved, by kind.
    pub moved: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
