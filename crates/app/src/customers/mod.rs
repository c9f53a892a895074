//! Customer use cases: the customer record (create, read within the data scope, change, soft
//! delete and restore, grade history), contacts, interactions and the timeline, batch upsert by
//! external id, the change feed, the list's filters, the public pool, and duplicates and merge.
//! `records` holds what the record's use cases share, and is the one module other contexts use.

pub mod batch;
pub mod changes;
pub mod contacts;
pub mod crud;
pub mod duplicates;
pub mod filters;
pub mod input;
pub mod interactions;
pub mod pool;
pub mod records;
pub mod segments;
pub mod tags;
pub mod view;
