//! Customer queries.

pub mod contacts;
pub mod grade_history;
pub mod interactions;
pub mod records;
pub mod tags;
