//! Customer use cases: the customer record (create, read within the data scope, change, soft
//! delete and restore, grade history), contacts, interactions and the timeline, batch upsert by
//! external id, the change feed, the list's filters, and the public pool.

pub mod batch;
pub mod changes;
pub mod contacts;
pub mod filters;
pub mod input;
pub mod interactions;
pub mod pool;
pub mod records;
pub mod tags;
pub mod view;
