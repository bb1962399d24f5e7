//! A fault-injecting JSON-RPC proxy: real TCP, real HTTP/1.1 (keep-alive, any number of
//! concurrent connections, as the Solana `RpcClient`'s reqwest pool opens them). It stands
//! between one `mpc-node` (its `rpc_url`) and the validator, and the test decides at run
//! time what a flaky RPC provider does to that node:
//!
//! - [`RpcProxy::rate_limit_next`] / [`RpcProxy::rate_limit_method`]: HTTP 429 with
//!   `Retry-After`, as public providers answer when a plan's rate is exceeded;
//! - [`RpcProxy::set_latency`]: every request waits before it is handled;
//! - [`RpcProxy::reset_next`] / [`RpcProxy::reset_every_request`]: the connection is reset
//!   (RST) after the request was read, without an answer;
//! - [`RpcProxy::serve_stale_reads`]: `getAccountInfo`, `getMultipleAccounts` and
//!   `getProgramAccounts` are answered with the response recorded for the same request
//!   before staleness began (a load-balanced provider whose node lags behind);
//! - [`RpcProxy::swallow_sends`]: `sendTransaction` is answered with the transaction's
//!   signature but never forwarded (nor are its re-broadcasts): it cannot land;
//! - [`RpcProxy::shorten_blockhashes`]: `getLatestBlockhash`'s `lastValidBlockHeight` is
//!   rewritten to a height a few blocks ahead, so the sender believes its blockhash expires
//!   soon and must re-sign;
//! - [`RpcProxy::cut`]: the link is down: open connections are reset and new ones reset as
//!   soon as they are accepted, until [`RpcProxy::restore`];
//! - [`RpcProxy::half_open`]: every request is read and then held: never answered, its
//!   connection never closed by the proxy (a provider or middlebox that hangs);
//! - [`RpcProxy::catching_up`]: the RPC node is behind (a validator replaying its ledger
//!   after a restart): `getHealth` answers `-32005 Node is behind by N slots` and
//!   `getAccountInfo` finds no account;
//! - [`RpcProxy::withhold_answers`]: requests of a method are forwarded to the validator but
//!   their answer is withheld the same way (a `sendTransaction` that reached the validator
//!   while its sender never learns so).
//!
//! It counts what it forwarded per method and per `sendTransaction` signature
//! ([`RpcProxy::tally`]), so a test can assert what reached the validator.
//!
//! Each upstream exchange uses its own short-lived connection (`Connection: close`): the
//! proxy's own pooling could hide the faults it injects, and on loopback a connection costs
//! nothing measurable.

use serde_json::{Value, json};
use solana_signature::Signature;
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::{self, BufRead, BufReader, Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

/// The read methods [`RpcProxy::serve_stale_reads`] answers from its recording.
pub const STALE_READ_METHODS: [&str; 3] = ["getAccountInfo", "getMultipleAccounts", "getProgramAccounts"];

/// The largest request or response body the proxy accepts (a `getProgramAccounts` answer
/// of a test deployment is far below it).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The longest header line the proxy reads.
const MAX_LINE: usize = 16 * 1024;

/// How long the proxy waits for the validator's answer (a debug validator under load can be
/// slow; a hung upstream must still not hang the test forever).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// What the proxy did so far, by JSON-RPC method (a batch request counts as `batch`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests received (whatever became of them).
    pub requests: u64,
    /// Client connections accepted.
    pub connections: u64,
    /// Requests forwarded to the validator, by method.
    pub forwarded: BTreeMap<String, u64>,
    /// Requests answered with HTTP 429, by method.
    pub rate_limited: BTreeMap<String, u64>,
    /// Requests whose connection was reset instead of answered, by method.
    pub resets: BTreeMap<String, u64>,
    /// Reads answered from the recording instead of the validator, by method.
    pub stale: BTreeMap<String, u64>,
    /// `sendTransaction` calls forwarded to the validator, by transaction signature (base58).
    pub sends_forwarded: BTreeMap<String, u64>,
    /// `sendTransaction` calls answered but not forwarded, by transaction signature.
    pub sends_swallowed: BTreeMap<String, u64>,
    /// `getLatestBlockhash` answers whose `lastValidBlockHeight` was shortened.
    pub blockhashes_shortened: u64,
    /// Connections reset as they were accepted while the link was cut.
    pub refused_connections: u64,
    /// Requests held without an answer (half-open, or answer withheld), by method.
    pub held: BTreeMap<String, u64>,
    /// Requests answered as a node that is behind answers them, by method.
    pub behind: BTreeMap<String, u64>,
}

impl Tally {
    /// Requests of `method` forwarded to the validator.
    pub fn forwarded(&self, method: &str) -> u64 {
        self.forwarded.get(method).copied().unwrap_or(0)
    }

    /// Requests answered with 429, every method.
    pub fn rate_limited_total(&self) -> u64 {
        self.rate_limited.values().sum()
    }

    /// Connections reset, every method.
    pub fn resets_total(&self) -> u64 {
        self.resets.values().sum()
    }

    /// Reads answered stale, every method.
    pub fn stale_total(&self) -> u64 {
        self.stale.values().sum()
    }

    /// How many `sendTransaction` calls for `signature` reached the validator.
    pub fn sends_forwarded_of(&self, signature: &Signature) -> u64 {
        self.sends_forwarded.get(&signature.to_string()).copied().unwrap_or(0)
    }

    /// The signatures whose `sendTransaction` calls were swallowed, in base58 order.
    pub fn swallowed_signatures(&self) -> Vec<Signature> {
        self.sends_swallowed.keys().map(|s| s.parse().expect("the proxy stores base58 signatures")).collect()
    }

    /// Requests held without an answer, every method.
    pub fn held_total(&self) -> u64 {
        self.held.values().sum()
    }
}

/// Which requests a fault budget applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Scope {
    Any,
    Method(String),
}

/// The faults in force; every budget counts down as requests consume it.
#[derive(Default)]
struct Faults {
    /// Requests still to answer with 429, per scope.
    rate_limits: HashMap<Scope, u64>,
    /// The `Retry-After` seconds a 429 carries.
    retry_after_seconds: u64,
    /// Requests still to reset, per scope.
    resets: HashMap<Scope, u64>,
    /// Reset every request whatever the budgets say (a dead primary).
    reset_always: bool,
    /// Added before each request is handled.
    latency: Duration,
    /// Reads answered from `recorded` while set.
    stale: bool,
    /// New transaction signatures still to swallow.
    swallow_budget: u64,
    /// Signatures being swallowed, re-broadcasts included.
    swallowing: HashSet<String>,
    /// `getLatestBlockhash` answers still to shorten, and by how many blocks from now.
    shorten_budget: u64,
    shorten_to_blocks_ahead: u64,
    /// The link is down: every connection is reset.
    cut: bool,
    /// Every request is read and held without an answer.
    half_open: bool,
    /// Requests still to forward and then hold without an answer, per scope.
    withhold: HashMap<Scope, u64>,
    /// The node is this many slots behind: unhealthy, and it sees no accounts yet.
    behind_by: Option<u64>,
}

