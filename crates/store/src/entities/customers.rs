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
    /// The company name normalized for duplicate detection (`crm-domain customers::duplicates`).
    pub company_key: Option<String>,
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
    /// When the current owner took the customer (created, assigned or claimed); null in the pool.
    pub owned_since: Option<DateTimeUtc>,
    pub notes: Option<String>,
    pub custom_fields: String,
    pub last_interaction_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    /// Set when this customer was merged into another (then also deleted).
    pub merged_into: Option<Uuid>,
    pub change_seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
