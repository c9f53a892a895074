//! Search keys: what is stored beside a customer so that a search is an indexed prefix match
//! (name, full pinyin, pinyin initials, phone, last four digits, email), never a `LIKE '%..%'` scan.

use super::phone::Phone;
use crate::limits;
use pinyin::ToPinyin;

/// The keys stored for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKeys {
    /// Lowercase, inner whitespace removed: `张伟`, `johnsmith`.
    pub norm: String,
    /// Full pinyin without tones or spaces (`zhangwei`); Latin letters and digits kept as they are.
    pub pinyin: String,
    /// Pinyin initials (`zw`); the first letter of each Latin word.
    pub initials: String,
}

impl NameKeys {
    pub fn of(name: &str) -> Self {
        let norm: String = name.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
        let mut pinyin = String::new();
        let mut initials = String::new();
        let mut in_word = false;
        for c in name.chars() {
            if let Some(p) = c.to_pinyin() {
                pinyin.push_str(p.plain());
                initials.push_str(p.first_letter());
                in_word = false;
            } else if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    pinyin.push(l);
                    if !in_word {
                        initials.push(l);
                    }
                }
                in_word = true;
            } else {
                in_word = false;
            }
        }
        // Keys are prefix-searched: a cut key still finds every prefix that fits its column.
        Self {
            norm: limits::truncate(&norm, limits::NAME_NORM),
            pinyin: limits::truncate(&pinyin, limits::NAME_PINYIN),
            initials: limits::truncate(&initials, limits::NAME_INITIALS),
        }
    }
}

/// What a free-text `q` can mean, decided from its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    /// Exactly four digits: the last four digits of a phone.
    PhoneLast4(String),
    /// A full phone number, normalized.
    Phone(String),
    /// A prefix of the stored E.164 number (`+86138...`).
    PhonePrefix(String),
    /// Contains `@`: an email or its beginning, lowercased.
    Email(String),
    /// Letters: a prefix of the name, of its full pinyin, or of its initials.
    Name { norm: String, latin: Option<String> },
}

impl SearchQuery {
    /// `None` for a query with nothing to search for.
    pub fn parse(q: &str) -> Option<Self> {
        let q = q.trim();
        if q.is_empty() {
            return None;
        }
        if q.contains('@') {
            return Some(Self::Email(q.to_lowercase()));
        }
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        let phone_like = q.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) && !digits.is_empty();
        if phone_like {
            if digits.len() == 4 && !q.starts_with('+') {
                return Some(Self::PhoneLast4(digits));
            }
            if let Ok(p) = Phone::parse("/q", q) {
                return Some(Self::Phone(p.e164().to_owned()));
            }
            let prefix = if q.starts_with('+') || q.starts_with("00") {
                format!("+{}", digits.trim_start_matches("00"))
            } else {
                format!("+86{digits}")
            };
            return Some(Self::PhonePrefix(prefix));
        }
        let keys = NameKeys::of(q);
        let latin = q.chars().all(|c| c.is_ascii_alphanumeric() || c.is_whitespace()).then(|| keys.pinyin.clone());
        Some(Self::Name { norm: keys.norm, latin })
    }
}

/// The upper bound of a prefix range: every string starting with `prefix` sorts below it in
/// byte order (the collation the search columns use).
pub fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_get_pinyin_and_initials() {
        let k = NameKeys::of("张 伟");
        assert_eq!((k.norm.as_str(), k.pinyin.as_str(), k.initials.as_str()), ("张伟", "zhangwei", "zw"));
        let k = NameKeys::of("王小明 Tony");
        assert_eq!((k.pinyin.as_str(), k.initials.as_str()), ("wangxiaomingtony", "wxmt"));
        let k = NameKeys::of("John Smith");
        assert_eq!((k.norm.as_str(), k.pinyin.as_str(), k.initials.as_str()), ("johnsmith", "johnsmith", "js"));
    }

    #[test]
    fn queries_are_classified_by_shape() {
        assert_eq!(SearchQuery::parse("5678"), Some(SearchQuery::PhoneLast4("5678".into())));
        assert_eq!(SearchQuery::parse("138 1234 5678"), Some(SearchQuery::Phone("+8613812345678".into())));
        assert_eq!(SearchQuery::parse("13812"), Some(SearchQuery::PhonePrefix("+8613812".into())));
        assert_eq!(SearchQuery::parse(" Li@Example.com "), Some(SearchQuery::Email("li@example.com".into())));
        assert_eq!(SearchQuery::parse("zw"), Some(SearchQuery::Name { norm: "zw".into(), latin: Some("zw".into()) }));
        assert_eq!(SearchQuery::parse("张"), Some(SearchQuery::Name { norm: "张".into(), latin: None }));
        assert_eq!(SearchQuery::parse("   "), None);
    }

    #[test]
    fn prefix_bound_is_above_every_extension() {
        let ub = prefix_upper_bound("zh");
        for s in ["zh", "zhang", "zhz", "zh\u{ffff}", "zh😀"] {
            assert!(s < ub.as_str(), "{s}");
        }
        assert!("zi" > ub.as_str());
    }
}
