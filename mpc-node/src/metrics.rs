//! Prometheus metrics (OpenMetrics text at `/metrics`) and `/healthz`, served with axum.
//!
//! `/healthz` answers 503 with each reason in its body's `unhealthy` array, and 200 again by
//! itself once every reason is gone:
//!
//! - `stopping`: the node is shutting down;
//! - `ceremony_stuck`: a ceremony this node takes part in is stuck — its own step has failed
//!   for longer than `ceremony_stuck_seconds`, the program dismissed its complaint or rejected
//!   its confirmation, or the ceremony is past a deadline and nobody advanced it — because a
//!   node that serves fine but cannot take the next key is what an operator must hear about
//!   before the old shares retire;
//! - `websocket_down`: the subscription has been down longer than [`WEBSOCKET_GRACE`] (the
//!   node still answers, from its periodic scans, but later);
//! - `rpc_failing`: the last [`RPC_FAILURES_UNHEALTHY`] RPC calls failed, or none succeeded
//!   for [`RPC_SILENCE_UNHEALTHY`] while some were tried (every endpoint, fail-overs included);
//! - `suspended`: the chain says this node is suspended or removed;
//! - `fee_balance_low`: the authority, which pays for every transaction of the node, holds
//!   less than `min_fee_balance_lamports` (polled every backfill period).

use medshare_client::{accounts::MemberStatus, rpc::Connection};
use prometheus_client::{
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use std::{
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU8, Ordering},
    },
    time::{Duration, Instant},
};

/// How long the websocket may be down before `/healthz` says `websocket_down` (a reconnect
/// takes a moment; a provider's routine disconnects should not page anyone).
pub const WEBSOCKET_GRACE: Duration = Duration::from_secs(10);
/// This many failed RPC calls in a row make `/healthz` say `rpc_failing`.
pub const RPC_FAILURES_UNHEALTHY: u32 = 5;
/// No successful RPC call for this long, while calls fail, makes `/healthz` say `rpc_failing`.
pub const RPC_SILENCE_UNHEALTHY: Duration = Duration::from_secs(30);

/// An ordinary race between the members of a cluster, lost by this node: not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Race {
    /// The request completed before this node's partial landed (`t` others were faster).
    AlreadyCompleted,
    /// This node's partial was already in (an earlier attempt landed after all).
    AlreadyAnswered,
    /// The request expired (or another node marked it expired) first.
    Expired,
    /// Another member folded the dealing first.
    AlreadyFolded,
}

impl Race {
    /// Every race, as `races_total` exports them.
    pub const ALL: [Race; 4] = [Race::AlreadyCompleted, Race::AlreadyAnswered, Race::Expired, Race::AlreadyFolded];

    /// The `race` label.
    pub fn label(self) -> &'static str {
        match self {
            Race::AlreadyCompleted => "already_completed",
            Race::AlreadyAnswered => "already_answered",
            Race::Expired => "expired",
            Race::AlreadyFolded => "already_folded",
        }
    }
}

/// The labels of `races_total`.
type RaceLabels = [(&'static str, &'static str); 1];

