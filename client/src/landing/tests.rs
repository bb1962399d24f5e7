use super::*;
use crate::rpc::Connection;
use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::atomic::AtomicU32,
};

// ------------------------------------------------------------------------------------
// next_step: every combination of what the loop can observe
// ------------------------------------------------------------------------------------

const LAST_VALID: u64 = 1_000;

fn options() -> LandingOptions {
    LandingOptions {
        compute_unit_price: ComputeUnitPrice::Fixed(0),
        confirm_timeout: Duration::from_secs(60),
        rebroadcast_every: Duration::from_secs(2),
        max_resigns: 2,
    }
}

#[test]
fn every_observation_gets_the_step_the_rules_say() {
    let options = options();
    let landed = Signature::from([1; 64]);
    let failed = TransactionError::InstructionError(0, solana_instruction::error::InstructionError::Custom(6000));
    let statuses = [
        None,
        Some(SignatureState::Unknown),
        Some(SignatureState::Processing),
        Some(SignatureState::Landed(landed)),
        Some(SignatureState::Failed(landed, failed.clone())),
    ];
    let heights = [None, Some(LAST_VALID - 5), Some(LAST_VALID), Some(LAST_VALID + 1)];
    let since_broadcasts = [Duration::ZERO, Duration::from_millis(1_999), Duration::from_secs(2), Duration::from_secs(9)];
    let elapsed = [Duration::ZERO, Duration::from_secs(59), Duration::from_secs(60), Duration::from_secs(600)];
    let resigns = [0, 1, 2];
    let mut seen = std::collections::BTreeSet::new();
    for status in &statuses {
        for height in heights {
            for since_broadcast in since_broadcasts {
                for elapsed in elapsed {
                    for resigns in resigns {
                        let observation = Observation {
                            status: status.clone(),
                            block_height: height,
                            last_valid_block_height: LAST_VALID,
                            since_broadcast,
                            elapsed,
                            resigns,
                        };
                        // the rules, stated as the table of cases they cover
                        let timed_out = elapsed >= Duration::from_secs(60);
                        let expired = matches!(height, Some(h) if h > LAST_VALID);
                        let due = since_broadcast >= Duration::from_secs(2);
                        let expected = match status {
                            Some(SignatureState::Landed(s)) => Step::Landed(*s),
                            Some(SignatureState::Failed(_, e)) => Step::Failed(e.clone()),
                            _ if timed_out => Step::TimedOut,
                            Some(SignatureState::Unknown) if expired && resigns < 2 => Step::Resign,
                            Some(SignatureState::Unknown) if expired => Step::Expired,
                            Some(SignatureState::Processing) => Step::Wait,
                            Some(SignatureState::Unknown) | None if due => Step::Rebroadcast,
                            _ => Step::Wait,
                        };
                        let step = next_step(&observation, &options);
                        assert_eq!(step, expected, "{observation:?}");
                        seen.insert(format!("{step:?}").split('(').next().unwrap().to_owned());
                    }
                }
            }
        }
    }
    assert_eq!(seen.len(), 7, "every step is reachable: {seen:?}");
}

#[test]
fn the_decisive_cases_by_name() {
    let options = options();
    let at = |status, block_height, since_broadcast: u64, elapsed: u64, resigns| Observation {
        status: Some(status),
        block_height,
        last_valid_block_height: LAST_VALID,
        since_broadcast: Duration::from_secs(since_broadcast),
        elapsed: Duration::from_secs(elapsed),
        resigns,
    };
    // sent, nothing seen yet: wait, then send the same bytes again
    assert_eq!(next_step(&at(SignatureState::Unknown, None, 1, 1, 0), &options), Step::Wait);
    assert_eq!(next_step(&at(SignatureState::Unknown, Some(LAST_VALID), 2, 3, 0), &options), Step::Rebroadcast);
    // in a block: never re-broadcast or re-signed, whatever the height says
    assert_eq!(next_step(&at(SignatureState::Processing, Some(LAST_VALID + 50), 30, 30, 0), &options), Step::Wait);
    // expired unseen: re-sign while the budget lasts, then give up as expired (it cannot land)
    assert_eq!(next_step(&at(SignatureState::Unknown, Some(LAST_VALID + 1), 0, 50, 1), &options), Step::Resign);
    assert_eq!(next_step(&at(SignatureState::Unknown, Some(LAST_VALID + 1), 0, 50, 2), &options), Step::Expired);
    // a failed status query never re-signs (it may have landed)
    let unknown_status = Observation { status: None, ..at(SignatureState::Unknown, Some(LAST_VALID + 9), 5, 50, 0) };
    assert_eq!(next_step(&unknown_status, &options), Step::Rebroadcast);
    // a landing found late still wins over the timeout
    let signature = Signature::from([7; 64]);
    assert_eq!(next_step(&at(SignatureState::Landed(signature), None, 0, 500, 2), &options), Step::Landed(signature));
    assert_eq!(next_step(&at(SignatureState::Unknown, None, 0, 60, 0), &options), Step::TimedOut);
}

