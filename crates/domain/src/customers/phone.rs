//! Phone numbers normalized to E.164 (`+8613812345678`), China the default region.

use crate::FieldError;
use phonenumber::Mode;
use phonenumber::country::Id;

/// A valid phone number in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses a number written any usual way (`138 1234 5678`, `+86-138-1234-5678`,
    /// `(021) 6123 4567`); numbers without a country code are Chinese.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > crate::limits::PHONE {
            return Err(FieldError::new(field, "phone_invalid"));
        }
        let n = phonenumber::parse(Some(Id::CN), s).map_err(|_| FieldError::new(field, "phone_invalid"))?;
        if !phonenumber::is_valid(&n) {
            return Err(FieldError::new(field, "phone_invalid"));
        }
        Ok(Self(n.format().mode(Mode::E164).to_string()))
    }

    /// From a stored E.164 value (already validated when written).
    pub fn from_e164(s: &str) -> Self {
        Self(s.to_owned())
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The last four digits, for "last 4 digits" lookups at the counter.
    pub fn last4(&self) -> String {
        let digits: Vec<char> = self.0.chars().filter(char::is_ascii_digit).collect();
        digits[digits.len().saturating_sub(4)..].iter().collect()
    }

    /// `+86 138****5678`: country code, first three and last four digits of the national number.
    pub fn masked(&self) -> String {
        let digits: String = self.0.chars().filter(char::is_ascii_digit).collect();
        let (cc, national) = match self.0.strip_prefix("+86") {
            Some(n) => ("+86", n.to_owned()),
            None => ("+", digits),
        };
        let n = national.chars().count();
        if n <= 7 {
            return format!("{cc} ****{}", national.chars().skip(n.saturating_sub(2)).collect::<String>());
        }
        let head: String = national.chars().take(3).collect();
        let tail: String = national.chars().skip(n - 4).collect();
        format!("{cc} {head}****{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_chinese_and_international_numbers() {
        for raw in ["13812345678", "138 1234 5678", "+86 138-1234-5678", "0086 13812345678", "+8613812345678"] {
            assert_eq!(Phone::parse("/phone", raw).map(|p| p.0), Ok("+8613812345678".to_owned()), "{raw}");
        }
        assert_eq!(Phone::parse("/phone", "021 6123 4567").map(|p| p.0), Ok("+862161234567".to_owned()));
        assert_eq!(Phone::parse("/phone", "+1 650 253 0000").map(|p| p.0), Ok("+16502530000".to_owned()));
        for bad in ["", "12345", "phone", "1381234567899999"] {
            assert!(Phone::parse("/phone", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn last4_and_mask() {
        let p = Phone::from_e164("+8613812345678");
        assert_eq!(p.last4(), "5678");
        assert_eq!(p.masked(), "+86 138****5678");
        assert!(!Phone::from_e164("+16502530000").masked().contains("253"));
    }
}
