//! Customers: phone numbers, search keys (name, pinyin, initials, phone), and the customer's
//! enumerations (kind, gender, lifecycle grade), with masking of personal data.

pub mod customer;
pub mod duplicates;
pub mod phone;
pub mod search;
pub mod segments;

pub use customer::{CustomerKind, Gender, InteractionKind, LifecycleGrade, TagCategory};
pub use phone::Phone;
pub use search::{NameKeys, SearchQuery};
