//! The request bodies that carry a customer's fields: a new customer (`name` required), a change
//! (absent fields stay, `null` clears) and a batch item (a new customer's fields plus its
//! `external_id`), each read strictly and converted into the app's `CustomerInput`, whose use
//! case reports the fields that do not parse together with its own findings.

use crate::routes::common::nullable;
use chrono::NaiveDate;
use crm_app::customers::records::CustomerInput;
use crm_domain::customers::customer::{parse_email, parse_id_number, parse_text, unless_blank};
use crm_domain::customers::{CustomerKind, Gender, LifecycleGrade, Phone};
use crm_domain::identity::org::parse_name;
use crm_domain::ids::{TagId, UserId};
use crm_domain::{FieldErrors, limits};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// The most characters of a customer's notes.
const NOTES: usize = 10_000;

/// Declares a request body with the customer's writable fields (after `$extra` fields, with
/// `name` annotated by `$name_attr`), and its conversion into a `CustomerInput`.
macro_rules! customer_fields {
    (
        $(#[$meta:meta])*
        $struct:ident { $($(#[$extra_attr:meta])* $extra:ident: $extra_ty:ty,)* }
        $(#[$name_attr:meta])*
    ) => {
        #[derive(Debug, Default, Deserialize, Validate, ToSchema)]
        #[serde(deny_unknown_fields)]
        $(#[$meta])*
        pub struct $struct {
            $($(#[$extra_attr])* pub $extra: $extra_ty,)*
            /// `person` (default) or `organization`.
            #[schema(value_type = Option<CustomerKind>)]
            pub kind: Option<String>,
            $(#[$name_attr])*
            pub name: Option<String>,
            /// Any usual notation; stored as E.164 (`+8613812345678`), China the default country.
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
            /// Stored in full; shown masked unless the caller holds `customers:read_pii`.
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub id_number: Option<Option<String>>,
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub company: Option<Option<String>>,
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub province: Option<Option<String>>,
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub city: Option<Option<String>>,
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub district: Option<Option<String>>,
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub address: Option<Option<String>>,
            /// Where the customer came from (`walk_in`, `website`, a system's name).
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub source: Option<Option<String>>,
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub industry: Option<Option<String>>,
            /// The tenant's customer level (A/B/C, VIP ...).
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub level: Option<Option<String>>,
            /// Lifecycle grade: `prospect` (default), `intent`, `deal`, `loyal`; every change is recorded.
            #[schema(value_type = Option<LifecycleGrade>)]
            pub grade: Option<String>,
            /// The responsible user; the creating user by default.
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<Uuid>, nullable)]
            pub owner_id: Option<Option<Uuid>>,
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<String>, nullable)]
            pub notes: Option<Option<String>>,
            /// The customer's tags (ids from `/api/v1/tags`); replaces the current ones. Also accepted as `tags`.
            #[serde(alias = "tags")]
            pub tag_ids: Option<Vec<Uuid>>,
            /// Custom field values by key (see `/api/v1/custom-fields`): present keys replace, `null`
            /// clears, absent keys stay. Unknown keys, and fields the caller may not see, are refused.
            #[schema(value_type = Option<Object>)]
            pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
        }

        impl From<$struct> for CustomerInput {
            /// Each field parsed; the ones that fail are listed in `invalid`, for the use case to
            /// report with its own findings.
            fn from(f: $struct) -> Self {
                let mut e = FieldErrors::default();
                let text = |name: &str, v: Option<Option<String>>, max: usize, e: &mut FieldErrors| {
                    v.map(|v| e.check(parse_text(&format!("/{name}"), v.as_deref(), max)).flatten())
                };
                let input = CustomerInput {
                    kind: f.kind.and_then(|k| e.check(CustomerKind::parse("/kind", &k))),
                    name: f.name.and_then(|n| e.check(parse_name("/name", &n))),
                    phone: f.phone.map(|v| v.and_then(|v| e.check(unless_blank(&v, |s| Phone::parse("/phone", s))).flatten())),
                    email: f.email.map(|v| v.and_then(|v| e.check(unless_blank(&v, |s| parse_email("/email", s))).flatten())),
                    gender: f.gender.map(|v| v.and_then(|v| e.check(Gender::parse("/gender", &v)))),
                    birthday: f.birthday,
                    id_number: f.id_number.map(|v| {
                        v.and_then(|v| e.check(unless_blank(&v, |s| parse_id_number("/id_number", s))).flatten())
                    }),
                    company: text("company", f.company, limits::COMPANY, &mut e),
                    province: text("province", f.province, limits::PROVINCE, &mut e),
                    city: text("city", f.city, limits::CITY, &mut e),
                    district: text("district", f.district, limits::DISTRICT, &mut e),
                    address: text("address", f.address, limits::ADDRESS, &mut e),
                    source: text("source", f.source, limits::SOURCE, &mut e),
                    industry: text("industry", f.industry, limits::INDUSTRY, &mut e),
                    level: text("level", f.level, limits::LEVEL, &mut e),
                    grade: f.grade.and_then(|g| e.check(LifecycleGrade::parse("/grade", &g))),
                    owner_id: f.owner_id.map(|o| o.map(UserId)),
                    notes: text("notes", f.notes, NOTES, &mut e),
                    tag_ids: f.tag_ids.map(|t| t.into_iter().map(TagId).collect()),
                    custom_fields: f.custom_fields,
                    invalid: FieldErrors::default(),
                };
                CustomerInput { invalid: e, ..input }
            }
        }
    };
}

customer_fields!(
    /// A new customer: `name` is required, every other field optional.
    #[schema(example = json!({"kind": "person", "name": "张伟", "phone": "138 1234 5678", "email": "zhang.wei@example.com", "grade": "intent", "city": "上海"}))]
    NewCustomer {}
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
);

customer_fields!(
    /// A change of a customer: absent fields stay, `null` clears.
    #[schema(example = json!({"grade": "deal", "city": "杭州", "email": null}))]
    CustomerPatch {}
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
);

customer_fields!(
    /// One item of a batch upsert: `external_id` (the upsert key with the batch's `source`) and a
    /// new customer's fields. For a key the source knows already, absent fields stay and `null`
    /// clears, as in a change (and `name` may be left out).
    BatchUpsertItem {
        /// The customer's id in the source system.
        #[schema(value_type = String, required = true, min_length = 1, max_length = 128)]
        external_id: Option<String>,
    }
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
);
