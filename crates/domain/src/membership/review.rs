//! 入会审核: the automatic review of an enrollment application. Missing key information (the
//! tenant's required fields), an invalid phone, another pending application for the same person,
//! or an existing membership are findings: stored with the application and shown to the staff
//! who approve or reject it.

use crate::ids::{ApplicationId, MemberId};
use crate::macros::str_enum;
use serde::{Deserialize, Serialize};

str_enum!(
    /// A piece of key information a tenant may require of every application.
    RequiredField {
        Name => "name",
        Phone => "phone",
        Email => "email",
        IdNumber => "id_number",
        Gender => "gender",
        Birthday => "birthday",
        Address => "address",
    }
);

/// What the default tenant requires: a name and a valid phone.
pub const DEFAULT_REQUIRED: &[RequiredField] = &[RequiredField::Name, RequiredField::Phone];

str_enum!(
    /// What the review found.
    FindingCode {
        MissingField => "missing_field",
        InvalidPhone => "invalid_phone",
        DuplicateApplication => "duplicate_application",
        AlreadyMember => "already_member",
    }
);

/// One review finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    pub code: FindingCode,
    /// The field concerned (`/phone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The other pending application (`duplicate_application`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<ApplicationId>,
    /// The existing member (`already_member`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<MemberId>,
}

impl Finding {
    fn new(code: FindingCode) -> Self {
        Self { code, field: None, application_id: None, member_id: None }
    }

    /// Whether this finding stops an approval until the application is corrected.
    pub fn blocks_approval(&self) -> bool {
        matches!(self.code, FindingCode::MissingField | FindingCode::InvalidPhone)
    }
}

/// The phone as the applicant gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneFact {
    Absent,
    Valid,
    Invalid,
}

/// What the review looks at, gathered by the caller.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Which fields carry a value (`address` counts when any part of the address is given).
    pub present: Vec<RequiredField>,
    pub phone: Option<PhoneFact>,
    /// Other pending applications with the same phone or id number.
    pub pending_duplicates: Vec<ApplicationId>,
    /// Live members with the same phone, id number or customer.
    pub members: Vec<MemberId>,
}

/// The findings, in a stable order: missing fields (in the order required), phone, duplicates, members.
pub fn review(facts: &Facts, required: &[RequiredField]) -> Vec<Finding> {
    let mut out = Vec::new();
    let phone = facts.phone.unwrap_or(PhoneFact::Absent);
    for r in required {
        let present = match r {
            RequiredField::Phone => phone != PhoneFact::Absent,
            other => facts.present.contains(other),
        };
        if !present {
            out.push(Finding { field: Some(format!("/{}", r.as_str())), ..Finding::new(FindingCode::MissingField) });
        }
    }
    if phone == PhoneFact::Invalid {
        out.push(Finding { field: Some("/phone".to_owned()), ..Finding::new(FindingCode::InvalidPhone) });
    }
    for a in &facts.pending_duplicates {
        out.push(Finding { application_id: Some(*a), ..Finding::new(FindingCode::DuplicateApplication) });
    }
    for m in &facts.members {
        out.push(Finding { member_id: Some(*m), ..Finding::new(FindingCode::AlreadyMember) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_application_is_clean() {
        let f = Facts { present: vec![RequiredField::Name], phone: Some(PhoneFact::Valid), ..Facts::default() };
        assert!(review(&f, DEFAULT_REQUIRED).is_empty());
    }

    #[test]
    fn findings_name_what_is_wrong() {
        let dup = ApplicationId::new();
        let member = MemberId::new();
        let f = Facts {
            present: vec![],
            phone: Some(PhoneFact::Invalid),
            pending_duplicates: vec![dup],
            members: vec![member],
        };
        let found = review(&f, &[RequiredField::Name, RequiredField::Phone, RequiredField::IdNumber]);
        let codes: Vec<(&str, Option<&str>)> = found.iter().map(|x| (x.code.as_str(), x.field.as_deref())).collect();
        let stored = serde_json::to_string(&found[3]).unwrap_or_default();
        assert_eq!(
            stored,
            format!(r#"{{"code":"duplicate_application","application_id":"{dup}"}}"#),
            "stored as before"
        );
        assert_eq!(
            codes,
            vec![
                ("missing_field", Some("/name")),
                ("missing_field", Some("/id_number")),
                ("invalid_phone", Some("/phone")),
                ("duplicate_application", None),
                ("already_member", None),
            ]
        );
        assert_eq!(found[3].application_id, Some(dup));
        assert_eq!(found[4].member_id, Some(member));
        assert!(found[0].blocks_approval() && found[2].blocks_approval() && !found[3].blocks_approval());
    }

    #[test]
    fn a_missing_phone_is_one_finding() {
        let f = Facts { present: vec![RequiredField::Name], phone: None, ..Facts::default() };
        let found = review(&f, DEFAULT_REQUIRED);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field.as_deref(), Some("/phone"));
    }
}
