//! Permission markers: a handler names the permission it needs in its signature
//! (`Allowed<UsersWrite>`), so the check runs before the body is read and the OpenAPI
//! `security` of the operation names the same permission (a test keeps the two in step).

/// A permission a handler can require.
pub trait Permission {
    const NAME: &'static str;
}

macro_rules! permissions {
    ($($ty:ident => $name:literal),* $(,)?) => {$(
        #[doc = concat!("`", $name, "`")]
        pub struct $ty;
        impl Permission for $ty {
            const NAME: &'static str = $name;
        }
    )*};
}

permissions!(
    TenantsRead => "tenants:read",
    TenantsWrite => "tenants:write",
    OrgUnitsRead => "org_units:read",
    OrgUnitsWrite => "org_units:write",
    PositionsRead => "positions:read",
    PositionsWrite => "positions:write",
    UsersRead => "users:read",
    UsersWrite => "users:write",
    ApiClientsRead => "api_clients:read",
    ApiClientsWrite => "api_clients:write",
    AuditLogRead => "audit_log:read",
    CustomersRead => "customers:read",
    CustomersWrite => "customers:write",
    CustomersPool => "customers:pool",
    CustomersMerge => "customers:merge",
    SegmentsRead => "segments:read",
    SegmentsWrite => "segments:write",
    CustomFieldsRead => "custom_fields:read",
    CustomFieldsWrite => "custom_fields:write",
    SettingsRead => "settings:read",
    SettingsWrite => "settings:write",
    EnrollmentRead => "enrollment:read",
    EnrollmentSubmit => "enrollment:submit",
    EnrollmentReview => "enrollment:review",
    MembersRead => "members:read",
    MembersWrite => "members:write",
    MembersLevel => "members:level",
    MemberLevelsWrite => "member_levels:write",
    CardNumbersRead => "card_numbers:read",
    CardNumbersWrite => "card_numbers:write",
    OutboxRead => "outbox:read",
    PointsRead => "points:read",
    PointsWrite => "points:write",
    PurchasesWrite => "purchases:write",
    PointsPlansWrite => "points_plans:write",
    RewardsWrite => "rewards:write",
    LedgerCheck => "ledger:check",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_name_catalogue_permissions() {
        for name in [
            TenantsRead::NAME,
            TenantsWrite::NAME,
            OrgUnitsRead::NAME,
            OrgUnitsWrite::NAME,
            PositionsRead::NAME,
            PositionsWrite::NAME,
            UsersRead::NAME,
            UsersWrite::NAME,
            ApiClientsRead::NAME,
            ApiClientsWrite::NAME,
            AuditLogRead::NAME,
            CustomersRead::NAME,
            CustomersWrite::NAME,
        ] {
            assert!(crm_domain::identity::permission::exists(name), "{name}");
        }
    }
}