/// What `/healthz` judges besides the phase and the ceremony.
#[derive(Debug)]
struct HealthState {
    created: Instant,
    /// `None` while the websocket is subscribed.
    websocket_down_since: Option<Instant>,
    rpc_failures_in_a_row: u32,
    last_rpc_success: Option<Instant>,
    last_rpc_failure: Option<Instant>,
    member_status: Option<MemberStatus>,
    fee_balance: Option<u64>,
    min_fee_balance: u64,
}

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
    /// The authority's balance in lamports, as last polled.
    pub fee_balance_lamports: Gauge,
    /// 1 while the websocket subscription is up.
    pub websocket_connected: Gauge,
    /// Unix seconds of the last successful backfill scan.
    pub last_backfill_timestamp_seconds: Gauge,
    /// Share requests this node has queued or is working on.
    pub pending_requests: Gauge,
    /// Share requests this node is working on now (at most `max_in_flight`).
    pub requests_in_flight: Gauge,
    /// Ordinary races lost to other members, by `race`.
    pub races: Family<RaceLabels, Counter>,
    /// `expire_share_request` transactions this node landed.
    pub requests_expired: Counter,
    /// RPC calls that failed at an endpoint (from the connection's landing statistics).
    pub rpc_errors: Counter,
    /// RPC calls an endpoint rate limited (HTTP 429).
    pub rpc_rate_limited: Counter,
    /// Calls moved to the next endpoint after one failed.
    pub rpc_failovers: Counter,
    /// Transactions sent (first broadcasts).
    pub transactions_sent: Counter,
    /// Re-broadcasts of the same signed transaction while waiting for confirmation.
    pub transactions_rebroadcast: Counter,
    /// Transactions signed again with a fresh blockhash after theirs expired.
    pub transactions_resigned: Counter,
    /// Transactions not confirmed in time (they may still land).
    pub transactions_timed_out: Counter,
    phase: Arc<AtomicU8>,
    index: Arc<AtomicU8>,
    not_serving: Arc<Mutex<String>>,
    stuck: Arc<Mutex<Option<String>>>,
    health: Arc<Mutex<HealthState>>,
    /// The connection whose landing statistics the RPC and transaction counters mirror.
    landing: Arc<OnceLock<Arc<Connection>>>,
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
            fee_balance_lamports: Gauge::default(),
            websocket_connected: Gauge::default(),
            last_backfill_timestamp_seconds: Gauge::default(),
            pending_requests: Gauge::default(),
            requests_in_flight: Gauge::default(),
            races: Family::default(),
            requests_expired: Counter::default(),
            rpc_errors: Counter::default(),
            rpc_rate_limited: Counter::default(),
            rpc_failovers: Counter::default(),
            transactions_sent: Counter::default(),
            transactions_rebroadcast: Counter::default(),
            transactions_resigned: Counter::default(),
            transactions_timed_out: Counter::default(),
            phase: Arc::new(AtomicU8::new(Phase::Starting as u8)),
            index: Arc::new(AtomicU8::new(0)),
            not_serving: Arc::new(Mutex::new("starting".to_owned())),
            stuck: Arc::new(Mutex::new(None)),
            health: Arc::new(Mutex::new(HealthState {
                created: Instant::now(),
                // the grace starts when the server starts subscribing (`set_websocket(false, ..)`)
                websocket_down_since: None,
                rpc_failures_in_a_row: 0,
                last_rpc_success: None,
                last_rpc_failure: None,
                member_status: None,
                fee_balance: None,
                min_fee_balance: 0,
            })),
            landing: Arc::new(OnceLock::new()),
            registry: Arc::new(Mutex::new(Registry::default())),
        };
        metrics.ceremony_phase.set(-1);
        for race in Race::ALL {
            // exported at 0 from the start, so that rate() and alerts see every series
            let _ = metrics.races.get_or_create(&[("race", race.label())]);
        }
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
        registry.register("fee_balance_lamports", "The node authority's balance (it pays every transaction of the node)", metrics.fee_balance_lamports.clone());
        registry.register("websocket_connected", "1 while the websocket subscription is up", metrics.websocket_connected.clone());
        registry.register("last_backfill_timestamp_seconds", "Unix time of the last successful backfill scan", metrics.last_backfill_timestamp_seconds.clone());
        registry.register("pending_requests", "Share requests this node has queued or is working on", metrics.pending_requests.clone());
        registry.register("requests_in_flight", "Share requests this node is working on now (at most max_in_flight)", metrics.requests_in_flight.clone());
        registry.register("races", "Ordinary races lost to other members (not errors)", metrics.races.clone());
        registry.register("requests_expired", "expire_share_request transactions this node landed", metrics.requests_expired.clone());
        registry.register("rpc_errors", "RPC calls that failed at an endpoint", metrics.rpc_errors.clone());
        registry.register("rpc_rate_limited", "RPC calls an endpoint rate limited (HTTP 429)", metrics.rpc_rate_limited.clone());
        registry.register("rpc_failovers", "RPC calls moved to the next endpoint", metrics.rpc_failovers.clone());
        registry.register("transactions_sent", "Transactions sent", metrics.transactions_sent.clone());
        registry.register("transactions_rebroadcast", "Re-broadcasts of a signed transaction awaiting confirmation", metrics.transactions_rebroadcast.clone());
        registry.register("transactions_resigned", "Transactions re-signed with a fresh blockhash after theirs expired", metrics.transactions_resigned.clone());
        registry.register("transactions_timed_out", "Transactions not confirmed in time (they may still land)", metrics.transactions_timed_out.clone());
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

    /// Counts a race lost to another member.
    pub fn race(&self, race: Race) {
        self.races.get_or_create(&[("race", race.label())]).inc();
    }

    /// How many races of `race` were counted.
    pub fn races_of(&self, race: Race) -> u64 {
        self.races.get_or_create(&[("race", race.label())]).get()
    }

    fn health_state(&self) -> std::sync::MutexGuard<'_, HealthState> {
        self.health.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The websocket subscription went up (`true`) or down at `now`.
    pub fn set_websocket(&self, connected: bool, now: Instant) {
        self.websocket_connected.set(i64::from(connected));
        let mut health = self.health_state();
        match (connected, health.websocket_down_since) {
            (true, _) => health.websocket_down_since = None,
            (false, None) => health.websocket_down_since = Some(now),
            (false, Some(_)) => {}
        }
    }

    /// An RPC call succeeded (`true`: the endpoint answered, even with a refusal) or failed
    /// at `now`.
    pub fn rpc_call(&self, succeeded: bool, now: Instant) {
        let mut health = self.health_state();
        if succeeded {
            health.rpc_failures_in_a_row = 0;
            health.last_rpc_success = Some(now);
        } else {
            health.rpc_failures_in_a_row = health.rpc_failures_in_a_row.saturating_add(1);
            health.last_rpc_failure = Some(now);
        }
    }

    /// This node's member status as the chain says.
    pub fn set_member_status(&self, status: MemberStatus) {
        self.health_state().member_status = Some(status);
    }

    /// The floor under which the authority's balance is reported low.
    pub fn set_min_fee_balance(&self, lamports: u64) {
        self.health_state().min_fee_balance = lamports;
    }

    /// The authority's balance, as just polled.
    pub fn set_fee_balance(&self, lamports: u64) {
        self.fee_balance_lamports.set(i64::try_from(lamports).unwrap_or(i64::MAX));
        self.health_state().fee_balance = Some(lamports);
    }

    /// Mirrors `connection`'s landing statistics in the RPC and transaction counters (at
    /// every render).
    pub fn follow_landing(&self, connection: Arc<Connection>) {
        let _ = self.landing.set(connection);
    }

    /// Brings the mirrored counters up to `stats` (monotone counters since the connection was
    /// made: each counter moves by the difference).
    pub fn mirror_landing(&self, stats: medshare_client::rpc::LandingStats) {
        let pairs = [
            (&self.rpc_errors, stats.rpc_errors),
            (&self.rpc_rate_limited, stats.rate_limited),
            (&self.rpc_failovers, stats.failovers),
            (&self.transactions_sent, stats.sent),
            (&self.transactions_rebroadcast, stats.rebroadcasts),
            (&self.transactions_resigned, stats.resigned),
            (&self.transactions_timed_out, stats.timeouts),
        ];
        // one mirror at a time, or two renders would both add the same difference
        let _registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (counter, total) in pairs {
            let now = counter.get();
            if total > now {
                counter.inc_by(total - now);
            }
        }
    }

    /// Why `/healthz` answers 503 at `now`: the contract's reasons, in a fixed order (empty:
    /// healthy).
    pub fn unhealthy_at(&self, now: Instant) -> Vec<&'static str> {
        let mut reasons = Vec::new();
        let phase = self.phase();
        if phase == Phase::Stopping {
            reasons.push("stopping");
        }
        let health = self.health_state();
        if phase == Phase::Running && health.websocket_down_since.is_some_and(|since| now.saturating_duration_since(since) >= WEBSOCKET_GRACE) {
            reasons.push("websocket_down");
        }
        let failing_since_success = health.last_rpc_failure.is_some_and(|failure| health.last_rpc_success.is_none_or(|success| failure > success));
        let silent_for = now.saturating_duration_since(health.last_rpc_success.unwrap_or(health.created));
        if health.rpc_failures_in_a_row >= RPC_FAILURES_UNHEALTHY || (failing_since_success && silent_for >= RPC_SILENCE_UNHEALTHY) {
            reasons.push("rpc_failing");
        }
        if matches!(health.member_status, Some(MemberStatus::Suspended | MemberStatus::Removed)) {
            reasons.push("suspended");
        }
        if health.fee_balance.is_some_and(|balance| balance < health.min_fee_balance) {
            reasons.push("fee_balance_low");
        }
        drop(health);
        if self.stuck.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).is_some() {
            reasons.push("ceremony_stuck");
        }
        reasons
    }

    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        if let Some(connection) = self.landing.get() {
            self.mirror_landing(connection.stats());
        }
        let mut text = String::new();
        let registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("writing to a String cannot fail");
        text
    }

    /// `/healthz` now: see [`Metrics::health_at`].
    pub fn health(&self) -> (u16, String) {
        self.health_at(Instant::now())
    }

    /// `/healthz` at `now`: 503 while any [`Metrics::unhealthy_at`] reason holds (listed in
    /// the body's `unhealthy`), else 200 — while starting, serving, or waiting for a share it
    /// has no part in yet. The body also says the status, the serving epoch, why the node
    /// does not serve and the latest ceremony.
    pub fn health_at(&self, now: Instant) -> (u16, String) {
        let unhealthy = self.unhealthy_at(now);
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
            "unhealthy": unhealthy,
        });
        (if unhealthy.is_empty() { 200 } else { 503 }, body.to_string())
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
            serde_json::json!({
                "status": "serving", "index": 4, "epoch": 3, "not_serving": null,
                "ceremony": { "epoch": 4, "phase": "dealing", "stuck": null }, "unhealthy": [],
            })
        );
        metrics.set_ceremony_stuck(Some("the program rejected this node's confirmation".into()));
        let (code, body) = health(&metrics);
        assert_eq!((code, &body["status"]), (503, &serde_json::json!("stuck")), "serving, but unable to take the next key");
        assert_eq!(body["ceremony"]["stuck"], "the program rejected this node's confirmation");
        assert_eq!(body["unhealthy"], serde_json::json!(["ceremony_stuck"]));
        assert!(metrics.render().contains("medshare_node_ceremony_stuck 1"));
        metrics.set_ceremony_stuck(None);
        assert_eq!(health(&metrics).0, 200);
        metrics.set_phase(Phase::Stopping);
        let (code, body) = health(&metrics);
        assert_eq!((code, &body["unhealthy"]), (503, &serde_json::json!(["stopping"])));
    }

    fn reasons(metrics: &Metrics, now: Instant) -> (u16, serde_json::Value) {
        let (code, body) = metrics.health_at(now);
        (code, serde_json::from_str::<serde_json::Value>(&body).expect("JSON")["unhealthy"].clone())
    }

    /// A running, serving node with its websocket up and its RPC answering.
    fn healthy(t0: Instant) -> Metrics {
        let metrics = Metrics::new();
        metrics.set_phase(Phase::Running);
        metrics.set_serving(true, "");
        metrics.set_websocket(true, t0);
        metrics.rpc_call(true, t0);
        metrics.set_member_status(MemberStatus::Active);
        metrics.set_min_fee_balance(10_000_000);
        metrics.set_fee_balance(50_000_000);
        metrics
    }

    #[test]
    fn a_websocket_down_past_the_grace_is_unhealthy_until_it_reconnects() {
        let t0 = Instant::now();
        let metrics = healthy(t0);
        assert_eq!(reasons(&metrics, t0), (200, serde_json::json!([])));
        metrics.set_websocket(false, t0 + Duration::from_secs(1));
        assert_eq!(reasons(&metrics, t0 + Duration::from_secs(5)).0, 200, "a reconnect within the grace is not news");
        // a second report of the same outage does not restart the grace
        metrics.set_websocket(false, t0 + Duration::from_secs(8));
        assert_eq!(reasons(&metrics, t0 + WEBSOCKET_GRACE + Duration::from_secs(1)), (503, serde_json::json!(["websocket_down"])));
        assert!(metrics.render().contains("medshare_node_websocket_connected 0"));
        metrics.set_websocket(true, t0 + Duration::from_secs(20));
        assert_eq!(reasons(&metrics, t0 + Duration::from_secs(21)), (200, serde_json::json!([])));
        assert!(metrics.render().contains("medshare_node_websocket_connected 1"));
    }

    #[test]
    fn rpc_failures_in_a_row_or_a_silence_are_unhealthy_until_a_call_succeeds() {
        let t0 = Instant::now();
        let metrics = healthy(t0);
        let s = Duration::from_secs;
        for i in 1..RPC_FAILURES_UNHEALTHY {
            metrics.rpc_call(false, t0 + s(u64::from(i)));
        }
        assert_eq!(reasons(&metrics, t0 + s(5)).0, 200, "a few failures are what retries are for");
        metrics.rpc_call(false, t0 + s(5));
        assert_eq!(reasons(&metrics, t0 + s(5)), (503, serde_json::json!(["rpc_failing"])));
        metrics.rpc_call(true, t0 + s(6));
        assert_eq!(reasons(&metrics, t0 + s(6)).0, 200);
        // one failure, then nothing succeeds for the silence bound
        metrics.rpc_call(false, t0 + s(7));
        assert_eq!(reasons(&metrics, t0 + s(6) + RPC_SILENCE_UNHEALTHY - s(1)).0, 200);
        assert_eq!(reasons(&metrics, t0 + s(6) + RPC_SILENCE_UNHEALTHY), (503, serde_json::json!(["rpc_failing"])));
        // an idle node (no calls, so no failures) is not failing however long it is quiet
        let idle = healthy(t0);
        assert_eq!(reasons(&idle, t0 + s(3600)).0, 200);
    }

    #[test]
    fn a_low_fee_balance_is_unhealthy_until_the_wallet_is_funded() {
        let t0 = Instant::now();
        let metrics = healthy(t0);
        metrics.set_fee_balance(9_999_999);
        assert_eq!(reasons(&metrics, t0), (503, serde_json::json!(["fee_balance_low"])));
        assert!(metrics.render().contains("medshare_node_fee_balance_lamports 9999999"));
        metrics.set_fee_balance(10_000_000);
        assert_eq!(reasons(&metrics, t0), (200, serde_json::json!([])));
        // before the first poll the balance is unknown, not low
        let unknown = Metrics::new();
        unknown.set_min_fee_balance(10_000_000);
        assert!(!unknown.unhealthy_at(Instant::now()).contains(&"fee_balance_low"));
    }

    #[test]
    fn a_suspended_node_is_unhealthy_and_every_reason_is_listed() {
        let t0 = Instant::now();
        let metrics = healthy(t0);
        metrics.set_member_status(MemberStatus::Suspended);
        metrics.set_serving(false, "this node is suspended");
        let (code, body) = health(&metrics);
        assert_eq!((code, &body["status"], &body["unhealthy"]), (503, &serde_json::json!("waiting"), &serde_json::json!(["suspended"])));
        metrics.set_fee_balance(0);
        metrics.set_ceremony_stuck(Some("stuck".into()));
        metrics.set_websocket(false, t0);
        for _ in 0..RPC_FAILURES_UNHEALTHY {
            metrics.rpc_call(false, t0);
        }
        metrics.set_phase(Phase::Stopping);
        assert_eq!(
            reasons(&metrics, t0 + WEBSOCKET_GRACE).1,
            serde_json::json!(["stopping", "rpc_failing", "suspended", "fee_balance_low", "ceremony_stuck"]),
            "websocket_down is judged only while running"
        );
        metrics.set_phase(Phase::Running);
        assert_eq!(
            reasons(&metrics, t0 + WEBSOCKET_GRACE).1,
            serde_json::json!(["websocket_down", "rpc_failing", "suspended", "fee_balance_low", "ceremony_stuck"])
        );
        // reinstated by the admin: healthy again by itself
        metrics.set_member_status(MemberStatus::Active);
        assert!(!metrics.unhealthy_at(t0).contains(&"suspended"));
    }

    #[test]
    fn the_contract_metric_names_are_exported() {
        let metrics = Metrics::new();
        metrics.race(Race::AlreadyFolded);
        metrics.race(Race::AlreadyFolded);
        metrics.requests_expired.inc();
        metrics.pending_requests.set(3);
        metrics.requests_in_flight.set(2);
        metrics.last_backfill_timestamp_seconds.set(1_700_000_000);
        let text = metrics.render();
        for line in [
            "medshare_node_fee_balance_lamports 0",
            "medshare_node_websocket_connected 0",
            "medshare_node_last_backfill_timestamp_seconds 1700000000",
            "medshare_node_pending_requests 3",
            "medshare_node_requests_in_flight 2",
            "medshare_node_races_total{race=\"already_completed\"} 0",
            "medshare_node_races_total{race=\"already_answered\"} 0",
            "medshare_node_races_total{race=\"expired\"} 0",
            "medshare_node_races_total{race=\"already_folded\"} 2",
            "medshare_node_rpc_errors_total 0",
            "medshare_node_rpc_rate_limited_total 0",
            "medshare_node_rpc_failovers_total 0",
            "medshare_node_transactions_rebroadcast_total 0",
            "medshare_node_transactions_resigned_total 0",
            "medshare_node_requests_expired_total 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
        }
    }

    #[test]
    fn landing_statistics_are_mirrored_as_monotone_counters() {
        let metrics = Metrics::new();
        let stats = |n: u64| medshare_client::rpc::LandingStats {
            sent: n,
            rebroadcasts: 2 * n,
            resigned: n,
            timeouts: 0,
            rpc_errors: 3 * n,
            rate_limited: n,
            failovers: n,
        };
        metrics.mirror_landing(stats(2));
        metrics.mirror_landing(stats(2));
        assert_eq!(
            (metrics.rpc_errors.get(), metrics.transactions_rebroadcast.get(), metrics.rpc_failovers.get()),
            (6, 4, 2),
            "the same snapshot twice adds nothing"
        );
        metrics.mirror_landing(stats(5));
        let text = metrics.render();
        assert!(text.contains("medshare_node_rpc_errors_total 15") && text.contains("medshare_node_rpc_rate_limited_total 5"), "{text}");
        assert!(text.contains("medshare_node_transactions_resigned_total 5") && text.contains("medshare_node_transactions_sent_total 5"), "{text}");
    }
}
