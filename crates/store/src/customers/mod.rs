//! Customer queries.

pub mod contacts;
pub mod criteria;
pub mod duplicates;
pub mod grade_history;
pub mod interactions;
pub mod merge;
pub mod records;
pub mod segments;
pub mod tags;
