//! `member_level_changes`: every level a member was given, with why and by whom.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_level_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Uuid,
    pub from_level_id: Option<Uuid>,
    pub to_level_id: Option<Uuid>,
    pub reason: Option<String>,
    pub source: String,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub changed_at: DateTimeUtc,
    /// The ledger entry whose upgrade points caused an automatic change.
    pub ledger_entry_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