fn status(confirmation: Option<&str>, err: Option<TransactionError>) -> TransactionStatus {
    serde_json::from_value(json!({
        "slot": 5, "confirmations": if confirmation == Some("finalized") { Value::Null } else { json!(1) },
        "status": match &err { None => json!({"Ok": null}), Some(e) => json!({"Err": e}) },
        "err": err, "confirmationStatus": confirmation,
    }))
    .expect("a TransactionStatus")
}

#[test]
fn the_signatures_state_is_the_best_of_any_of_them() {
    let (a, b) = (Signature::from([1; 64]), Signature::from([2; 64]));
    let confirmed = CommitmentConfig::confirmed();
    assert_eq!(signature_state(&[a, b], &[None, None], confirmed), SignatureState::Unknown);
    assert_eq!(signature_state(&[a, b], &[None, Some(status(Some("processed"), None))], confirmed), SignatureState::Processing);
    assert_eq!(signature_state(&[a, b], &[None, Some(status(Some("confirmed"), None))], confirmed), SignatureState::Landed(b));
    assert_eq!(signature_state(&[a, b], &[Some(status(Some("processed"), None)), None], CommitmentConfig::processed()), SignatureState::Landed(a));
    assert_eq!(signature_state(&[a], &[Some(status(Some("confirmed"), None))], CommitmentConfig::finalized()), SignatureState::Processing);
    let error = TransactionError::InsufficientFundsForFee;
    assert_eq!(signature_state(&[a], &[Some(status(Some("finalized"), Some(error.clone())))], confirmed), SignatureState::Failed(a, error));
    // a re-broadcast the node already had is not a failure
    assert_eq!(signature_state(&[a], &[Some(status(Some("confirmed"), Some(TransactionError::AlreadyProcessed)))], confirmed), SignatureState::Landed(a));
}

#[test]
fn backoff_doubles_honours_retry_after_and_is_bounded() {
    assert_eq!(round_backoff(1, None), Duration::from_millis(250));
    assert_eq!(round_backoff(2, None), Duration::from_millis(500));
    assert_eq!(round_backoff(3, Some(Duration::from_secs(2))), Duration::from_secs(2));
    assert_eq!(round_backoff(1, Some(Duration::from_secs(120))), MAX_BACKOFF);
    assert_eq!(round_backoff(40, None), MAX_BACKOFF);
}

#[test]
fn timeouts_are_not_transient_and_say_to_look_the_signature_up() {
    let error = TxError::Timeout { signature: Signature::from([3; 64]) };
    assert!(!error.is_transient());
    let text = error.to_string();
    assert!(text.contains(&Signature::from([3; 64]).to_string()) && text.contains("may still land") && text.contains("look it up"), "{text}");
}

// ------------------------------------------------------------------------------------
// A JSON-RPC endpoint on 127.0.0.1 that answers as a test script says
// ------------------------------------------------------------------------------------

/// What the scripted endpoint does with one request.
enum Reply {
    /// HTTP 200 with this JSON-RPC `result`.
    Result(Value),
    /// HTTP 200 with this JSON-RPC `error` object.
    Error(Value),
    /// This HTTP status (and `Retry-After` seconds, if any), empty body.
    Status(u16, Option<u64>),
    /// Close the connection without answering.
    Hang,
}

struct Endpoint {
    url: String,
    requests: Arc<AtomicU32>,
    methods: Arc<Mutex<Vec<String>>>,
}

