//! The customer an approval makes the member: the one named, the one with the application's
//! phone or id number, or a new one, decided under the person's key locks and written as late as
//! the approval can (writing a customer takes the tenant's change counter until commit).

use super::application::{out_of_scope, sees};
use crate::codes::Code;
use crate::customers::records::{CustomerInput, apply};
use crate::customers::records::{blank, write_change, write_new};
use crate::{Access, AppError};
use crm_domain::FieldError;
use crm_domain::customers::Phone;
use crm_store::DatabaseTransaction;
use crm_store::customers::records::{self as customers, Customer as CustomerRow};
use crm_store::membership::applications::Application;
use uuid::Uuid;

/// The customer fields an application carries.
fn customer_input(a: &Application) -> CustomerInput {
    let a = &a.applicant;
    CustomerInput {
        name: a.name.clone(),
        phone: a.valid_phone().cloned().map(Some),
        email: a.email.clone().map(Some),
        gender: a.gender.map(Some),
        birthday: a.birthday.map(Some),
        id_number: a.id_number.clone().map(Some),
        province: a.province.clone().map(Some),
        city: a.city.clone().map(Some),
        district: a.district.clone().map(Some),
        address: a.address.clone().map(Some),
        ..CustomerInput::default()
    }
}

/// The customer the member will be, decided but not written yet: writing a customer takes the
/// tenant's change counter until commit, so the approval writes it as late as it can.
pub(crate) struct Person {
    /// The existing customer as it is (none for a new one).
    pub before: Option<CustomerRow>,
    /// The customer as it will be written.
    pub after: CustomerRow,
}

/// The customer the member will be: the one named, the one with the same phone or id number, or
/// a new one. A linked customer gets the application's details where its own are empty. One
/// the approver may not see is refused (`enrollment.customer_out_of_scope`).
pub(crate) async fn person_for(
    tx: &DatabaseTransaction,
    who: &Access,
    a: &Application,
    named: Option<Uuid>,
) -> Result<Person, AppError> {
    let tenant = who.tenant_id;
    let (phone, id_number) = (a.applicant.valid_phone().map(Phone::e164), a.applicant.id_number.as_deref());
    let existing = match named.or(a.customer_id) {
        Some(id) => Some(
            customers::find(tx, tenant, crm_domain::ids::CustomerId(id))
                .await?
                .filter(|c| c.deleted_at.is_none())
                .ok_or_else(|| FieldError::new("/customer_id", "not_found"))?,
        ),
        None => {
            let mut found = customers::with_key(tx, tenant, phone, id_number, 2).await?;
            if found.len() > 1 {
                return Err(AppError::Conflict {
                    code: Code::EnrollmentCustomerAmbiguous,
                    field: Some("/customer_id".to_owned()),
                });
            }
            found.pop()
        }
    };
    if let Some(c) = &existing
        && !sees(tx, who, c).await?
    {
        return Err(out_of_scope());
    }
    match existing {
        Some(before) => {
            let mut input = customer_input(a);
            input.name = None;
            macro_rules! keep_own {
                ($($f:ident),*) => { $( if before.$f.is_some() { input.$f = None; } )* };
            }
            keep_own!(phone, email, gender, birthday, id_number, province, city, district, address);
            let mut after = before.clone();
            apply(&mut after, &input);
            Ok(Person { before: Some(before), after })
        }
        None => {
            let mut row = blank(tenant, who);
            row.source = Some("enrollment".to_owned());
            apply(&mut row, &customer_input(a));
            Ok(Person { before: None, after: row })
        }
    }
}

pub(crate) async fn write_person(tx: &DatabaseTransaction, who: &Access, p: Person) -> Result<CustomerRow, AppError> {
    match p {
        Person { before: Some(before), after } => Ok(write_change(tx, who, before, after, "update").await?.0),
        Person { before: None, after } => write_new(tx, who, after).await,
    }
}
