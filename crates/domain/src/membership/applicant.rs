//! 申请人资料: what an enrollment application states about the person, parsed field by field
//! (a phone that does not parse is kept as given, for the review to report), which key
//! information it carries, and the key a submitting system gives its application.

use super::review::{Facts, Finding, PhoneFact, RequiredField, review};
use crate::customers::customer::{parse_email, parse_id_number, parse_text};
use crate::customers::{Gender, Phone};
use crate::identity::org::parse_name_within;
use crate::{FieldError, FieldErrors, limits};
use chrono::NaiveDate;

/// The phone as the applicant gave it: a valid number, or the text when it is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicantPhone {
    Valid(Phone),
    /// As given (cut to what an application keeps); the review reports `invalid_phone`.
    Invalid(String),
}

impl ApplicantPhone {
    /// Never refuses: a phone that does not parse is kept for the review to report.
    pub fn parse(raw: &str) -> Self {
        match Phone::parse("/phone", raw) {
            Ok(p) => ApplicantPhone::Valid(p),
            Err(_) => ApplicantPhone::Invalid(limits::truncate(raw, limits::APPLICATION_PHONE_RAW)),
        }
    }

    /// The valid number, if it is one.
    pub fn valid(&self) -> Option<&Phone> {
        match self {
            ApplicantPhone::Valid(p) => Some(p),
            ApplicantPhone::Invalid(_) => None,
        }
    }
}

/// What an application states about the person; every field is optional until the tenant's
/// review requires it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applicant {
    pub name: Option<String>,
    pub phone: Option<ApplicantPhone>,
    pub email: Option<String>,
    pub gender: Option<Gender>,
    pub birthday: Option<NaiveDate>,
    pub id_number: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
}

impl Applicant {
    /// The phone when it is a valid number.
    pub fn valid_phone(&self) -> Option<&Phone> {
        self.phone.as_ref().and_then(ApplicantPhone::valid)
    }

    pub fn phone_fact(&self) -> PhoneFact {
        match &self.phone {
            Some(ApplicantPhone::Valid(_)) => PhoneFact::Valid,
            Some(ApplicantPhone::Invalid(_)) => PhoneFact::Invalid,
            None => PhoneFact::Absent,
        }
    }

    /// Which fields carry a value, as the review counts them (`address` when any part of the
    /// address is given; the phone is told apart by [`Self::phone_fact`]).
    pub fn present(&self) -> Vec<RequiredField> {
        let address =
            self.province.is_some() || self.city.is_some() || self.district.is_some() || self.address.is_some();
        [
            (RequiredField::Name, self.name.is_some()),
            (RequiredField::Email, self.email.is_some()),
            (RequiredField::IdNumber, self.id_number.is_some()),
            (RequiredField::Gender, self.gender.is_some()),
            (RequiredField::Birthday, self.birthday.is_some()),
            (RequiredField::Address, address),
        ]
        .into_iter()
        .filter_map(|(f, has)| has.then_some(f))
        .collect()
    }

    /// The review's facts about this applicant alone (no duplicates or members looked up).
    pub fn facts(&self) -> Facts {
        Facts { present: self.present(), phone: Some(self.phone_fact()), ..Facts::default() }
    }

    /// The findings about missing and malformed key information only (what blocks an approval).
    pub fn completeness(&self, required: &[RequiredField]) -> Vec<Finding> {
        review(&self.facts(), required)
    }
}

/// A change of an applicant's fields: `None` keeps a field, `Some(None)` clears it. A new
/// application is a change of the empty applicant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicantPatch {
    pub name: Option<Option<String>>,
    pub phone: Option<Option<ApplicantPhone>>,
    pub email: Option<Option<String>>,
    pub gender: Option<Option<Gender>>,
    pub birthday: Option<Option<NaiveDate>>,
    pub id_number: Option<Option<String>>,
    pub province: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub district: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub notes: Option<Option<String>>,
}

impl ApplicantPatch {
    /// Starts reading the fields as given; each setter parses one (blank counts as `null`),
    /// and [`ApplicantParser::finish`] reports every invalid one at once.
    pub fn parser() -> ApplicantParser {
        ApplicantParser::default()
    }

    pub fn apply(self, to: &mut Applicant) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { to.$f = v; } )* };
        }
        set!(name, phone, email, gender, birthday, id_number, province, city, district, address, notes);
    }

    /// The applicant this change makes of an empty one.
    pub fn into_applicant(self) -> Applicant {
        let mut a = Applicant::default();
        self.apply(&mut a);
        a
    }
}

/// Reads an [`ApplicantPatch`] field by field, collecting every error (fields named `/name`, ...).
#[derive(Debug, Default)]
pub struct ApplicantParser {
    patch: ApplicantPatch,
    errs: FieldErrors,
}

