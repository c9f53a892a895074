//! The longest value each string column holds, in characters (as PostgreSQL counts
//! `varchar(n)`), for every column a request can write. The migrations declare the same lengths
//! (a test in crm-migrations compares them); SQLite does not enforce them, so validators check
//! against these constants and both databases refuse the same input, as a `too_long` field error.

use crate::FieldError;

/// The common length of a name: of a tenant, user, unit, position, client, customer, contact.
pub const NAME: usize = 200;

// Platform.
pub const TENANT_CODE: usize = 63;
pub const TENANT_NAME: usize = NAME;

// Identity.
pub const USERNAME: usize = 64;
pub const DISPLAY_NAME: usize = NAME;
pub const ORG_UNIT_NAME: usize = NAME;
pub const POSITION_NAME: usize = NAME;
pub const API_CLIENT_NAME: usize = NAME;

// Customers.
pub const CUSTOMER_NAME: usize = NAME;
pub const NAME_NORM: usize = 200;
pub const NAME_PINYIN: usize = 600;
pub const NAME_INITIALS: usize = 200;
pub const COMPANY_KEY: usize = 200;
pub const PHONE: usize = 32;
pub const EMAIL: usize = 254;
pub const ID_NUMBER: usize = 64;
pub const COMPANY: usize = 200;
pub const PROVINCE: usize = 64;
pub const CITY: usize = 64;
pub const DISTRICT: usize = 64;
pub const ADDRESS: usize = 500;
pub const SOURCE: usize = 64;
pub const EXTERNAL_ID: usize = 128;
pub const INDUSTRY: usize = 100;
pub const LEVEL: usize = 64;
pub const CONTACT_NAME: usize = NAME;
pub const CONTACT_TITLE: usize = 100;
pub const TAG_NAME: usize = 100;
pub const CUSTOM_FIELD_KEY: usize = 64;
pub const CUSTOM_FIELD_LABEL: usize = 100;
pub const CUSTOM_FIELD_TEXT: usize = 500;
pub const SEGMENT_NAME: usize = 200;

// Membership.
pub const MEMBER_LEVEL_NAME: usize = 100;
pub const CARD_NO: usize = 32;
pub const APPLICATION_NAME: usize = NAME;
pub const APPLICATION_ID_NUMBER: usize = 32;
pub const APPLICATION_PHONE_RAW: usize = 64;

// Loyalty.
pub const POINTS_PLAN_NAME: usize = 100;
/// Why an entry was written (a manual entry's reason, a purchase's item).
pub const POINTS_REASON: usize = 500;
/// The id of what an entry came from, in its source type's terms.
pub const POINTS_SOURCE_ID: usize = 160;
pub const PURCHASE_DESCRIPTION: usize = 500;
pub const REWARD_NOTE: usize = 500;

/// `Ok` when `s` has at most `max` characters; otherwise `too_long` naming `field`.
pub fn check(field: &str, s: &str, max: usize) -> Result<(), FieldError> {
    if s.chars().count() > max { Err(FieldError::new(field, "too_long").with("max", max)) } else { Ok(()) }
}

/// `s` cut to at most `max` characters (for derived values such as search keys).
pub fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(check("/n", &"张".repeat(100), MEMBER_LEVEL_NAME).is_ok());
        let e = check("/n", &"张".repeat(101), MEMBER_LEVEL_NAME).err();
        assert_eq!(e, Some(FieldError::new("/n", "too_long").with("max", 100)));
        assert_eq!(truncate("张伟伟", 2), "张伟");
    }
}
