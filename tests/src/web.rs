//! The web app's server for the playground (`cargo xtask localnet`) and the browser tests: the
//! static files `cargo xtask web` built (`target/web`), the deployment's `GET /config.json`,
//! and a content-addressed blob store for records too large to keep inline on chain. Built on
//! axum (routes) and tower-http (`ServeDir` for the files, CORS for the blob store, the
//! security headers); it serves one browser on the loopback, not the Internet.
//!
//! | request | answer |
//! |---|---|
//! | `GET /config.json` | the [`AppConfig`] it was started with, `blobUploadUrl` pointing at itself; `Cache-Control: no-store` |
//! | `PUT /blobs/<64 hex>` | the body is stored when its SHA-256 is that digest: 201 (200 when already stored); 400 `NotADigest` or `DigestMismatch`, 411 `LengthRequired`, 413 `TooLarge` otherwise |
//! | `GET /blobs/<64 hex>` | the stored bytes (immutable: the name is their digest), or 404 `NotFound` |
//! | `GET /<path>` | a file of the site directory (`/` is `index.html`) with its content type (`application/wasm` for the module); `index.html` is revalidated every time (`no-cache`), `assets/` (content-hashed names) is `immutable`; a path that would leave the directory is refused (400 `PathRefused`) |
//!
//! Every answer carries a Content-Security-Policy (see [`content_security_policy`]),
//! `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`. Every error this
//! server names answers with a status and a `Name: message` plain-text body. A request that is
//! not HTTP at all is answered by hyper (a bare 400) and ends its own connection only.
//!
//! A record stored through it carries the URI `http://localhost:PORT/blobs/<hex>` with its
//! digest and length; the CLI (`client/src/blob.rs`) and the web app read it back and check
//! both.