struct Shared {
    upstream: SocketAddr,
    faults: Mutex<Faults>,
    tally: Mutex<Tally>,
    /// The latest successful answer of each read (`method` and `params` as JSON), recorded
    /// while reads are fresh.
    recorded: Mutex<HashMap<String, Value>>,
    /// Open client connections (clones), so that dropping the proxy closes them.
    connections: Mutex<HashMap<u64, TcpStream>>,
    next_connection: AtomicU64,
    stopped: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // a panicking connection thread must not take the whole proxy with it
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The proxy. Its threads stop, and its client connections close, when it is dropped.
pub struct RpcProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl RpcProxy {
    /// Listens on a free loopback port and forwards to the JSON-RPC server at `upstream`.
    pub fn start(upstream: SocketAddr) -> RpcProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the RPC proxy");
        let addr = listener.local_addr().expect("RPC proxy address");
        let shared = Arc::new(Shared {
            upstream,
            faults: Mutex::new(Faults { retry_after_seconds: 1, ..Faults::default() }),
            tally: Mutex::new(Tally::default()),
            recorded: Mutex::new(HashMap::new()),
            connections: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("rpc-proxy-{}", addr.port()))
            .spawn(move || {
                for client in listener.incoming() {
                    if accepting.stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    if lock(&accepting.faults).cut {
                        lock(&accepting.tally).refused_connections += 1;
                        reset(client);
                        continue;
                    }
                    let id = accepting.next_connection.fetch_add(1, Ordering::SeqCst);
                    if let Ok(copy) = client.try_clone() {
                        lock(&accepting.connections).insert(id, copy);
                    }
                    lock(&accepting.tally).connections += 1;
                    let serving = Arc::clone(&accepting);
                    let spawned = std::thread::Builder::new().name(format!("rpc-proxy-conn-{id}")).spawn(move || {
                        serve_connection(&serving, id, client);
                        lock(&serving.connections).remove(&id);
                    });
                    if spawned.is_err() {
                        lock(&accepting.connections).remove(&id);
                    }
                }
            })
            .expect("spawn the RPC proxy");
        RpcProxy { addr, shared }
    }

    /// Forwards to `url` (`http://host:port`, as `TestValidator::rpc_url` gives it).
    pub fn to_url(url: &str) -> RpcProxy {
        let authority = url.trim_start_matches("http://").trim_end_matches('/');
        let upstream = authority.parse().unwrap_or_else(|e| panic!("`{url}` is not http://<ip>:<port>: {e}"));
        RpcProxy::start(upstream)
    }

    /// The URL a client uses.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A snapshot of what the proxy did so far.
    pub fn tally(&self) -> Tally {
        lock(&self.shared.tally).clone()
    }

    /// Answers the next `requests` requests, whatever their method, with HTTP 429.
    pub fn rate_limit_next(&self, requests: u64) {
        *lock(&self.shared.faults).rate_limits.entry(Scope::Any).or_default() += requests;
    }

    /// Answers the next `requests` requests of `method` with HTTP 429 (`u64::MAX`: until
    /// [`RpcProxy::clear_rate_limits`]).
    pub fn rate_limit_method(&self, method: &str, requests: u64) {
        let mut faults = lock(&self.shared.faults);
        let budget = faults.rate_limits.entry(Scope::Method(method.to_owned())).or_default();
        *budget = budget.saturating_add(requests);
    }

    /// Ends every rate limit still in force.
    pub fn clear_rate_limits(&self) {
        lock(&self.shared.faults).rate_limits.clear();
    }

    /// The `Retry-After` (seconds) the 429 answers carry; 1 unless set.
    pub fn set_retry_after(&self, seconds: u64) {
        lock(&self.shared.faults).retry_after_seconds = seconds;
    }

    /// Every request waits `latency` before it is handled (zero: no added latency).
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.shared.faults).latency = latency;
    }

    /// Resets the connection of the next `requests` requests (whatever their method) once
    /// each was read, without answering it.
    pub fn reset_next(&self, requests: u64) {
        *lock(&self.shared.faults).resets.entry(Scope::Any).or_default() += requests;
    }

    /// Resets the connection of the next `requests` requests of `method`.
    pub fn reset_method(&self, method: &str, requests: u64) {
        *lock(&self.shared.faults).resets.entry(Scope::Method(method.to_owned())).or_default() += requests;
    }

    /// While `on`, every request's connection is reset: an endpoint that is down.
    pub fn reset_every_request(&self, on: bool) {
        lock(&self.shared.faults).reset_always = on;
    }

    /// While `on`, the reads in [`STALE_READ_METHODS`] are answered with the response the
    /// validator gave to the same request (same method and params) last before staleness
    /// began; a read never answered before is forwarded (and not recorded). Params are
    /// compared exactly, so a read that asks for a newer `minContextSlot` than any recorded
    /// one is forwarded (a lagging provider would refuse it, "minimum context slot has not
    /// been reached"; either way such a client is not served stale data). Turning it off
    /// makes reads fresh, and recorded, again.
    pub fn serve_stale_reads(&self, on: bool) {
        lock(&self.shared.faults).stale = on;
    }

    /// The next `signatures` distinct transactions sent are answered with their signature
    /// and never forwarded, re-broadcasts of them included, until [`RpcProxy::heal`]: they
    /// cannot land, so the sender must re-sign.
    pub fn swallow_sends(&self, signatures: u64) {
        lock(&self.shared.faults).swallow_budget += signatures;
    }

    /// The next `answers` `getLatestBlockhash` answers get `lastValidBlockHeight` = the
    /// validator's block height (at the request's commitment) + `blocks_ahead` (never later
    /// than the real one).
    pub fn shorten_blockhashes(&self, answers: u64, blocks_ahead: u64) {
        let mut faults = lock(&self.shared.faults);
        faults.shorten_budget += answers;
        faults.shorten_to_blocks_ahead = blocks_ahead;
    }

    /// Cuts the link: every open client connection is reset, and every new one is reset as
    /// soon as it is accepted, until [`RpcProxy::restore`] (or [`RpcProxy::heal`]).
    pub fn cut(&self) {
        lock(&self.shared.faults).cut = true;
        for (_, connection) in lock(&self.shared.connections).drain() {
            // (its serving thread holds another handle: shut the socket down, not just a handle)
            let _ = connection.shutdown(Shutdown::Both);
        }
    }

    /// Ends a [`RpcProxy::cut`] or [`RpcProxy::half_open`]: requests are served again.
    /// (Connections already held stay held: the client has to give up on them.)
    pub fn restore(&self) {
        let mut faults = lock(&self.shared.faults);
        faults.cut = false;
        faults.half_open = false;
    }

    /// While `on`, every request is read and then held: no answer, and the proxy never
    /// closes the connection (it keeps reading it until the client closes it).
    pub fn half_open(&self, on: bool) {
        lock(&self.shared.faults).half_open = on;
    }

    /// The next `requests` requests of `method` are forwarded to the validator, and the
    /// validator's answer is then withheld as [`RpcProxy::half_open`] holds a request.
    pub fn withhold_answers(&self, method: &str, requests: u64) {
        *lock(&self.shared.faults).withhold.entry(Scope::Method(method.to_owned())).or_default() += requests;
    }

    /// While `Some(slots)`, the RPC node is `slots` behind the cluster, as a validator
    /// replaying its ledger is: `getHealth` answers error `-32005` "Node is behind by
    /// `slots` slots" (agave's `RpcCustomError::NodeUnhealthy`) and `getAccountInfo` answers
    /// that no account exists. `None` ends it.
    pub fn catching_up(&self, behind_by: Option<u64>) {
        lock(&self.shared.faults).behind_by = behind_by;
    }

    /// Ends every fault: no rate limit, latency, reset, staleness, swallowing, shortening,
    /// cut, half-open connection, withheld answer or lag. (The tally is kept.)
    pub fn heal(&self) {
        let mut faults = lock(&self.shared.faults);
        *faults = Faults { retry_after_seconds: faults.retry_after_seconds, ..Faults::default() };
    }
}