/// Serves `script(n, method, params)` for the n-th request (0-based), one request per
/// connection (`Connection: close`).
fn endpoint(path: &str, script: impl Fn(u32, &str, &Value) -> Reply + Send + 'static) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicU32::new(0));
    let methods = Arc::new(Mutex::new(Vec::new()));
    let (count, seen) = (requests.clone(), methods.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let Some(body) = read_request(&stream) else { continue };
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let method = request["method"].as_str().unwrap_or_default().to_owned();
            seen.lock().unwrap().push(method.clone());
            let n = count.fetch_add(1, Ordering::SeqCst);
            let reply = script(n, &method, &request["params"]);
            answer(stream, &request["id"], reply);
        }
    });
    Endpoint { url, requests, methods }
}

fn read_request(stream: &TcpStream) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

fn answer(mut stream: TcpStream, id: &Value, reply: Reply) {
    let (status, extra, body) = match reply {
        Reply::Result(result) => (200, String::new(), json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()),
        Reply::Error(error) => (200, String::new(), json!({"jsonrpc": "2.0", "id": id, "error": error}).to_string()),
        Reply::Status(status, retry_after) => (status, retry_after.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default(), String::new()),
        Reply::Hang => return drop(stream),
    };
    let head = format!("HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n", body.len());
    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
}

fn connection(urls: &[&Endpoint]) -> Connection {
    let urls: Vec<String> = urls.iter().map(|e| e.url.clone()).collect();
    Connection::with_options(&urls, CommitmentConfig::confirmed(), options())
}

#[tokio::test]
async fn a_rate_limited_primary_fails_over_and_later_requests_stay_on_the_endpoint_that_answered() {
    let primary = endpoint("/v2/SECRET-KEY", |_, _, _| Reply::Status(429, Some(30)));
    let secondary =
        endpoint("/", |_, method, _| if method == "getSlot" { Reply::Result(json!(42)) } else { Reply::Error(json!({"code": -32601, "message": "no"})) });
    let connection = connection(&[&primary, &secondary]);
    assert_eq!(connection.rpc.url(), format!("{}/…", primary.url.trim_end_matches("/v2/SECRET-KEY")), "the URL shown is redacted");
    let started = Instant::now();
    assert_eq!(connection.rpc.get_slot().await.expect("the fail-over endpoint answers"), 42);
    // any wait would be a backoff of at least MAX_BACKOFF (Retry-After asks 30 s)
    assert!(started.elapsed() < MAX_BACKOFF, "no waiting for Retry-After when another endpoint is there: {:?}", started.elapsed());
    assert_eq!(
        connection.stats(),
        LandingStats { rpc_errors: 1, rate_limited: 1, failovers: 1, ..LandingStats::default() },
        "one 429, counted once (HttpSender's own 429 loop did not run)"
    );
    assert_eq!(connection.rpc.get_slot().await.unwrap(), 42);
    assert_eq!(primary.requests.load(Ordering::SeqCst), 1, "the second request went straight to the endpoint that answered");
    assert_eq!(secondary.requests.load(Ordering::SeqCst), 2);
    assert_eq!(connection.stats().failovers, 1);
}

#[tokio::test]
async fn a_connection_reset_or_a_5xx_moves_the_request_to_the_next_endpoint() {
    let resetting = endpoint("/", |_, _, _| Reply::Hang);
    let failing = endpoint("/", |_, _, _| Reply::Status(503, None));
    let healthy = endpoint("/", |_, _, _| Reply::Result(json!(7)));
    let connection = connection(&[&resetting, &failing, &healthy]);
    assert_eq!(connection.rpc.get_slot().await.expect("the third endpoint answers"), 7);
    assert_eq!(connection.stats(), LandingStats { rpc_errors: 2, failovers: 2, ..LandingStats::default() });
    assert_eq!((resetting.requests.load(Ordering::SeqCst), failing.requests.load(Ordering::SeqCst)), (1, 1));
}