use axum::{
    Router,
    body::Body,
    extract::{Path as UrlPath, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use percent_encoding::percent_decode_str;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::{
    io,
    net::{Ipv4Addr, Ipv6Addr},
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tokio::{net::TcpListener, sync::watch};
use tower_http::{
    cors::{self, CorsLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
};

/// The largest blob accepted by default: 64 MiB (sealed records are a little larger than the
/// FHIR they hold; the CLI's FHIR limit is 16 MiB).
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 64 * 1024 * 1024;
/// How long a client may take to send a blob (64 MiB over the loopback takes well under this).
const BODY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long requests under way may take to finish once the server is dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// `Cache-Control` of what never changes under its name: content-hashed assets, blobs.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What the web app reads from `config.json` (web/app/src/main.tsx); `blobUploadUrl` is the
/// server's own `/blobs/`.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The validator's JSON-RPC URL, as the browser reaches it.
    pub rpc_url: String,
    /// The program id (base58).
    pub program_id: String,
    /// The cluster account (base58).
    pub cluster: String,
    /// The key domain the app derives user keys for; `None`: `localhost:PORT`, what a browser
    /// at the server's URL uses by default.
    pub key_domain: Option<String>,
    /// The Wallet Standard chain, e.g. `solana:localnet`.
    pub chain: String,
}

/// How to start a [`WebServer`].
#[derive(Clone, Debug)]
pub struct WebOptions {
    /// The built site (`target/web`): `index.html`, `assets/`.
    pub site_dir: PathBuf,
    /// Where blobs are kept (made if missing), one file per digest.
    pub blob_dir: PathBuf,
    /// The port on 127.0.0.1 (and ::1 when the host has it); 0 picks a free one.
    pub port: u16,
    /// The configuration served as `config.json`.
    pub config: AppConfig,
    /// The largest blob accepted.
    pub max_blob_bytes: u64,
}

/// A running server; dropping it stops it.
pub struct WebServer {
    port: u16,
    config_json: String,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the handlers share.
struct Shared {
    site_dir: PathBuf,
    blob_dir: PathBuf,
    max_blob_bytes: u64,
    config_json: String,
    site: ServeDir,
    /// Makes the names of uploads under way unique, so that two uploads of the same blob at
    /// once do not write into one file.
    uploads: AtomicU64,
}

impl WebServer {
    /// Binds the port on 127.0.0.1 (and the same port on ::1, where the host has IPv6, since a
    /// browser may resolve `localhost` to either), then serves on a thread of its own. Fails
    /// when a directory cannot be made or read, the port is taken, or the configuration's
    /// `rpc_url` is not an absolute URL (the Content-Security-Policy names its origin).
    pub fn start(options: WebOptions) -> io::Result<WebServer> {
        std::fs::create_dir_all(&options.blob_dir)?;
        let site_dir = options.site_dir.canonicalize().map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", options.site_dir.display())))?;
        let blob_dir = options.blob_dir.canonicalize()?;
        let v4 = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))?;
        let port = v4.local_addr()?.port();
        // best effort: a host without IPv6 still serves on 127.0.0.1
        let v6 = std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, port)).ok();
        let policy = content_security_policy(&options.config.rpc_url, port)?;
        let policy = HeaderValue::from_str(&policy)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("rpc_url {:?} cannot go in a header", options.config.rpc_url)))?;
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let mut listeners = Vec::new();
        {
            // tokio listeners are made inside the runtime that will drive them
            let _runtime = runtime.enter();
            for listener in std::iter::once(v4).chain(v6) {
                listener.set_nonblocking(true)?;
                listeners.push(TcpListener::from_std(listener)?);
            }
        }
        let config_json = config_json(&options.config, port);
        // `/` and other directories are their index.html; a path ServeDir refuses (`..`, a
        // drive prefix) is a 404 there, but `site_path_refusal` names those first
        let site = ServeDir::new(&site_dir).append_index_html_on_directories(true);
        let shared =
            Arc::new(Shared { site_dir, blob_dir, max_blob_bytes: options.max_blob_bytes, config_json: config_json.clone(), site, uploads: AtomicU64::new(0) });
        let app = router(shared, policy);
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new().name("web-server".into()).spawn(move || {
            runtime.block_on(async move {
                let mut servers = Vec::new();
                for listener in listeners {
                    let mut stopped = stopped.clone();
                    let signal = async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    };
                    servers.push(tokio::spawn(axum::serve(listener, app.clone()).with_graceful_shutdown(signal).into_future()));
                }
                let mut stopped = stopped;
                let _ = stopped.wait_for(|stop| *stop).await;
                // requests under way may finish; a browser's idle keep-alive connections close
                // at once, a stuck upload does not hold up the drop
                let finished = async {
                    for server in &mut servers {
                        let _ = server.await;
                    }
                };
                let _ = tokio::time::timeout(SHUTDOWN_GRACE, finished).await;
                for server in servers {
                    server.abort();
                }
            });
            runtime.shutdown_timeout(SHUTDOWN_GRACE);
        })?;
        Ok(WebServer { port, config_json, stop, thread: Some(thread) })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where a browser opens the app: `http://localhost:PORT` (the origin whose host is the
    /// default key domain).
    pub fn url(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// The `config.json` it serves.
    pub fn config_json(&self) -> &str {
        &self.config_json
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `config.json` for a server on `port`.
fn config_json(config: &AppConfig, port: u16) -> String {
    let key_domain = config.key_domain.clone().unwrap_or_else(|| format!("localhost:{port}"));
    let value = json!({
        "rpcUrl": config.rpc_url,
        "programId": config.program_id,
        "cluster": config.cluster,
        "keyDomain": key_domain,
        "blobUploadUrl": format!("http://localhost:{port}/blobs/"),
        "chain": config.chain,
    });
    serde_json::to_string_pretty(&value).expect("JSON") + "\n"
}

/// The Content-Security-Policy of every answer: the app's own scripts and styles only (no
/// inline code: the app sets no `style` attributes and has no inline script), WebAssembly
/// compiled from its own module (`'wasm-unsafe-eval'`, without which `WebAssembly.instantiate`
/// is refused), images from itself and `data:`/`blob:` (the QR code of the address), and
/// requests to itself, the validator's JSON-RPC origin and the blob store's
/// `http://localhost:PORT` (what `blobUploadUrl` says, also when the page was opened as
/// `127.0.0.1`). The app reads the chain by polling over HTTP, so no WebSocket origin is
/// needed. No frames, forms, `<base>` or embedding by other pages.
pub fn content_security_policy(rpc_url: &str, port: u16) -> io::Result<String> {
    let rpc_origin =
        origin(rpc_url).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("rpc_url {rpc_url:?} is not an absolute http(s) URL")))?;
    Ok(format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self' {rpc_origin} http://localhost:{port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ))
}

/// `scheme://host[:port]` of an absolute http(s) URL (user information dropped: an origin has
/// none).
fn origin(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str().filter(|scheme| matches!(*scheme, "http" | "https"))?;
    let authority = uri.authority()?;
    let host_and_port = authority.as_str().rsplit('@').next()?;
    Some(format!("{scheme}://{host_and_port}"))
}

/// The routes, then the headers every answer carries.
fn router(shared: Arc<Shared>, policy: HeaderValue) -> Router {
    // the app may be opened as 127.0.0.1 while config.json says localhost: both may upload
    let blob_cors = CorsLayer::new()
        .allow_origin(cors::Any)
        .allow_methods([Method::GET, Method::HEAD, Method::PUT])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/config.json", get(serve_config).fallback(|method: Method| async move { method_not_allowed(&method, "GET, HEAD") }))
        // `*name` rather than `name`: `/blobs/a/b` is then a named NotADigest too
        .route(
            "/blobs/{*name}",
            get(get_blob).put(put_blob).fallback(|method: Method| async move { method_not_allowed(&method, "GET, HEAD, PUT, OPTIONS") }).layer(blob_cors),
        )
        .fallback(any(static_file))
        .with_state(shared)
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, policy))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
}