impl Drop for RpcProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // wakes the accept loop so that it sees `stopped`
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        for (_, connection) in lock(&self.shared.connections).drain() {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }
}

/// One HTTP message as read off a connection.
struct Message {
    /// The request line or status line.
    start: String,
    /// Header names lower-cased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the peer asked to close after this message.
    fn wants_close(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) || self.start.ends_with("HTTP/1.0")
    }
}

/// Reads one line (without its CRLF); `None` at end of stream before any byte.
fn read_line(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let read = reader.by_ref().take(MAX_LINE as u64).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "HTTP line too long or cut"));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    String::from_utf8(line).map(Some).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "HTTP line not UTF-8"))
}

/// Reads one HTTP/1.x message: start line, headers, and a body framed by `Content-Length`,
/// chunked transfer coding, or (`body_to_eof`: a response without either) the end of the
/// stream. `None`: the stream ended cleanly before a message began.
fn read_message(reader: &mut impl BufRead, body_to_eof: bool) -> io::Result<Option<Message>> {
    let start = loop {
        match read_line(reader)? {
            None => return Ok(None),
            // a stray empty line between keep-alive messages is allowed (RFC 9112 §2.2)
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "headers cut"))?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad header line `{line}`")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut message = Message { start, headers, body: Vec::new() };
    if message.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        message.body = read_chunked(reader)?;
    } else if let Some(length) = message.header("content-length") {
        let length: usize = length.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad Content-Length `{length}`")))?;
        if length > MAX_BODY {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("body of {length} bytes is too large")));
        }
        message.body = vec![0; length];
        reader.read_exact(&mut message.body)?;
    } else if body_to_eof {
        reader.take(MAX_BODY as u64).read_to_end(&mut message.body)?;
    }
    Ok(Some(message))
}

/// A chunked body (RFC 9112 §7.1), trailers skipped.
fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "chunk size cut"))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad chunk size `{line}`")))?;
        if size == 0 {
            while read_line(reader)?.is_some_and(|trailer| !trailer.is_empty()) {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "chunked body too large"));
        }
        let at = body.len();
        body.resize(at + size, 0);
        reader.read_exact(&mut body[at..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
    }
}

/// Writes one HTTP/1.1 response with a JSON body.
fn respond(mut stream: &TcpStream, status: u16, reason: &str, extra_headers: &[(&str, String)], body: &[u8], close: bool) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    stream.flush()
}

/// Resets the connection: SO_LINGER 0, then close, so the peer reads ECONNRESET (not a
/// clean end of stream). The caller drops every other handle of the socket first.
fn reset(stream: TcpStream) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        #[repr(C)]
        struct Linger {
            l_onoff: std::ffi::c_int,
            l_linger: std::ffi::c_int,
        }
        unsafe extern "C" {
            fn setsockopt(socket: std::ffi::c_int, level: std::ffi::c_int, name: std::ffi::c_int, value: *const std::ffi::c_void, len: u32) -> std::ffi::c_int;
        }
        // <asm-generic/socket.h>, the same on x86_64 and aarch64
        const SOL_SOCKET: std::ffi::c_int = 1;
        const SO_LINGER: std::ffi::c_int = 13;
        let linger = Linger { l_onoff: 1, l_linger: 0 };
        // SAFETY: the descriptor is the live socket `stream` owns, and `value` points to a
        // `struct linger` of exactly `len` bytes for the duration of the call.
        unsafe {
            setsockopt(stream.as_raw_fd(), SOL_SOCKET, SO_LINGER, (&linger as *const Linger).cast(), std::mem::size_of::<Linger>() as u32);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream.shutdown(Shutdown::Both);
    drop(stream);
}

/// What to do with one request.
enum Outcome {
    /// Send this response and keep serving the connection (unless the client asked to close).
    Respond { status: u16, reason: &'static str, headers: Vec<(&'static str, String)>, body: Vec<u8> },
    /// Reset the connection without answering.
    Reset,
    /// Never answer and never close: read the connection until the client closes it.
    Hold,
}

fn serve_connection(shared: &Shared, id: u64, stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    loop {
        let request = match read_message(&mut reader, false) {
            Ok(Some(request)) => request,
            // the client closed its side, or sent something that is not HTTP: hang up
            Ok(None) | Err(_) => return,
        };
        let close = request.wants_close();
        match handle(shared, &request) {
            Outcome::Reset => {
                drop(reader);
                // the registry's handle too, else the socket outlives this close
                drop(lock(&shared.connections).remove(&id));
                reset(stream);
                return;
            }
            Outcome::Hold => {
                // whatever else the client sends is read and dropped; it gets nothing back
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
                return;
            }
            Outcome::Respond { status, reason, headers, body } => {
                if respond(&stream, status, reason, &headers, &body, close).is_err() || close {
                    return;
                }
            }
        }
    }
}