#[tokio::test]
async fn one_endpoint_is_retried_after_a_backoff_that_honours_retry_after() {
    let limited = endpoint("/", |n, _, _| if n < 2 { Reply::Status(429, Some(1)) } else { Reply::Result(json!(9)) });
    let connection = connection(&[&limited]);
    let started = Instant::now();
    assert_eq!(connection.rpc.get_slot().await.expect("answers on the third try"), 9);
    assert!(started.elapsed() >= Duration::from_secs(2), "waited Retry-After (1 s) twice: {:?}", started.elapsed());
    assert_eq!(connection.stats(), LandingStats { rpc_errors: 2, rate_limited: 2, ..LandingStats::default() });
}

#[tokio::test]
async fn answers_are_not_failed_over_and_a_dead_cluster_gives_up_without_the_url() {
    let refusing = endpoint("/KEY", |_, _, _| Reply::Error(json!({"code": -32602, "message": "Invalid params"})));
    let other = endpoint("/", |_, _, _| Reply::Result(json!(1)));
    let connection = connection(&[&refusing, &other]);
    let error = connection.rpc.get_slot().await.expect_err("an error answer is the answer");
    assert!(error.to_string().contains("Invalid params"), "{error}");
    assert_eq!((other.requests.load(Ordering::SeqCst), connection.stats()), (0, LandingStats::default()));

    // nothing listens: every round fails, the error is a transport error without the API key
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/SECRET", closed.local_addr().unwrap());
    drop(closed);
    let connection = Connection::with_options(&[url], CommitmentConfig::confirmed(), options());
    let error = connection.rpc.get_slot().await.expect_err("nothing answers");
    assert!(endpoint_failure(&error) == Some(EndpointFailure::Transport), "{error:?}");
    assert!(!error.to_string().contains("SECRET"), "{error}");
    assert_eq!(connection.stats(), LandingStats { rpc_errors: ROUNDS as u64, ..LandingStats::default() });
}

// ------------------------------------------------------------------------------------
// The landing loop against a scripted cluster
// ------------------------------------------------------------------------------------

/// A cluster that gives out blockhash `n` valid to height `10 n + 5`, swallows the first
/// `swallow` transactions sent (answers with their signature, never lands them), and lands
/// any other one at once. The block height is `height`.
struct ScriptedCluster {
    height: AtomicU64,
    swallow: u32,
    sent: Mutex<Vec<(String, bool)>>, // (signature, preflight skipped)
    landed: Mutex<Vec<String>>,
    blockhashes: AtomicU32,
    /// Every transaction sent, as its wire bytes.
    wire: Mutex<Vec<Vec<u8>>>,
    /// The preflight refuses the n-th distinct transaction (1-based) with the program's
    /// first error; with `true`, the first transaction lands at that moment.
    refuse: Option<(u32, bool)>,
    /// A lying node: it answers the first transaction's preflight "blockhash not found" yet
    /// keeps it, and hands out older and older blockhashes.
    lying: bool,
}

impl ScriptedCluster {
    fn new(height: u64, swallow: u32) -> Arc<ScriptedCluster> {
        Arc::new(ScriptedCluster {
            height: AtomicU64::new(height),
            swallow,
            sent: Mutex::default(),
            landed: Mutex::default(),
            blockhashes: AtomicU32::new(0),
            wire: Mutex::default(),
            refuse: None,
            lying: false,
        })
    }

    /// At `height`, landing nothing by itself, and lying (the `lying` field).
    fn lying(height: u64) -> Arc<ScriptedCluster> {
        let cluster = Arc::into_inner(ScriptedCluster::new(height, u32::MAX)).expect("not shared yet");
        Arc::new(ScriptedCluster { lying: true, ..cluster })
    }

