//! Customer use cases: the customer record (create, read within the data scope, change, soft
//! delete and restore, grade history), batch upsert by external id, and the change feed.

pub mod batch;
pub mod changes;
pub mod input;
pub mod records;
pub mod view;
