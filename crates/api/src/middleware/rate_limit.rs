//! Rate limiting with `governor` (GCRA, in memory per node): per client address on every
//! request, tighter per address on the auth endpoints, and per caller (user or API client)
//! once authenticated. Over the limit is a 429 with `Retry-After`.

use crate::problem::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::RETRY_AFTER;
use actix_web::middleware::Next;
use actix_web::{Error, web};
use crm_app::codes::Code;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests per second and burst of one limiter; `per_second = 0` turns it off.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

/// The configured limits.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitConfig {
    pub per_ip: Rate,
    pub auth_per_ip: Rate,
    pub per_caller: Rate,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_ip: Rate { per_second: 100, burst: 200 },
            auth_per_ip: Rate { per_second: 5, burst: 30 },
            per_caller: Rate { per_second: 50, burst: 100 },
        }
    }
}

struct Keyed<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(rate: Rate) -> Option<Self> {
        let per_second = NonZeroU32::new(rate.per_second)?;
        let burst = NonZeroU32::new(rate.burst.max(rate.per_second)).unwrap_or(per_second);
        Some(Self {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            checks: AtomicU64::new(0),
        })
    }

    /// `Err(seconds to wait)` when over the limit.
    fn check(&self, key: &K) -> Result<(), u64> {
        // Forget idle keys now and then so memory stays bounded.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1))
    }
}

/// The node's limiters, shared by all workers.
pub struct RateLimiters {
    per_ip: Option<Keyed<IpAddr>>,
    auth_per_ip: Option<Keyed<IpAddr>>,
    per_caller: Option<Keyed<uuid::Uuid>>,
}

impl RateLimiters {
    pub fn new(c: RateLimitConfig) -> Self {
        Self {
            per_ip: Keyed::new(c.per_ip),
            auth_per_ip: Keyed::new(c.auth_per_ip),
            per_caller: Keyed::new(c.per_caller),
        }
    }

    /// Checks the per-caller limit (called once the caller is known).
    pub fn check_caller(&self, caller: uuid::Uuid) -> Result<(), ApiError> {
        match &self.per_caller {
            Some(l) => l.check(&caller).map_err(limited),
            None => Ok(()),
        }
    }
}

fn limited(retry_after: u64) -> ApiError {
    ApiError::new(Code::RateLimited).arg("retry_after", retry_after).header(RETRY_AFTER, retry_after)
}

/// The per-address middleware.
pub async fn by_address(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let (Some(limits), Some(ip)) = (req.app_data::<web::Data<RateLimiters>>(), req.peer_addr().map(|a| a.ip())) {
        if let Some(l) = &limits.per_ip {
            l.check(&ip).map_err(limited)?;
        }
        if req.path().starts_with("/api/v1/auth/")
            && let Some(l) = &limits.auth_per_ip
        {
            l.check(&ip).map_err(limited)?;
        }
    }
    next.call(req).await
}