/// An error: `Name: message` as plain text.
fn named_error(status: StatusCode, name: &str, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{name}: {message}\n")).into_response()
}

fn method_not_allowed(method: &Method, allowed: &'static str) -> Response {
    let mut response = named_error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", &format!("{method} is not served here (allowed: {allowed})"));
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

async fn serve_config(State(shared): State<Arc<Shared>>) -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], shared.config_json.clone()).into_response()
}

/// A file of the site, by `ServeDir` (content type, `Last-Modified`, conditional and range
/// requests, HEAD), once [`site_path_refusal`] has let the path through; its bare 404 and 405
/// become named errors, and the answer gets its cache policy.
async fn static_file(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return method_not_allowed(request.method(), "GET, HEAD");
    }
    let path = request.uri().path().to_owned();
    if let Some(refusal) = site_path_refusal(&shared.site_dir, &path).await {
        return refusal;
    }
    let response = match shared.site.clone().try_call(request).await {
        Ok(response) => response,
        Err(error) => return named_error(StatusCode::INTERNAL_SERVER_ERROR, "ReadFailed", &format!("{path}: {error}")),
    };
    if response.status() == StatusCode::NOT_FOUND {
        return named_error(StatusCode::NOT_FOUND, "NotFound", &format!("{path} is not part of the web app"));
    }
    let (mut parts, body) = response.into_parts();
    // a text type without a charset would leave the browser to guess the encoding
    if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok())
        && (content_type.starts_with("text/") || content_type == "application/json")
        && !content_type.contains("charset")
        && let Ok(with_charset) = HeaderValue::from_str(&format!("{content_type}; charset=utf-8"))
    {
        parts.headers.insert(header::CONTENT_TYPE, with_charset);
    }
    if parts.status.is_success() || parts.status == StatusCode::NOT_MODIFIED {
        // hashed names under assets/ never change content; the rest is checked every time
        let cache = if path.starts_with("/assets/") { IMMUTABLE } else { "no-cache" };
        parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    Response::from_parts(parts, Body::new(body))
}