/// The JSON-RPC method of a request body: `batch` for an array, `invalid` for what is not a
/// JSON-RPC call.
fn method_of(call: &Value) -> String {
    match call {
        Value::Array(_) => "batch".to_owned(),
        Value::Object(object) => object.get("method").and_then(Value::as_str).unwrap_or("invalid").to_owned(),
        _ => "invalid".to_owned(),
    }
}

/// Takes one request from the budget of `scope`s matching `method`, if any is left.
fn take_budget(budgets: &mut HashMap<Scope, u64>, method: &str) -> bool {
    for scope in [Scope::Method(method.to_owned()), Scope::Any] {
        if let Some(left) = budgets.get_mut(&scope)
            && *left > 0
        {
            *left -= 1;
            if *left == 0 {
                budgets.remove(&scope);
            }
            return true;
        }
    }
    false
}

fn json_response(body: &Value) -> Outcome {
    Outcome::Respond { status: 200, reason: "OK", headers: Vec::new(), body: body.to_string().into_bytes() }
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_owned()).or_default() += 1;
}

fn handle(shared: &Shared, request: &Message) -> Outcome {
    let call: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let method = method_of(&call);
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    lock(&shared.tally).requests += 1;
    let latency = lock(&shared.faults).latency;
    if !latency.is_zero() {
        std::thread::sleep(latency);
    }
    // one decision per request, under one lock, so concurrent requests share a budget exactly
    let (stale, signature_fault, withhold) = {
        let mut faults = lock(&shared.faults);
        if faults.cut {
            drop(faults);
            bump(&mut lock(&shared.tally).resets, &method);
            return Outcome::Reset;
        }
        if faults.half_open {
            drop(faults);
            bump(&mut lock(&shared.tally).held, &method);
            return Outcome::Hold;
        }
        if faults.reset_always || take_budget(&mut faults.resets, &method) {
            drop(faults);
            bump(&mut lock(&shared.tally).resets, &method);
            return Outcome::Reset;
        }
        if take_budget(&mut faults.rate_limits, &method) {
            let retry_after = faults.retry_after_seconds;
            drop(faults);
            bump(&mut lock(&shared.tally).rate_limited, &method);
            let body = json!({"jsonrpc": "2.0", "error": {"code": 429, "message": "Too many requests for a specific RPC call"}, "id": id});
            return Outcome::Respond {
                status: 429,
                reason: "Too Many Requests",
                headers: vec![("Retry-After", retry_after.to_string())],
                body: body.to_string().into_bytes(),
            };
        }
        if let Some(slots) = faults.behind_by {
            let answer = match method.as_str() {
                "getHealth" => Some(
                    json!({"jsonrpc": "2.0", "error": {"code": -32005, "message": format!("Node is behind by {slots} slots"), "data": {"numSlotsBehind": slots}}, "id": id}),
                ),
                "getAccountInfo" => Some(json!({"jsonrpc": "2.0", "result": {"context": {"slot": 0}, "value": null}, "id": id})),
                _ => None,
            };
            if let Some(answer) = answer {
                drop(faults);
                bump(&mut lock(&shared.tally).behind, &method);
                return json_response(&answer);
            }
        }
        let signature_fault = if method == "sendTransaction" {
            transaction_signature(&call).map(|signature| {
                let key = signature.to_string();
                let swallow = faults.swallowing.contains(&key)
                    || (faults.swallow_budget > 0 && {
                        faults.swallow_budget -= 1;
                        faults.swallowing.insert(key.clone());
                        true
                    });
                (key, swallow)
            })
        } else {
            None
        };
        let withhold = take_budget(&mut faults.withhold, &method);
        (faults.stale && STALE_READ_METHODS.contains(&method.as_str()), signature_fault, withhold)
    };
    if let Some((signature, true)) = &signature_fault {
        bump(&mut lock(&shared.tally).sends_swallowed, signature);
        return json_response(&json!({"jsonrpc": "2.0", "result": signature, "id": id}));
    }
    let read_key = STALE_READ_METHODS.contains(&method.as_str()).then(|| format!("{method} {}", call.get("params").unwrap_or(&Value::Null)));
    if stale && let Some(key) = &read_key {
        let recorded = lock(&shared.recorded).get(key).cloned();
        if let Some(mut answer) = recorded {
            answer["id"] = id;
            bump(&mut lock(&shared.tally).stale, &method);
            return json_response(&answer);
        }
    }
    let (status, mut body) = match forward(shared.upstream, &request.body) {
        Ok(answer) => answer,
        Err(error) => {
            let body = json!({"jsonrpc": "2.0", "error": {"code": -32000, "message": format!("RPC proxy: upstream failed: {error}")}, "id": id});
            return Outcome::Respond { status: 502, reason: "Bad Gateway", headers: Vec::new(), body: body.to_string().into_bytes() };
        }
    };
    {
        let mut tally = lock(&shared.tally);
        bump(&mut tally.forwarded, &method);
        if let Some((signature, false)) = &signature_fault {
            bump(&mut tally.sends_forwarded, signature);
        }
        if withhold {
            bump(&mut tally.held, &method);
        }
    }
    if withhold {
        return Outcome::Hold;
    }
    let answer: Option<Value> = (status == 200).then(|| serde_json::from_slice(&body).ok()).flatten();
    if let (Some(key), Some(answer), false) = (&read_key, &answer, stale)
        && answer.get("result").is_some()
    {
        lock(&shared.recorded).insert(key.clone(), answer.clone());
    }
    if method == "getLatestBlockhash"
        && let Some(mut answer) = answer
        && answer.pointer("/result/value/lastValidBlockHeight").is_some()
    {
        let blocks_ahead = {
            let mut faults = lock(&shared.faults);
            (faults.shorten_budget > 0).then(|| {
                faults.shorten_budget -= 1;
                faults.shorten_to_blocks_ahead
            })
        };
        if let Some(blocks_ahead) = blocks_ahead
            && let Some(height) = block_height(shared.upstream, call.pointer("/params/0"))
        {
            let real = answer["result"]["value"]["lastValidBlockHeight"].as_u64().unwrap_or(u64::MAX);
            answer["result"]["value"]["lastValidBlockHeight"] = json!(real.min(height + blocks_ahead));
            lock(&shared.tally).blockhashes_shortened += 1;
            body = answer.to_string().into_bytes();
        }
    }
    let reason = if status == 200 { "OK" } else { "Upstream" };
    Outcome::Respond { status, reason, headers: Vec::new(), body }
}

