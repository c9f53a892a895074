//! `enrollment_applications`: applications to join, their review findings and the decision.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollment_applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub channel: String,
    pub status: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub phone_raw: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<Date>,
    pub id_number: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub customer_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub level_id: Option<Uuid>,
    pub findings: String,
    pub clean: bool,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub created_by: Option<Uuid>,
    /// The user who submitted it (null for API clients and the website).
    pub submitted_by: Option<Uuid>,
    /// The owner of the customer it is linked to (from a prefill or the approval).
    pub owner_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