    fn refusing(height: u64, swallow: u32, nth: u32, first_lands: bool) -> Arc<ScriptedCluster> {
        let cluster = Arc::into_inner(ScriptedCluster::new(height, swallow)).expect("not shared yet");
        Arc::new(ScriptedCluster { refuse: Some((nth, first_lands)), ..cluster })
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn scripted(cluster: Arc<ScriptedCluster>) -> Endpoint {
    endpoint("/", move |_, method, params| {
        let context = json!({"slot": 1});
        match method {
            "getRecentPrioritizationFees" => Reply::Result(json!([{"slot": 1, "prioritizationFee": 0}, {"slot": 2, "prioritizationFee": 40}])),
            "getLatestBlockhash" => {
                let n = cluster.blockhashes.fetch_add(1, Ordering::SeqCst) + 1;
                let blockhash = solana_hash::Hash::new_from_array([n as u8; 32]).to_string();
                let last_valid = if cluster.lying { 30u64.saturating_sub(10 * u64::from(n)) } else { 10 * u64::from(n) + 5 };
                Reply::Result(json!({"context": context, "value": {"blockhash": blockhash, "lastValidBlockHeight": last_valid}}))
            }
            "getBlockHeight" => Reply::Result(json!(cluster.height.load(Ordering::SeqCst))),
            "sendTransaction" => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD.decode(params[0].as_str().unwrap()).unwrap();
                let signature = Signature::try_from(&bytes[1..65]).unwrap().to_string();
                let skipped = params[1]["skipPreflight"].as_bool().unwrap_or(false);
                let mut sent = cluster.sent.lock().unwrap();
                sent.push((signature.clone(), skipped));
                cluster.wire.lock().unwrap().push(bytes);
                let distinct = sent.iter().map(|(s, _)| s).collect::<std::collections::BTreeSet<_>>().len() as u32;
                if cluster.lying && distinct == 1 {
                    let data = json!({"err": "BlockhashNotFound", "logs": []});
                    return Reply::Error(json!({"code": -32002, "message": "Transaction simulation failed: Blockhash not found", "data": data}));
                }
                if let Some((nth, first_lands)) = cluster.refuse
                    && nth == distinct
                    && !skipped
                {
                    if first_lands {
                        cluster.landed.lock().unwrap().push(sent[0].0.clone());
                    }
                    let data = json!({"err": {"InstructionError": [0, {"Custom": 6000}]}, "logs": ["Program log: refused"]});
                    return Reply::Error(json!({"code": -32002, "message": "Transaction simulation failed", "data": data}));
                }
                if distinct > cluster.swallow {
                    let mut landed = cluster.landed.lock().unwrap();
                    if !landed.contains(&signature) {
                        landed.push(signature.clone());
                    }
                }
                Reply::Result(json!(signature))
            }
            "getSignatureStatuses" => {
                let landed = cluster.landed.lock().unwrap();
                let statuses: Vec<Value> = params[0]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        if landed.iter().any(|l| l == s.as_str().unwrap()) {
                            json!({"slot": 3, "confirmations": 1, "status": {"Ok": null}, "err": null, "confirmationStatus": "confirmed"})
                        } else {
                            Value::Null
                        }
                    })
                    .collect();
                Reply::Result(json!({"context": context, "value": statuses}))
            }
            other => Reply::Error(json!({"code": -32601, "message": format!("not scripted: {other}")})),
        }
    })
}

fn fast() -> LandingOptions {
    LandingOptions {
        compute_unit_price: ComputeUnitPrice::Auto { max: 100_000 },
        confirm_timeout: Duration::from_secs(20),
        rebroadcast_every: Duration::from_millis(200),
        max_resigns: 1,
    }
}

