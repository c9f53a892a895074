//! `card_numbers`: every card number prepared or handed out, with its state; never deleted once assigned.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_numbers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub card_no: String,
    pub status: String,
    pub reserved: bool,
    pub origin: String,
    pub member_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub assigned_at: Option<DateTimeUtc>,
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