/// Why a URL path may not name a file of the site, as a 400 `PathRefused`: not UTF-8 once
/// `%`-decoded, a NUL or backslash, a `..` segment (also spelled `%2e%2e`), or a symbolic
/// link inside the site that resolves outside it. `ServeDir` refuses the first three itself
/// but as a bare 404, and follows links; this names the refusal and keeps to the directory.
async fn site_path_refusal(site_dir: &Path, path: &str) -> Option<Response> {
    let refused = |why: &str| Some(named_error(StatusCode::BAD_REQUEST, "PathRefused", &format!("{path}: {why}")));
    let Ok(decoded) = percent_decode_str(path).decode_utf8() else {
        return refused("not UTF-8 once %-decoded");
    };
    if decoded.contains(['\0', '\\']) {
        return refused("a NUL or a backslash");
    }
    let mut file = site_dir.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return refused("`..` would leave the web app's directory"),
            name => file.push(name),
        }
    }
    match tokio::fs::canonicalize(&file).await {
        Ok(resolved) if !resolved.starts_with(site_dir) => refused("a link out of the web app's directory"),
        // missing: ServeDir answers NotFound
        _ => None,
    }
}

/// A blob name: 64 hex digits (SHA-256), lower-cased.
fn parse_digest(text: &str) -> Option<String> {
    (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| text.to_ascii_lowercase())
}

fn not_a_digest(text: &str) -> Response {
    named_error(StatusCode::BAD_REQUEST, "NotADigest", &format!("/blobs/{text}: a blob is named by its SHA-256 as 64 hex digits"))
}

/// `PUT /blobs/<digest>`: the length is checked from the headers before a byte of the body is
/// read, the body against the digest before it is stored.
async fn put_blob(State(shared): State<Arc<Shared>>, UrlPath(name): UrlPath<String>, headers: HeaderMap, body: Body) -> Response {
    let Some(digest) = parse_digest(&name) else {
        return not_a_digest(&name);
    };
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return named_error(StatusCode::LENGTH_REQUIRED, "LengthRequired", "send the blob with a Content-Length, not chunked");
    }
    // hyper has refused a malformed or doubled Content-Length already
    let Some(length) = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()).and_then(|value| value.parse::<u64>().ok()) else {
        return named_error(StatusCode::LENGTH_REQUIRED, "LengthRequired", "a blob upload needs a Content-Length");
    };
    if length > shared.max_blob_bytes {
        return named_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TooLarge",
            &format!("{length} bytes is more than this store's limit of {} bytes", shared.max_blob_bytes),
        );
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, shared.max_blob_bytes as usize)).await {
        Err(_) => return named_error(StatusCode::REQUEST_TIMEOUT, "RequestTimeout", "the blob took too long to arrive"),
        Ok(Err(error)) => return named_error(StatusCode::BAD_REQUEST, "BadRequest", &format!("the body could not be read: {error}")),
        Ok(Ok(body)) => body,
    };
    let actual = hex::encode(Sha256::digest(&body));
    if actual != digest {
        return named_error(StatusCode::BAD_REQUEST, "DigestMismatch", &format!("the body's SHA-256 is {actual}, not {digest}"));
    }
    let path = shared.blob_dir.join(&digest);
    let answer = |status: StatusCode| {
        let value = json!({ "sha256": digest, "length": body.len(), "path": format!("/blobs/{digest}") });
        (status, [(header::CONTENT_TYPE, "application/json")], value.to_string() + "\n").into_response()
    };
    if tokio::fs::metadata(&path).await.is_ok_and(|meta| meta.is_file()) {
        return answer(StatusCode::OK);
    }
    // written aside then renamed: a reader never sees half a blob
    let upload = shared.uploads.fetch_add(1, Ordering::Relaxed);
    let partial = shared.blob_dir.join(format!(".{digest}.{}.{upload}.partial", std::process::id()));
    let stored = async {
        tokio::fs::write(&partial, &body).await?;
        tokio::fs::rename(&partial, &path).await
    };
    match stored.await {
        Ok(()) => answer(StatusCode::CREATED),
        Err(error) => {
            let _ = tokio::fs::remove_file(&partial).await;
            named_error(StatusCode::INTERNAL_SERVER_ERROR, "StoreFailed", &error.to_string())
        }
    }
}

