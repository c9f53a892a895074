//! 查重: when two customers are probably the same one. Same normalized phone, same email, same id
//! number, or a similar name (the same full pinyin: 张伟 / 章伟 / "Zhang Wei") at the same company.

use super::search::NameKeys;
use crate::macros::str_enum;

str_enum!(
    /// Why two customers look like one (in this order: groups are listed by it).
    DuplicateReason {
        Phone => "phone",
        Email => "email",
        IdNumber => "id_number",
        /// The same name pinyin at the same company.
        NameAndCompany => "name_and_company",
    }
);

/// The keys of a customer that duplicate detection compares (already normalized as stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DuplicateKeys {
    /// E.164.
    pub phone: Option<String>,
    /// Lowercase.
    pub email: Option<String>,
    /// Uppercase, as stored.
    pub id_number: Option<String>,
    /// Full pinyin of the name ([`NameKeys::pinyin`]).
    pub name_pinyin: String,
    /// [`company_key`] of the company.
    pub company_key: Option<String>,
}

impl DuplicateKeys {
    /// The value compared for `reason`, when the customer has one.
    pub fn key(&self, reason: DuplicateReason) -> Option<String> {
        let nonempty = |s: &Option<String>| s.as_ref().filter(|s| !s.is_empty()).cloned();
        match reason {
            DuplicateReason::Phone => nonempty(&self.phone),
            DuplicateReason::Email => nonempty(&self.email),
            DuplicateReason::IdNumber => nonempty(&self.id_number),
            DuplicateReason::NameAndCompany => match (nonempty(&self.company_key), self.name_pinyin.is_empty()) {
                (Some(c), false) => Some(format!("{c}|{}", self.name_pinyin)),
                _ => None,
            },
        }
    }

    /// Every reason `self` and `other` match on, in [`DuplicateReason::ALL_VALUES`] order.
    pub fn reasons(&self, other: &DuplicateKeys) -> Vec<DuplicateReason> {
        DuplicateReason::ALL_VALUES
            .iter()
            .copied()
            .filter(|r| self.key(*r).is_some_and(|k| other.key(*r) == Some(k)))
            .collect()
    }
}

/// Legal-form words that do not tell companies apart (longest first, so `股份有限公司` goes whole).
const LEGAL_FORMS: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "公司",
    "corporation",
    "company",
    "limited",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd",
    "corp.",
    "corp",
    "inc.",
    "inc",
    "ltd.",
    "ltd",
    "llc",
    "co.",
];

/// A company name reduced to what identifies it: lowercase, no whitespace or punctuation, full-width
/// brackets as half-width, and a trailing legal form (有限公司, Co., Ltd., Inc. ...) removed.
/// `上海 明珠（集团）有限公司` and `上海明珠(集团)` give the same key.
pub fn company_key(company: &str) -> String {
    let mut s: String = company
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '，' => ',',
            '．' | '。' => '.',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    // Remove trailing legal forms, repeatedly (`... Co., Ltd.` -> `...`).
    // The first (longest) form the name ends with decides; a name that is only a legal form keeps it.
    while let Some(form) = LEGAL_FORMS.iter().find(|f| s.ends_with(*f))
        && s.len() > form.len()
    {
        s.truncate(s.len() - form.len());
        s = s.trim_end_matches([',', '.', '-', '_']).to_owned();
    }
    // Lowercasing can lengthen a name; the key keeps to its column.
    s.chars().filter(|c| c.is_alphanumeric() || matches!(c, '(' | ')')).take(crate::limits::COMPANY_KEY).collect()
}

/// The name key used for "similar name": the full pinyin of `name`.
pub fn name_key(name: &str) -> String {
    NameKeys::of(name).pinyin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str, company: Option<&str>) -> DuplicateKeys {
        DuplicateKeys { name_pinyin: name_key(name), company_key: company.map(company_key), ..Default::default() }
    }

    #[test]
    fn company_keys_ignore_legal_form_spacing_and_width() {
        assert_eq!(company_key("上海 明珠（集团）有限公司"), company_key("上海明珠(集团)"));
        assert_eq!(company_key("Acme Co., Ltd."), "acme");
        assert_eq!(company_key("ACME Inc"), "acme");
        assert_eq!(company_key("明珠股份有限公司"), "明珠");
        assert_ne!(company_key("明珠地产"), company_key("明珠物业"));
        // A name that is only a legal form keeps it (nothing else would identify it).
        assert_eq!(company_key("有限公司"), "有限公司");
    }

    #[test]
    fn similar_name_at_same_company_matches() {
        let a = keys("张伟", Some("明珠有限公司"));
        assert_eq!(a.reasons(&keys("章伟", Some("明珠"))), vec![DuplicateReason::NameAndCompany]);
        assert_eq!(a.reasons(&keys("张 伟", Some("明珠公司"))), vec![DuplicateReason::NameAndCompany]);
        assert!(a.reasons(&keys("张伟", Some("华润"))).is_empty());
        assert!(a.reasons(&keys("张伟", None)).is_empty());
        assert!(keys("张伟", None).reasons(&keys("张伟", None)).is_empty(), "a name alone is not enough");
    }

    #[test]
    fn contact_handles_match_alone() {
        let a = DuplicateKeys {
            phone: Some("+8613812345678".into()),
            email: Some("a@x.cn".into()),
            id_number: Some("11010519491231002X".into()),
            name_pinyin: "zhangwei".into(),
            company_key: None,
        };
        let mut b = a.clone();
        b.name_pinyin = "lisi".into();
        assert_eq!(a.reasons(&b), vec![DuplicateReason::Phone, DuplicateReason::Email, DuplicateReason::IdNumber]);
        b.phone = Some(String::new());
        assert_eq!(a.reasons(&b), vec![DuplicateReason::Email, DuplicateReason::IdNumber]);
        assert_eq!(DuplicateReason::parse("/r", "name_and_company"), Ok(DuplicateReason::NameAndCompany));
    }
}
