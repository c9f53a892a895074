//! A customer's enumerations and personal-data rules.

use crate::macros::str_enum;
use crate::{FieldError, limits};

str_enum!(
    /// A person or an organization (which has contacts).
    CustomerKind { Person => "person", Organization => "organization" }
);
str_enum!(
    /// As the customer states it.
    Gender { Male => "male", Female => "female", Other => "other", Unknown => "unknown" }
);
str_enum!(
    /// 客户分级: where the customer is in the relationship, lowest first.
    LifecycleGrade { Prospect => "prospect", Intent => "intent", Deal => "deal", Loyal => "loyal" }
);

str_enum!(
    /// 跟进记录: how the company and the customer were in touch.
    InteractionKind { Call => "call", Email => "email", Meeting => "meeting", Visit => "visit", Chat => "chat", Note => "note" }
);

str_enum!(
    /// 标签分类: what a tag says about a customer.
    TagCategory {
        Region => "region",
        Industry => "industry",
        PurchaseHistory => "purchase_history",
        Attribute => "attribute",
        Other => "other",
    }
);

/// An email address: one `@`, something on both sides, a dot in the domain; stored lowercase.
pub fn parse_email(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim().to_lowercase();
    let ok = s.chars().count() <= limits::EMAIL
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !s.chars().any(char::is_whitespace);
    if ok { Ok(s) } else { Err(FieldError::new(field, "email_invalid")) }
}

/// An identity document number, kept as given (uppercase, no spaces), 4..=64 characters.
pub fn parse_id_number(field: &str, raw: &str) -> Result<String, FieldError> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect();
    if (4..=limits::ID_NUMBER).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Ok(s)
    } else {
        Err(FieldError::new(field, "id_number_invalid"))
    }
}

/// `1101**********1234`: first four and last four characters.
pub fn mask_id_number(s: &str) -> String {
    let n = s.chars().count();
    if n <= 8 {
        return "*".repeat(n);
    }
    let head: String = s.chars().take(4).collect();
    let tail: String = s.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - 8))
}

/// A value a caller may leave blank to mean "none": trimmed, `None` when blank, else parsed.
pub fn unless_blank<T>(raw: &str, parse: impl FnOnce(&str) -> Result<T, FieldError>) -> Result<Option<T>, FieldError> {
    let s = raw.trim();
    if s.is_empty() { Ok(None) } else { parse(s).map(Some) }
}

/// An optional short text: trimmed, `None` when empty, at most `max` characters (`too_long`).
pub fn parse_text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    limits::check(field, s, max)?;
    Ok(Some(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for g in LifecycleGrade::ALL_VALUES {
            assert_eq!(LifecycleGrade::parse("/g", g.as_str()), Ok(*g));
        }
        assert!(LifecycleGrade::Prospect < LifecycleGrade::Loyal);
        assert!(CustomerKind::parse("/k", "robot").is_err());
    }

    #[test]
    fn emails_and_id_numbers() {
        assert_eq!(parse_email("/e", " Li@Example.COM ").as_deref(), Ok("li@example.com"));
        for bad in ["li", "li@", "@x.cn", "li@x", "li x@y.cn", "a@b@c.cn"] {
            assert!(parse_email("/e", bad).is_err(), "{bad}");
        }
        assert_eq!(parse_id_number("/i", "110101 19900101 123x").as_deref(), Ok("11010119900101123X"));
        assert_eq!(mask_id_number("11010119900101123X"), "1101**********123X");
        assert_eq!(mask_id_number("1234"), "****");
    }
}