/// `GET /blobs/<digest>` (HEAD too: axum sends GET's headers without the body).
async fn get_blob(State(shared): State<Arc<Shared>>, UrlPath(name): UrlPath<String>) -> Response {
    let Some(digest) = parse_digest(&name) else {
        return not_a_digest(&name);
    };
    match tokio::fs::read(shared.blob_dir.join(&digest)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, IMMUTABLE)], bytes).into_response(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => named_error(StatusCode::NOT_FOUND, "NotFound", &format!("no blob {digest}")),
        Err(error) => named_error(StatusCode::INTERNAL_SERVER_ERROR, "ReadFailed", &error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        io::{Read, Write},
        net::SocketAddr,
        time::Instant,
    };

    /// The address a server on `port` answers on over IPv4.
    fn loopback(port: u16) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    }

    /// A site and blob directory under the temp dir, removed on drop.
    struct Fixture {
        root: PathBuf,
        server: WebServer,
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn config() -> AppConfig {
        AppConfig {
            rpc_url: "http://127.0.0.1:8899".into(),
            program_id: "Prog1111111111111111111111111111111111111111".into(),
            cluster: "Clus1111111111111111111111111111111111111111".into(),
            key_domain: None,
            chain: "solana:localnet".into(),
        }
    }

    /// A site with an index, hashed assets and a secret next to (not in) it.
    fn site(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("medshare-web-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let site = root.join("site");
        std::fs::create_dir_all(site.join("assets")).unwrap();
        std::fs::write(site.join("index.html"), "<!doctype html><title>MedShare</title>").unwrap();
        std::fs::write(site.join("assets").join("main-ABC.js"), "console.log(1)").unwrap();
        std::fs::write(site.join("assets").join("medshare_wasm_bg-123.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(site.join("assets").join("style-DEF.css"), "body{}").unwrap();
        // what a traversal would reach: next to the site, not in it
        std::fs::write(root.join("secret.txt"), "SECRET").unwrap();
        root
    }

    fn fixture(name: &str, max_blob_bytes: u64) -> Fixture {
        let root = site(name);
        let server =
            WebServer::start(WebOptions { site_dir: root.join("site"), blob_dir: root.join("blobs"), port: 0, config: config(), max_blob_bytes }).unwrap();
        Fixture { root, server }
    }

    /// Status, headers (lower-cased names) and body of one raw request; the server closes the
    /// connection after it (`Connection: close`, or a request it cannot parse).
    fn request(port: u16, raw: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut stream = std::net::TcpStream::connect(loopback(port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(raw).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let end = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
        let head = String::from_utf8(answer[..end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned())).collect();
        (status, headers, answer[end + 4..].to_vec())
    }

    fn get(port: u16, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        request(port, format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())
    }

    fn put(port: u16, path: &str, body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut raw = format!("PUT {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        raw.extend_from_slice(body);
        request(port, &raw)
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
        headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
    }

    fn text(body: Vec<u8>) -> String {
        String::from_utf8(body).unwrap()
    }

    #[test]
    fn config_json_carries_the_started_values_and_points_uploads_at_itself() {
        let f = fixture("config", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let (status, headers, body) = get(port, "/config.json");
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "application/json");
        assert_eq!(header(&headers, "cache-control"), "no-store");
        let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(config["rpcUrl"], "http://127.0.0.1:8899");
        assert_eq!(config["programId"], "Prog1111111111111111111111111111111111111111");
        assert_eq!(config["cluster"], "Clus1111111111111111111111111111111111111111");
        assert_eq!(config["keyDomain"], format!("localhost:{port}"), "the key domain a browser at the server's URL derives for");
        assert_eq!(config["blobUploadUrl"], format!("http://localhost:{port}/blobs/"));
        assert_eq!(config["chain"], "solana:localnet");
        assert_eq!(serde_json::from_str::<serde_json::Value>(f.server.config_json()).unwrap(), config);
        assert_eq!(f.server.url(), format!("http://localhost:{port}"));
        let (status, headers, body) = put(port, "/config.json", b"{}");
        assert_eq!(status, 405);
        assert_eq!(header(&headers, "allow"), "GET, HEAD");
        assert!(text(body).starts_with("MethodNotAllowed: PUT"));
    }

    #[test]
    fn a_blob_is_stored_under_its_digest_and_read_back() {
        let f = fixture("blob", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let body = b"sealed record bytes".repeat(1000);
        let digest = hex::encode(Sha256::digest(&body));
        let (status, headers, answer) = put(port, &format!("/blobs/{digest}"), &body);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
        assert_eq!(header(&headers, "access-control-allow-origin"), "*");
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["sha256"], digest.as_str());
        assert_eq!(answer["length"], body.len());
        assert_eq!(answer["path"], format!("/blobs/{digest}"));
        // the same bytes again: already there
        assert_eq!(put(port, &format!("/blobs/{digest}"), &body).0, 200);
        // upper-case hex names the same blob
        let (status, headers, read) = get(port, &format!("/blobs/{}", digest.to_ascii_uppercase()));
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "application/octet-stream");
        assert_eq!(header(&headers, "cache-control"), IMMUTABLE);
        assert_eq!(header(&headers, "access-control-allow-origin"), "*");
        assert_eq!(read, body);
        assert_eq!(std::fs::read(f.root.join("blobs").join(&digest)).unwrap(), body);
        let leftovers: Vec<_> = std::fs::read_dir(f.root.join("blobs")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, [std::ffi::OsString::from(&digest)], "no partial upload left behind");
        // a browser's CORS preflight for the upload from another origin (127.0.0.1 vs localhost)
        let preflight = format!(
            "OPTIONS /blobs/{digest} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nOrigin: http://127.0.0.1:{port}\r\n\
             Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\r\n"
        );
        let (status, headers, _) = request(port, preflight.as_bytes());
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "access-control-allow-origin"), "*");
        assert!(header(&headers, "access-control-allow-methods").contains("PUT"), "{headers:?}");
        assert_eq!(header(&headers, "access-control-allow-headers"), "content-type");
    }

    #[test]
    fn a_blob_whose_bytes_do_not_hash_to_its_name_is_refused_and_not_stored() {
        let f = fixture("digest", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let claimed = hex::encode(Sha256::digest(b"what the record should be"));
        let (status, headers, answer) = put(port, &format!("/blobs/{claimed}"), b"something else");
        assert_eq!(status, 400);
        assert_eq!(header(&headers, "access-control-allow-origin"), "*", "the browser may read why");
        let answer = text(answer);
        assert!(answer.starts_with("DigestMismatch: "), "{answer}");
        assert!(answer.contains(&hex::encode(Sha256::digest(b"something else"))), "{answer}");
        let (status, _, answer) = get(port, &format!("/blobs/{claimed}"));
        assert_eq!(status, 404);
        assert!(text(answer).starts_with("NotFound: no blob "));
        // names that are not a digest at all
        for name in ["not-a-digest", &claimed[..63], &format!("{claimed}0"), &format!("{}/{}", &claimed[..32], &claimed[32..])] {
            let (status, _, answer) = put(port, &format!("/blobs/{name}"), b"x");
            assert_eq!(status, 400, "{name}");
            assert!(text(answer).starts_with("NotADigest: "), "{name}");
        }
        assert_eq!(std::fs::read_dir(f.root.join("blobs")).unwrap().count(), 0, "nothing stored");
    }

    #[test]
    fn a_blob_over_the_limit_or_without_a_length_is_refused() {
        let f = fixture("large", 1024);
        let port = f.server.port();
        let body = vec![7u8; 1025];
        let digest = hex::encode(Sha256::digest(&body));
        let (status, _, answer) = put(port, &format!("/blobs/{digest}"), &body);
        assert_eq!(status, 413);
        assert!(text(answer).starts_with("TooLarge: 1025 bytes"));
        assert_eq!(get(port, &format!("/blobs/{digest}")).0, 404);
        // exactly at the limit is fine
        let body = vec![7u8; 1024];
        assert_eq!(put(port, &format!("/blobs/{}", hex::encode(Sha256::digest(&body))), &body).0, 201);
        let chunked = format!("PUT /blobs/{digest} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        let (status, _, answer) = request(port, chunked.as_bytes());
        assert_eq!(status, 411);
        assert!(text(answer).starts_with("LengthRequired: "));
    }

    #[test]
    fn paths_that_leave_the_site_are_refused() {
        let f = fixture("traversal", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        // a symbolic link inside the site that points out of it
        std::os::unix::fs::symlink(f.root.join("secret.txt"), f.root.join("site").join("link.txt")).unwrap();
        for path in [
            "/../secret.txt",
            "/assets/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/assets/%2E%2E/%2E%2E/secret.txt",
            "/..%2fsecret.txt",
            "/link.txt",
            "/%5c..%5csecret.txt",
            "/a%00b",
            "/%ff",
        ] {
            let (status, _, body) = get(port, path);
            assert_eq!(status, 400, "{path}");
            let body = text(body);
            assert!(body.starts_with("PathRefused: "), "{path}: {body}");
            assert!(!body.contains("SECRET"), "{path}");
        }
        // a malformed escape is a plain (missing) name
        let (status, _, body) = get(port, "/%zz");
        assert_eq!(status, 404);
        assert!(text(body).starts_with("NotFound: /%zz"));
        assert_eq!(get(port, "/missing.js").0, 404);
        // a directory is not a file: its index.html, which assets/ has not
        let (status, headers, _) = get(port, "/assets");
        assert_eq!((status, header(&headers, "location")), (307, "/assets/"));
        assert_eq!(get(port, "/assets/").0, 404);
    }

    #[test]
    fn files_are_served_with_their_content_types_and_cache_policy() {
        let f = fixture("types", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let cases = [
            ("/", "text/html; charset=utf-8", "no-cache"),
            ("/index.html", "text/html; charset=utf-8", "no-cache"),
            ("/assets/main-ABC.js", "text/javascript; charset=utf-8", IMMUTABLE),
            ("/assets/style-DEF.css", "text/css; charset=utf-8", IMMUTABLE),
            ("/assets/medshare_wasm_bg-123.wasm", "application/wasm", IMMUTABLE),
        ];
        for (path, content_type, cache) in cases {
            let (status, headers, body) = get(port, path);
            assert_eq!(status, 200, "{path}");
            assert_eq!(header(&headers, "content-type"), content_type, "{path}");
            assert_eq!(header(&headers, "cache-control"), cache, "{path}");
            assert_eq!(header(&headers, "content-length"), body.len().to_string());
        }
        assert_eq!(get(port, "/assets/medshare_wasm_bg-123.wasm").2, b"\0asm\x01\0\0\0");
        assert_eq!(text(get(port, "/").2), "<!doctype html><title>MedShare</title>");
        // HEAD: the headers of GET, no body
        let (status, headers, body) = request(port, b"HEAD /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert_eq!((status, body.len()), (200, 0));
        assert_eq!(header(&headers, "content-length"), "38");
        // a revalidation of index.html: unchanged, so no body
        let last_modified = header(&get(port, "/index.html").1, "last-modified").to_owned();
        let conditional = format!("GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nIf-Modified-Since: {last_modified}\r\n\r\n");
        let (status, headers, body) = request(port, conditional.as_bytes());
        assert_eq!((status, body.len()), (304, 0));
        assert_eq!(header(&headers, "cache-control"), "no-cache");
    }

    #[test]
    fn every_answer_carries_the_content_security_policy_and_security_headers() {
        let f = fixture("headers", 1024);
        let port = f.server.port();
        let policy = format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; \
             connect-src 'self' http://127.0.0.1:8899 http://localhost:{port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        );
        let body = vec![1u8; 10];
        let digest = hex::encode(Sha256::digest(&body));
        let answers = [
            ("index", get(port, "/")),
            ("asset", get(port, "/assets/main-ABC.js")),
            ("config", get(port, "/config.json")),
            ("missing file", get(port, "/missing")),
            ("refused path", get(port, "/%2e%2e/secret.txt")),
            ("stored blob", put(port, &format!("/blobs/{digest}"), &body)),
            ("read blob", get(port, &format!("/blobs/{digest}"))),
            ("too large", put(port, &format!("/blobs/{digest}"), &[0u8; 1025])),
            ("wrong method", request(port, b"DELETE / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")),
        ];
        for (what, (status, headers, _)) in answers {
            assert!(status > 0, "{what}");
            assert_eq!(header(&headers, "content-security-policy"), policy, "{what}");
            assert_eq!(header(&headers, "x-content-type-options"), "nosniff", "{what}");
            assert_eq!(header(&headers, "referrer-policy"), "no-referrer", "{what}");
        }
    }

    #[test]
    fn the_policy_names_the_rpc_origin_and_a_start_without_one_is_refused() {
        let policy = content_security_policy("https://user:secret@rpc.example.org:8443/path?key=1", 8080).unwrap();
        assert!(policy.contains("connect-src 'self' https://rpc.example.org:8443 http://localhost:8080;"), "{policy}");
        assert!(!policy.contains("secret") && !policy.contains("key=1"), "only the origin: {policy}");
        assert!(content_security_policy("http://127.0.0.1:8899", 1).unwrap().contains(" http://127.0.0.1:8899 "));
        for bad in ["127.0.0.1:8899", "/rpc", "ftp://example.org", "not a url", "http://a b"] {
            assert!(content_security_policy(bad, 8080).is_err(), "{bad}");
        }
        let root = site("bad-rpc");
        let options = WebOptions {
            site_dir: root.join("site"),
            blob_dir: root.join("blobs"),
            port: 0,
            config: AppConfig { rpc_url: "localhost:8899".into(), ..config() },
            max_blob_bytes: 1,
        };
        let error = WebServer::start(options).err().expect("refused");
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("\"localhost:8899\" is not an absolute http(s) URL"), "{error}");
    }

    #[test]
    fn bad_requests_get_named_errors_and_the_server_keeps_serving() {
        let f = fixture("bad", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        // not HTTP: hyper's own 400, on that connection only
        assert_eq!(request(port, b"NONSENSE\r\n\r\n").0, 400);
        assert_eq!(request(port, b"GET / HTTP/1.1\r\nContent-Length: x\r\nConnection: close\r\n\r\n").0, 400);
        let (status, headers, body) = request(port, b"DELETE /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert_eq!(status, 405);
        assert_eq!(header(&headers, "allow"), "GET, HEAD");
        assert!(text(body).starts_with("MethodNotAllowed: DELETE"));
        let (status, headers, body) = request(port, b"PATCH /blobs/00 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert_eq!(status, 405);
        assert_eq!(header(&headers, "allow"), "GET, HEAD, PUT, OPTIONS");
        assert!(text(body).starts_with("MethodNotAllowed: PATCH"));
        // a client that connects and leaves without a word, and one that stops mid-body
        drop(std::net::TcpStream::connect(loopback(port)).unwrap());
        let mut cut = std::net::TcpStream::connect(loopback(port)).unwrap();
        cut.write_all(format!("PUT /blobs/{} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc", "0".repeat(64)).as_bytes()).unwrap();
        drop(cut);
        let (status, _, body) = get(port, "/index.html");
        assert_eq!((status, text(body).as_str()), (200, "<!doctype html><title>MedShare</title>"), "still serving");
    }

    #[test]
    fn dropping_the_server_does_not_wait_for_an_idle_browser_connection() {
        let root = site("stop");
        let server =
            WebServer::start(WebOptions { site_dir: root.join("site"), blob_dir: root.join("blobs"), port: 0, config: config(), max_blob_bytes: 1 }).unwrap();
        let port = server.port();
        // a browser keeps its connection open after a request (keep-alive)
        let mut browser = std::net::TcpStream::connect(loopback(port)).unwrap();
        browser.write_all(b"GET /config.json HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        browser.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut first = [0u8; 12];
        browser.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        let started = Instant::now();
        drop(server);
        let _ = std::fs::remove_dir_all(&root);
        assert!(started.elapsed() < SHUTDOWN_GRACE * 3, "stopped in {:?}", started.elapsed());
        assert!(std::net::TcpStream::connect(loopback(port)).is_err(), "no longer listening");
    }
}
