//! crm-domain: the model and its rules. Pure: no I/O, no async, no framework types.
//!
//! One module per bounded context (see `ARCHITECTURE.md`). Values that exist are valid:
//! constructors parse and refuse bad input with a [`FieldError`] naming the field.

mod macros;

pub mod error;
pub mod identity;
pub mod ids;
pub mod integration;
pub mod limits;
pub mod platform;

pub use error::{FieldError, FieldErrors};
pub mod customers;
pub mod loyalty;
pub mod membership;
pub mod paging;
