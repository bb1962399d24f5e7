//! Prometheus metrics (OpenMetrics text at `/metrics`) and `/healthz`, served with axum.
//!
//! `/healthz` answers 503 not only while stopping but while a ceremony this node takes
//! part in is stuck — its own step has failed for longer than `ceremony_stuck_seconds`,
//! the program dismissed its complaint or rejected its confirmation, or the ceremony is
//! past a deadline and nobody advanced it — because a node that serves fine but cannot
//! take the next key is what an operator must hear about before the old shares retire.

use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU8, Ordering},
};

/// Where the process is, as `/healthz` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Starting: reading config, vault and cluster.
    Starting = 0,
    /// Running: the ceremony driver and the server are up (serving or not).
    Running = 1,
    /// Shutting down.
    Stopping = 3,
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
    /// 1 while the node answers share requests.
    pub serving: Gauge,
    /// The latest ceremony's epoch (0: none yet).
    pub ceremony_epoch: Gauge,
    /// The latest ceremony's phase: 0 dealing, 1 confirming, 2 done, 3 failed, -1 none.
    pub ceremony_phase: Gauge,
    /// 1 while a ceremony this node takes part in is stuck (see `/healthz`).
    pub ceremony_stuck: Gauge,
    /// Dealing chunks this node posted.
    pub dealing_chunks_posted: Counter,
    /// Complaints this node sent.
    pub complaints_sent: Counter,
    /// `fold_dealing` transactions this node landed.
    pub folds_sent: Counter,
    /// Confirmations of this node's new share that the program kept.
    pub confirmations_sent: Counter,
    /// `advance_ceremony` transactions this node sent that moved a ceremony.
    pub advances_sent: Counter,
    /// Transport key rotations this node sent.
    pub transport_rotations: Counter,
    phase: Arc<AtomicU8>,
    index: Arc<AtomicU8>,
    not_serving: Arc<Mutex<String>>,
    stuck: Arc<Mutex<Option<String>>>,
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
            serving: Gauge::default(),
            ceremony_epoch: Gauge::default(),
            ceremony_phase: Gauge::default(),
            ceremony_stuck: Gauge::default(),
            dealing_chunks_posted: Counter::default(),
            complaints_sent: Counter::default(),
            folds_sent: Counter::default(),
            confirmations_sent: Counter::default(),
            advances_sent: Counter::default(),
            transport_rotations: Counter::default(),
            phase: Arc::new(AtomicU8::new(Phase::Starting as u8)),
            index: Arc::new(AtomicU8::new(0)),
            not_serving: Arc::new(Mutex::new("starting".to_owned())),
            stuck: Arc::new(Mutex::new(None)),
            registry: Arc::new(Mutex::new(Registry::default())),
        };
        metrics.ceremony_phase.set(-1);
        registry.register("requests_seen", "Share requests for this cluster seen (events and backfill)", metrics.requests_seen.clone());
        registry.register("partials_posted", "Partials posted and accepted on chain", metrics.partials_posted.clone());
        registry.register("partials_rejected", "Partials posted and rejected on chain (bad proof)", metrics.partials_rejected.clone());
        registry.register("requests_skipped", "Requests already answered, completed, revoked or expired", metrics.requests_skipped.clone());
        registry.register("errors", "RPC and processing errors, retries included", metrics.errors.clone());
        registry.register("subscriptions", "Websocket log subscriptions opened", metrics.subscriptions.clone());
        registry.register("backfills", "Scans of pending share requests", metrics.backfills.clone());
        registry.register("epoch", "Ceremony epoch whose share is served", metrics.epoch.clone());
        registry.register("partial_latency_seconds", "From seeing a request to its partial confirmed", metrics.latency.clone());
        registry.register("serving", "1 while the node answers share requests", metrics.serving.clone());
        registry.register("ceremony_epoch", "Epoch of the latest ceremony", metrics.ceremony_epoch.clone());
        registry.register("ceremony_phase", "Phase of the latest ceremony: 0 dealing, 1 confirming, 2 done, 3 failed, -1 none", metrics.ceremony_phase.clone());
        registry.register("ceremony_stuck", "1 while a ceremony this node takes part in is stuck", metrics.ceremony_stuck.clone());
        registry.register("dealing_chunks_posted", "Dealing chunks this node posted", metrics.dealing_chunks_posted.clone());
        registry.register("complaints_sent", "Complaints this node sent against dealers", metrics.complaints_sent.clone());
        registry.register("folds_sent", "fold_dealing transactions this node landed", metrics.folds_sent.clone());
        registry.register("confirmations_sent", "Confirmations of this node's new share kept on chain", metrics.confirmations_sent.clone());
        registry.register("advances_sent", "advance_ceremony transactions this node landed", metrics.advances_sent.clone());
        registry.register("transport_rotations", "Transport key rotations this node sent", metrics.transport_rotations.clone());
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
            1 => Phase::Running,
            _ => Phase::Stopping,
        }
    }

    /// Whether the node answers share requests, and if not why.
    pub fn set_serving(&self, serving: bool, why_not: &str) {
        self.serving.set(i64::from(serving));
        let mut reason = self.not_serving.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        reason.clear();
        if !serving {
            reason.push_str(why_not);
        }
    }

    /// Why the node does not serve (empty while it does).
    pub fn serving_reason(&self) -> String {
        self.not_serving.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The latest ceremony's epoch and phase.
    pub fn set_ceremony(&self, epoch: u64, phase: Option<medshare_client::accounts::CeremonyPhase>) {
        self.ceremony_epoch.set(epoch as i64);
        self.ceremony_phase.set(phase.map_or(-1, |phase| phase as i64));
    }

    /// Why a ceremony this node takes part in is stuck (`None`: it is not).
    pub fn set_ceremony_stuck(&self, why: Option<String>) {
        self.ceremony_stuck.set(i64::from(why.is_some()));
        *self.stuck.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = why;
    }

    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("writing to a String cannot fail");
        text
    }

    /// `/healthz`: 200 while starting, serving, or waiting for a share it has no part in
    /// yet; 503 while stopping or while a ceremony this node takes part in is stuck. The body
    /// says which, with the serving epoch and the latest ceremony.
    pub fn health(&self) -> (u16, String) {
        let stuck = self.stuck.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let status = match self.phase() {
            Phase::Stopping => "stopping",
            Phase::Starting => "starting",
            Phase::Running if stuck.is_some() => "stuck",
            Phase::Running if self.serving.get() == 1 => "serving",
            Phase::Running => "waiting",
        };
        let phase = match self.ceremony_phase.get() {
            0 => "dealing",
            1 => "confirming",
            2 => "done",
            3 => "failed",
            _ => "none",
        };
        let not_serving = self.serving_reason();
        let body = serde_json::json!({
            "status": status,
            "index": self.index.load(Ordering::SeqCst),
            "epoch": self.epoch.get(),
            "not_serving": (!not_serving.is_empty()).then_some(not_serving),
            "ceremony": { "epoch": self.ceremony_epoch.get(), "phase": phase, "stuck": stuck },
        });
        (if matches!(status, "stopping" | "stuck") { 503 } else { 200 }, body.to_string())
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

    fn health(metrics: &Metrics) -> (u16, serde_json::Value) {
        let (code, body) = metrics.health();
        (code, serde_json::from_str(&body).expect("JSON"))
    }

    #[test]
    fn metrics_render_in_openmetrics_text() {
        let metrics = Metrics::new();
        metrics.partials_posted.inc();
        metrics.complaints_sent.inc();
        metrics.latency.observe(0.3);
        metrics.set_phase(Phase::Running);
        metrics.set_index(4);
        metrics.set_ceremony(2, Some(medshare_client::accounts::CeremonyPhase::Confirming));
        let text = metrics.render();
        assert!(text.contains("medshare_node_partials_posted_total 1"), "{text}");
        assert!(text.contains("medshare_node_complaints_sent_total 1"), "{text}");
        assert!(text.contains("medshare_node_ceremony_epoch 2"), "{text}");
        assert!(text.contains("medshare_node_ceremony_phase 1"), "{text}");
        assert!(text.contains("medshare_node_partial_latency_seconds_bucket{le=\"0.5\"} 1"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn health_reports_serving_waiting_stuck_and_stopping() {
        let metrics = Metrics::new();
        assert_eq!(health(&metrics).1["status"], "starting");
        metrics.set_phase(Phase::Running);
        metrics.set_index(4);
        metrics.set_serving(false, "the cluster has no active key");
        let (code, body) = health(&metrics);
        assert_eq!((code, &body["status"], &body["not_serving"]), (200, &serde_json::json!("waiting"), &serde_json::json!("the cluster has no active key")));
        metrics.set_serving(true, "");
        metrics.epoch.set(3);
        metrics.set_ceremony(4, Some(medshare_client::accounts::CeremonyPhase::Dealing));
        let (code, body) = health(&metrics);
        assert_eq!(code, 200);
        assert_eq!(
            body,
            serde_json::json!({ "status": "serving", "index": 4, "epoch": 3, "not_serving": null, "ceremony": { "epoch": 4, "phase": "dealing", "stuck": null } })
        );
        metrics.set_ceremony_stuck(Some("the program rejected this node's confirmation".into()));
        let (code, body) = health(&metrics);
        assert_eq!((code, &body["status"]), (503, &serde_json::json!("stuck")), "serving, but unable to take the next key");
        assert_eq!(body["ceremony"]["stuck"], "the program rejected this node's confirmation");
        assert!(metrics.render().contains("medshare_node_ceremony_stuck 1"));
        metrics.set_ceremony_stuck(None);
        assert_eq!(health(&metrics).0, 200);
        metrics.set_phase(Phase::Stopping);
        assert_eq!(health(&metrics).0, 503);
    }
}
