//! Resolved rights per caller, each kept beside the tenant's configuration generation it was
//! resolved at. A request reads the tenant's generation (one primary-key read) and uses the
//! cached rights only when it has not moved; every change of a user, position, grant, org unit or
//! API client bumps it in its own transaction, so the change applies at the next request on every
//! node, and a node never needs to be told.
//!
//! A plain map under a read-write lock, emptied when full: the subjects are a tenant's staff and
//! API clients (hundreds, not millions), an entry is a few hundred bytes, and a miss costs the
//! few queries that every request paid before; no eviction policy would earn its dependency.

use crm_domain::ids::{ApiClientId, TenantId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// What an entry holds: a caller's rights, or the tenant's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SubjectKey {
    User(TenantId, UserId),
    Client(TenantId, ApiClientId),
    Tenant(TenantId),
}

/// Entries beyond this many empty the cache before the next insert.
const CAPACITY: usize = 10_000;

/// The cache; `T` is what was resolved (the rights and the subject's record).
pub(crate) struct AccessCache<T> {
    entries: RwLock<HashMap<SubjectKey, (i64, Arc<T>)>>,
}

impl<T> Default for AccessCache<T> {
    fn default() -> Self {
        Self { entries: RwLock::new(HashMap::new()) }
    }
}

impl<T> AccessCache<T> {
    /// What was resolved for `key` at exactly `generation`, if anything.
    pub(crate) fn get(&self, key: SubjectKey, generation: i64) -> Option<Arc<T>> {
        let entries = self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(&key).filter(|(g, _)| *g == generation).map(|(_, v)| Arc::clone(v))
    }

    /// Keeps `value`, resolved after reading `generation`, unless a newer one is kept already.
    pub(crate) fn put(&self, key: SubjectKey, generation: i64, value: Arc<T>) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.get(&key).is_some_and(|(g, _)| *g > generation) {
            return;
        }
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (generation, value));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u128) -> SubjectKey {
        SubjectKey::User(TenantId(uuid::Uuid::from_u128(1)), UserId(uuid::Uuid::from_u128(n)))
    }

    #[test]
    fn an_entry_serves_only_its_own_generation() {
        let cache = AccessCache::default();
        cache.put(key(1), 7, Arc::new("rights at 7"));
        assert_eq!(cache.get(key(1), 7).as_deref(), Some(&"rights at 7"));
        assert_eq!(cache.get(key(1), 8), None, "a moved generation is a miss");
        assert_eq!(cache.get(key(2), 7), None, "another subject is a miss");
    }

    #[test]
    fn an_older_resolution_never_replaces_a_newer_one() {
        let cache = AccessCache::default();
        cache.put(key(1), 9, Arc::new("new"));
        cache.put(key(1), 8, Arc::new("old, finished late"));
        assert_eq!(cache.get(key(1), 9).as_deref(), Some(&"new"));
        cache.put(key(1), 10, Arc::new("newer"));
        assert_eq!(cache.get(key(1), 10).as_deref(), Some(&"newer"));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = AccessCache::default();
        for n in 0..CAPACITY as u128 {
            cache.put(key(n), 1, Arc::new(n));
        }
        assert_eq!(cache.len(), CAPACITY);
        cache.put(key(0), 2, Arc::new(0));
        assert_eq!(cache.len(), CAPACITY, "replacing a kept subject keeps the rest");
        cache.put(key(u128::MAX), 1, Arc::new(1));
        assert_eq!(cache.len(), 1);
    }
}