/// `Some(None)` for blank text.
fn given(v: Option<Option<String>>) -> Option<Option<String>> {
    v.map(|v| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
}

impl ApplicantParser {
    fn each<T>(
        &mut self,
        v: Option<Option<String>>,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<Option<T>> {
        match given(v)? {
            None => Some(None),
            Some(s) => self.errs.check(parse(&s)).map(Some),
        }
    }

    fn text(&mut self, name: &str, v: Option<Option<String>>, max: usize) -> Option<Option<String>> {
        let v = v?;
        self.errs.check(parse_text(&format!("/{name}"), v.as_deref(), max))
    }

    pub fn name(mut self, v: Option<Option<String>>) -> Self {
        self.patch.name = self.each(v, |s| parse_name_within("/name", s, limits::APPLICATION_NAME));
        self
    }

    /// Any usual notation; one that does not parse is kept, not refused.
    pub fn phone(mut self, v: Option<Option<String>>) -> Self {
        self.patch.phone = self.each(v, |s| Ok(ApplicantPhone::parse(s)));
        self
    }

    pub fn email(mut self, v: Option<Option<String>>) -> Self {
        self.patch.email = self.each(v, |s| parse_email("/email", s));
        self
    }

    pub fn gender(mut self, v: Option<Option<String>>) -> Self {
        self.patch.gender = self.each(v, |s| Gender::parse("/gender", s));
        self
    }

    pub fn birthday(mut self, v: Option<Option<NaiveDate>>) -> Self {
        self.patch.birthday = v;
        self
    }

    pub fn id_number(mut self, v: Option<Option<String>>) -> Self {
        self.patch.id_number = self.each(v, |s| {
            let n = parse_id_number("/id_number", s)?;
            limits::check("/id_number", &n, limits::APPLICATION_ID_NUMBER)?;
            Ok(n)
        });
        self
    }

    pub fn province(mut self, v: Option<Option<String>>) -> Self {
        self.patch.province = self.text("province", v, limits::PROVINCE);
        self
    }

    pub fn city(mut self, v: Option<Option<String>>) -> Self {
        self.patch.city = self.text("city", v, limits::CITY);
        self
    }

    pub fn district(mut self, v: Option<Option<String>>) -> Self {
        self.patch.district = self.text("district", v, limits::DISTRICT);
        self
    }

    pub fn address(mut self, v: Option<Option<String>>) -> Self {
        self.patch.address = self.text("address", v, limits::ADDRESS);
        self
    }

    pub fn notes(mut self, v: Option<Option<String>>) -> Self {
        self.patch.notes = self.text("notes", v, 10_000);
        self
    }

    /// The change, with the errors found so far added to `errs`.
    pub fn finish_into(self, errs: &mut FieldErrors) -> ApplicantPatch {
        errs.0.extend(self.errs.0);
        self.patch
    }

    pub fn finish(self) -> Result<ApplicantPatch, FieldErrors> {
        self.errs.into_result()?;
        Ok(self.patch)
    }
}

/// A submitting system's own key for an application: a retry under the same key returns the
/// first application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalKey {
    pub source: String,
    pub external_id: String,
}

impl ExternalKey {
    /// Both or neither (`/source`, `/external_id`); blank counts as absent.
    pub fn parse(source: Option<&str>, external_id: Option<&str>) -> Result<Option<Self>, FieldErrors> {
        let mut errs = FieldErrors::default();
        let s = errs.check(parse_text("/source", source, limits::SOURCE)).flatten();
        let e = errs.check(parse_text("/external_id", external_id, limits::EXTERNAL_ID)).flatten();
        match (&s, &e) {
            (Some(_), None) => errs.push(FieldError::new("/external_id", "required")),
            (None, Some(_)) => errs.push(FieldError::new("/source", "required")),
            _ => {}
        }
        errs.into_result()?;
        Ok(s.zip(e).map(|(source, external_id)| Self { source, external_id }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<Option<String>> {
        Some(Some(v.to_owned()))
    }

    #[test]
    fn every_invalid_field_is_reported_and_a_bad_phone_is_kept() {
        let e = ApplicantPatch::parser().email(s("nope")).gender(s("robot")).phone(s("12")).finish().err();
        let fields: Vec<String> = e.map(|e| e.0.into_iter().map(|f| f.field).collect()).unwrap_or_default();
        assert_eq!(fields, vec!["/email", "/gender"]);
        let a = ApplicantPatch::parser().name(s(" 张伟 ")).phone(s("12")).finish().map(ApplicantPatch::into_applicant);
        let a = a.unwrap_or_default();
        assert_eq!(a.name.as_deref(), Some("张伟"));
        assert_eq!(a.phone, Some(ApplicantPhone::Invalid("12".to_owned())));
        assert_eq!(a.completeness(super::super::review::DEFAULT_REQUIRED).len(), 1, "invalid phone");
    }

    #[test]
    fn blank_clears_and_absent_keeps() {
        let mut a = Applicant { name: Some("x".into()), city: Some("杭州".into()), ..Applicant::default() };
        let p = ApplicantPatch::parser().name(s("  ")).finish().unwrap_or_default();
        p.apply(&mut a);
        assert_eq!((a.name, a.city.as_deref()), (None, Some("杭州")));
    }

    #[test]
    fn external_keys_come_in_pairs() {
        assert_eq!(ExternalKey::parse(None, None), Ok(None));
        let e = ExternalKey::parse(Some("wechat"), None).err().map(|e| e.0[0].field.clone());
        assert_eq!(e.as_deref(), Some("/external_id"));
        assert!(ExternalKey::parse(Some("a"), Some("b")).is_ok_and(|k| k.is_some()));
    }
}
