//! Reads of a tenant's configuration generation shared by the requests that wait for one. A
//! request joins the next read that has not started yet; while one read is in flight the requests
//! arriving queue for the one after it, so under load one statement serves every request that
//! arrived during the previous round trip, and each request is still answered by a read that
//! started after it arrived: a change committed before a request arrived is always seen.

use crate::{App, AppError};
use crm_domain::ids::TenantId;
use crm_store::platform::config_generation;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use tokio::sync::oneshot;

/// What a shared read answers: the generation (`None`: no such tenant), or that it failed (the
/// waiter then reads for itself, to report its own error).
type Answer = Option<Option<i64>>;

#[derive(Default)]
struct Queue {
    /// A reader task runs for this tenant.
    reading: bool,
    /// Requests waiting for the next read to start.
    waiting: Vec<oneshot::Sender<Answer>>,
}

/// Per tenant, the requests queued for its next generation read.
#[derive(Default)]
pub(crate) struct GenerationReads {
    queues: Mutex<HashMap<TenantId, Queue>>,
}

impl GenerationReads {
    /// Queues a waiter; true when no reader runs for the tenant (the caller starts one).
    fn join(&self, tenant: TenantId, waiter: oneshot::Sender<Answer>) -> bool {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let q = queues.entry(tenant).or_default();
        q.waiting.push(waiter);
        !std::mem::replace(&mut q.reading, true)
    }

    /// The waiters of the next read; none (and the reader stops) when nobody waits.
    fn next_batch(&self, tenant: TenantId) -> Vec<oneshot::Sender<Answer>> {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = queues.get_mut(&tenant).map(|q| std::mem::take(&mut q.waiting)).unwrap_or_default();
        if batch.is_empty() {
            queues.remove(&tenant);
        }
        batch
    }
}

impl App {
    /// The tenant's current configuration generation, read after this call began.
    pub(crate) async fn config_generation(&self, tenant: TenantId) -> Result<Option<i64>, AppError> {
        let (tx, rx) = oneshot::channel();
        if self.generation_reads().join(tenant, tx) {
            let app = self.clone();
            tokio::spawn(async move { app.read_generations(tenant).await });
        }
        match rx.await {
            Ok(Some(generation)) => Ok(generation),
            // The shared read failed (or its task is gone): read alone, and report that error.
            Ok(None) | Err(_) => Ok(config_generation::current(self.store().conn(), tenant).await?),
        }
    }

    /// The reader task: one statement per batch of waiters, until nobody waits.
    async fn read_generations(&self, tenant: TenantId) {
        loop {
            let batch = self.generation_reads().next_batch(tenant);
            if batch.is_empty() {
                return;
            }
            let answer = config_generation::current(self.store().conn(), tenant).await.ok();
            for waiter in batch {
                // A waiter that has gone away (its request was cancelled) needs no answer.
                let _ = waiter.send(answer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId(uuid::Uuid::from_u128(7))
    }

    #[test]
    fn the_first_waiter_starts_the_reader_and_later_ones_join_its_next_read() {
        let reads = GenerationReads::default();
        let (a, _ra) = oneshot::channel();
        let (b, _rb) = oneshot::channel();
        assert!(reads.join(tenant(), a), "nobody reads yet: start a reader");
        assert!(!reads.join(tenant(), b), "a reader runs: wait for its next read");
        assert_eq!(reads.next_batch(tenant()).len(), 2, "both wait for the read about to start");
        let (c, _rc) = oneshot::channel();
        assert!(!reads.join(tenant(), c), "arrived while that read is in flight: the one after it");
        assert_eq!(reads.next_batch(tenant()).len(), 1);
        assert!(reads.next_batch(tenant()).is_empty(), "nobody waits: the reader stops");
        let (d, _rd) = oneshot::channel();
        assert!(reads.join(tenant(), d), "after it stopped, the next waiter starts a new one");
    }
}