/// One exchange with the validator on a new connection: its status and body.
fn forward(upstream: SocketAddr, body: &[u8]) -> io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect_timeout(&upstream, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(UPSTREAM_TIMEOUT))?;
    let head = format!("POST / HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    let mut reader = BufReader::new(&stream);
    let response = read_message(&mut reader, true)?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the upstream closed without answering"))?;
    let status = response
        .start
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad status line `{}`", response.start)))?;
    Ok((status, response.body))
}

/// The validator's block height at the commitment of `config` (a `getLatestBlockhash`
/// config object), asked by the proxy itself.
fn block_height(upstream: SocketAddr, config: Option<&Value>) -> Option<u64> {
    let commitment = config.and_then(|c| c.get("commitment")).cloned().unwrap_or(json!("finalized"));
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "getBlockHeight", "params": [{"commitment": commitment}]});
    let (status, body) = forward(upstream, call.to_string().as_bytes()).ok()?;
    let answer: Value = serde_json::from_slice(&body).ok()?;
    (status == 200).then(|| answer["result"].as_u64()).flatten()
}

/// The first signature of the transaction in a `sendTransaction` call (base64, or base58
/// when the config names no encoding, as the JSON-RPC API defaults), if it decodes.
fn transaction_signature(call: &Value) -> Option<Signature> {
    let wire = call.pointer("/params/0")?.as_str()?;
    let encoding = call.pointer("/params/1/encoding").and_then(Value::as_str).unwrap_or("base58");
    let bytes = match encoding {
        "base64" => base64_decode(wire)?,
        "base58" => base58_decode(wire)?,
        _ => return None,
    };
    // a transaction begins with its signature count (compact-u16), then the signatures
    let (count, at) = compact_u16(&bytes)?;
    if count == 0 {
        return None;
    }
    let first: [u8; 64] = bytes.get(at..at + 64)?.try_into().ok()?;
    Some(Signature::from(first))
}

/// A compact-u16 ("shortvec") length and the offset after it.
fn compact_u16(bytes: &[u8]) -> Option<(u16, usize)> {
    let mut value: u32 = 0;
    for (i, byte) in bytes.iter().take(3).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u16::try_from(value).ok().map(|v| (v, i + 1));
        }
    }
    None
}

