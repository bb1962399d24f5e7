//! How often the server reconnects its websocket and rescans the chain: pure decisions, kept
//! apart from the I/O so that they can be tested exactly.
//!
//! - [`Backoff`]: exponential reconnect delays with jitter (so that the nodes of a cluster
//!   do not reconnect in lockstep after their provider drops them all), reset only by a
//!   connection that stayed up for a while: a provider that accepts and drops at once does
//!   not get hammered at the first delay forever.
//! - [`BackfillPacer`]: when to scan the pending requests: periodically, right after the first
//!   subscription, whenever the serving share changes, and after a reconnect — but a flapping
//!   websocket gets at most one reconnect scan per backfill period (a deferred catch-up, which
//!   any scan after the reconnect makes unnecessary), so reconnects cannot cause a scan storm.

use rand::Rng;
use std::time::{Duration, Instant};

/// Exponential backoff with jitter for websocket reconnects.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    stable_after: Duration,
    failures: u32,
}

impl Backoff {
    /// The daemon's schedule: 250 ms doubling up to 30 s, reset after 60 s connected.
    pub fn reconnects() -> Backoff {
        Backoff::new(Duration::from_millis(250), Duration::from_secs(30), Duration::from_secs(60))
    }

    /// Delays start at `first`, double per failure up to `max`; a connection that stayed up
    /// `stable_after` resets them.
    pub fn new(first: Duration, max: Duration, stable_after: Duration) -> Backoff {
        Backoff { first, max, stable_after, failures: 0 }
    }

    /// The un-jittered delay before the next attempt.
    pub fn ceiling(&self) -> Duration {
        // 2^20 × 250 ms is already days: no overflow, and past `max` anyway
        self.first.saturating_mul(1u32 << self.failures.min(20)).min(self.max)
    }

    /// The delay before the next attempt, drawn in `[ceiling / 2, ceiling]`, and counts the
    /// attempt: the next delay doubles.
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling();
        let half = ceiling / 2;
        let jitter = rng.gen_range(0..=(ceiling - half).as_millis() as u64);
        self.failures = self.failures.saturating_add(1);
        half + Duration::from_millis(jitter)
    }

    /// A connection ended after `lasted`: the schedule starts over only if it was stable.
    pub fn disconnected(&mut self, lasted: Duration) {
        if lasted >= self.stable_after {
            self.failures = 0;
        }
    }
}

/// When the next backfill scan is due.
#[derive(Debug, Clone)]
pub struct BackfillPacer {
    period: Duration,
    next_periodic: Instant,
    /// A scan asked for by a (re)subscription or a serving change: `(asked at, due at)`.
    catch_up: Option<(Instant, Instant)>,
    /// Before this, a reconnect's catch-up is deferred to it.
    reconnect_quiet_until: Option<Instant>,
    subscribed_before: bool,
}

impl BackfillPacer {
    /// Scans every `period`, the first one at `now`.
    pub fn new(now: Instant, period: Duration) -> BackfillPacer {
        BackfillPacer { period, next_periodic: now, catch_up: None, reconnect_quiet_until: None, subscribed_before: false }
    }

    /// When the next scan is due.
    pub fn next_due(&self) -> Instant {
        match self.catch_up {
            Some((_, due)) => due.min(self.next_periodic),
            None => self.next_periodic,
        }
    }

    /// The websocket (re)subscribed at `now`: requests made while it was down (or before the
    /// first subscription) need a scan after it. The first subscription scans at once, and so
    /// does the first reconnect of a period; later reconnects within that period wait for its
    /// end.
    pub fn on_subscribed(&mut self, now: Instant) {
        let due = if !self.subscribed_before {
            self.subscribed_before = true;
            now
        } else {
            match self.reconnect_quiet_until {
                Some(quiet) if now < quiet => quiet,
                _ => {
                    self.reconnect_quiet_until = Some(now + self.period);
                    now
                }
            }
        };
        self.ask(now, due);
    }

    /// The serving share changed at `now` (a ceremony activated): scan at once.
    pub fn on_serving_changed(&mut self, now: Instant) {
        self.ask(now, now);
    }

    fn ask(&mut self, asked: Instant, due: Instant) {
        self.catch_up = Some(match self.catch_up {
            // keep the earliest deadline; the latest request decides what a scan must cover
            Some((_, earlier)) => (asked, earlier.min(due)),
            None => (asked, due),
        });
    }

    /// A scan started at `started`: it covers every request made before it, so a catch-up
    /// asked for at or before `started` is done; the next periodic scan is a period later.
    pub fn on_backfill(&mut self, started: Instant) {
        self.next_periodic = started + self.period;
        if self.catch_up.is_some_and(|(asked, _)| asked <= started) {
            self.catch_up = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn reconnect_delays_double_to_the_cap_with_jitter_in_the_upper_half() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut backoff = Backoff::reconnects();
        let ceilings = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000];
        for ceiling in ceilings {
            let ceiling = Duration::from_millis(ceiling);
            assert_eq!(backoff.ceiling(), ceiling);
            let delay = backoff.next_delay(&mut rng);
            assert!(delay >= ceiling / 2 && delay <= ceiling, "{delay:?} outside [{:?}, {ceiling:?}]", ceiling / 2);
        }
        // thousands of failures later: still capped, no overflow
        for _ in 0..10_000 {
            assert!(backoff.next_delay(&mut rng) <= 30 * S);
        }
    }

