//! Customer queries.

pub mod contacts;
pub mod criteria;
pub mod grade_history;
pub mod interactions;
pub mod records;
pub mod segments;
pub mod tags;
