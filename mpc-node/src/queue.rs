//! The share requests a node works on: at most `max_in_flight` at once (a tokio
//! [`Semaphore`]), the rest waiting in arrival order, each request at most once whether
//! waiting or in flight (the subscription and every backfill report the same pending
//! request again and again until it completes).
//!
//! A worker holding a permit takes the next waiting request when it finishes one, so the
//! number of tasks is bounded by the permits, not by the backlog; a backlog costs one address
//! per request. A request's work that panics is logged and the worker goes on.

use futures_util::{FutureExt, future::BoxFuture};
use medshare_client::Address;
use prometheus_client::metrics::gauge::Gauge;
use std::{
    collections::{HashSet, VecDeque},
    sync::{Arc, Mutex},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What a worker does with one request.
pub type Work = Arc<dyn Fn(Address) -> BoxFuture<'static, ()> + Send + Sync>;

#[derive(Default)]
struct State {
    waiting: VecDeque<Address>,
    /// Waiting or in flight.
    known: HashSet<Address>,
    closed: bool,
}

/// Requests waiting or being worked on, at most `max_in_flight` of them at once.
pub struct RequestQueue {
    max_in_flight: usize,
    permits: Arc<Semaphore>,
    state: Mutex<State>,
    in_flight: Gauge,
    pending: Gauge,
}

impl RequestQueue {
    /// A queue working on at most `max_in_flight` (at least 1) requests at once, reporting
    /// the number in flight on `in_flight` and the number waiting or in flight on `pending`.
    pub fn new(max_in_flight: usize, in_flight: Gauge, pending: Gauge) -> Arc<RequestQueue> {
        let max_in_flight = max_in_flight.max(1);
        Arc::new(RequestQueue { max_in_flight, permits: Arc::new(Semaphore::new(max_in_flight)), state: Mutex::new(State::default()), in_flight, pending })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `request` for `work` unless it is already waiting or in flight (or the queue is
    /// closed); returns whether it was queued. It starts at once if a permit is free.
    pub fn push(self: &Arc<Self>, request: Address, work: Work) -> bool {
        let mut state = self.state();
        if state.closed || !state.known.insert(request) {
            return false;
        }
        // under the state lock, like the release in `finish`: a request is never left
        // waiting while a permit is free
        match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(Arc::clone(self).worker(permit, request, work));
            }
            Err(_) => state.waiting.push_back(request),
        }
        self.report(&state);
        true
    }

    async fn worker(self: Arc<Self>, permit: OwnedSemaphorePermit, first: Address, work: Work) {
        let mut request = first;
        loop {
            if std::panic::AssertUnwindSafe(work(request)).catch_unwind().await.is_err() {
                tracing::error!(%request, "answering the request panicked; going on with the next one");
            }
            let mut state = self.state();
            state.known.remove(&request);
            match state.waiting.pop_front() {
                Some(next) => {
                    self.report(&state);
                    request = next;
                }
                None => {
                    drop(permit);
                    self.report(&state);
                    return;
                }
            }
        }
    }

    fn report(&self, state: &State) {
        self.in_flight.set((self.max_in_flight - self.permits.available_permits()) as i64);
        self.pending.set(state.known.len() as i64);
    }

    /// Requests being worked on now.
    pub fn in_flight(&self) -> usize {
        self.max_in_flight - self.permits.available_permits()
    }

    /// Requests waiting or in flight.
    pub fn pending(&self) -> usize {
        self.state().known.len()
    }

    /// Stops taking requests and forgets the waiting ones (shutdown): the ones in flight finish.
    pub fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        for request in std::mem::take(&mut state.waiting) {
            state.known.remove(&request);
        }
        self.report(&state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        collections::HashMap,
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    struct Probe {
        running: AtomicUsize,
        most: AtomicUsize,
        done: Mutex<HashMap<Address, usize>>,
    }

    fn probe_work(probe: &Arc<Probe>) -> Work {
        let probe = Arc::clone(probe);
        Arc::new(move |request| {
            let probe = Arc::clone(&probe);
            async move {
                let now = probe.running.fetch_add(1, Ordering::SeqCst) + 1;
                probe.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                probe.running.fetch_sub(1, Ordering::SeqCst);
                *probe.done.lock().unwrap().entry(request).or_default() += 1;
            }
            .boxed()
        })
    }

    fn address(i: u8) -> Address {
        Address::new_from_array([i; 32])
    }

    async fn until_idle(queue: &RequestQueue) {
        for _ in 0..1000 {
            if queue.pending() == 0 && queue.in_flight() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the queue did not drain");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_max_in_flight_run_at_once_and_each_request_once() {
        let (in_flight, pending) = (Gauge::default(), Gauge::default());
        let queue = RequestQueue::new(3, in_flight.clone(), pending.clone());
        let probe = Arc::new(Probe { running: AtomicUsize::new(0), most: AtomicUsize::new(0), done: Mutex::new(HashMap::new()) });
        let work = probe_work(&probe);
        for i in 0..20 {
            assert!(queue.push(address(i), Arc::clone(&work)));
        }
        assert_eq!((in_flight.get(), pending.get()), (3, 20), "three in flight, seventeen waiting");
        // the subscription and a backfill report the same requests again: no duplicates
        for i in 0..20 {
            assert!(!queue.push(address(i), Arc::clone(&work)), "request {i} is already queued");
        }
        assert_eq!(pending.get(), 20);
        until_idle(&queue).await;
        assert_eq!(probe.most.load(Ordering::SeqCst), 3, "never more than max_in_flight at once");
        let done = probe.done.lock().unwrap().clone();
        assert_eq!(done.len(), 20);
        assert!(done.values().all(|&n| n == 1), "each request worked on exactly once: {done:?}");
        assert_eq!((in_flight.get(), pending.get()), (0, 0));
        // once finished, a request can be queued again (the next backfill retries a failure)
        assert!(queue.push(address(0), work));
        until_idle(&queue).await;
        assert_eq!(probe.done.lock().unwrap()[&address(0)], 2);
    }

    #[tokio::test]
    async fn a_panicking_request_does_not_lose_the_permit_or_the_backlog() {
        let queue = RequestQueue::new(1, Gauge::default(), Gauge::default());
        let finished = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&finished);
        let work: Work = Arc::new(move |request: Address| {
            let counter = Arc::clone(&counter);
            async move {
                if request == address(1) {
                    panic!("bad data");
                }
                counter.fetch_add(1, Ordering::SeqCst);
            }
            .boxed()
        });
        for i in 1..=3 {
            queue.push(address(i), Arc::clone(&work));
        }
        until_idle(&queue).await;
        assert_eq!(finished.load(Ordering::SeqCst), 2, "the two after the panic were answered");
    }

    #[tokio::test]
    async fn closing_forgets_the_waiting_and_refuses_new_requests() {
        let (in_flight, pending) = (Gauge::default(), Gauge::default());
        let queue = RequestQueue::new(1, in_flight, pending.clone());
        let probe = Arc::new(Probe { running: AtomicUsize::new(0), most: AtomicUsize::new(0), done: Mutex::new(HashMap::new()) });
        let work = probe_work(&probe);
        for i in 0..5 {
            queue.push(address(i), Arc::clone(&work));
        }
        queue.close();
        assert_eq!(pending.get(), 1, "only the one in flight is left");
        assert!(!queue.push(address(9), work));
        until_idle(&queue).await;
        assert_eq!(probe.done.lock().unwrap().len(), 1);
    }
}