#[tokio::test]
async fn a_transaction_whose_blockhash_expires_unseen_is_rebroadcast_then_resigned_and_lands() {
    let cluster = ScriptedCluster::new(0, 1);
    let rpc = scripted(cluster.clone());
    let connection = Connection::with_options(std::slice::from_ref(&rpc.url), CommitmentConfig::confirmed(), fast());
    let payer = solana_keypair::Keypair::new();
    let instruction = crate::instructions::revoke_share(&solana_signer::Signer::pubkey(&payer), &Address::new_from_array([9; 32]));
    // the first blockhash (valid to 15) expires once the chain passes height 15
    let expiry = {
        let cluster = cluster.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            cluster.height.store(16, Ordering::SeqCst);
        })
    };
    let signature = connection.send(&payer, &[], std::slice::from_ref(&instruction)).await.expect("the re-signed transaction lands");
    expiry.await.unwrap();
    let sent = cluster.sent.lock().unwrap().clone();
    let first = &sent[0].0;
    assert_ne!(*first, signature.to_string(), "the signature that landed is the re-signed one");
    assert!(!sent[0].1, "the first broadcast is preflighted");
    let rebroadcasts = sent.iter().filter(|(s, skipped)| s == first && *skipped).count();
    assert!(rebroadcasts >= 1, "the swallowed transaction was broadcast again: {sent:?}");
    assert_eq!(*cluster.landed.lock().unwrap(), [signature.to_string()], "one transaction landed");
    let stats = connection.stats();
    assert_eq!((stats.sent, stats.resigned, stats.timeouts, stats.rpc_errors), (2, 1, 0, 0), "{stats:?}");
    assert_eq!(stats.rebroadcasts, rebroadcasts as u64);
    // the priority fee came from the recent fees (40) and the limit from the table
    use solana_compute_budget_interface::ComputeBudgetInstruction;
    let limit = ComputeBudgetInstruction::set_compute_unit_limit(compute::compute_unit_limit(&[instruction])).data;
    let price = ComputeBudgetInstruction::set_compute_unit_price(40).data;
    for bytes in cluster.wire.lock().unwrap().iter() {
        assert!(contains(bytes, &limit) && contains(bytes, &price) && contains(bytes, solana_sdk_ids::compute_budget::ID.as_ref()));
    }
    let methods = rpc.methods.lock().unwrap().clone();
    assert_eq!(methods.iter().filter(|m| *m == "getRecentPrioritizationFees").count(), 2, "asked at each signing");
}

#[tokio::test]
async fn a_transaction_never_seen_times_out_with_its_signature() {
    let cluster = ScriptedCluster::new(0, u32::MAX);
    let rpc = scripted(cluster.clone());
    let options = LandingOptions { confirm_timeout: Duration::from_secs(3), compute_unit_price: ComputeUnitPrice::Fixed(5), ..fast() };
    let connection = Connection::with_options(std::slice::from_ref(&rpc.url), CommitmentConfig::confirmed(), options);
    let payer = solana_keypair::Keypair::new();
    let instruction = crate::instructions::revoke_share(&solana_signer::Signer::pubkey(&payer), &Address::new_from_array([9; 32]));
    let error = connection.send(&payer, &[], &[instruction]).await.expect_err("never lands");
    let sent = cluster.sent.lock().unwrap().clone();
    assert!(matches!(error, TxError::Timeout { signature } if signature.to_string() == sent[0].0), "{error:?}");
    let stats = connection.stats();
    assert_eq!((stats.sent, stats.resigned, stats.timeouts), (1, 0, 1), "{stats:?}");
    assert!(stats.rebroadcasts >= 1, "{stats:?}");
    assert_eq!(sent.iter().filter(|(_, skipped)| *skipped).count() as u64, stats.rebroadcasts, "re-broadcasts skip preflight");
    assert!(!rpc.methods.lock().unwrap().iter().any(|m| m == "getRecentPrioritizationFees"), "a fixed price asks nobody");
}

