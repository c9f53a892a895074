//! Prometheus metrics: request counts and latencies by method, route pattern and status, and
//! database pool gauges (set when `/metrics` is scraped).

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP: Duration = Duration::from_secs(5);

/// The process-wide recorder (installed once; every app in the process shares it). If another
/// recorder was installed first, a detached one is returned and `/metrics` stays empty.
///
/// The recorder keeps every histogram sample until upkeep folds it into the buckets; installed
/// this way (not by the exporter's own HTTP listener) nobody runs upkeep but us, and without it
/// memory grows by every request until the next scrape. A thread of its own does it, so it
/// outlives any one async runtime (tests start many).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".to_owned()), &buckets)
                .and_then(|b| b.install_recorder())
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    PrometheusBuilder::new().build_recorder().handle()
                });
            let upkept = handle.clone();
            let started = std::thread::Builder::new().name("metrics-upkeep".to_owned()).spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP);
                    upkept.run_upkeep();
                }
            });
            if let Err(e) = started {
                tracing::warn!(error = %e, "metrics upkeep thread not started; histograms drain only when scraped");
            }
            handle
        })
        .clone()
}

pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.call(req).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    Ok(res)
}