    #[test]
    fn jitter_spreads_nodes_that_fail_together() {
        let delays: std::collections::BTreeSet<Duration> = (0..20)
            .map(|seed| {
                let mut backoff = Backoff::reconnects();
                for _ in 0..5 {
                    backoff.next_delay(&mut StdRng::seed_from_u64(seed));
                }
                backoff.next_delay(&mut StdRng::seed_from_u64(seed + 100))
            })
            .collect();
        assert!(delays.len() > 10, "twenty nodes at the same step wait different times: {delays:?}");
    }

    #[test]
    fn a_connection_that_dies_at_once_does_not_reset_the_backoff_but_a_stable_one_does() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut backoff = Backoff::reconnects();
        for _ in 0..4 {
            backoff.next_delay(&mut rng);
        }
        assert_eq!(backoff.ceiling(), Duration::from_secs(4));
        // connects, is dropped after 2 s: the next delay keeps growing
        backoff.disconnected(2 * S);
        assert_eq!(backoff.ceiling(), Duration::from_secs(4));
        backoff.next_delay(&mut rng);
        backoff.disconnected(59 * S);
        assert_eq!(backoff.ceiling(), Duration::from_secs(8));
        // stayed up a minute: start over
        backoff.disconnected(60 * S);
        assert_eq!(backoff.ceiling(), Duration::from_millis(250));
    }

    #[test]
    fn scans_are_periodic_and_follow_the_first_subscription_at_once() {
        let t0 = Instant::now();
        let mut pacer = BackfillPacer::new(t0, 15 * S);
        assert_eq!(pacer.next_due(), t0, "the first scan does not wait for the websocket");
        pacer.on_backfill(t0);
        assert_eq!(pacer.next_due(), t0 + 15 * S);
        pacer.on_subscribed(t0 + 2 * S);
        assert_eq!(pacer.next_due(), t0 + 2 * S, "after subscribing, so that nothing falls between the scan and the stream");
        pacer.on_backfill(t0 + 2 * S);
        assert_eq!(pacer.next_due(), t0 + 17 * S);
        pacer.on_serving_changed(t0 + 3 * S);
        assert_eq!(pacer.next_due(), t0 + 3 * S, "a new serving share answers the old epoch's requests at once");
    }

    #[test]
    fn a_flapping_websocket_gets_one_reconnect_scan_per_period() {
        let t0 = Instant::now();
        let period = 3600 * S;
        let mut pacer = BackfillPacer::new(t0, period);
        pacer.on_subscribed(t0);
        pacer.on_backfill(t0);
        // the first reconnect catches up at once, even with the periodic scan an hour away
        pacer.on_subscribed(t0 + 30 * S);
        assert_eq!(pacer.next_due(), t0 + 30 * S);
        pacer.on_backfill(t0 + 30 * S);
        // it flaps: a hundred reconnects in the next minutes cause no scan before the period ends
        let mut scans = 0;
        for i in 1..=100u32 {
            let now = t0 + 30 * S + i * 3 * S;
            pacer.on_subscribed(now);
            if pacer.next_due() <= now {
                scans += 1;
                pacer.on_backfill(now);
            }
        }
        assert_eq!(scans, 0);
        // the catch-up they asked for is deferred, not dropped
        assert_eq!(pacer.next_due(), t0 + 30 * S + period);
        pacer.on_backfill(t0 + 30 * S + period);
        assert_eq!(pacer.next_due(), t0 + 30 * S + 2 * period);
    }

    #[test]
    fn a_periodic_scan_after_a_deferred_reconnect_makes_the_catch_up_unnecessary() {
        let t0 = Instant::now();
        let mut pacer = BackfillPacer::new(t0, 60 * S);
        pacer.on_subscribed(t0);
        pacer.on_backfill(t0);
        pacer.on_subscribed(t0 + 10 * S);
        pacer.on_backfill(t0 + 10 * S);
        pacer.on_subscribed(t0 + 20 * S);
        assert_eq!(pacer.next_due(), t0 + 70 * S, "deferred to the end of the reconnect period (the periodic scan is due then too)");
        pacer.on_serving_changed(t0 + 25 * S);
        assert_eq!(pacer.next_due(), t0 + 25 * S);
        pacer.on_backfill(t0 + 25 * S);
        assert_eq!(pacer.next_due(), t0 + 85 * S, "the scan at 25 s covered the reconnect at 20 s");
    }
}
