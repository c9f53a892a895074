//! `customers`: the customer record with its search keys; soft-deleted, with a change sequence.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub name_norm: String,
    pub name_pinyin: String,
    pub name_initials: String,
    pub phone: Option<String>,
    pub phone_last4: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<Date>,
    pub id_number: Option<String>,
    pub company: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub industry: Option<String>,
    pub level: Option<String>,
    pub grade: String,
    pub owner_id: Option<Uuid>,
    pub notes: Option<String>,
    pub custom_fields: String,
    pub last_interaction_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub change_seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