/// Standard base64 with optional padding; `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let text = text.trim_end_matches('=').as_bytes();
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let mut bits = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            bits |= sextet(*c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// Bitcoin-alphabet base58; `None` on any other character.
fn base58_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let leading_zeros = text.bytes().take_while(|&c| c == b'1').count();
    // little-endian base-256 digits of the number
    let mut number: Vec<u8> = Vec::new();
    for c in text.bytes() {
        let mut carry = ALPHABET.iter().position(|&a| a == c)? as u32;
        for digit in &mut number {
            carry += u32::from(*digit) * 58;
            *digit = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            number.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; leading_zeros];
    out.extend(number.iter().rev());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// A JSON-RPC server standing in for the validator where a test needs exact control of
    /// the answers: `getBlockHeight` is 1000, `getLatestBlockhash` is valid until 1150,
    /// `getAccountInfo` answers with a counter that grows on every call (so a fresh answer
    /// differs from a recorded one), `sendTransaction` echoes the signature it was given,
    /// and odd-numbered answers use chunked transfer coding (as hyper may).
    struct Upstream {
        addr: SocketAddr,
        calls: Arc<AtomicU64>,
    }

    impl Upstream {
        fn start() -> Upstream {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("address");
            let calls = Arc::new(AtomicU64::new(0));
            let counting = Arc::clone(&calls);
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let calls = Arc::clone(&counting);
                    std::thread::spawn(move || {
                        let mut reader = BufReader::new(&stream);
                        while let Ok(Some(request)) = read_message(&mut reader, false) {
                            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                            let Ok(call) = serde_json::from_slice::<Value>(&request.body) else {
                                let body = json!({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}).to_string();
                                let _ = write!(&stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                                continue;
                            };
                            let result = match call["method"].as_str().unwrap_or("none") {
                                "getBlockHeight" => json!(1000),
                                "getLatestBlockhash" => {
                                    json!({"context": {"slot": 7}, "value": {"blockhash": "11111111111111111111111111111111", "lastValidBlockHeight": 1150}})
                                }
                                "getAccountInfo" => json!({"context": {"slot": n}, "value": {"lamports": n}}),
                                "sendTransaction" => json!(transaction_signature(&call).expect("a transaction").to_string()),
                                other => json!(other),
                            };
                            let body = json!({"jsonrpc": "2.0", "result": result, "id": call["id"]}).to_string();
                            let mut out = &stream;
                            let written = if n % 2 == 1 {
                                let (a, b) = body.split_at(body.len() / 2);
                                write!(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n", a.len(), b.len())
                            } else {
                                write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                            };
                            if written.is_err() || request.wants_close() {
                                break;
                            }
                        }
                    });
                }
            });
            Upstream { addr, calls }
        }
    }

    /// A raw keep-alive HTTP/1.1 client: exact status codes and headers, no retries.
    struct Client {
        stream: TcpStream,
        reader: BufReader<TcpStream>,
    }

    /// What a request got: the response, or the error reading it (a reset).
    type Got = io::Result<Message>;

    impl Client {
        fn connect(proxy: &RpcProxy) -> Client {
            let stream = TcpStream::connect(proxy.addr).expect("connect");
            stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
            let reader = BufReader::new(stream.try_clone().expect("clone"));
            Client { stream, reader }
        }

        fn call(&mut self, method: &str, params: Value) -> Got {
            let body = json!({"jsonrpc": "2.0", "id": 42, "method": method, "params": params}).to_string();
            write!(self.stream, "POST / HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())?;
            read_message(&mut self.reader, false)?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "closed"))
        }
    }

    fn status(got: &Message) -> u16 {
        got.start.split_whitespace().nth(1).expect("status").parse().expect("a number")
    }

    fn result(got: &Message) -> Value {
        let answer: Value = serde_json::from_slice(&got.body).expect("JSON");
        assert_eq!(answer["id"], 42, "the answer carries the request's id");
        answer["result"].clone()
    }

    /// A signed (with a made-up signature) legacy transaction's wire bytes: 1 signature.
    fn transaction(signature_byte: u8) -> (Signature, Vec<u8>) {
        let mut wire = vec![1u8];
        wire.extend_from_slice(&[signature_byte; 64]);
        wire.extend_from_slice(&[1, 0, 1, 1, 9, 9, 9]);
        (Signature::from([signature_byte; 64]), wire)
    }

    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut block = [0u8; 3];
            block[..chunk.len()].copy_from_slice(chunk);
            let bits = u32::from_be_bytes([0, block[0], block[1], block[2]]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize] as char);
            }
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
        out
    }

    #[test]
    fn decoders_read_what_solana_clients_write() {
        assert_eq!(base64_decode("aGVsbG8gd29ybGQ=").as_deref(), Some(&b"hello world"[..]));
        assert_eq!(base64_decode("AAEC").as_deref(), Some(&[0u8, 1, 2][..]));
        assert_eq!(base64_decode("not base64!"), None);
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64(&bytes)), Some(bytes.clone()));
        let signature = Signature::from([7u8; 64]);
        assert_eq!(base58_decode(&signature.to_string()).as_deref(), Some(&[7u8; 64][..]));
        assert_eq!(base58_decode("1112").as_deref(), Some(&[0u8, 0, 0, 1][..]), "leading ones are zero bytes");
        assert_eq!(base58_decode("0OIl"), None, "not in the alphabet");
        assert_eq!(compact_u16(&[0x05]), Some((5, 1)));
        assert_eq!(compact_u16(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(compact_u16(&[0xff, 0xff, 0x03]), Some((u16::MAX, 3)));
        assert_eq!(compact_u16(&[0x80, 0x80]), None, "cut");
        let (signature, wire) = transaction(3);
        let base64_call = json!({"method": "sendTransaction", "params": [base64(&wire), {"encoding": "base64"}]});
        assert_eq!(transaction_signature(&base64_call), Some(signature));
        let base58_call = json!({"method": "sendTransaction", "params": [base58_encode(&wire)]});
        assert_eq!(transaction_signature(&base58_call), Some(signature), "base58 when no encoding is named");
        assert_eq!(transaction_signature(&json!({"method": "sendTransaction", "params": ["AAAA", {"encoding": "base64"}]})), None, "no signature");
    }

    /// Base58 for the test (the inverse of [`base58_decode`], by long division).
    fn base58_encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        let mut digits: Vec<u8> = Vec::new();
        for &byte in bytes {
            let mut carry = u32::from(byte);
            for digit in &mut digits {
                carry += u32::from(*digit) << 8;
                *digit = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 {
                digits.push((carry % 58) as u8);
                carry /= 58;
            }
        }
        let mut out = "1".repeat(zeros);
        out.extend(digits.iter().rev().map(|&d| ALPHABET[usize::from(d)] as char));
        out
    }

    #[test]
    fn rate_limits_answer_429_with_retry_after_then_forward_again() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        proxy.set_retry_after(3);
        proxy.rate_limit_next(2);
        proxy.rate_limit_method("getSlot", 1);
        let mut client = Client::connect(&proxy);
        for _ in 0..2 {
            let got = client.call("getBalance", json!([])).expect("an answer");
            assert_eq!(status(&got), 429);
            assert_eq!(got.header("retry-after"), Some("3"));
            assert_eq!(serde_json::from_slice::<Value>(&got.body).unwrap()["error"]["code"], 429);
        }
        assert_eq!(result(&client.call("getBalance", json!([])).expect("an answer")), "getBalance", "the budget is spent: forwarded");
        let got = client.call("getSlot", json!([])).expect("an answer");
        assert_eq!(status(&got), 429, "the method's own budget");
        assert_eq!(result(&client.call("getSlot", json!([])).unwrap()), "getSlot");
        proxy.rate_limit_method("getHealth", u64::MAX);
        assert_eq!(status(&client.call("getHealth", json!([])).unwrap()), 429);
        assert_eq!(status(&client.call("getHealth", json!([])).unwrap()), 429);
        assert_eq!(result(&client.call("getVersion", json!([])).unwrap()), "getVersion", "other methods pass");
        proxy.clear_rate_limits();
        assert_eq!(result(&client.call("getHealth", json!([])).unwrap()), "getHealth");
        let tally = proxy.tally();
        assert_eq!(tally.rate_limited_total(), 5);
        assert_eq!(tally.rate_limited["getBalance"], 2);
        assert_eq!(tally.forwarded("getBalance"), 1);
        assert_eq!(tally.forwarded("getHealth"), 1);
        assert_eq!(tally.connections, 1, "every answer, 429s included, kept the connection alive");
        assert_eq!(upstream.calls.load(Ordering::SeqCst), 4, "only forwarded requests reached the upstream");
    }

    #[test]
    fn a_node_catching_up_is_unhealthy_and_sees_no_accounts() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        let mut client = Client::connect(&proxy);
        proxy.catching_up(Some(42));
        let health: Value = serde_json::from_slice(&client.call("getHealth", json!([])).unwrap().body).unwrap();
        assert_eq!(health["error"]["code"], -32005);
        assert_eq!(health["error"]["message"], "Node is behind by 42 slots");
        let account: Value = serde_json::from_slice(&client.call("getAccountInfo", json!(["x"])).unwrap().body).unwrap();
        assert_eq!(account["result"]["value"], Value::Null, "no account yet");
        assert_eq!(result(&client.call("getSlot", json!([])).unwrap()), "getSlot", "other methods pass");
        proxy.catching_up(None);
        assert_eq!(result(&client.call("getHealth", json!([])).unwrap()), "getHealth", "caught up: forwarded");
        let tally = proxy.tally();
        assert_eq!((tally.behind["getHealth"], tally.behind["getAccountInfo"]), (1, 1));
        assert_eq!(upstream.calls.load(Ordering::SeqCst), 2, "only getSlot and the last getHealth reached the upstream");
    }

    #[test]
    fn resets_cut_the_connection_without_an_answer() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        proxy.reset_next(1);
        let mut client = Client::connect(&proxy);
        let error = client.call("getSlot", json!([])).err().expect("no answer");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "an RST, not a clean close: {error}");
        let mut client = Client::connect(&proxy);
        assert_eq!(result(&client.call("getSlot", json!([])).unwrap()), "getSlot", "one reset, then served");
        proxy.reset_method("getBalance", 1);
        assert_eq!(result(&client.call("getSlot", json!([])).unwrap()), "getSlot", "other methods pass");
        assert!(client.call("getBalance", json!([])).is_err());
        proxy.reset_every_request(true);
        for _ in 0..3 {
            assert!(Client::connect(&proxy).call("getSlot", json!([])).is_err(), "a dead endpoint");
        }
        proxy.reset_every_request(false);
        assert_eq!(result(&Client::connect(&proxy).call("getSlot", json!([])).unwrap()), "getSlot");
        let tally = proxy.tally();
        assert_eq!(tally.resets_total(), 5);
        assert_eq!(tally.resets["getBalance"], 1);
        assert_eq!(tally.forwarded("getSlot"), 3);
        assert_eq!(upstream.calls.load(Ordering::SeqCst), 3, "a reset request never reaches the upstream");
    }

    #[test]
    fn a_cut_link_resets_open_and_new_connections_until_restored() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        let mut open = Client::connect(&proxy);
        assert_eq!(result(&open.call("getSlot", json!([])).unwrap()), "getSlot");
        proxy.cut();
        assert!(open.call("getSlot", json!([])).is_err(), "the open keep-alive connection is gone");
        for _ in 0..2 {
            assert!(Client::connect(&proxy).call("getSlot", json!([])).is_err(), "new connections are refused");
        }
        proxy.restore();
        assert_eq!(result(&Client::connect(&proxy).call("getSlot", json!([])).unwrap()), "getSlot", "served again");
        let tally = proxy.tally();
        assert!(tally.refused_connections >= 2, "{tally:?}");
        assert_eq!(upstream.calls.load(Ordering::SeqCst), 2, "nothing sent during the cut reached the upstream");
    }

    #[test]
    fn half_open_and_withheld_answers_never_answer_nor_close() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        proxy.half_open(true);
        let mut hung = Client::connect(&proxy);
        hung.stream.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
        let error = hung.call("getSlot", json!([])).err().expect("no answer");
        assert!(matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut), "still open, silent: {error}");
        assert_eq!(upstream.calls.load(Ordering::SeqCst), 0, "a half-open proxy forwards nothing");
        proxy.restore();
        assert_eq!(result(&Client::connect(&proxy).call("getSlot", json!([])).unwrap()), "getSlot");

        // withheld: forwarded (the upstream saw it), the answer never comes back
        let (signature, wire) = transaction(7);
        proxy.withhold_answers("sendTransaction", 1);
        let mut sender = Client::connect(&proxy);
        sender.stream.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
        let error = sender.call("sendTransaction", json!([base64(&wire), {"encoding": "base64"}])).err().expect("withheld");
        assert!(matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut), "{error}");
        assert_eq!(upstream.calls.load(Ordering::SeqCst), 2, "the send reached the upstream");
        let again = Client::connect(&proxy).call("sendTransaction", json!([base64(&wire), {"encoding": "base64"}])).unwrap();
        assert_eq!(result(&again), signature.to_string(), "one answer withheld, the next one passes");
        let tally = proxy.tally();
        assert_eq!(tally.held.get("getSlot"), Some(&1));
        assert_eq!(tally.held.get("sendTransaction"), Some(&1));
        assert_eq!(tally.held_total(), 2);
        assert_eq!(tally.sends_forwarded_of(&signature), 2);
    }

    #[test]
    fn stale_reads_answer_the_response_recorded_before_staleness_began() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        let mut client = Client::connect(&proxy);
        let params = json!(["11111111111111111111111111111111", {"commitment": "confirmed"}]);
        let lamports = |got: &Message| result(got)["value"]["lamports"].as_u64().expect("lamports");
        let first = lamports(&client.call("getAccountInfo", params.clone()).unwrap());
        let second = lamports(&client.call("getAccountInfo", params.clone()).unwrap());
        assert!(second > first, "fresh reads follow the upstream");
        proxy.serve_stale_reads(true);
        for _ in 0..3 {
            assert_eq!(lamports(&client.call("getAccountInfo", params.clone()).unwrap()), second, "the last answer before staleness began");
        }
        let other = json!(["SysvarC1ock11111111111111111111111111111111"]);
        let fresh = lamports(&client.call("getAccountInfo", other.clone()).unwrap());
        assert!(fresh > second, "a read never answered before is forwarded");
        assert!(lamports(&client.call("getAccountInfo", other).unwrap()) > fresh, "and not recorded while stale");
        assert_eq!(result(&client.call("getSlot", json!([])).unwrap()), "getSlot", "other methods are always fresh");
        proxy.serve_stale_reads(false);
        assert!(lamports(&client.call("getAccountInfo", params).unwrap()) > fresh, "fresh again");
        let tally = proxy.tally();
        assert_eq!(tally.stale["getAccountInfo"], 3);
        assert_eq!(tally.forwarded("getAccountInfo"), 5);
    }

    #[test]
    fn swallowed_sends_are_answered_but_never_forwarded_rebroadcasts_included() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        proxy.swallow_sends(1);
        let mut client = Client::connect(&proxy);
        let (first, first_wire) = transaction(1);
        let (second, second_wire) = transaction(2);
        let send = |client: &mut Client, wire: &[u8]| result(&client.call("sendTransaction", json!([base64(wire), {"encoding": "base64"}])).unwrap());
        assert_eq!(send(&mut client, &first_wire), first.to_string(), "answered with its signature");
        assert_eq!(send(&mut client, &first_wire), first.to_string(), "a re-broadcast is swallowed too");
        assert_eq!(send(&mut client, &second_wire), second.to_string());
        assert_eq!(send(&mut client, &second_wire), second.to_string());
        let tally = proxy.tally();
        assert_eq!(tally.sends_forwarded_of(&first), 0);
        assert_eq!(tally.sends_swallowed[&first.to_string()], 2);
        assert_eq!(tally.sends_forwarded_of(&second), 2, "the budget was one signature");
        assert_eq!(tally.swallowed_signatures(), vec![first]);
        assert_eq!(tally.forwarded("sendTransaction"), 2);
        proxy.heal();
        assert_eq!(send(&mut client, &first_wire), first.to_string());
        assert_eq!(proxy.tally().sends_forwarded_of(&first), 1, "healed: forwarded");
    }

    #[test]
    fn shortened_blockhashes_expire_a_few_blocks_ahead() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        let mut client = Client::connect(&proxy);
        let valid_until = |client: &mut Client| {
            result(&client.call("getLatestBlockhash", json!([{"commitment": "confirmed"}])).unwrap())["value"]["lastValidBlockHeight"].as_u64().unwrap()
        };
        assert_eq!(valid_until(&mut client), 1150);
        proxy.shorten_blockhashes(2, 3);
        assert_eq!(valid_until(&mut client), 1003, "the upstream's height 1000 + 3");
        assert_eq!(valid_until(&mut client), 1003);
        assert_eq!(valid_until(&mut client), 1150, "two answers shortened, then the real one");
        proxy.shorten_blockhashes(1, 500);
        assert_eq!(valid_until(&mut client), 1150, "never later than the real one");
        assert_eq!(proxy.tally().blockhashes_shortened, 3);
    }

    #[test]
    fn latency_delays_each_request_and_concurrent_connections_are_served_together() {
        let upstream = Upstream::start();
        let proxy = Arc::new(RpcProxy::start(upstream.addr));
        proxy.set_latency(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let clients: Vec<_> = (0..8)
            .map(|_| {
                let proxy = Arc::clone(&proxy);
                std::thread::spawn(move || {
                    let mut client = Client::connect(&proxy);
                    (0..2).map(|_| result(&client.call("getSlot", json!([])).unwrap())).collect::<Vec<_>>()
                })
            })
            .collect();
        for client in clients {
            assert_eq!(client.join().unwrap(), vec![json!("getSlot"); 2]);
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(600), "two requests per connection, 300 ms each: {elapsed:?}");
        assert!(elapsed < Duration::from_millis(2400), "eight connections in parallel, not one after another: {elapsed:?}");
        let tally = proxy.tally();
        assert_eq!(tally.connections, 8);
        assert_eq!(tally.forwarded("getSlot"), 16);
    }

    #[test]
    fn garbage_and_closed_connections_do_not_stop_the_proxy() {
        let upstream = Upstream::start();
        let proxy = RpcProxy::start(upstream.addr);
        let mut garbage = TcpStream::connect(proxy.addr).unwrap();
        garbage.write_all(b"GET / HTTP/1.1\r\nContent-Length: nonsense\r\n\r\n").unwrap();
        let mut rest = Vec::new();
        let _ = garbage.read_to_end(&mut rest);
        assert!(rest.is_empty(), "a request that is not HTTP is hung up on");
        drop(TcpStream::connect(proxy.addr).unwrap());
        let mut client = Client::connect(&proxy);
        let got = client.call("getSlot", json!([])).unwrap();
        assert_eq!(result(&got), "getSlot");
        let not_json = {
            let mut stream = TcpStream::connect(proxy.addr).unwrap();
            write!(stream, "POST / HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc").unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).unwrap();
            text
        };
        assert!(not_json.starts_with("HTTP/1.1 200"), "forwarded, and the upstream's answer relayed: {not_json}");
        assert!(not_json.contains("Connection: close"), "{not_json}");
        assert_eq!(proxy.tally().forwarded("invalid"), 1);
    }

    /// The real thing: the Solana `RpcClient` (reqwest's pool, keep-alive, its own 429
    /// retries) against a real validator through the proxy.
    #[test]
    fn the_solana_rpc_client_through_the_proxy_to_a_validator() {
        use solana_commitment_config::CommitmentConfig;
        use solana_rpc_client::rpc_client::RpcClient;
        use solana_signer::Signer;

        let localnet = crate::localnet::BlockingLocalnet::start_with(false);
        let proxy = RpcProxy::to_url(&localnet.validator.rpc_url());
        let rpc = RpcClient::new_with_commitment(proxy.url(), CommitmentConfig::confirmed());
        let direct = &localnet.rpc;
        let (_, real_until) = direct.get_latest_blockhash_with_commitment(CommitmentConfig::confirmed()).unwrap();

        // 429s: the client's own loop waits Retry-After and tries again
        proxy.set_retry_after(0);
        proxy.rate_limit_next(2);
        assert!(rpc.get_slot().unwrap() > 0);
        assert_eq!(proxy.tally().rate_limited_total(), 2);

        // a reset is a transport error for the caller
        proxy.reset_next(1);
        assert!(rpc.get_slot().is_err(), "no answer: the caller sees a transport error");
        assert!(rpc.get_slot().is_ok(), "the pool opens a new connection");

        // a shortened blockhash is what the client believes
        proxy.shorten_blockhashes(1, 4);
        let (_, until) = rpc.get_latest_blockhash_with_commitment(CommitmentConfig::confirmed()).unwrap();
        let height = direct.get_block_height().unwrap();
        assert!(until <= height + 4 && until < real_until, "{until} vs height {height}, real {real_until}");

        // a swallowed transfer never lands; the same one sent again lands
        let wallet = solana_keypair::Keypair::new();
        let blockhash = rpc.get_latest_blockhash().unwrap();
        let transfer = solana_system_interface::instruction::transfer(&localnet.mint.pubkey(), &wallet.pubkey(), 1_000_000_000);
        let tx = solana_transaction::Transaction::new_signed_with_payer(&[transfer], Some(&localnet.mint.pubkey()), &[&localnet.mint], blockhash);
        proxy.swallow_sends(1);
        let signature = rpc.send_transaction(&tx).expect("answered");
        assert_eq!(signature, tx.signatures[0]);
        std::thread::sleep(Duration::from_secs(2));
        assert!(direct.get_signature_statuses(&[signature]).unwrap().value[0].is_none(), "the validator never saw it");
        assert_eq!(proxy.tally().sends_forwarded_of(&signature), 0);
        proxy.heal();
        rpc.send_and_confirm_transaction(&tx).expect("lands once forwarded");
        assert_eq!(direct.get_balance(&wallet.pubkey()).unwrap(), 1_000_000_000);
        assert!(proxy.tally().sends_forwarded_of(&signature) >= 1);

        // stale reads: the balance recorded before staleness began
        let before = rpc.get_account(&wallet.pubkey()).unwrap().lamports;
        proxy.serve_stale_reads(true);
        let more = solana_system_interface::instruction::transfer(&localnet.mint.pubkey(), &wallet.pubkey(), 1);
        let tx = solana_transaction::Transaction::new_signed_with_payer(
            &[more],
            Some(&localnet.mint.pubkey()),
            &[&localnet.mint],
            direct.get_latest_blockhash().unwrap(),
        );
        direct.send_and_confirm_transaction(&tx).unwrap();
        assert_eq!(direct.get_account(&wallet.pubkey()).unwrap().lamports, before + 1);
        assert_eq!(rpc.get_account(&wallet.pubkey()).unwrap().lamports, before, "stale");
        proxy.serve_stale_reads(false);
        assert_eq!(rpc.get_account(&wallet.pubkey()).unwrap().lamports, before + 1, "fresh again");

        // many concurrent calls on the client's pool
        let rpc = Arc::new(rpc);
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let rpc = Arc::clone(&rpc);
                std::thread::spawn(move || (0..5).all(|_| rpc.get_slot().is_ok()))
            })
            .collect();
        assert!(threads.into_iter().all(|t| t.join().unwrap()));
        assert!(proxy.tally().forwarded("getSlot") >= 30);
    }
}
