//! Ready for a public cluster: a 3-of-4 deployment on a real local validator whose nodes
//! reach JSON-RPC as they would reach a public provider, through a fault-injecting proxy
//! (`medshare_tests::rpc_proxy`): 429s, latency, connection resets, stale reads, a dead
//! primary with a healthy fail-over endpoint, a fee wallet run dry, a blockhash that expires
//! before its transaction lands, and a websocket cut. One deployment, phases in sequence.
//!
//! Node 4 is stopped whenever a phase needs the node under test to take part: with three
//! nodes up and a threshold of 3, a share completes only if that node answers.

use medshare_tests::{
    deployment::{Deployment, Options},
    rpc_proxy::RpcProxy,
    story::{Story, callbacks, set},
};
use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

const BUNDLE: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Serum potassium"},"valueQuantity":{"value":4.2,"unit":"mmol/L"}}}]}"#;

/// How long a phase may wait for what it expects (each is seconds when things work).
const PHASE_TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn nodes_keep_serving_through_rpc_faults() {
    let mut phase = Instant::now();
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    let mut lap = |name, phase: &mut Instant| {
        timings.push((name, phase.elapsed()));
        *phase = Instant::now();
    };
    let mut d = Deployment::start(3, 4, Options::default());
    let epoch = d.status()["epoch"].as_u64().expect("epoch");
    let story = Story::new(&d, BUNDLE);
    lap("deployment (3-of-4) + record", &mut phase);

    // --- 1a. node 1's only endpoint answers 429s, adds latency and resets a connection;
    // node 4 is down, so every share needs node 1
    let p1 = RpcProxy::to_url(&d.localnet.validator.rpc_url());
    d.route_rpc(1, &p1.url(), false);
    d.wait_serving(1, epoch);
    d.kill_node(4);
    let mark = d.latest_node_signature(1);
    p1.set_latency(Duration::from_millis(100));
    p1.rate_limit_next(3);
    p1.reset_next(1);
    let r1 = story.share(&d);
    story.opens(&d, &r1, "60s");
    assert_eq!(story.accepted(&d, &r1), set(&[1, 2, 3]));
    let tally = p1.tally();
    assert_eq!((tally.rate_limited_total(), tally.resets_total()), (3, 1), "the faults reached node 1: {tally:?}");
    d.wait_until("node 1 counting the 429s and the reset", PHASE_TIMEOUT, |d| {
        d.metric(1, "medshare_node_rpc_rate_limited_total") >= 1.0 && d.metric(1, "medshare_node_rpc_errors_total") >= 1.0
    });
    lap("1a: 429s, latency, a reset", &mut phase);

    // --- 1b. stale reads after its own post: node 1 reads the request, cannot post
    // (sendTransaction rate-limited) until its reads are stale — its provider keeps
    // answering the request as it was before node 1's partial
    p1.heal();
    p1.rate_limit_method("sendTransaction", u64::MAX);
    let refused_sends = |proxy: &RpcProxy| proxy.tally().rate_limited.get("sendTransaction").copied().unwrap_or(0);
    let blocked_before = refused_sends(&p1);
    let r2 = story.share(&d);
    story.wait_accepted(&d, &r2, &[2, 3], PHASE_TIMEOUT);
    let scans = p1.tally().forwarded("getProgramAccounts");
    d.wait_until("node 1 trying to post, then scanning the pending requests again", PHASE_TIMEOUT, |_| {
        refused_sends(&p1) > blocked_before && p1.tally().forwarded("getProgramAccounts") > scans
    });
    p1.serve_stale_reads(true);
    p1.clear_rate_limits();
    story.opens(&d, &r2, "60s");
    assert_eq!(story.accepted(&d, &r2), set(&[1, 2, 3]));
    let stale_scans = p1.tally().stale.get("getProgramAccounts").copied().unwrap_or(0);
    d.wait_until("a backfill of node 1 answered stale (the completed request still pending)", PHASE_TIMEOUT, |_| {
        p1.tally().stale.get("getProgramAccounts").copied().unwrap_or(0) > stale_scans
    });
    p1.heal();
    lap("1b: stale reads", &mut phase);

    // --- 1c. an ordinary race: with node 4 back, nodes 2-4 complete the share while node 1
    // cannot send; its late partial is refused as already completed, counted as a race
    d.start_node(4);
    d.wait_serving(4, epoch);
    let races_before = d.metric_sum(1, "medshare_node_races_total");
    p1.rate_limit_method("sendTransaction", u64::MAX);
    let r3 = story.share(&d);
    story.opens(&d, &r3, "60s");
    p1.clear_rate_limits();
    d.wait_until("node 1 counting its late answer as a race", PHASE_TIMEOUT, |d| d.metric_sum(1, "medshare_node_races_total") > races_before);
    assert_eq!(story.accepted(&d, &r3), set(&[2, 3, 4]), "completed without node 1");
    d.kill_node(4);

    // what node 1 sent in phase 1 and what the validator kept
    let sent = d.node_transactions(1, mark);
    assert!(sent.iter().all(|tx| tx.succeeded), "node 1 landed no transaction the program refused: {sent:?}");
    assert_eq!(callbacks(&sent, &r1).len(), 1, "one accepted partial of node 1 in r1: {sent:#?}");
    assert_eq!(callbacks(&sent, &r2).len(), 1, "one accepted partial of node 1 in r2 despite stale reads: {sent:#?}");
    assert_eq!(callbacks(&sent, &r3).len(), 0, "r3 completed without node 1: {sent:#?}");
    assert_eq!(d.metric(1, "medshare_node_partials_posted_total"), 2.0, "r1 and r2:\n{}", d.metrics_text(1));
    assert_eq!(d.metric(1, "medshare_node_partials_rejected_total"), 0.0, "a stale read is not a rejection:\n{}", d.metrics_text(1));
    // every transaction node 1 sent that did not land was refused by the program in preflight:
    // each is an ordinary race, counted as one
    let landed: BTreeSet<String> = sent.iter().map(|tx| tx.signature.to_string()).collect();
    let refused = p1.tally().sends_forwarded.keys().filter(|signature| !landed.contains(*signature)).count();
    let races = d.metric_sum(1, "medshare_node_races_total");
    assert!(races >= refused as f64 && races >= 1.0, "{refused} refused sends, {races} races:\n{}", d.metrics_text(1));
    lap("1c: an ordinary race", &mut phase);

    // --- 2. fail-over: node 2's primary resets every connection; its second endpoint is healthy
    let p2 = RpcProxy::to_url(&d.localnet.validator.rpc_url());
    p2.reset_every_request(true);
    d.route_rpc(2, &p2.url(), true);
    d.wait_serving(2, epoch);
    let r4 = story.share(&d);
    story.opens(&d, &r4, "60s");
    assert_eq!(story.accepted(&d, &r4), set(&[1, 2, 3]), "node 2 answered through its fail-over endpoint");
    let tally = p2.tally();
    assert!(tally.resets_total() > 0 && tally.forwarded.is_empty(), "nothing got through the dead primary: {tally:?}");
    d.wait_until("node 2 counting its fail-overs", PHASE_TIMEOUT, |d| d.metric(2, "medshare_node_rpc_failovers_total") > 0.0);
    lap("2: fail-over", &mut phase);

    // --- 3. node 3's fee balance below its floor: 503 `fee_balance_low`, back once funded
    d.set_node_config(3, "min_fee_balance_lamports", "1000000000");
    d.restart_node(3);
    d.wait_serving(3, epoch);
    assert_eq!(d.health_status(3).map(|(status, _)| status), Some(200), "10 SOL is above the 1 SOL floor: {:?}", d.health_status(3));
    d.drain_node(3);
    d.wait_until("node 3 reporting fee_balance_low", PHASE_TIMEOUT, |d| d.unhealthy(3).iter().any(|r| r == "fee_balance_low"));
    let (status, body) = d.health_status(3).expect("healthz");
    assert_eq!(status, 503, "{body}");
    assert_eq!(d.metric(3, "medshare_node_fee_balance_lamports"), 0.0);
    let r5 = story.share(&d);
    story.wait_accepted(&d, &r5, &[1, 2], PHASE_TIMEOUT);
    d.wait_until("node 3 seeing the request", PHASE_TIMEOUT, |d| d.metric(3, "medshare_node_requests_seen_total") >= 1.0);
    assert_eq!(story.request(&d, &r5)["status"], "pending", "node 3 cannot pay for its partial");
    let authority = d.nodes[2].authority;
    d.fund(&authority, 2_000_000_000);
    d.wait_until("node 3 healthy again", PHASE_TIMEOUT, |d| d.health_status(3).is_some_and(|(status, _)| status == 200));
    assert!(d.metric(3, "medshare_node_fee_balance_lamports") >= 1_000_000_000.0, "{}", d.metrics_text(3));
    story.opens(&d, &r5, "60s");
    assert_eq!(story.accepted(&d, &r5), set(&[1, 2, 3]), "node 3 answers again once funded");
    lap("3: fee balance floor", &mut phase);

    // --- 4. a blockhash that expires before its transaction lands: node 1's provider
    // swallows its first partial and says the blockhash is valid for two more blocks only
    let mark = d.latest_node_signature(1);
    let resigned_before = d.metric(1, "medshare_node_transactions_resigned_total");
    let shortened_before = p1.tally().blockhashes_shortened;
    p1.shorten_blockhashes(1, 2);
    p1.swallow_sends(1);
    let r6 = story.share(&d);
    story.opens(&d, &r6, "60s");
    assert_eq!(story.accepted(&d, &r6), set(&[1, 2, 3]));
    let tally = p1.tally();
    assert_eq!(tally.blockhashes_shortened, shortened_before + 1, "{tally:?}");
    let swallowed = tally.swallowed_signatures();
    assert_eq!(swallowed.len(), 1, "{tally:?}");
    assert_eq!(tally.sends_forwarded_of(&swallowed[0]), 0, "the first signing never reached the validator");
    let status = d.localnet.rpc.get_signature_statuses(&swallowed[0..1]).expect("getSignatureStatuses").value;
    assert!(status[0].is_none(), "and never landed: {status:?}");
    let sent = d.node_transactions(1, mark);
    let partials = callbacks(&sent, &r6);
    assert_eq!(partials.len(), 1, "one partial of node 1 landed in r6: {sent:?}");
    assert!(partials[0].succeeded && partials[0].signature != swallowed[0], "the re-signed one");
    assert!(sent.iter().all(|tx| tx.succeeded), "no duplicate refused by the program: {sent:?}");
    assert!(tally.sends_forwarded_of(&partials[0].signature) >= 1);
    d.wait_until("node 1 counting the re-sign", PHASE_TIMEOUT, |d| d.metric(1, "medshare_node_transactions_resigned_total") > resigned_before);
    lap("4: blockhash expiry, re-signed", &mut phase);

    // --- 5. a websocket cut: node 2 says `websocket_down`, then catches up on reconnect
    p2.heal();
    let websocket = d.proxy_websocket(2);
    d.wait_serving(2, epoch);
    d.wait_until("node 2 subscribed through the websocket proxy", PHASE_TIMEOUT, |d| d.metric(2, "medshare_node_websocket_connected") == 1.0);
    websocket.cut();
    d.wait_until("node 2 reporting websocket_down", PHASE_TIMEOUT, |d| d.unhealthy(2).iter().any(|r| r == "websocket_down"));
    assert_eq!(d.health_status(2).map(|(status, _)| status), Some(503));
    assert_eq!(d.metric(2, "medshare_node_websocket_connected"), 0.0);
    let r7 = story.share(&d);
    story.wait_accepted(&d, &r7, &[1, 3], PHASE_TIMEOUT);
    assert_eq!(story.request(&d, &r7)["status"], "pending", "node 2 cannot see it");
    websocket.restore();
    d.wait_until("node 2 healthy again", PHASE_TIMEOUT, |d| d.health_status(2).is_some_and(|(status, _)| status == 200));
    story.opens(&d, &r7, "60s");
    assert_eq!(story.accepted(&d, &r7), set(&[1, 2, 3]), "node 2 caught up from its reconnect's backfill");
    assert_eq!(d.metric(2, "medshare_node_websocket_connected"), 1.0);
    lap("5: websocket cut", &mut phase);

    for (name, took) in &timings {
        eprintln!("localnet_public: {name}: {took:.1?}");
    }
    eprintln!("localnet_public: total {:.1?}", timings.iter().map(|(_, t)| *t).sum::<Duration>());
}
