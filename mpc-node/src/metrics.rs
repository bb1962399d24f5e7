//! Prometheus metrics (OpenMetrics text at `/metrics`) and `/healthz`, served with axum.

use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU8, Ordering},
};

/// What the node is doing, as `/healthz` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Starting: reading config, vault and cluster.
    Starting = 0,
    /// Taking part in the key ceremony.
    Ceremony = 1,
    /// Answering share requests.
    Serving = 2,
    /// Shutting down.
    Stopping = 3,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Ceremony => "ceremony",
            Phase::Serving => "serving",
            Phase::Stopping => "stopping",
        }
    }
}

/// The node's counters, shared by its tasks.
#[derive(Clone)]
pub struct Metrics {
    /// `ShareRequested` events and backfilled requests for this cluster (each request once).
    pub requests_seen: Counter,
    /// Partials this node posted that the program accepted.
    pub partials_posted: Counter,
    /// Partials this node posted that the program rejected (a bad proof: the node is faulty).
    pub partials_rejected: Counter,
    /// Requests skipped because they were already answered, completed, revoked or expired.
    pub requests_skipped: Counter,
    /// RPC and processing errors (each retry counts).
    pub errors: Counter,
    /// Websocket (re)connections.
    pub subscriptions: Counter,
    /// Backfill scans.
    pub backfills: Counter,
    /// The epoch whose share the node serves.
    pub epoch: Gauge,
    /// Seconds from seeing a request to its partial confirmed.
    pub latency: Histogram,
    phase: Arc<AtomicU8>,
    index: Arc<AtomicU8>,
    registry: Arc<Mutex<Registry>>,
}

impl Metrics {
    /// Registers every metric under the `medshare_node` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("medshare_node");
        let metrics = Metrics {
            requests_seen: Counter::default(),
            partials_posted: Counter::default(),
            partials_rejected: Counter::default(),
            requests_skipped: Counter::default(),
            errors: Counter::default(),
            subscriptions: Counter::default(),
            backfills: Counter::default(),
            epoch: Gauge::default(),
            latency: Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]),
            phase: Arc::new(AtomicU8::new(Phase::Starting as u8)),
            index: Arc::new(AtomicU8::new(0)),
            registry: Arc::new(Mutex::new(Registry::default())),
        };
        registry.register("requests_seen", "Share requests for this cluster seen (events and backfill)", metrics.requests_seen.clone());
        registry.register("partials_posted", "Partials posted and accepted on chain", metrics.partials_posted.clone());
        registry.register("partials_rejected", "Partials posted and rejected on chain (bad proof)", metrics.partials_rejected.clone());
        registry.register("requests_skipped", "Requests already answered, completed, revoked or expired", metrics.requests_skipped.clone());
        registry.register("errors", "RPC and processing errors, retries included", metrics.errors.clone());
        registry.register("subscriptions", "Websocket log subscriptions opened", metrics.subscriptions.clone());
        registry.register("backfills", "Scans of pending share requests", metrics.backfills.clone());
        registry.register("epoch", "Ceremony epoch whose share is served", metrics.epoch.clone());
        registry.register("partial_latency_seconds", "From seeing a request to its partial confirmed", metrics.latency.clone());
        *metrics.registry.lock().expect("fresh lock") = registry;
        metrics
    }

    /// Sets the phase `/healthz` reports.
    pub fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::SeqCst);
    }

    /// Sets the node index `/healthz` reports.
    pub fn set_index(&self, index: u8) {
        self.index.store(index, Ordering::SeqCst);
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::SeqCst) {
            0 => Phase::Starting,
            1 => Phase::Ceremony,
            2 => Phase::Serving,
            _ => Phase::Stopping,
        }
    }

    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("writing to a String cannot fail");
        text
    }

    /// `/healthz`: 200 with the phase while starting or serving normally; 503 while stopping.
    pub fn health(&self) -> (u16, String) {
        let phase = self.phase();
        let body = format!("{{\"status\":\"{}\",\"index\":{},\"epoch\":{}}}", phase.name(), self.index.load(Ordering::SeqCst), self.epoch.get());
        (if phase == Phase::Stopping { 503 } else { 200 }, body)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Serves `/healthz` and `/metrics` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Metrics,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::{Router, http::StatusCode, http::header, routing::get};
    let health = metrics.clone();
    let app = Router::new()
        .route(
            "/healthz",
            get(move || {
                let (code, body) = health.health();
                async move { (StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), [(header::CONTENT_TYPE, "application/json")], body) }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let body = metrics.render();
                async move { ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body) }
            }),
        );
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_in_openmetrics_text() {
        let metrics = Metrics::new();
        metrics.partials_posted.inc();
        metrics.latency.observe(0.3);
        metrics.set_phase(Phase::Serving);
        metrics.set_index(4);
        let text = metrics.render();
        assert!(text.contains("medshare_node_partials_posted_total 1"), "{text}");
        assert!(text.contains("medshare_node_partial_latency_seconds_bucket{le=\"0.5\"} 1"), "{text}");
        assert!(text.ends_with("# EOF\n"));
        assert_eq!(metrics.health(), (200, "{\"status\":\"serving\",\"index\":4,\"epoch\":0}".to_owned()));
        metrics.set_phase(Phase::Stopping);
        assert_eq!(metrics.health().0, 503);
    }
}
