//! The request bodies of an enrollment application: a new one (`POST`, also each item of an
//! import) and a correction (`PATCH`), read into the app's `Submission` and `Correction` with
//! every invalid field reported at once.

use super::super::common::nullable;
use chrono::NaiveDate;
use crm_app::membership::applications::{Correction, CustomerRef, Submission};
use crm_domain::customers::Gender;
use crm_domain::membership::{ApplicantPatch, Channel, ExternalKey};
use crm_domain::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A customer by the key a system used in `POST /customers/batch-upsert`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerKey {
    #[schema(min_length = 1, max_length = 64)]
    pub source: String,
    #[schema(min_length = 1, max_length = 128)]
    pub external_id: String,
}

/// A new application. `purchase` applications must name their customer (`customer` or
/// `customer_id`). Blank text counts as absent.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "online", "name": "王芳", "phone": "13912345678", "source": "member-site", "external_id": "A-20261201-0001"}))]
pub struct ApplicationCreate {
    /// Where the application came from.
    #[schema(value_type = Channel, required = true)]
    pub channel: Option<String>,
    /// The submitting system's name; with `external_id`, a retry returns the first application.
    #[schema(max_length = 64)]
    pub source: Option<String>,
    #[schema(max_length = 128)]
    pub external_id: Option<String>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// Any usual notation. An invalid number is kept and reported as the `invalid_phone` finding.
    pub phone: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = Option<Gender>)]
    pub gender: Option<String>,
    pub birthday: Option<NaiveDate>,
    #[schema(max_length = 32)]
    pub id_number: Option<String>,
    #[schema(max_length = 64)]
    pub province: Option<String>,
    #[schema(max_length = 64)]
    pub city: Option<String>,
    #[schema(max_length = 64)]
    pub district: Option<String>,
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// The existing customer the application is for.
    pub customer_id: Option<Uuid>,
    /// The customer the application is for, by a system's key (the sales system's buyer).
    pub customer: Option<CustomerKey>,
}

/// A correction of a pending application: absent fields stay, `null` (or blank text) clears.
/// `channel`, `source` and `external_id` are fixed at submission.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13812345678", "city": "杭州"}))]
pub struct ApplicationUpdate {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 200)]
    pub name: Option<Option<String>>,
    /// Any usual notation. An invalid number is kept and reported as the `invalid_phone` finding.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Gender>, nullable)]
    pub gender: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub birthday: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 32)]
    pub id_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 64)]
    pub province: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 64)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 64)]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub notes: Option<Option<String>>,
    /// Links the existing customer the application is for.
    pub customer_id: Option<Uuid>,
    /// Links the customer the application is for, by a system's key.
    pub customer: Option<CustomerKey>,
}

fn customer_ref(id: Option<Uuid>, key: Option<CustomerKey>) -> Option<CustomerRef> {
    match (id, key) {
        (Some(id), _) => Some(CustomerRef::Id(id)),
        (None, Some(k)) => Some(CustomerRef::Key { source: k.source, external_id: k.external_id }),
        (None, None) => None,
    }
}

impl ApplicationCreate {
    /// The submission, with `default` as the channel when the body names none (an import's
    /// items); errors name the fields from `/`.
    pub fn into_submission(self, default: Option<Channel>) -> Result<Submission, FieldErrors> {
        let mut errs = FieldErrors::default();
        let channel = match self.channel.as_deref() {
            Some(c) => errs.check(Channel::parse("/channel", c)),
            None if default.is_some() => default,
            None => {
                errs.push(FieldError::new("/channel", "required"));
                None
            }
        };
        let customer = customer_ref(self.customer_id, self.customer);
        if channel == Some(Channel::Purchase) && customer.is_none() {
            errs.push(FieldError::new("/customer", "required"));
        }
        let key = ExternalKey::parse(self.source.as_deref(), self.external_id.as_deref()).unwrap_or_else(|e| {
            errs.0.extend(e.0);
            None
        });
        let applicant = ApplicantPatch::parser()
            .name(self.name.map(Some))
            .phone(self.phone.map(Some))
            .email(self.email.map(Some))
            .gender(self.gender.map(Some))
            .birthday(self.birthday.map(Some))
            .id_number(self.id_number.map(Some))
            .province(self.province.map(Some))
            .city(self.city.map(Some))
            .district(self.district.map(Some))
            .address(self.address.map(Some))
            .notes(self.notes.map(Some))
            .finish_into(&mut errs)
            .into_applicant();
        errs.into_result()?;
        let channel = channel.ok_or_else(|| FieldError::new("/channel", "required"))?;
        Ok(Submission { channel, applicant, customer, key })
    }
}

impl TryFrom<ApplicationCreate> for Submission {
    type Error = FieldErrors;

    fn try_from(b: ApplicationCreate) -> Result<Self, FieldErrors> {
        b.into_submission(None)
    }
}

impl TryFrom<ApplicationUpdate> for Correction {
    type Error = FieldErrors;

    fn try_from(b: ApplicationUpdate) -> Result<Self, FieldErrors> {
        let applicant = ApplicantPatch::parser()
            .name(b.name)
            .phone(b.phone)
            .email(b.email)
            .gender(b.gender)
            .birthday(b.birthday)
            .id_number(b.id_number)
            .province(b.province)
            .city(b.city)
            .district(b.district)
            .address(b.address)
            .notes(b.notes)
            .finish()?;
        Ok(Correction { applicant, customer: customer_ref(b.customer_id, b.customer) })
    }
}
