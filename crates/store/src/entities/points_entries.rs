//! `points_entries`: the append-only points ledger.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub kind: String,
    pub status: String,
    pub delta: i64,
    pub source_type: String,
    pub source_id: String,
    pub item: Option<String>,
    pub purchase_id: Option<Uuid>,
    pub reason: Option<String>,
    pub business_date: Date,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
