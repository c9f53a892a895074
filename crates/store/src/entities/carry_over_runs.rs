//! `carry_over_runs`: one carry-over of a plan, its progress and totals.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "carry_over_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    pub status: String,
    /// The last member done (runs go in member id order).
    pub cursor: Option<Uuid>,
    pub members: i64,
    pub points: i64,
    pub value_fen: i64,
    pub lease_until: Option<DateTimeUtc>,
    pub started_by: Option<Uuid>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub reversed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
