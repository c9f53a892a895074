//! Customer queries.

pub mod grade_history;
pub mod records;
