//! What every handler can reach: the use-case context, HTTP settings, the metrics handle.

use crm_app::App;
use metrics_exporter_prometheus::PrometheusHandle;

/// HTTP-level settings.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Largest accepted request body, in bytes (413 above it).
    pub body_limit: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self { body_limit: 1024 * 1024 }
    }
}

/// Shared state of the HTTP layer.
pub struct ApiState {
    pub app: App,
    pub metrics: PrometheusHandle,
}