#[tokio::test]
async fn an_expired_transaction_with_no_resign_left_is_a_transient_blockhash_error() {
    let cluster = ScriptedCluster::new(100, u32::MAX);
    let rpc = scripted(cluster.clone());
    let options = LandingOptions { max_resigns: 0, ..fast() };
    let connection = Connection::with_options(std::slice::from_ref(&rpc.url), CommitmentConfig::confirmed(), options);
    let payer = solana_keypair::Keypair::new();
    let instruction = crate::instructions::revoke_share(&solana_signer::Signer::pubkey(&payer), &Address::new_from_array([9; 32]));
    let error = connection.send(&payer, &[], &[instruction]).await.expect_err("expired");
    assert!(matches!(error, TxError::Transaction { error: TransactionError::BlockhashNotFound, .. }), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(connection.stats().resigned, 0);
}

#[tokio::test]
async fn a_preflight_refusal_comes_back_as_the_programs_named_error_with_its_logs() {
    let cluster = ScriptedCluster::refusing(0, 0, 1, false);
    let rpc = scripted(cluster.clone());
    let connection = Connection::with_options(std::slice::from_ref(&rpc.url), CommitmentConfig::confirmed(), fast());
    let payer = solana_keypair::Keypair::new();
    let instruction = crate::instructions::revoke_share(&solana_signer::Signer::pubkey(&payer), &Address::new_from_array([9; 32]));
    let error = connection.send(&payer, &[], &[instruction]).await.expect_err("refused");
    assert_eq!(error.program_error(), crate::errors::describe(6000).map(|(name, _)| name));
    assert!(matches!(&error, TxError::Program { logs, .. } if logs == &["Program log: refused"]), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(connection.stats(), LandingStats::default(), "nothing was sent");
}

#[tokio::test]
async fn a_resigned_transaction_refused_because_the_first_landed_late_returns_the_first() {
    // the first is swallowed until its (scripted) expiry; the re-signed one is refused at
    // preflight because the first landed at that very moment
    let cluster = ScriptedCluster::refusing(0, 1, 2, true);
    let rpc = scripted(cluster.clone());
    let connection = Connection::with_options(std::slice::from_ref(&rpc.url), CommitmentConfig::confirmed(), fast());
    let payer = solana_keypair::Keypair::new();
    let instruction = crate::instructions::revoke_share(&solana_signer::Signer::pubkey(&payer), &Address::new_from_array([9; 32]));
    let expiry = {
        let cluster = cluster.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            cluster.height.store(16, Ordering::SeqCst);
        })
    };
    let signature = connection.send(&payer, &[], &[instruction]).await.expect("the first signing landed");
    expiry.await.unwrap();
    let sent = cluster.sent.lock().unwrap().clone();
    assert_eq!(signature.to_string(), sent[0].0, "the signature returned is the one that landed");
    assert_eq!(connection.stats().resigned, 1);
}

#[tokio::test]
async fn a_signing_refused_at_preflight_is_watched_until_every_blockhash_expired() {
    // the node says "blockhash not found" for the first signing yet holds it, then gives an
    // older blockhash (valid to height 10, the first to 20) at height 15: the first can still
    // land, so the send must not give up with a retryable error (a retried `share` would
    // make a second request); it lands when the node lets the first through
    let cluster = ScriptedCluster::lying(15);
    let rpc = scripted(cluster.clone());
    let connection = Connection::with_options(std::slice::from_ref(&rpc.url), CommitmentConfig::confirmed(), fast());
    let payer = solana_keypair::Keypair::new();
    let instruction = crate::instructions::revoke_share(&solana_signer::Signer::pubkey(&payer), &Address::new_from_array([9; 32]));
    let held = {
        let cluster = cluster.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let first = cluster.sent.lock().unwrap()[0].0.clone();
            cluster.landed.lock().unwrap().push(first);
        })
    };
    let signature = connection.send(&payer, &[], &[instruction]).await.expect("the held signing landed");
    held.await.unwrap();
    assert_eq!(signature.to_string(), cluster.sent.lock().unwrap()[0].0, "the refused-at-preflight signing is the one that landed");
    assert_eq!(connection.stats().resigned, 1);
}

#[tokio::test]
async fn a_send_that_may_be_out_gives_up_with_a_signature_not_a_retryable_error() {
    // the same lie, but nothing ever lands: the watch lasts until every blockhash expired
    let cluster = ScriptedCluster::lying(15);
    let rpc = scripted(cluster.clone());
    let options = LandingOptions { confirm_timeout: Duration::from_secs(2), ..fast() };
    let connection = Connection::with_options(std::slice::from_ref(&rpc.url), CommitmentConfig::confirmed(), options);
    let payer = solana_keypair::Keypair::new();
    let instruction = crate::instructions::revoke_share(&solana_signer::Signer::pubkey(&payer), &Address::new_from_array([9; 32]));
    let error = connection.send(&payer, &[], &[instruction]).await.expect_err("never lands");
    assert!(matches!(error, TxError::Timeout { .. }), "{error:?}");
    assert!(!error.is_transient());
    // once the height passes the first signing's blockhash too, it is a plain expiry
    cluster.height.store(21, Ordering::SeqCst);
    let instruction = crate::instructions::revoke_share(&solana_signer::Signer::pubkey(&payer), &Address::new_from_array([8; 32]));
    let expired = connection.send(&payer, &[], &[instruction]).await.expect_err("expired");
    assert!(matches!(expired, TxError::Transaction { error: TransactionError::BlockhashNotFound, .. } | TxError::Timeout { .. }), "{expired:?}");
}
