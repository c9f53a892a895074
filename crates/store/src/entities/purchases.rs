//! `purchases`: purchases pushed by the sales system, keyed by `(source, external_id)`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub source: String,
    pub external_id: String,
    pub member_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub amount_fen: i64,
    pub currency: String,
    pub occurred_at: DateTimeUtc,
    pub business_date: Date,
    pub description: Option<String>,
    pub request_hash: String,
    pub status: String,
    pub effective_when: Option<String>,
    pub reward_points: i64,
    pub upgrade_points: i64,
    pub paid_fen: i64,
    pub refunded_fen: i64,
    pub effective_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
