//! Customer queries: records with domain types in and out; the sea-orm rows stay in here.

pub mod contacts;
pub mod criteria;
pub mod duplicates;
pub mod grade_history;
pub mod interactions;
pub mod merge;
pub mod records;
pub mod segments;
pub mod tags;
