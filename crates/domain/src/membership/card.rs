//! 会员卡号: card numbers as prefix + zero-padded serial (+ a Luhn check digit), the preset-pool
//! batch (前缀, 流水号位数, start, count) and special numbers added one by one.

use crate::{FieldError, FieldErrors};

/// The longest card number stored.
pub const MAX_CARD_NO: usize = crate::limits::CARD_NO;
/// The most numbers one batch creates.
pub const MAX_BATCH: u64 = 100_000;

/// How numbers are made from serials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardNumberRule {
    prefix: String,
    width: u32,
    check_digit: bool,
}

impl CardNumberRule {
    /// A prefix of 0 to 8 letters or digits (stored uppercase), a serial width of 3 to 16 digits,
    /// and, with `check_digit`, a prefix of digits only (the Luhn digit covers the whole number).
    /// Errors name `{at}/prefix`, `{at}/serial_width`.
    pub fn new(prefix: &str, width: i64, check_digit: bool, fields: (&str, &str)) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let prefix = prefix.trim().to_ascii_uppercase();
        if prefix.len() > 8 || !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
            errs.push(FieldError::new(fields.0, "card_prefix_invalid"));
        } else if check_digit && !prefix.chars().all(|c| c.is_ascii_digit()) {
            errs.push(FieldError::new(fields.0, "card_prefix_not_numeric"));
        }
        let width = u32::try_from(width).ok().filter(|w| (3..=16).contains(w));
        if width.is_none() {
            errs.push(FieldError::new(fields.1, "range").with("min", 3).with("max", 16));
        }
        errs.into_result()?;
        Ok(Self { prefix, width: width.unwrap_or(3), check_digit })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The largest serial the width holds.
    pub fn max_serial(&self) -> u64 {
        10u64.pow(self.width) - 1
    }

    /// The number for `serial`, or `None` when the serial does not fit the width.
    pub fn number(&self, serial: u64) -> Option<String> {
        if serial > self.max_serial() {
            return None;
        }
        let mut s = format!("{}{:0width$}", self.prefix, serial, width = self.width as usize);
        if self.check_digit {
            s.push(luhn_digit(&s));
        }
        Some(s)
    }
}

/// The Luhn check digit for a string of digits (other characters are ignored).
pub fn luhn_digit(digits: &str) -> char {
    let sum: u32 = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10).unwrap_or('0')
}

/// Whether a number ends with a correct Luhn check digit.
pub fn luhn_valid(number: &str) -> bool {
    match number.char_indices().last() {
        Some((i, last)) => last.is_ascii_digit() && luhn_digit(&number[..i]) == last,
        None => false,
    }
}

/// 批量新增: `count` numbers from serial `start` under one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetBatch {
    pub rule: CardNumberRule,
    pub start: u64,
    pub count: u64,
}

impl PresetBatch {
    pub fn parse(prefix: &str, width: i64, start: i64, count: i64, check_digit: bool) -> Result<Self, FieldErrors> {
        let rule = CardNumberRule::new(prefix, width, check_digit, ("/prefix", "/serial_width"));
        let mut errs = FieldErrors::default();
        let start = u64::try_from(start).ok();
        if start.is_none() {
            errs.push(FieldError::new("/start", "range").with("min", 0).with("max", u64::MAX));
        }
        let count = u64::try_from(count).ok().filter(|c| (1..=MAX_BATCH).contains(c));
        if count.is_none() {
            errs.push(FieldError::new("/count", "range").with("min", 1).with("max", MAX_BATCH));
        }
        let rule = match rule {
            Ok(r) => Some(r),
            Err(e) => {
                errs.0.extend(e.0);
                None
            }
        };
        if let (Some(r), Some(s), Some(c)) = (&rule, start, count)
            && s.checked_add(c - 1).is_none_or(|last| last > r.max_serial())
        {
            errs.push(FieldError::new("/count", "card_serial_overflow").with("max", r.max_serial()));
        }
        errs.into_result()?;
        match (rule, start, count) {
            (Some(rule), Some(start), Some(count)) => Ok(Self { rule, start, count }),
            _ => Err(FieldError::new("/count", "invalid_value").into()),
        }
    }

    /// Every number of the batch, in serial order.
    pub fn numbers(&self) -> impl Iterator<Item = String> + '_ {
        (self.start..self.start + self.count).filter_map(|s| self.rule.number(s))
    }
}

/// A card number given by hand (a special number, or a chosen one): 1 to 32 letters, digits or
/// dashes, stored uppercase.
pub fn parse_card_no(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim().to_ascii_uppercase();
    if s.is_empty() || s.len() > MAX_CARD_NO || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(FieldError::new(field, "card_no_invalid"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(prefix: &str, width: i64, check: bool) -> CardNumberRule {
        CardNumberRule::new(prefix, width, check, ("/p", "/w")).unwrap()
    }

    #[test]
    fn numbers_are_prefix_and_padded_serial() {
        assert_eq!(rule("vip", 6, false).number(42).as_deref(), Some("VIP000042"));
        assert_eq!(rule("", 4, false).number(10_000), None, "beyond the width");
        // 7992739871 is the textbook Luhn example: its check digit is 3.
        assert_eq!(luhn_digit("7992739871"), '3');
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        let n = rule("88", 8, true).number(1).unwrap();
        assert_eq!(n.len(), 11);
        assert!(luhn_valid(&n), "{n}");
    }

    #[test]
    fn rules_refuse_bad_prefixes_and_widths() {
        let codes = |r: Result<CardNumberRule, FieldErrors>| -> Vec<&'static str> {
            r.err().map(|e| e.0.into_iter().map(|e| e.code).collect()).unwrap_or_default()
        };
        assert_eq!(codes(CardNumberRule::new("A B", 8, false, ("/p", "/w"))), vec!["card_prefix_invalid"]);
        assert_eq!(codes(CardNumberRule::new("VIP", 8, true, ("/p", "/w"))), vec!["card_prefix_not_numeric"]);
        assert_eq!(codes(CardNumberRule::new("", 2, false, ("/p", "/w"))), vec!["range"]);
        assert_eq!(codes(CardNumberRule::new("", 17, false, ("/p", "/w"))), vec!["range"]);
    }

    #[test]
    fn batches_stay_within_the_width() {
        let b = PresetBatch::parse("M", 3, 998, 2, false).unwrap();
        assert_eq!(b.numbers().collect::<Vec<_>>(), vec!["M998", "M999"]);
        let e = PresetBatch::parse("M", 3, 998, 3, false).unwrap_err();
        assert_eq!(e.0[0].code, "card_serial_overflow");
        assert!(PresetBatch::parse("M", 3, -1, 0, false).is_err());
        assert_eq!(parse_card_no("/card_no", " vip-888 ").as_deref(), Ok("VIP-888"));
        assert!(parse_card_no("/card_no", "a b").is_err());
    }

    proptest! {
        /// Card numbers never repeat: distinct serials give distinct numbers under one rule.
        #[test]
        fn distinct_serials_give_distinct_numbers(a in 0u64..1_000_000, b in 0u64..1_000_000, check in any::<bool>()) {
            let r = rule("12", 6, check);
            prop_assume!(a != b);
            prop_assert_ne!(r.number(a), r.number(b));
        }

        #[test]
        fn check_digits_validate(serial in 0u64..100_000_000) {
            let n = rule("6", 8, true).number(serial).unwrap();
            prop_assert!(luhn_valid(&n));
        }
    }
}
