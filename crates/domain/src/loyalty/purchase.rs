//! 购房/消费记录: a purchase the sales system pushes, its points `pending` until it is paid as
//! its plan item requires (`effective`), reversed when it is `cancelled`; payments and refunds
//! arrive one by one, each known by its external id.

use crate::macros::str_enum;
use crate::{FieldError, limits};

str_enum!(
    /// Where a purchase's points are: `pending` (not yet paid as required), `effective` (paid;
    /// its points are available, and stay so except through refunds), `cancelled` (reversed).
    PurchaseStatus { Pending => "pending", Effective => "effective", Cancelled => "cancelled" }
);

str_enum!(
    /// A money movement of a purchase.
    PaymentKind { Payment => "payment", Refund => "refund" }
);

/// A currency code: three capital letters (`CNY`, the default).
pub fn parse_currency(field: &str, raw: Option<&str>) -> Result<String, FieldError> {
    let s = raw.unwrap_or("CNY").trim();
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(s.to_owned())
    } else {
        Err(FieldError::new(field, "currency_invalid"))
    }
}

/// An external system's name (`sales_office`) or an id in it: 1 to `max` characters, trimmed,
/// no control characters.
pub fn parse_key(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "length").with("min", 1).with("max", max));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_characters"));
    }
    limits::check(field, s, max)?;
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_and_keys() {
        assert_eq!(parse_currency("/currency", None).as_deref(), Ok("CNY"));
        assert_eq!(parse_currency("/currency", Some("USD")).as_deref(), Ok("USD"));
        assert!(parse_currency("/currency", Some("usd")).is_err());
        assert!(parse_currency("/currency", Some("YUAN")).is_err());
        assert_eq!(parse_key("/source", " sales ", 64).as_deref(), Ok("sales"));
        assert!(parse_key("/source", "  ", 64).is_err());
        assert!(parse_key("/external_id", "a\u{0}b", 64).is_err());
        assert!(parse_key("/external_id", &"x".repeat(65), 64).is_err());
    }
}
