//! `custom_fields`: custom field definitions per object type.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_fields")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub object_type: String,
    pub key: String,
    pub label: String,
    pub field_type: String,
    /// JSON array of the allowed options (select types).
    pub options: String,
    pub required: bool,
    /// The permission needed to see and write the field; everyone with access to the object when null.
    pub permission: Option<String>,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
