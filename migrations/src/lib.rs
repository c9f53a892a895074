//! crm-migrations: the schema, forward-only, one module per change, named by date.
//! Every migration runs on SQLite and PostgreSQL; a landed migration is never edited.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_platform;
mod m20261125_000002_identity;
mod m20261125_000003_audit;
mod m20261125_000004_customers;
mod m20261125_000005_customer_360;
mod m20261201_000006_membership;
mod m20261202_000007_token_generation;
mod m20261202_000008_application_owner;
mod m20261203_000009_outbox_event_version;
mod m20261203_000010_config_generation;
mod m20261204_000011_points_ledger;

/// The ordered list of migrations; `crm migrate` and `crm serve` apply the pending ones.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_platform::Migration),
            Box::new(m20261125_000002_identity::Migration),
            Box::new(m20261125_000003_audit::Migration),
            Box::new(m20261125_000004_customers::Migration),
            Box::new(m20261125_000005_customer_360::Migration),
            Box::new(m20261201_000006_membership::Migration),
            Box::new(m20261202_000007_token_generation::Migration),
            Box::new(m20261202_000008_application_owner::Migration),
            Box::new(m20261203_000009_outbox_event_version::Migration),
            Box::new(m20261203_000010_config_generation::Migration),
            Box::new(m20261204_000011_points_ledger::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use crm_domain::limits as l;

    /// Each length in `crm_domain::limits` is the length a migration declares for its column.
    #[test]
    fn column_lengths_match_the_domain_limits() {
        let text = [
            include_str!("m20261125_000001_platform.rs"),
            include_str!("m20261125_000002_identity.rs"),
            include_str!("m20261125_000004_customers.rs"),
            include_str!("m20261125_000005_customer_360.rs"),
            include_str!("m20261201_000006_membership.rs"),
            include_str!("m20261204_000011_points_ledger.rs"),
        ]
        .concat();
        let columns = [
            ("Tenants::Code", l::TENANT_CODE),
            ("Tenants::Name", l::TENANT_NAME),
            ("Users::Username", l::USERNAME),
            ("Users::DisplayName", l::DISPLAY_NAME),
            ("OrgUnits::Name", l::ORG_UNIT_NAME),
            ("Positions::Name", l::POSITION_NAME),
            ("ApiClients::Name", l::API_CLIENT_NAME),
            ("Customers::Name", l::CUSTOMER_NAME),
            ("Customers::NameNorm", l::NAME_NORM),
            ("Customers::NamePinyin", l::NAME_PINYIN),
            ("Customers::NameInitials", l::NAME_INITIALS),
            ("Customers::CompanyKey", l::COMPANY_KEY),
            ("Customers::Phone", l::PHONE),
            ("Customers::Email", l::EMAIL),
            ("Customers::IdNumber", l::ID_NUMBER),
            ("Customers::Company", l::COMPANY),
            ("Customers::Province", l::PROVINCE),
            ("Customers::City", l::CITY),
            ("Customers::District", l::DISTRICT),
            ("Customers::Address", l::ADDRESS),
            ("Customers::Source", l::SOURCE),
            ("Customers::ExternalId", l::EXTERNAL_ID),
            ("Customers::Industry", l::INDUSTRY),
            ("Customers::Level", l::LEVEL),
            ("Contacts::Name", l::CONTACT_NAME),
            ("Contacts::Title", l::CONTACT_TITLE),
            ("Contacts::Phone", l::PHONE),
            ("Contacts::Email", l::EMAIL),
            ("Tags::Name", l::TAG_NAME),
            ("CustomFields::Key", l::CUSTOM_FIELD_KEY),
            ("CustomFields::Label", l::CUSTOM_FIELD_LABEL),
            ("CustomFieldValues::ValueText", l::CUSTOM_FIELD_TEXT),
            ("Segments::Name", l::SEGMENT_NAME),
            ("MemberLevels::Name", l::MEMBER_LEVEL_NAME),
            ("CardNumbers::CardNo", l::CARD_NO),
            ("Members::CardNo", l::CARD_NO),
            ("MemberIdentities::Source", l::SOURCE),
            ("MemberIdentities::ExternalId", l::EXTERNAL_ID),
            ("EnrollmentApplications::Name", l::APPLICATION_NAME),
            ("EnrollmentApplications::Phone", l::PHONE),
            ("EnrollmentApplications::PhoneRaw", l::APPLICATION_PHONE_RAW),
            ("EnrollmentApplications::Email", l::EMAIL),
            ("EnrollmentApplications::IdNumber", l::APPLICATION_ID_NUMBER),
            ("EnrollmentApplications::Province", l::PROVINCE),
            ("EnrollmentApplications::City", l::CITY),
            ("EnrollmentApplications::District", l::DISTRICT),
            ("EnrollmentApplications::Address", l::ADDRESS),
            ("EnrollmentApplications::Source", l::SOURCE),
            ("EnrollmentApplications::ExternalId", l::EXTERNAL_ID),
            ("PointsPlans::Name", l::POINTS_PLAN_NAME),
            ("PointsEntries::SourceId", l::POINTS_SOURCE_ID),
            ("PointsEntries::Reason", l::POINTS_REASON),
            ("Purchases::Source", l::SOURCE),
            ("Purchases::ExternalId", l::EXTERNAL_ID),
            ("Purchases::Description", l::PURCHASE_DESCRIPTION),
            ("Purchases::CancelReason", l::POINTS_REASON),
            ("PurchasePayments::ExternalId", l::EXTERNAL_ID),
            ("Rewards::Note", l::REWARD_NOTE),
        ];
        let wrong: Vec<_> =
            columns.iter().filter(|(col, n)| !text.contains(&format!("({col}, {n}"))).map(|(col, _)| *col).collect();
        assert!(wrong.is_empty(), "declared with another length: {wrong:?}");
    }
}
