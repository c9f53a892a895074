//! Enrollment applications carry who submitted them (`submitted_by`, a user; null for API
//! clients and the website) and the owner of the customer they are linked to (`owner_id`), so
//! they are listed and read within the caller's data scope like the customers they become.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EnrollmentApplications {
    Table,
    TenantId,
    SubmittedBy,
    OwnerId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        for col in [EnrollmentApplications::SubmittedBy, EnrollmentApplications::OwnerId] {
            m.alter_table(Table::alter().table(EnrollmentApplications::Table).add_column(uuid_null(col)).to_owned())
                .await?;
        }
        // Existing rows: the submitter where a user submitted, the owner of the linked customer.
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE enrollment_applications SET submitted_by = created_by WHERE created_by IN \
             (SELECT u.id FROM users u WHERE u.tenant_id = enrollment_applications.tenant_id)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE enrollment_applications SET owner_id = (SELECT c.owner_id FROM customers c \
             WHERE c.tenant_id = enrollment_applications.tenant_id AND c.id = enrollment_applications.customer_id) \
             WHERE customer_id IS NOT NULL",
        )
        .await?;
        for (name, col) in [
            ("ix_enrollment_applications_submitted_by", EnrollmentApplications::SubmittedBy),
            ("ix_enrollment_applications_owner", EnrollmentApplications::OwnerId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(EnrollmentApplications::Table)
                    .col(EnrollmentApplications::TenantId)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
